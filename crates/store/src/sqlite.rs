//! The embedded default: one SQLite file in WAL mode.

use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use keyward_core::store::ChangeSink;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::engine::{begin_detached, Backend, SqlStore, Tx};
use crate::rows::Row;
use crate::schema::{Dialect, Stmt};
use crate::url::redact_url;
use crate::StoreOptions;

/// The SQLite schema, compiled into the binary.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// A `Store` on one SQLite file.
///
/// Every connection runs with WAL (readers never wait for the writer), `synchronous=FULL` (an
/// acknowledged write survives kill -9 and power loss), `foreign_keys=ON` (the schema's integrity
/// rules are enforced), a busy timeout (writers queue instead of failing),
/// `case_sensitive_like=ON` (text filters are case-sensitive, as on PostgreSQL) and statement
/// journals in memory. Writes run on one dedicated connection with a larger page cache, reads on
/// a pool (see [`SqliteBackend`]).
pub type SqliteStore = SqlStore<SqliteBackend>;

/// SQLite's pools. SQLite allows one writer at a time. Every write transaction runs on the one
/// connection of `write`, so writers queue in order on the pool (asynchronously) instead of in
/// SQLite's busy handler, which sleeps and retries in growing steps; and that connection's page
/// cache stays warm, where another connection's commit would make a connection drop its own.
/// Reads run on `read`. An in-memory database has one connection, in both.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    /// The writer's pool (one connection), also for migrations, checkpoints and shutdown.
    write: SqlitePool,
    /// The readers' pool (the same pool as `write` for an in-memory database).
    read: SqlitePool,
}

impl Backend for SqliteBackend {
    const DIALECT: Dialect = Dialect::Sqlite;
    const GROUP_COMMITS_KEY_INSERTS: bool = true;

    /// Both pools, summed (an in-memory database's one pool is counted twice).
    fn pool_connections(&self) -> keyward_core::store::PoolConnections {
        let write = crate::engine::connections_of(&self.write);
        let read = crate::engine::connections_of(&self.read);
        keyward_core::store::PoolConnections {
            idle: write.idle + read.idle,
            in_use: write.in_use + read.in_use,
        }
    }

    async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        begin_detached(&self.write, "BEGIN IMMEDIATE")
            .await
            .map(Tx::Sqlite)
    }

    async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        begin_detached(&self.read, "BEGIN DEFERRED")
            .await
            .map(Tx::Sqlite)
    }

    async fn fetch_all(&self, stmt: Stmt) -> Result<Vec<Row>, sqlx::Error> {
        Ok(sqlx::query_with(&stmt.sql, stmt.values)
            .fetch_all(&self.read)
            .await?
            .into_iter()
            .map(Row::Sqlite)
            .collect())
    }

    async fn fetch_optional(&self, stmt: Stmt) -> Result<Option<Row>, sqlx::Error> {
        Ok(sqlx::query_with(&stmt.sql, stmt.values)
            .fetch_optional(&self.read)
            .await?
            .map(Row::Sqlite))
    }

    /// One node owns a SQLite file, and its core forgets its own changes as it makes them, so
    /// there is no one to hear from.
    fn watch_changes(&self, _origin: Arc<str>, _sink: ChangeSink) -> bool {
        false
    }
}

/// The writer's page cache, in KiB (SQLite's own default is 2 MiB a connection): enough for the
/// hot part of the indexes a key insert touches at random (its secret's hash) on a million keys.
const WRITER_CACHE_KIB: u32 = 16 * 1024;

impl SqlStore<SqliteBackend> {
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
            // A multi-row statement inside a transaction keeps a statement journal, to undo just
            // that statement on an error; keep it in memory rather than in a temporary file.
            .pragma("temp_store", "MEMORY")
            // After a checkpoint resets the WAL, shrink its file back to 64 MiB at most.
            .pragma("journal_size_limit", "67108864");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let opened = |what: &'static str| {
            move |e: sqlx::Error| {
                anyhow::Error::new(e).context(format!(
                    "cannot open SQLite database {} ({what})",
                    redact_url(url)
                ))
            }
        };
        let (read, write) = if in_memory {
            // An in-memory database lives as long as a connection to it: keep exactly one.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .map_err(opened("memory"))?;
            (pool.clone(), pool)
        } else {
            // The writer opens first: it creates the file and switches it to WAL.
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                // Writers wait here for their turn, as they would in the busy handler.
                .acquire_timeout(options.sqlite_busy_timeout.max(options.acquire_timeout))
                .connect_with(
                    connect
                        .clone()
                        .pragma("cache_size", format!("-{WRITER_CACHE_KIB}"))
                        // Checkpoints run beside the writes instead (see `spawn_checkpointer`).
                        .pragma("wal_autocheckpoint", "0"),
                )
                .await
                .map_err(opened("writer"))?;
            let read = SqlitePoolOptions::new()
                .max_connections(options.max_connections.max(1))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .map_err(opened("readers"))?;
            (read, write)
        };
        let store = Self::new(SqliteBackend { write, read });
        if options.migrate {
            store.migrate().await?;
        }
        if !in_memory {
            let pools = store.backend();
            spawn_checkpointer(pools.read.clone(), pools.write.clone());
        }
        tracing::info!(url = %redact_url(url), migrated = options.migrate, "opened the SQLite store");
        Ok(store)
    }

    /// Applies the compiled-in migrations that have not run yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR
            .run(&self.backend().write)
            .await
            .context("migrating the SQLite database")
    }

    /// Closes every connection (and checkpoints the WAL when the last one closes).
    pub async fn close(&self) {
        let pools = self.backend();
        pools.read.close().await;
        pools.write.close().await;
    }
}

/// How often the WAL is copied back into the database file, beside the writes.
const COPY_BACK_EVERY: Duration = Duration::from_secs(1);
/// Every how many copies the WAL is also started over.
const RESTART_EVERY: u32 = 10;

/// Checkpoints, off the commit path. The writer's connection never checkpoints as it commits
/// (`wal_autocheckpoint=0`): an automatic checkpoint made every thousandth page's commit wait tens
/// of milliseconds for the copy and its fsync. Instead, every second a `PASSIVE` checkpoint on a
/// reader's connection copies the WAL back while writers go on appending to it. And every tenth
/// time a `RESTART` on the writer's connection starts the WAL over: SQLite can only do that when
/// no reader is using it, a moment that never comes under a steady stream of reads, so without it
/// the WAL grows without bound (seen past 2 GB under load). It waits (within the busy timeout)
/// for the readers of the moment to finish; little is left to copy by then, and writes queue
/// behind it in order on the writer's pool. Ends when the pools are closed.
fn spawn_checkpointer(read: SqlitePool, write: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(COPY_BACK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        for round in 1u32.. {
            tick.tick().await;
            if read.is_closed() || write.is_closed() {
                return;
            }
            let (pool, sql) = if round % RESTART_EVERY == 0 {
                (&write, "PRAGMA wal_checkpoint(RESTART)")
            } else {
                (&read, "PRAGMA wal_checkpoint(PASSIVE)")
            };
            if let Err(error) = sqlx::query(sql).execute(pool).await {
                tracing::debug!(%error, "WAL checkpoint did not complete; retrying later");
            }
        }
    });
}
