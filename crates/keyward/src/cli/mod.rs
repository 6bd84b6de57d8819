//! The command line: `serve`, `init` and `migrate` open the database; `keys`, `principals`,
//! `domains` and `operations` are clients of a running server's REST API; `login` and `context`
//! manage the CLI's named servers (`contexts`). The client options (`--url`, `--token`,
//! `--context`, `-o table|json|yaml`, `--json`) are global: they go anywhere on the line.
//! `config` prints or checks a configuration file; `completions` and the hidden `man` write
//! documents generated from this command line.
//!
//! Exit status (see [`exit`]): 0 success; 1 error (the message is on stderr); 2 bad usage
//! (clap); 3 `keys verify` answered that the key is not valid; 4 not authenticated (no token, or
//! the server refused it); 5 not found (the server answered 404, or no key has the name given).

mod client;
mod config;
mod contexts;
mod docs;
mod domains;
mod keys;
mod list;
mod login;
mod operations;
mod output;
mod principals;
mod prompt;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::ServerArgs;

pub use client::{ApiClient, ClientArgs, ClientError};

/// `keyward --version`: the version, the git commit and the build date (see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("KEYWARD_GIT_COMMIT"),
    ", built ",
    env!("KEYWARD_BUILD_DATE"),
    ")"
);

/// The exit statuses, one place for each (the README repeats them).
pub mod exit {
    /// Any other error; the message is on stderr.
    pub const FAILURE: u8 = 1;
    /// `keys verify`: the server answered that the key is not valid.
    pub const INVALID_KEY: u8 = 3;
    /// No token was given, or the server refused it (HTTP 401).
    pub const NOT_AUTHENTICATED: u8 = 4;
    /// What was named does not exist (HTTP 404, or no key of that name).
    pub const NOT_FOUND: u8 = 5;
}

/// keyward: issue, rotate, revoke and verify API keys.
#[derive(Debug, Parser)]
#[command(name = "keyward", version = VERSION, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (migrates and, on a fresh database, creates the root key).
    Serve(ServerArgs),
    /// Migrate and create the root key without serving.
    Init(ServerArgs),
    /// Apply database migrations.
    Migrate(MigrateArgs),
    /// Manage API keys on a running server.
    Keys(keys::KeysCommand),
    /// Manage principals (users and service accounts) on a running server.
    Principals(principals::PrincipalsCommand),
    /// Manage domains (tenants) on a running server.
    Domains(domains::DomainsCommand),
    /// Read the audit log of a running server.
    Operations(operations::OperationsCommand),
    /// Check a management key against a server and save both as a context (and make it current).
    Login(login::LoginArgs),
    /// List, switch and delete the CLI's contexts (named servers with their tokens).
    #[command(subcommand)]
    Context(login::ContextAction),
    /// Print an example configuration file, or check one without serving.
    Config(config::ConfigCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(docs::CompletionsArgs),
    /// Write the man pages to a directory.
    #[command(hide = true)]
    Man(docs::ManArgs),
}

/// `migrate` needs only the database.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// TOML configuration file.
    #[arg(long, env = "KEYWARD_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    /// Database URL [default: sqlite://keyward.db].
    #[arg(
        long = "database",
        env = "KEYWARD_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
}

/// Parses the command line, runs the command, and turns an error into a message and a status.
pub fn main() -> ExitCode {
    let cli = parse_args(std::env::args_os()).unwrap_or_else(|error| error.exit());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit_status(&error))
        }
    }
}

/// `Cli::try_parse_from`, and the one check clap cannot make: it does not see a conflict between
/// global flags given at different levels (`keyward --json keys list -o yaml`).
pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    if cli.client.json && cli.client.output.is_some_and(|o| o != output::Format::Json) {
        return Err(<Cli as clap::CommandFactory>::command().error(
            clap::error::ErrorKind::ArgumentConflict,
            "--json means -o json: give one or the other",
        ));
    }
    Ok(cli)
}

/// The status for an error: "not authenticated" and "not found" have their own.
fn exit_status(error: &anyhow::Error) -> u8 {
    let client_error = error
        .chain()
        .find_map(|cause| cause.downcast_ref::<ClientError>());
    match client_error {
        Some(ClientError::NoToken | ClientError::Refused) => exit::NOT_AUTHENTICATED,
        Some(ClientError::NotFound(_)) => exit::NOT_FOUND,
        Some(ClientError::Api { status, .. } | ClientError::Status { status, .. })
            if *status == reqwest::StatusCode::NOT_FOUND =>
        {
            exit::NOT_FOUND
        }
        _ => exit::FAILURE,
    }
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => server::serve(args).await?,
        Command::Init(args) => server::init(args).await?,
        Command::Migrate(args) => {
            let args = ServerArgs {
                config: args.config,
                database_url: args.database_url,
                ..ServerArgs::default()
            };
            server::migrate(args).await?
        }
        Command::Login(args) => {
            client_logging();
            output::print(&login::login(args, &cli.client).await?)?
        }
        Command::Context(action) => output::print(&login::context(action, cli.client.format())?)?,
        Command::Config(command) => command.run()?,
        Command::Completions(args) => args.run(),
        Command::Man(args) => args.run()?,
        command => return run_client(command, &cli.client).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// The commands that talk to a server with a resolved target.
async fn run_client(command: Command, args: &ClientArgs) -> anyhow::Result<ExitCode> {
    client_logging();
    let config = contexts::CliConfig::load(&contexts::config_path(&login::process_env)?)?;
    let client = ApiClient::new(&contexts::resolve(args, &login::process_env, &config)?)?;
    let format = args.format();
    match command {
        Command::Keys(command) => return command.run(&client, format).await,
        Command::Principals(command) => command.run(&client, format).await?,
        Command::Domains(command) => command.run(&client, format).await?,
        Command::Operations(command) => command.run(&client, format).await?,
        Command::Serve(_) | Command::Init(_) | Command::Migrate(_) => {}
        Command::Login(_) | Command::Context(_) => {}
        Command::Config(_) | Command::Completions(_) | Command::Man(_) => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// Client commands log only warnings unless KEYWARD_LOG asks for more.
fn client_logging() {
    let filter = std::env::var("KEYWARD_LOG").unwrap_or_else(|_| "warn".into());
    let text = crate::config::LogFormat::Text;
    if crate::telemetry::init(&filter, text).is_err() {
        let _ = crate::telemetry::init("warn", text);
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn client_flags_go_anywhere_on_the_line() {
        for line in [
            &["keyward", "--json", "keys", "list"][..],
            &["keyward", "keys", "--json", "list"],
            &[
                "keyward",
                "-o",
                "yaml",
                "--context",
                "dev",
                "keys",
                "get",
                "ci",
            ],
            &[
                "keyward",
                "keys",
                "list",
                "--output",
                "yaml",
                "--url",
                "http://h:1",
            ],
        ] {
            let cli = parse_args(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert_ne!(cli.client.format(), output::Format::Table, "{line:?}");
        }
        let both = parse_args(["keyward", "--json", "keys", "list", "-o", "yaml"]);
        assert!(both.is_err(), "--json and -o yaml conflict");
        assert!(parse_args(["keyward", "keys", "list", "--json", "-o", "yaml"]).is_err());
        assert!(parse_args(["keyward", "--json", "keys", "list", "-o", "json"]).is_ok());
    }

    #[test]
    fn errors_map_to_their_exit_statuses() {
        let status = |e: ClientError| exit_status(&anyhow::Error::new(e).context("while x"));
        assert_eq!(status(ClientError::NoToken), exit::NOT_AUTHENTICATED);
        assert_eq!(status(ClientError::Refused), exit::NOT_AUTHENTICATED);
        assert_eq!(status(ClientError::NotFound("x".into())), exit::NOT_FOUND);
        let api = |status| ClientError::Api {
            status,
            code: "C".into(),
            message: "m".into(),
        };
        assert_eq!(status(api(reqwest::StatusCode::NOT_FOUND)), exit::NOT_FOUND);
        assert_eq!(status(api(reqwest::StatusCode::FORBIDDEN)), exit::FAILURE);
        assert_eq!(exit_status(&anyhow::anyhow!("other")), exit::FAILURE);
    }

    #[test]
    fn client_flags_go_after_the_subcommand() {
        let cli = Cli::try_parse_from([
            "keyward",
            "keys",
            "list",
            "--url",
            "http://h:1",
            "--json",
            "--all",
        ])
        .expect("parses");
        assert!(matches!(cli.command, Command::Keys(_)));
        let rotate = Cli::try_parse_from(["keyward", "keys", "rotate", "not-an-id"]);
        assert!(rotate.is_err());
        let both = Cli::try_parse_from([
            "keyward",
            "keys",
            "create",
            "--owner",
            "0190a3c2-7e4b-7c3d-8a9b-0123456789ab",
            "--name",
            "x",
            "--expires-at",
            "2030-01-01T00:00:00Z",
            "--expires-in",
            "30d",
        ]);
        assert!(both.is_err(), "--expires-at and --expires-in conflict");
    }

    #[test]
    fn there_is_no_pepper_flag() {
        let result = Cli::try_parse_from(["keyward", "serve", "--pepper", "0123456789abcdef"]);
        assert!(result.is_err());
    }
}
