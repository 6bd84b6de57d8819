//! The command line: `serve`, `init` and `migrate` open the database; `keys`, `principals`,
//! `domains` and `operations` are clients of a running server's REST API.
//!
//! Exit status: 0 success, 1 error (the message is on stderr), 2 bad usage (clap), 3 `keys
//! verify` answered that the key is not valid.

mod client;
mod domains;
mod keys;
mod list;
mod operations;
mod output;
mod principals;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::ServerArgs;

pub use client::{ApiClient, ClientArgs, ClientError};

/// keyward: issue, rotate, revoke and verify API keys.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, propagate_version = true)]
pub struct Cli {
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
    let cli = Cli::parse();
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
            ExitCode::FAILURE
        }
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
        Command::Keys(command) => {
            client_logging();
            return command.run().await;
        }
        Command::Principals(command) => {
            client_logging();
            command.run().await?
        }
        Command::Domains(command) => {
            client_logging();
            command.run().await?
        }
        Command::Operations(command) => {
            client_logging();
            command.run().await?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Client commands log only warnings unless KEYWARD_LOG asks for more.
fn client_logging() {
    let filter = std::env::var("KEYWARD_LOG").unwrap_or_else(|_| "warn".into());
    if crate::telemetry::init(&filter).is_err() {
        let _ = crate::telemetry::init("warn");
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
