//! `serve`, `init` and `migrate`: the commands that open the database themselves.
//!
//! The root key banner printed here is the one place a secret is written to the console, and it
//! goes straight to stdout, never through `tracing`.

use std::sync::Arc;

use anyhow::Context;
use keyward_core::clock::SystemClock;
use keyward_core::secret::SecretToken;
use keyward_core::Keyward;

use crate::app::{self, Application};
use crate::cli::output;
use crate::config::{Config, ServerArgs};
use crate::root_key::{self, RootKey};
use crate::telemetry;

/// Loads the configuration and starts logging with its filter.
fn configure(args: &ServerArgs) -> anyhow::Result<Config> {
    let config = Config::load(args)?;
    telemetry::init(&config.log_filter, config.log_format)?;
    tracing::debug!(?config, "configuration");
    Ok(config)
}

/// `keyward serve`
pub async fn serve(args: ServerArgs) -> anyhow::Result<()> {
    let config = configure(&args)?;
    let mut application = Application::build(config).await?;
    if let Some(secret) = application.take_root_secret() {
        output::print(&banner(&secret))?;
    }
    application.run_until(shutdown_signal()).await
}

/// `keyward init`: migrate and bootstrap without serving.
pub async fn init(args: ServerArgs) -> anyhow::Result<()> {
    let config = configure(&args)?;
    let store = app::connect(&config, true).await?;
    let core = Keyward::new(
        Arc::clone(&store),
        app::hasher(&config),
        Arc::new(SystemClock),
        &config.cache,
    )
    .with_renderer(Arc::new(keyward_api::views::ViewRenderer));
    let url = keyward_store::redact_url(&config.database_url);
    match root_key::bootstrap(&core, store.as_ref(), config.root_key_file.as_deref()).await? {
        RootKey::AlreadyInitialised => output::print(&format!(
            "The database {url} was already initialised: nothing was created.\n"
        )),
        RootKey::WrittenTo(path) => output::print(&format!(
            "Initialised {url}.\nThe root key was written to {} (mode 0600).\n",
            path.display()
        )),
        RootKey::Created(secret) => {
            output::print(&format!("Initialised {url}.\n"))?;
            output::print(&banner(&secret))
        }
    }
}

/// `keyward migrate`
pub async fn migrate(args: ServerArgs) -> anyhow::Result<()> {
    let config = configure(&args)?;
    let url = keyward_store::redact_url(&config.database_url);
    keyward_store::migrate(&config.database_url)
        .await
        .with_context(|| format!("cannot migrate the database {url}"))?;
    output::print(&format!(
        "The database {url} is migrated to the latest schema.\n"
    ))
}

fn banner(secret: &SecretToken) -> String {
    let rule = "=".repeat(72);
    format!(
        "\n{rule}\n\
         keyward created its root key. It is shown this once and cannot be recovered:\n\n\
         \x20   {}\n\n\
         Store it in a password manager or secret store now. It holds the keyward:root role:\n\
         use it to create admin keys for everyday work, then keep it offline.\n\
         (Set root_key_file / --root-key-file to have it written to a file instead.)\n\
         {rule}\n\n",
        secret.expose()
    )
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM. If a handler cannot be installed the other still
/// works; the failure is logged, never a panic.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl-C"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}
