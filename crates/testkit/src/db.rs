//! A fresh database per test: a SQLite file in a temporary directory, or a freshly created
//! PostgreSQL database when `KEYWARD_TEST_DATABASE_URL` names a server. Tests never share state,
//! so they run in parallel and in any order.

use std::io::Write as _;

use sqlx::{Connection as _, Executor as _, PgConnection};
use tempfile::TempDir;

/// The environment variable naming a PostgreSQL server for tests, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`. Each test creates (and drops) its own database
/// there; the named database is only used to connect.
pub const POSTGRES_URL_VAR: &str = "KEYWARD_TEST_DATABASE_URL";

/// The PostgreSQL server URL for tests, when one is configured.
pub fn postgres_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A fresh database for one test: a SQLite file in a temp dir, or — when
/// `KEYWARD_TEST_DATABASE_URL` is set to a postgres:// URL — a freshly created PostgreSQL
/// database (`CREATE DATABASE keyward_t_<random>`), dropped on cleanup (or, if the test panicked
/// first, when this value is dropped).
pub struct TestDatabase {
    /// The URL to give `keyward_store::connect`.
    pub url: String,
    backend: Backend,
}

enum Backend {
    /// Deleted with the directory when dropped.
    Sqlite { _dir: TempDir },
    Postgres {
        server_url: String,
        name: String,
        dropped: bool,
    },
}

impl TestDatabase {
    /// A new, empty SQLite database file (created by the store on first connect).
    pub async fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("keyward-test-")
            .tempdir()
            .expect("a temporary directory for the test database");
        let url = format!("sqlite://{}", dir.path().join("keyward.db").display());
        Self {
            url,
            backend: Backend::Sqlite { _dir: dir },
        }
    }

    /// A new, empty PostgreSQL database, or `None` when `KEYWARD_TEST_DATABASE_URL` is unset.
    /// Panics when the variable is set but the server refuses: a configured backend that does
    /// not work is a failure, not a skip.
    pub async fn postgres() -> Option<Self> {
        let server_url = postgres_url()?;
        let name = format!("keyward_t_{}", uuid::Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&server_url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot connect to {POSTGRES_URL_VAR} ({}): {e}",
                    keyward_store::redact_url(&server_url)
                )
            });
        // A locale-aware default collation (where the server has ICU), as production databases
        // usually have: the store must still compare and sort text bytewise.
        let with_icu = format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' \
             LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        );
        if admin.execute(with_icu.as_str()).await.is_err() {
            admin
                .execute(format!("CREATE DATABASE \"{name}\"").as_str())
                .await
                .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        }
        let _ = admin.close().await;
        Some(Self {
            url: keyward_store::with_database(&server_url, &name),
            backend: Backend::Postgres {
                server_url,
                name,
                dropped: false,
            },
        })
    }

    /// The URL to give `keyward_store::connect`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres { .. })
    }

    /// Removes the database. Close the store's pool first where you can; PostgreSQL databases
    /// are dropped `WITH (FORCE)`, so a pool still open does not block it.
    pub async fn cleanup(mut self) {
        if let Backend::Postgres {
            server_url,
            name,
            dropped,
        } = &mut self.backend
        {
            drop_postgres_database(server_url, name).await;
            *dropped = true;
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Backend::Postgres {
            server_url,
            name,
            dropped: false,
        } = &self.backend
        else {
            return;
        };
        // A test that panicked never reached `cleanup`. Drop cannot await, and may run inside a
        // runtime, so drop the database from a thread with a runtime of its own.
        let (server_url, name) = (server_url.clone(), name.clone());
        let dropper =
            std::thread::spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(drop_postgres_database(&server_url, &name)),
                    Err(e) => warn(&format!("cannot drop test database {name}: {e}")),
                }
            });
        let _ = dropper.join();
    }
}

async fn drop_postgres_database(server_url: &str, name: &str) {
    let result = async {
        let mut admin = PgConnection::connect(server_url).await?;
        admin
            .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
            .await?;
        admin.close().await
    }
    .await;
    if let Err(e) = result {
        warn(&format!("cannot drop test database {name}: {e}"));
    }
}

/// Straight to stderr, past the test harness's capture: a leaked database should be noticed.
fn warn(message: &str) {
    let _ = writeln!(std::io::stderr(), "keyward-testkit: {message}");
}
