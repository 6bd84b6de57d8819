//! PostgreSQL, for many stateless keyward nodes sharing one database.

use std::str::FromStr as _;
use std::sync::Arc;

use anyhow::Context as _;
use keyward_core::store::ChangeSink;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::sync::watch;

use crate::changes::listener;
use crate::engine::{begin_detached, Backend, SqlStore, Tx};
use crate::rows::Row;
use crate::schema::{Dialect, Stmt};
use crate::url::redact_url;
use crate::StoreOptions;

/// The PostgreSQL schema, compiled into the binary.
pub(crate) static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// A `Store` on a PostgreSQL database. Several nodes may share it: every write is one
/// transaction, optimistic versions settle concurrent key updates, migrations take an advisory
/// lock so nodes starting together apply them once, and every key write is published to the
/// other nodes' caches (`watch_changes`, see `crate::changes`).
pub type PostgresStore = SqlStore<PostgresBackend>;

/// PostgreSQL's pool, and the switch that ends the change feeds.
#[derive(Debug, Clone)]
pub struct PostgresBackend {
    pool: PgPool,
    /// Set by `close`, and dropped with the last clone: either ends the change-feed tasks.
    stop: Arc<watch::Sender<bool>>,
}

impl Backend for PostgresBackend {
    const DIALECT: Dialect = Dialect::Postgres;
    const GROUP_COMMITS_KEY_INSERTS: bool = false;

    fn pool_connections(&self) -> keyward_core::store::PoolConnections {
        crate::engine::connections_of(&self.pool)
    }

    async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        begin_detached(&self.pool, "BEGIN").await.map(Tx::Postgres)
    }

    async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        begin_detached(
            &self.pool,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )
        .await
        .map(Tx::Postgres)
    }

    async fn fetch_all(&self, stmt: Stmt) -> Result<Vec<Row>, sqlx::Error> {
        Ok(sqlx::query_with(&stmt.sql, stmt.values)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Row::Postgres)
            .collect())
    }

    async fn fetch_optional(&self, stmt: Stmt) -> Result<Option<Row>, sqlx::Error> {
        Ok(sqlx::query_with(&stmt.sql, stmt.values)
            .fetch_optional(&self.pool)
            .await?
            .map(Row::Postgres))
    }

    /// A listener task on a connection of its own, for as long as this store (any clone of it)
    /// is open.
    fn watch_changes(&self, origin: Arc<str>, sink: ChangeSink) -> bool {
        listener::spawn(
            &self.pool.connect_options(),
            origin,
            sink,
            self.stop.subscribe(),
        )
    }
}

impl SqlStore<PostgresBackend> {
    /// Connects to `url` (`postgres://` or `postgresql://`) and migrates the database when
    /// `options.migrate` is set.
    pub async fn open(url: &str, options: &StoreOptions) -> anyhow::Result<Self> {
        let connect = PgConnectOptions::from_str(url)
            .with_context(|| format!("invalid PostgreSQL URL {}", redact_url(url)))?
            .application_name("keyward");
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .with_context(|| format!("cannot connect to PostgreSQL at {}", redact_url(url)))?;
        let store = Self::new(PostgresBackend {
            pool,
            stop: Arc::new(watch::Sender::new(false)),
        });
        if options.migrate {
            store.migrate().await?;
        }
        tracing::info!(url = %redact_url(url), migrated = options.migrate, "opened the PostgreSQL store");
        Ok(store)
    }

    /// Applies the compiled-in migrations that have not run yet.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR
            .run(&self.backend().pool)
            .await
            .context("migrating the PostgreSQL database")
    }

    /// Stops the change feeds and closes every connection, waiting for those in use to come back.
    pub async fn close(&self) {
        let backend = self.backend();
        backend.stop.send_replace(true);
        backend.pool.close().await;
    }
}
