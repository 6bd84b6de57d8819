//! `keyward config example` prints the commented file of every setting; `keyward config check`
//! resolves a file, the `KEYWARD_*` environment and any flags exactly as `serve` would, without
//! opening the database or serving, and says what it found or what is wrong (status 1).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::{example, Config, ServerArgs};

/// Print an example configuration file, or check one.
#[derive(Debug, Args)]
pub struct ConfigCommand {
    #[command(subcommand)]
    command: ConfigSubcommand,
}

#[derive(Debug, Subcommand)]
enum ConfigSubcommand {
    /// Print every setting with its default as a commented TOML file.
    Example,
    /// Check a configuration file and the KEYWARD_* environment without serving.
    Check(Box<CheckArgs>),
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The file to check [default: --config or KEYWARD_CONFIG; none: the environment alone].
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    server: ServerArgs,
}

impl ConfigCommand {
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            ConfigSubcommand::Example => print!("{}", example::example()),
            ConfigSubcommand::Check(args) => {
                let CheckArgs { file, mut server } = *args;
                if let Some(file) = file {
                    server.config = Some(file);
                }
                let config = Config::load(&server)?;
                print!("{}", summary(server.config.as_deref(), &config));
            }
        }
        Ok(())
    }
}

/// What `serve` would run with, secrets named but never shown.
fn summary(file: Option<&std::path::Path>, config: &Config) -> String {
    let source = match file {
        Some(path) => format!("{} and the environment", path.display()),
        None => "the environment (no configuration file)".into(),
    };
    let set = |on: bool, off: &str| if on { "set".to_owned() } else { off.to_owned() };
    let redis = config.redis_url.as_deref().map_or_else(
        || "none: counted in this node's memory".into(),
        keyward_redis::redact_url,
    );
    let metrics = match (&config.metrics.enabled, &config.metrics.listen) {
        (false, _) => "off".to_owned(),
        (true, Some(address)) => format!("http://{address}/metrics"),
        (true, None) => "/metrics on the listen address".to_owned(),
    };
    let metrics_token = if config.metrics.token.is_some() {
        ", token set"
    } else {
        ""
    };
    format!(
        "ok: {source}\n  listen      {}\n  database    {}\n  pepper      {}\n  \
         master key  {}\n  redis       {redis}\n  log         {} ({}, verifications {})\n  \
         metrics     {metrics}{metrics_token}\n",
        config.listen,
        keyward_store::redact_url(&config.database_url),
        set(
            config.pepper.is_some(),
            "not set: secrets are hashed with plain SHA-256"
        ),
        set(
            config.master_key.is_some(),
            "not set: access keys cannot be created"
        ),
        config.log_filter,
        config.log_format.as_str(),
        config.log_verifications.as_str(),
    )
}
