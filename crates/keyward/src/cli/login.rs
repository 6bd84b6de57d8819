//! `keyward login` (check a token against a server, store both as a context) and `keyward
//! context list|use|delete`. The token is stored in the CLI config (mode 0600) rather than as a
//! path to its file: a context must keep working after the file it came from is rotated away or
//! cleaned up, and the config's permissions are the CLI's own to enforce. No command prints it.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Args, Subcommand};
use serde_json::json;

use super::client::{parse_base_url, ApiClient, ClientArgs, Target, Token};
use super::contexts::{config_path, parse_context_name, CliConfig, ServerContext};
use super::output::{Format, Table};
use super::prompt;

/// `keyward login`: the server is `--url` (or `KEYWARD_URL`), the context name `--context`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// File holding the management key (`-` for stdin). Without it: --token or KEYWARD_TOKEN,
    /// else a prompt that does not echo.
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ContextAction {
    /// List the contexts; `*` marks the current one.
    List,
    /// Make a context the current one.
    Use {
        #[arg(value_parser = parse_context_name)]
        name: String,
    },
    /// Forget a context and its token.
    Delete {
        #[arg(value_parser = parse_context_name)]
        name: String,
    },
}

/// The real environment, for [`config_path`] and `contexts::resolve`.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Largest token file read: a key is ~50 bytes; anything near this is the wrong file.
const MAX_TOKEN_FILE: u64 = 64 * 1024;

pub async fn login(args: LoginArgs, client_args: &ClientArgs) -> anyhow::Result<String> {
    let url = client_args
        .url
        .clone()
        .or_else(|| process_env("KEYWARD_URL").filter(|u| !u.trim().is_empty()))
        .context("give the server: keyward login --url https://… --token-file PATH")?;
    let base = parse_base_url(&url)?;
    let name = match &client_args.context {
        Some(name) => parse_context_name(name).map_err(anyhow::Error::msg)?,
        // Like gh: a context is named after its host unless told otherwise.
        None => {
            let host = base.host_str().unwrap_or("default");
            let host = match base.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            };
            parse_context_name(&host).unwrap_or_else(|_| "default".into())
        }
    };
    let token = read_token(&args, client_args)?;
    let target = Target {
        url: url.clone(),
        token: Some(token.clone()),
    };
    // Saved only once the server has accepted it as a management key.
    ApiClient::new(&target)?
        .get(&["v1", "domains"], &[("limit".into(), "1".into())])
        .await
        .context("the token was not saved")?;
    let path = config_path(&process_env)?;
    let mut config = CliConfig::load(&path)?;
    config.contexts.insert(
        name.clone(),
        ServerContext {
            url: url.clone(),
            token: Some(token),
        },
    );
    config.current_context = Some(name.clone());
    config.save(&path)?;
    Ok(format!(
        "Logged in to {url}; context `{name}` is now current (saved in {}).\n",
        path.display()
    ))
}

fn read_token(args: &LoginArgs, client_args: &ClientArgs) -> anyhow::Result<Token> {
    let text = match &args.token_file {
        Some(path) if path.as_os_str() == "-" => read_bounded(std::io::stdin().lock(), "stdin")?,
        Some(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            read_bounded(file, &path.display().to_string())?
        }
        None => match client_args.token.clone() {
            Some(token) => return Ok(token),
            None => match process_env("KEYWARD_TOKEN").filter(|t| !t.trim().is_empty()) {
                Some(text) => text,
                None if std::io::stdin().is_terminal() => prompt::secret("Management key: ")?,
                None => bail!("no token: give --token-file PATH (or - for stdin)"),
            },
        },
    };
    Token::parse(&text).map_err(anyhow::Error::msg)
}

fn read_bounded(reader: impl Read, what: &str) -> anyhow::Result<String> {
    let mut text = String::new();
    reader
        .take(MAX_TOKEN_FILE)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read the token from {what}"))?;
    Ok(text)
}

pub fn context(action: ContextAction, format: Format) -> anyhow::Result<String> {
    let path = config_path(&process_env)?;
    let mut config = CliConfig::load(&path)?;
    match action {
        ContextAction::List => Ok(list(&config, format)),
        ContextAction::Use { name } => {
            config.get(&name)?;
            config.current_context = Some(name.clone());
            config.save(&path)?;
            Ok(format!("Context `{name}` is now current.\n"))
        }
        ContextAction::Delete { name } => {
            config.get(&name)?;
            config.contexts.remove(&name);
            if config.current_context.as_deref() == Some(name.as_str()) {
                config.current_context = None;
            }
            config.save(&path)?;
            Ok(format!("Deleted context `{name}`.\n"))
        }
    }
}

/// Names, URLs and whether a token is stored; never the token.
fn list(config: &CliConfig, format: Format) -> String {
    let current = config.current_context.as_deref();
    let rows: Vec<_> = config
        .contexts
        .iter()
        .map(|(name, context)| {
            json!({
                "name": name,
                "url": context.url,
                "current": current == Some(name.as_str()),
                "token_stored": context.token.is_some(),
            })
        })
        .collect();
    let value = json!({"current_context": current, "contexts": rows});
    if let Some(text) = format.structured(&value) {
        return text;
    }
    let mut table = Table::new(&["CURRENT", "NAME", "URL", "TOKEN"]);
    for (name, context) in &config.contexts {
        table.row(vec![
            if current == Some(name.as_str()) {
                "*"
            } else {
                ""
            }
            .into(),
            name.clone(),
            context.url.clone(),
            if context.token.is_some() {
                "stored"
            } else {
                "-"
            }
            .into(),
        ]);
    }
    table.render()
}
