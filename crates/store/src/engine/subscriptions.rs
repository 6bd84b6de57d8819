//! Keys' subscriptions to products (`migrations/<backend>/0002_products_subscriptions.sql`). A
//! subscription write publishes its key's secret hashes like a key write does, because the key's
//! set of accepted products, which the verifier caches, changes with it.

use std::collections::HashMap;

use keyward_core::error::StoreError;
use keyward_core::ids::{KeyId, ProductId, UsagePlanId};
use keyward_core::model::{ApiKey, Operation, Subscription, SubscriptionStatus};
use keyward_core::secret::SecretHash;
use keyward_core::store::StoreResult;
use keyward_core::usage::{Limits, PlanLimits};
use sea_query::{
    Alias, DeleteStatement, Expr, Func, InsertStatement, JoinType, Order, SelectStatement,
    UpdateStatement,
};
use sqlx::error::ErrorKind;
use uuid::Uuid;

use super::keys::lock_key;
use super::operations::insert_operation;
use super::products::Products;
use super::usage_plans::UsagePlans;
use super::{Backend, SqlStore, Tx};
use crate::error::{corrupt, db_error, violation};
use crate::rows::{self, Row};
use crate::schema::{micros, Dialect, KeySecrets, Stmt, Subscriptions};

pub(super) fn subscription_row(row: &Row) -> anyhow::Result<Subscription> {
    Ok(Subscription {
        key_id: KeyId::from_uuid(row.uuid("key_id")?),
        product_id: ProductId::from_uuid(row.uuid("product_id")?),
        status: SubscriptionStatus::parse(&row.get::<String>("status")?)?,
        usage_plan_id: row.opt_uuid("usage_plan_id")?.map(UsagePlanId::from_uuid),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// The accepted products of the keys `ids`, each with the usage plan in force for it (the
/// subscription's own, else the product's; NULL when neither has one): one statement.
pub(super) fn accepted_products_stmt(dialect: Dialect, ids: &[KeyId]) -> Stmt {
    let plan_in_force = Func::coalesce([
        Expr::col((Subscriptions::Table, Subscriptions::UsagePlanId)).into(),
        Expr::col((Products::Table, Products::UsagePlanId)).into(),
    ]);
    let mut select = SelectStatement::new();
    select
        .column((Subscriptions::Table, Subscriptions::KeyId))
        .column((Subscriptions::Table, Subscriptions::ProductId))
        .expr_as(
            Expr::col((UsagePlans::Table, UsagePlans::Id)),
            Alias::new("plan_id"),
        )
        .expr_as(
            Expr::col((UsagePlans::Table, UsagePlans::Limits)),
            Alias::new("plan_limits"),
        )
        .from(Subscriptions::Table)
        .join(
            JoinType::InnerJoin,
            Products::Table,
            Expr::col((Products::Table, Products::Id))
                .equals((Subscriptions::Table, Subscriptions::ProductId)),
        )
        .join(
            JoinType::LeftJoin,
            UsagePlans::Table,
            Expr::col((UsagePlans::Table, UsagePlans::Id)).eq(plan_in_force),
        )
        .and_where(
            Expr::col((Subscriptions::Table, Subscriptions::KeyId))
                .is_in(ids.iter().map(|k| dialect.uuid(k.as_uuid()))),
        )
        .and_where(
            Expr::col((Subscriptions::Table, Subscriptions::Status))
                .eq(SubscriptionStatus::Accepted.as_str()),
        )
        .order_by((Subscriptions::Table, Subscriptions::ProductId), Order::Asc);
    dialect.build(&select)
}

/// What one key is accepted for: its products, and the plans in force for those that have one.
#[derive(Debug, Default)]
pub(super) struct Accepted {
    pub products: Vec<ProductId>,
    pub plans: Vec<PlanLimits>,
}

/// The rows of `accepted_products_stmt`, grouped by key.
pub(super) fn fold_accepted(found: &[Row]) -> StoreResult<HashMap<Uuid, Accepted>> {
    let mut by_key: HashMap<Uuid, Accepted> = HashMap::new();
    for row in found {
        let read = || -> anyhow::Result<(Uuid, ProductId, Option<PlanLimits>)> {
            let product = ProductId::from_uuid(row.uuid("product_id")?);
            let plan = match row.opt_uuid("plan_id")? {
                Some(plan) => Some(PlanLimits {
                    product,
                    plan: UsagePlanId::from_uuid(plan),
                    limits: Limits::from_stored(row.get("plan_limits")?),
                }),
                None => None,
            };
            Ok((row.uuid("key_id")?, product, plan))
        };
        let (key, product, plan) = read().map_err(corrupt)?;
        let entry = by_key.entry(key).or_default();
        entry.products.push(product);
        entry.plans.extend(plan);
    }
    Ok(by_key)
}

/// Publishes the hashes of key `id`'s secrets in the caller's transaction.
pub(super) async fn publish_key(
    tx: &mut Tx,
    dialect: Dialect,
    origin: &str,
    id: KeyId,
) -> StoreResult<()> {
    let mut select = SelectStatement::new();
    select
        .column(KeySecrets::Hash)
        .from(KeySecrets::Table)
        .and_where(Expr::col(KeySecrets::KeyId).eq(dialect.uuid(id.as_uuid())));
    let found = tx
        .fetch_all(dialect.build(&select))
        .await
        .map_err(|e| db_error(e, "reading a key's secret hashes"))?;
    let hashes: Vec<SecretHash> = found
        .iter()
        .map(|row| rows::secret_hash(row, "hash"))
        .collect::<anyhow::Result<_>>()
        .map_err(corrupt)?;
    tx.publish_key_change(origin, &hashes).await
}

pub(super) fn which_subscription(
    dialect: Dialect,
    key: KeyId,
    product: ProductId,
) -> [sea_query::SimpleExpr; 2] {
    [
        Expr::col(Subscriptions::KeyId).eq(dialect.uuid(key.as_uuid())),
        Expr::col(Subscriptions::ProductId).eq(dialect.uuid(product.as_uuid())),
    ]
}

impl<B: Backend> SqlStore<B> {
    /// Fills `key.products` and `key.usage.plans` (the verify path reads them through
    /// `key_by_secret_hash`).
    pub(super) async fn with_products(&self, key: Option<ApiKey>) -> StoreResult<Option<ApiKey>> {
        let Some(mut key) = key else {
            return Ok(None);
        };
        let found = self
            .fetch_all(accepted_products_stmt(self.dialect(), &[key.id]))
            .await
            .map_err(|e| db_error(e, "loading a key's products"))?;
        let accepted = fold_accepted(&found)?
            .remove(&key.id.as_uuid())
            .unwrap_or_default();
        key.products = accepted.products;
        key.usage.plans = accepted.plans;
        Ok(Some(key))
    }

    pub(super) async fn subscriptions(&self, stmt: Stmt) -> StoreResult<Vec<Subscription>> {
        let found = self
            .fetch_all(stmt)
            .await
            .map_err(|e| db_error(e, "listing subscriptions"))?;
        found
            .iter()
            .map(subscription_row)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }

    /// `put_subscription`'s transaction, which locks the key first like every key write.
    pub(super) async fn put_subscription_once(
        &self,
        subscription: &Subscription,
        expected: Option<SubscriptionStatus>,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let (key, product) = (subscription.key_id, subscription.product_id);
        let stmt = match expected {
            None => {
                let mut insert = InsertStatement::new();
                insert
                    .into_table(Subscriptions::Table)
                    .columns([
                        Subscriptions::KeyId,
                        Subscriptions::ProductId,
                        Subscriptions::Status,
                        Subscriptions::UsagePlanId,
                        Subscriptions::CreatedAt,
                        Subscriptions::UpdatedAt,
                    ])
                    .values_panic([
                        dialect.uuid(key.as_uuid()).into(),
                        dialect.uuid(product.as_uuid()).into(),
                        subscription.status.as_str().into(),
                        dialect
                            .opt_uuid(subscription.usage_plan_id.map(|p| p.as_uuid()))
                            .into(),
                        micros(subscription.created_at).into(),
                        micros(subscription.updated_at).into(),
                    ]);
                dialect.build(&insert)
            }
            Some(expected) => {
                let mut update = UpdateStatement::new();
                update.table(Subscriptions::Table).values([
                    (Subscriptions::Status, subscription.status.as_str().into()),
                    (
                        Subscriptions::UpdatedAt,
                        micros(subscription.updated_at).into(),
                    ),
                ]);
                for condition in which_subscription(dialect, key, product) {
                    update.and_where(condition);
                }
                update.and_where(Expr::col(Subscriptions::Status).eq(expected.as_str()));
                dialect.build(&update)
            }
        };
        let mut tx = self.begin_write().await?;
        if !lock_key(&mut tx, dialect, key).await? {
            return Err(StoreError::Stale);
        }
        let changed = tx.execute(stmt).await.map_err(|e| match violation(&e) {
            Some(ErrorKind::UniqueViolation) => StoreError::Stale,
            Some(ErrorKind::ForeignKeyViolation) => StoreError::Stale,
            _ => db_error(e, "writing a subscription"),
        })?;
        if changed == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        publish_key(&mut tx, dialect, &self.origin, key).await?;
        tx.commit().await
    }

    /// `delete_subscription`'s transaction, which locks the key first like every key write.
    pub(super) async fn delete_subscription_once(
        &self,
        key: KeyId,
        product: ProductId,
        expected: SubscriptionStatus,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut delete = DeleteStatement::new();
        delete.from_table(Subscriptions::Table);
        for condition in which_subscription(dialect, key, product) {
            delete.and_where(condition);
        }
        delete.and_where(Expr::col(Subscriptions::Status).eq(expected.as_str()));
        let mut tx = self.begin_write().await?;
        if !lock_key(&mut tx, dialect, key).await? {
            return Err(StoreError::Stale);
        }
        let deleted = tx
            .execute(dialect.build(&delete))
            .await
            .map_err(|e| db_error(e, "deleting a subscription"))?;
        if deleted == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        publish_key(&mut tx, dialect, &self.origin, key).await?;
        tx.commit().await
    }
}
