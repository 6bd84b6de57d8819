//! The one implementation of the `Store` rules, shared by both backends: [`SqlStore`], generic
//! over a [`Backend`] that carries what differs (the pools, how a transaction starts, the change
//! feed, the dialect statements are rendered in). `port.rs` implements `Store` for it, each
//! method once; the files per entity hold their transactions and statement helpers. Decoding a
//! row (`crate::rows`) and publishing a change (`Tx`) branch on the backend in their own place.

mod access_keys;
mod credits;
mod domains;
mod group_commit;
mod keys;
mod last_used;
mod operations;
mod port;
mod principals;
mod products;
mod retry;
mod stats;
mod subscriptions;
mod usage;
mod usage_plans;

use std::future::Future;
use std::sync::Arc;

use keyward_core::secret::SecretHash;
use keyward_core::store::{ChangeSink, StoreResult};
use sqlx::{Postgres, Sqlite, Transaction};

use crate::error::db_error;
use crate::rows::Row;
use crate::schema::{Dialect, Stmt};

/// What differs between SQLite and PostgreSQL beneath the shared rules: where statements run and
/// how transactions start on them, the dialect they are rendered in, and whether other nodes can
/// be told about changes. Implemented by `crate::sqlite::SqliteBackend` and
/// `crate::postgres::PostgresBackend`.
pub trait Backend: Clone + std::fmt::Debug + Send + Sync + 'static {
    /// The SQL every statement is rendered in.
    const DIALECT: Dialect;
    /// Whether key inserts go through one writer that commits them in groups
    /// (`group_commit.rs`): SQLite, whose writers queue anyway.
    const GROUP_COMMITS_KEY_INSERTS: bool;

    /// Starts a transaction that will write (see `SqlStore::begin_write`).
    fn begin_write(&self) -> impl Future<Output = Result<Tx, sqlx::Error>> + Send;
    /// Starts a read-only transaction with one snapshot (see `SqlStore::begin_read`).
    fn begin_read(&self) -> impl Future<Output = Result<Tx, sqlx::Error>> + Send;
    /// Runs a read outside any transaction; answers every row.
    fn fetch_all(&self, stmt: Stmt) -> impl Future<Output = Result<Vec<Row>, sqlx::Error>> + Send;
    /// Runs a read outside any transaction; answers the first row, if any.
    fn fetch_optional(
        &self,
        stmt: Stmt,
    ) -> impl Future<Output = Result<Option<Row>, sqlx::Error>> + Send;
    /// `Store::watch_changes`: starts delivering other nodes' key changes (those not signed with
    /// `origin`) to `sink`, or answers `false` when the backend has none to deliver.
    fn watch_changes(&self, origin: Arc<str>, sink: ChangeSink) -> bool;
    /// The connections of the backend's pools (`Store::pool_connections`).
    fn pool_connections(&self) -> keyward_core::store::PoolConnections;
}

/// A pool's open connections, idle and in use.
pub(crate) fn connections_of<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> keyward_core::store::PoolConnections {
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    keyward_core::store::PoolConnections {
        idle,
        in_use: pool.size().saturating_sub(idle),
    }
}

/// A `Store` on a SQL database: the port's rules over one backend (`engine::Backend`, which only
/// this crate can name). `crate::SqliteStore` and `crate::PostgresStore` name its two kinds;
/// each opens its backend's pools.
#[derive(Debug, Clone)]
pub struct SqlStore<B> {
    backend: B,
    /// Signs this store's change notifications, so its own listener can skip them.
    origin: Arc<str>,
    /// Key inserts go through one writer that commits them in groups (`group_commit.rs`) when
    /// the backend asks for it. `None` otherwise and in that writer itself.
    key_inserts: Option<Arc<group_commit::KeyInserts<B>>>,
}

impl<B: Backend> SqlStore<B> {
    pub(crate) fn new(backend: B) -> Self {
        let key_inserts = B::GROUP_COMMITS_KEY_INSERTS.then(Arc::default);
        Self {
            backend,
            origin: crate::changes::new_origin().into(),
            key_inserts,
        }
    }

    /// The backend this store runs on (its pools, for opening, migrating and closing).
    pub(crate) fn backend(&self) -> &B {
        &self.backend
    }

    /// This store, writing each key insert itself (the group-commit writer's own store).
    fn direct(&self) -> Self {
        Self {
            key_inserts: None,
            ..self.clone()
        }
    }

    fn dialect(&self) -> Dialect {
        B::DIALECT
    }

    /// Starts a transaction that will write. SQLite takes the write lock at `BEGIN IMMEDIATE`:
    /// a deferred transaction that reads first and writes later can fail with SQLITE_BUSY when
    /// another writer got in between, which no busy timeout can fix.
    async fn begin_write(&self) -> StoreResult<Tx> {
        self.backend
            .begin_write()
            .await
            .map_err(|e| db_error(e, "starting a write transaction"))
    }

    /// Starts a read-only transaction, for reads of several statements that must agree (a page of
    /// keys and their secrets). PostgreSQL needs REPEATABLE READ for one snapshot across them;
    /// SQLite's WAL gives a deferred transaction one snapshot from its first read.
    async fn begin_read(&self) -> StoreResult<Tx> {
        self.backend
            .begin_read()
            .await
            .map_err(|e| db_error(e, "starting a read transaction"))
    }

    async fn fetch_all(&self, stmt: Stmt) -> Result<Vec<Row>, sqlx::Error> {
        self.backend.fetch_all(stmt).await
    }

    async fn fetch_optional(&self, stmt: Stmt) -> Result<Option<Row>, sqlx::Error> {
        self.backend.fetch_optional(stmt).await
    }
}

/// Starts a transaction with `begin` in a task of its own and waits for it there.
///
/// sqlx 0.8's `begin` is not cancel-safe: dropped at the wrong moment (a client disconnects and
/// its request's future is dropped), it leaves the pooled connection inside a transaction that
/// nothing will end (launchbadge/sqlx#2054 class; fixed upstream only in 0.9). Every later
/// `BEGIN` on that connection then fails, and its open snapshot keeps SQLite from ever
/// checkpointing the WAL past it (seen: 500s on lists and a WAL past 1.5 GB under load). In a task
/// of its own, `begin` always completes; if the caller has gone, the transaction it made is
/// dropped there and rolls back.
pub(crate) async fn begin_detached<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
    begin: &'static str,
) -> Result<Transaction<'static, DB>, sqlx::Error> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(begin).await })
        .await
        .unwrap_or_else(|join| {
            Err(sqlx::Error::Protocol(format!(
                "starting a transaction: {join}"
            )))
        })
}

/// An open transaction of either backend. Dropped without `commit`, it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    /// Runs a statement; answers how many rows it changed.
    async fn execute(&mut self, stmt: Stmt) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query_with(&stmt.sql, stmt.values)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
            Tx::Postgres(tx) => sqlx::query_with(&stmt.sql, stmt.values)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        })
    }

    async fn fetch_all(&mut self, stmt: Stmt) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query_with(&stmt.sql, stmt.values)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Tx::Postgres(tx) => sqlx::query_with(&stmt.sql, stmt.values)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    async fn fetch_optional(&mut self, stmt: Stmt) -> Result<Option<Row>, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(tx) => sqlx::query_with(&stmt.sql, stmt.values)
                .fetch_optional(&mut **tx)
                .await?
                .map(Row::Sqlite),
            Tx::Postgres(tx) => sqlx::query_with(&stmt.sql, stmt.values)
                .fetch_optional(&mut **tx)
                .await?
                .map(Row::Postgres),
        })
    }

    /// Tells every node that the key whose secrets had or now have these hashes changed
    /// (`crate::changes`). PostgreSQL delivers it on commit and drops it on rollback; SQLite
    /// serves one node, whose core forgets its own changes, so it publishes nothing.
    async fn publish_key_change(&mut self, origin: &str, hashes: &[SecretHash]) -> StoreResult<()> {
        let Tx::Postgres(tx) = self else {
            return Ok(());
        };
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(crate::changes::CHANNEL)
            .bind(crate::changes::encode(origin, hashes))
            .execute(&mut **tx)
            .await
            .map_err(|e| db_error(e, "publishing a key change"))?;
        Ok(())
    }

    async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(|e| db_error(e, "committing"))
    }
}
