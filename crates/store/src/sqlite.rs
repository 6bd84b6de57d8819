//! The embedded default: one SQLite file in WAL mode.

use std::str::FromStr as _;

use anyhow::Context as _;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::engine::{delegate_store_to_engine, Engine, Pool};
use crate::url::redact_url;
use crate::StoreOptions;

/// The SQLite schema, compiled into the binary.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// A `Store` on one SQLite file.
///
/// Every connection runs with WAL (readers never wait for the writer), `synchronous=FULL` (an
/// acknowledged write survives kill -9 and power loss), `foreign_keys=ON` (the schema's integrity
/// rules are enforced), a busy timeout (writers queue instead of failing) and
/// `case_sensitive_like=ON` (text filters are case-sensitive, as on PostgreSQL).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The same pool the engine runs on, kept typed for migrations and shutdown.
    pool: SqlitePool,
    engine: Engine,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` — `sqlite:PATH`, `sqlite://PATH`,
    /// `sqlite::memory:` or a bare file path — and migrates it when `options.migrate` is set.
    pub async fn open(url: &str, options: &StoreOptions) -> anyhow::Result<Self> {
        let base = if url.to_ascii_lowercase().starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)
                .with_context(|| format!("invalid SQLite URL {}", redact_url(url)))?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let connect = base
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(options.sqlite_busy_timeout)
            .pragma("case_sensitive_like", "ON")
            // After a checkpoint resets the WAL, shrink its file back to 64 MiB at most.
            .pragma("journal_size_limit", "67108864");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout);
        if in_memory {
            // An in-memory database lives as long as a connection to it: keep exactly one.
            pool = pool
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = pool
            .connect_with(connect)
            .await
            .with_context(|| format!("cannot open SQLite database {}", redact_url(url)))?;
        let store = Self {
            engine: Engine::new(Pool::Sqlite(pool.clone())),
            pool,
        };
        if options.migrate {
            store.migrate().await?;
        }
        if !in_memory {
            spawn_checkpointer(store.pool.clone());
        }
        tracing::info!(url = %redact_url(url), migrated = options.migrate, "opened the SQLite store");
        Ok(store)
    }

    /// Applies the compiled-in migrations that have not run yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .context("migrating the SQLite database")
    }

    /// `Store::watch_changes`: one node owns a SQLite file, and its core forgets its own changes
    /// as it makes them, so there is no one to hear from.
    fn start_change_feed(&self, _sink: keyward_core::store::ChangeSink) -> bool {
        false
    }

    /// Closes every connection (and checkpoints the WAL when the last one closes).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

delegate_store_to_engine!(SqliteStore);

/// How often the WAL is checkpointed and restarted.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// SQLite's automatic checkpoints copy the WAL back but can only start it over when no reader is
/// using it; under a steady stream of reads that moment never comes and the WAL grows without
/// bound (seen past 2 GB under load). A `RESTART` checkpoint waits (within the busy timeout) for
/// the readers of the moment to finish, so the next write starts the WAL from its beginning.
/// Ends when the pool is closed.
fn spawn_checkpointer(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(RESTART)")
                .execute(&pool)
                .await
            {
                tracing::debug!(%error, "WAL checkpoint did not complete; retrying later");
            }
        }
    });
}
