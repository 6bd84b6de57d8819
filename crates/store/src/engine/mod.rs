//! The one implementation of the `Store` rules, shared by both backends. Statements are built
//! with sea-query and rendered in the backend's dialect; running them and decoding rows are the
//! only places that branch on the backend. `SqliteStore` and `PostgresStore` are thin shells that
//! open a pool and hand it to an `Engine`.

mod access_keys;
mod domains;
mod group_commit;
mod keys;
mod last_used;
mod operations;
mod principals;
mod products;
mod retry;
mod stats;
mod subscriptions;

use std::sync::Arc;

use keyward_core::secret::SecretHash;
use keyward_core::store::StoreResult;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::error::db_error;
use crate::rows::Row;
use crate::schema::{Dialect, Stmt};

/// The connection pools of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    /// SQLite allows one writer at a time. Every write transaction runs on the one connection of
    /// `write`, so writers queue in order on the pool (asynchronously) instead of in SQLite's
    /// busy handler, which sleeps and retries in growing steps; and that connection's page cache
    /// stays warm, where another connection's commit would make a connection drop its own.
    /// Reads run on `read`. An in-memory database has one connection, in both.
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
    },
    Postgres(PgPool),
}

/// The shared store logic over one pool.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    pool: Pool,
    /// Signs this store's change notifications, so its own listener can skip them.
    origin: Arc<str>,
    /// SQLite: key inserts go through one writer that commits them in groups
    /// (`group_commit.rs`). `None` on PostgreSQL and in that writer itself.
    key_inserts: Option<Arc<group_commit::KeyInserts>>,
}

impl Engine {
    pub fn new(pool: Pool) -> Self {
        let key_inserts = matches!(pool, Pool::Sqlite { .. }).then(Arc::default);
        Self {
            pool,
            origin: crate::changes::new_origin().into(),
            key_inserts,
        }
    }

    /// This engine, writing each key insert itself (the group-commit writer's own engine).
    fn direct(&self) -> Self {
        Self {
            key_inserts: None,
            ..self.clone()
        }
    }

    /// The name this store's change notifications carry (see `crate::changes`).
    pub fn origin(&self) -> Arc<str> {
        Arc::clone(&self.origin)
    }

    fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite { .. } => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Starts a transaction that will write. SQLite takes the write lock at `BEGIN IMMEDIATE`:
    /// a deferred transaction that reads first and writes later can fail with SQLITE_BUSY when
    /// another writer got in between, which no busy timeout can fix.
    async fn begin_write(&self) -> StoreResult<Tx> {
        let tx = match &self.pool {
            Pool::Sqlite { write, .. } => begin_detached(write, "BEGIN IMMEDIATE")
                .await
                .map(Tx::Sqlite),
            Pool::Postgres(pool) => begin_detached(pool, "BEGIN").await.map(Tx::Postgres),
        };
        tx.map_err(|e| db_error(e, "starting a write transaction"))
    }

    /// Starts a read-only transaction, for reads of several statements that must agree (a page of
    /// keys and their secrets). PostgreSQL needs REPEATABLE READ for one snapshot across them;
    /// SQLite's WAL gives a deferred transaction one snapshot from its first read.
    async fn begin_read(&self) -> StoreResult<Tx> {
        let tx = match &self.pool {
            Pool::Sqlite { read, .. } => {
                begin_detached(read, "BEGIN DEFERRED").await.map(Tx::Sqlite)
            }
            Pool::Postgres(pool) => {
                begin_detached(pool, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await
                    .map(Tx::Postgres)
            }
        };
        tx.map_err(|e| db_error(e, "starting a read transaction"))
    }

    async fn fetch_all(&self, stmt: Stmt) -> Result<Vec<Row>, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite { read, .. } => sqlx::query_with(&stmt.sql, stmt.values)
                .fetch_all(read)
                .await?
                .into_iter()
                .map(Row::Sqlite)
                .collect(),
            Pool::Postgres(pool) => sqlx::query_with(&stmt.sql, stmt.values)
                .fetch_all(pool)
                .await?
                .into_iter()
                .map(Row::Postgres)
                .collect(),
        })
    }

    async fn fetch_optional(&self, stmt: Stmt) -> Result<Option<Row>, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite { read, .. } => sqlx::query_with(&stmt.sql, stmt.values)
                .fetch_optional(read)
                .await?
                .map(Row::Sqlite),
            Pool::Postgres(pool) => sqlx::query_with(&stmt.sql, stmt.values)
                .fetch_optional(pool)
                .await?
                .map(Row::Postgres),
        })
    }

    pub async fn ping(&self) -> StoreResult<()> {
        let stmt = Stmt {
            sql: "SELECT 1".to_owned(),
            values: sea_query_binder::SqlxValues(sea_query::Values(Vec::new())),
        };
        self.fetch_optional(stmt)
            .await
            .map(drop)
            .map_err(|e| db_error(e, "pinging the database"))
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
async fn begin_detached<DB: sqlx::Database>(
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
pub(crate) enum Tx {
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

/// Implements `Store` for a type with an `engine: Engine` field by delegating every method, and
/// `watch_changes` to the type's own `start_change_feed`.
macro_rules! delegate_store_to_engine {
    ($store:ty) => {
        const _: () = {
            use keyward_core::ids::{DomainId, KeyId, OperationId, PrincipalId, ProductId};
            use keyward_core::model::{
                AccessKey, ApiKey, Domain, Operation, Principal, Product, Subscription,
                SubscriptionStatus,
            };
            use keyward_core::query::{KeyField, OperationQuery, PrincipalField, Query};
            use keyward_core::secret::SecretHash;
            use keyward_core::store::{ChangeSink, Store, StoreResult};
            use time::OffsetDateTime;

            #[async_trait::async_trait]
            impl Store for $store {
                fn watch_changes(&self, sink: ChangeSink) -> bool {
                    self.start_change_feed(sink)
                }
                async fn ping(&self) -> StoreResult<()> {
                    self.engine.ping().await
                }
                async fn is_empty(&self) -> StoreResult<bool> {
                    self.engine.is_empty().await
                }
                async fn insert_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
                    self.engine.insert_domain(domain, op).await
                }
                async fn domain(&self, id: DomainId) -> StoreResult<Option<Domain>> {
                    self.engine.domain(id).await
                }
                async fn root_domain(&self) -> StoreResult<Option<Domain>> {
                    self.engine.root_domain().await
                }
                async fn list_domains(
                    &self,
                    after: Option<DomainId>,
                    limit: u32,
                ) -> StoreResult<Vec<Domain>> {
                    self.engine.list_domains(after, limit).await
                }
                async fn update_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
                    self.engine.update_domain(domain, op).await
                }
                async fn delete_domain(&self, id: DomainId, op: &Operation) -> StoreResult<()> {
                    self.engine.delete_domain(id, op).await
                }
                async fn insert_principal(
                    &self,
                    principal: &Principal,
                    op: &Operation,
                ) -> StoreResult<()> {
                    self.engine.insert_principal(principal, op).await
                }
                async fn principal(&self, id: PrincipalId) -> StoreResult<Option<Principal>> {
                    self.engine.principal(id).await
                }
                async fn list_principals(
                    &self,
                    query: &Query<PrincipalField>,
                ) -> StoreResult<Vec<Principal>> {
                    self.engine.list_principals(query).await
                }
                async fn count_principals(
                    &self,
                    query: &Query<PrincipalField>,
                ) -> StoreResult<u64> {
                    self.engine.count_principals(query).await
                }
                async fn update_principal(
                    &self,
                    principal: &Principal,
                    op: &Operation,
                ) -> StoreResult<()> {
                    self.engine.update_principal(principal, op).await
                }
                async fn delete_principal(
                    &self,
                    id: PrincipalId,
                    op: &Operation,
                ) -> StoreResult<()> {
                    self.engine.delete_principal(id, op).await
                }
                async fn insert_key(&self, key: &ApiKey, op: &Operation) -> StoreResult<()> {
                    self.engine.insert_key(key, op).await
                }
                async fn key(&self, id: KeyId) -> StoreResult<Option<ApiKey>> {
                    self.engine.key(id).await
                }
                async fn key_in_domain(
                    &self,
                    id: KeyId,
                    domain: DomainId,
                ) -> StoreResult<Option<ApiKey>> {
                    self.engine.key_in_domain(id, domain).await
                }
                async fn list_keys(&self, query: &Query<KeyField>) -> StoreResult<Vec<ApiKey>> {
                    self.engine.list_keys(query).await
                }
                async fn count_keys(&self, query: &Query<KeyField>) -> StoreResult<u64> {
                    self.engine.count_keys(query).await
                }
                async fn aggregate_keys(
                    &self,
                    query: &keyward_core::query::AggregateQuery<KeyField>,
                ) -> StoreResult<Vec<keyward_core::query::AggregateRow>> {
                    self.engine.aggregate_keys(query).await
                }
                async fn update_key(
                    &self,
                    key: &ApiKey,
                    expected_version: i64,
                    op: &Operation,
                ) -> StoreResult<()> {
                    self.engine.update_key(key, expected_version, op).await
                }
                async fn delete_key(&self, id: KeyId, op: &Operation) -> StoreResult<()> {
                    self.engine.delete_key(id, op).await
                }
                async fn key_by_secret_hash(
                    &self,
                    hash: &SecretHash,
                ) -> StoreResult<Option<ApiKey>> {
                    self.engine.key_by_secret_hash(hash).await
                }
                async fn record_last_used(
                    &self,
                    uses: &[(KeyId, OffsetDateTime)],
                ) -> StoreResult<()> {
                    self.engine.record_last_used(uses).await
                }
                async fn insert_product(
                    &self,
                    product: &Product,
                    op: &Operation,
                ) -> StoreResult<()> {
                    self.engine.insert_product(product, op).await
                }
                async fn product(&self, id: ProductId) -> StoreResult<Option<Product>> {
                    self.engine.product(id).await
                }
                async fn list_products(
                    &self,
                    domain: DomainId,
                    after: Option<ProductId>,
                    limit: u32,
                ) -> StoreResult<Vec<Product>> {
                    self.engine.list_products(domain, after, limit).await
                }
                async fn delete_product(&self, id: ProductId, op: &Operation) -> StoreResult<()> {
                    self.engine.delete_product(id, op).await
                }
                async fn subscription(
                    &self,
                    key: KeyId,
                    product: ProductId,
                ) -> StoreResult<Option<Subscription>> {
                    self.engine.subscription(key, product).await
                }
                async fn key_subscriptions(&self, key: KeyId) -> StoreResult<Vec<Subscription>> {
                    self.engine.key_subscriptions(key).await
                }
                async fn product_subscriptions(
                    &self,
                    product: ProductId,
                    statuses: &[SubscriptionStatus],
                ) -> StoreResult<Vec<Subscription>> {
                    self.engine.product_subscriptions(product, statuses).await
                }
                async fn put_subscription(
                    &self,
                    subscription: &Subscription,
                    expected: Option<SubscriptionStatus>,
                    op: &Operation,
                ) -> StoreResult<()> {
                    self.engine
                        .put_subscription(subscription, expected, op)
                        .await
                }
                async fn delete_subscription(
                    &self,
                    key: KeyId,
                    product: ProductId,
                    expected: SubscriptionStatus,
                    op: &Operation,
                ) -> StoreResult<()> {
                    self.engine
                        .delete_subscription(key, product, expected, op)
                        .await
                }
                async fn insert_access_key(
                    &self,
                    access_key: &AccessKey,
                    op: &Operation,
                ) -> StoreResult<()> {
                    self.engine.insert_access_key(access_key, op).await
                }
                async fn access_key(&self, id: &str) -> StoreResult<Option<AccessKey>> {
                    self.engine.access_key(id).await
                }
                async fn delete_access_key(&self, id: &str, op: &Operation) -> StoreResult<()> {
                    self.engine.delete_access_key(id, op).await
                }
                async fn operation(&self, id: OperationId) -> StoreResult<Option<Operation>> {
                    self.engine.operation(id).await
                }
                async fn list_operations(
                    &self,
                    query: &OperationQuery,
                ) -> StoreResult<Vec<Operation>> {
                    self.engine.list_operations(query).await
                }
            }
        };
    };
}

pub(crate) use delegate_store_to_engine;
