//! keyward's storage adapters: the core's [`Store`] port over SQLite (the embedded default) and
//! PostgreSQL (many nodes), with sqlx. Both behave identically in everything the port promises;
//! `keyward-testkit`'s conformance suite runs against each.
//!
//! Map:
//! - [`connect`] / [`migrate`] / [`redact_url`]: the entry points; the backend is chosen from the
//!   URL (`sqlite:…` or a bare path, `postgres://…`, `postgresql://…`).
//! - [`SqlStore`] (`engine/`): the one store type, generic over its backend.
//!   [`SqliteStore`] (`sqlite.rs`) and [`PostgresStore`] (`postgres.rs`) name its two kinds: each
//!   file opens its backend's pools with the backend's settings, applies its migrations
//!   (`migrations/<backend>/`, compiled in), and implements `engine::Backend`, which carries
//!   everything that differs: how transactions start, where reads run, the dialect, the change
//!   feed. SQLite has a reader pool and one writer connection, and checkpoints its WAL in the
//!   background.
//! - Transactions start in a task of their own (`engine::begin_detached`): sqlx 0.8's `begin`
//!   is not cancel-safe, and a leaked transaction poisons its pooled connection.
//! - `engine/`: the one implementation of the port's rules (transactions, operations written with
//!   each change, conflicts, optimistic versions), shared by both backends. `engine/port.rs`
//!   implements `Store` for `SqlStore`, saying each method once; a write there runs its
//!   transaction (the `*_once` methods in the entity's own file) through the retry. Only the
//!   `Backend`, an open transaction (`engine::Tx`) and decoding a row (`rows.rs`) branch on the
//!   backend. Domains, principals, keys, products, subscriptions (which publish their key's
//!   hashes like key writes), access keys, operations and usage counts (`engine/usage.rs`:
//!   upserts that add, per key and hour) have their own files there. Every key
//!   write locks the key row first (`keys::lock_key`), so writers of one key queue rather than
//!   deadlock, and `engine/retry.rs` reruns a transaction PostgreSQL broke anyway (`40P01`,
//!   `40001`) a few times before answering `Conflict`.
//! - `query_sql.rs`: compiles the core's query model (filter tree, sort, cursor or offset) to one
//!   parameterised statement with sea-query, for either dialect.
//! - `schema.rs`: table and column names, the two dialects, time and id representations.
//! - `rows.rs`: stored rows back to the model, through the model's own validation.
//! - `error.rs`: driver errors to `StoreError` (no sqlx type leaves this crate).
//! - `changes/`: cache coherence across nodes: every key write on PostgreSQL publishes the
//!   secret hashes it touched (`pg_notify`, in its transaction), and a listener task per node
//!   feeds them, and the feed's losses and recoveries, to `Store::watch_changes` sinks. A
//!   listening connection that goes silent without closing is caught by a heartbeat deadline.
//!
//! Stored forms, the same on both backends: times as unix microseconds (`BIGINT`), ids as UUIDs
//! (`uuid`, or canonical text in SQLite), token sets / CIDRs / metadata / operation details as
//! JSON (`jsonb`, or text in SQLite), text compared bytewise (`COLLATE "C"` in PostgreSQL).

mod changes;
mod engine;
mod error;
mod postgres;
mod query_sql;
mod rows;
mod schema;
mod sqlite;
mod url;

use std::sync::Arc;
use std::time::Duration;

use keyward_core::store::Store;

pub use crate::engine::SqlStore;
pub use crate::postgres::{PostgresBackend, PostgresStore};
pub use crate::sqlite::{SqliteBackend, SqliteStore};
use crate::url::{backend_of, Backend};
pub use crate::url::{redact_url, with_database};

/// How to open a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Apply pending migrations when connecting (the `serve` default; `migrate` does it alone).
    pub migrate: bool,
    /// Most connections in the pool. SQLite serialises writers anyway; more connections let
    /// reads proceed alongside a write.
    pub max_connections: u32,
    /// How long a query waits for a free (or new) connection before the store answers
    /// `Unavailable`. It bounds how long a request hangs while PostgreSQL is unreachable (a
    /// refused connection is retried until then), so keep it to a few seconds.
    pub acquire_timeout: Duration,
    /// How long a SQLite writer waits for another writer's lock before giving up.
    pub sqlite_busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            migrate: true,
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens the store `url` names: `sqlite:PATH` (or a bare path, created if missing),
/// `postgres://…` or `postgresql://…`. Applies migrations when `options.migrate` is set.
pub async fn connect(url: &str, options: &StoreOptions) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match backend_of(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::open(url, options).await?),
        Backend::Postgres => Arc::new(PostgresStore::open(url, options).await?),
    })
}

/// Applies pending migrations to the database `url` names, then closes it.
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let options = StoreOptions {
        migrate: true,
        max_connections: 1,
        ..StoreOptions::default()
    };
    match backend_of(url)? {
        Backend::Sqlite => SqliteStore::open(url, &options).await?.close().await,
        Backend::Postgres => PostgresStore::open(url, &options).await?.close().await,
    }
    Ok(())
}
