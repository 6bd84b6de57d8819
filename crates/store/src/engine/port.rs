//! The `Store` port, implemented once for both backends: each method of the trait is said here
//! and nowhere else. Reads run their statements here; a write runs its transaction (the
//! `*_once` methods in the entity's file) through `retry::retrying`.

use std::collections::HashMap;

use async_trait::async_trait;
use keyward_core::error::Entity;
use keyward_core::ids::{DomainId, KeyId, OperationId, PrincipalId, ProductId, UsagePlanId};
use keyward_core::model::{
    AccessKey, ApiKey, Domain, Operation, PlanQuery, Principal, Product, SecretInfo,
    StageAssociation, Subscription, SubscriptionStatus, UsagePlan,
};
use keyward_core::query::{
    AggregateQuery, AggregateRow, KeyField, OperationQuery, PrincipalField, Query,
};
use keyward_core::secret::SecretHash;
use keyward_core::store::{ChangeSink, Store, StoreResult};
use keyward_core::usage::StoredCredits;
use keyward_core::usage::UsageCount;
use sea_query::{Asterisk, Expr, Order, SelectStatement};
use time::OffsetDateTime;
use uuid::Uuid;

use super::access_keys::{access_key_row, AccessKeys};
use super::keys::{fold_key, key_with_secrets};
use super::products::{product_row, Products};
use super::retry::retrying;
use super::stats::{compile, decode};
use super::subscriptions::{subscription_row, which_subscription};
use super::{Backend, SqlStore};
use crate::error::{corrupt, db_error};
use crate::query_sql;
use crate::rows;
use crate::schema::{ApiKeys, Domains, KeySecrets, Operations, Principals, Stmt, Subscriptions};

#[async_trait]
impl<B: Backend> Store for SqlStore<B> {
    fn watch_changes(&self, sink: ChangeSink) -> bool {
        self.backend.watch_changes(self.origin.clone(), sink)
    }

    fn pool_connections(&self) -> Option<keyward_core::store::PoolConnections> {
        Some(self.backend.pool_connections())
    }

    async fn ping(&self) -> StoreResult<()> {
        let stmt = Stmt {
            sql: "SELECT 1".to_owned(),
            values: sea_query_binder::SqlxValues(sea_query::Values(Vec::new())),
        };
        self.fetch_optional(stmt)
            .await
            .map(drop)
            .map_err(|e| db_error(e, "pinging the database"))
    }

    // Domains.

    async fn is_empty(&self) -> StoreResult<bool> {
        let mut select = SelectStatement::new();
        select.column(Domains::Id).from(Domains::Table).limit(1);
        let row = self
            .fetch_optional(self.dialect().build(&select))
            .await
            .map_err(|e| db_error(e, "checking for domains"))?;
        Ok(row.is_none())
    }

    async fn insert_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Domain, || self.insert_domain_once(domain, op)).await
    }

    async fn domain(&self, id: DomainId) -> StoreResult<Option<Domain>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Domains::Table)
            .and_where(Expr::col(Domains::Id).eq(dialect.uuid(id.as_uuid())));
        self.one_domain(select).await
    }

    async fn root_domain(&self) -> StoreResult<Option<Domain>> {
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Domains::Table)
            .and_where(Expr::col(Domains::IsRoot).eq(true));
        self.one_domain(select).await
    }

    /// Ordered by id, strictly after `after`; up to `limit + 1` rows.
    async fn list_domains(&self, after: Option<DomainId>, limit: u32) -> StoreResult<Vec<Domain>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select.column(Asterisk).from(Domains::Table);
        if let Some(after) = after {
            select.and_where(Expr::col(Domains::Id).gt(dialect.uuid(after.as_uuid())));
        }
        select
            .order_by(Domains::Id, Order::Asc)
            .limit(u64::from(limit) + 1);
        let found = self
            .fetch_all(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "listing domains"))?;
        found
            .iter()
            .map(rows::domain)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }

    /// Writes name, description and `updated_at` (id, root flag and creation time never change).
    /// `Stale` when the domain is gone.
    async fn update_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Domain, || self.update_domain_once(domain, op)).await
    }

    /// `Conflict` while principals remain (the foreign key backs the check up against a racing
    /// insert); `Stale` when the domain is already gone. Its operations stay.
    async fn delete_domain(&self, id: DomainId, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Domain, || self.delete_domain_once(id, op)).await
    }

    // Principals.

    async fn insert_principal(&self, principal: &Principal, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Principal, || {
            self.insert_principal_once(principal, op)
        })
        .await
    }

    async fn principal(&self, id: PrincipalId) -> StoreResult<Option<Principal>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Principals::Table)
            .and_where(Expr::col(Principals::Id).eq(dialect.uuid(id.as_uuid())));
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "loading a principal"))?;
        row.as_ref()
            .map(rows::principal)
            .transpose()
            .map_err(corrupt)
    }

    async fn list_principals(&self, query: &Query<PrincipalField>) -> StoreResult<Vec<Principal>> {
        let stmt = query_sql::page(self.dialect(), query).map_err(corrupt)?;
        let found = self
            .fetch_all(stmt)
            .await
            .map_err(|e| db_error(e, "listing principals"))?;
        found
            .iter()
            .map(rows::principal)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }

    /// Up to `query.limit + 1` rows.
    async fn count_principals(&self, query: &Query<PrincipalField>) -> StoreResult<u64> {
        let stmt = query_sql::count(self.dialect(), query).map_err(corrupt)?;
        let row = self
            .fetch_optional(stmt)
            .await
            .map_err(|e| db_error(e, "counting principals"))?;
        match row {
            Some(row) => row.count().map_err(corrupt),
            None => Ok(0),
        }
    }

    /// Writes everything but the id, the domain and the creation time. `Stale` when it is gone.
    async fn update_principal(&self, principal: &Principal, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Principal, || {
            self.update_principal_once(principal, op)
        })
        .await
    }

    /// `Conflict` while it owns keys (the foreign key backs the check up against a racing key
    /// insert); `Stale` when it is already gone.
    async fn delete_principal(&self, id: PrincipalId, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Principal, || self.delete_principal_once(id, op)).await
    }

    // Keys and their secrets.

    /// Inserts a key with its secrets and operation; on SQLite through the group-commit writer
    /// (`group_commit.rs`), which commits concurrent inserts together.
    async fn insert_key(&self, key: &ApiKey, op: &Operation) -> StoreResult<()> {
        match &self.key_inserts {
            Some(group) => group.insert(self, key, op).await,
            None => self.insert_key_now(key, op).await,
        }
    }

    async fn key(&self, id: KeyId) -> StoreResult<Option<ApiKey>> {
        let dialect = self.dialect();
        let which = Expr::col((ApiKeys::Table, ApiKeys::Id)).eq(dialect.uuid(id.as_uuid()));
        self.key_where(which).await
    }

    /// The key `id` only if it lives in `domain`: one statement matching both, so a key of
    /// another domain misses exactly like a missing one (no products read, no row decoded).
    async fn key_in_domain(&self, id: KeyId, domain: DomainId) -> StoreResult<Option<ApiKey>> {
        let dialect = self.dialect();
        let which = Expr::col((ApiKeys::Table, ApiKeys::Id))
            .eq(dialect.uuid(id.as_uuid()))
            .and(Expr::col((ApiKeys::Table, ApiKeys::DomainId)).eq(dialect.uuid(domain.as_uuid())));
        self.key_where(which).await
    }

    /// Up to `query.limit + 1` keys with their secrets, read in one snapshot.
    async fn list_keys(&self, query: &Query<KeyField>) -> StoreResult<Vec<ApiKey>> {
        let dialect = self.dialect();
        let page = query_sql::page(dialect, query).map_err(corrupt)?;
        let mut tx = self.begin_read().await?;
        let found = tx
            .fetch_all(page)
            .await
            .map_err(|e| db_error(e, "listing keys"))?;
        let mut keys: Vec<ApiKey> = found
            .iter()
            .map(rows::key)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)?;
        if keys.is_empty() {
            return Ok(keys);
        }
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(KeySecrets::Table)
            .and_where(
                Expr::col(KeySecrets::KeyId)
                    .is_in(keys.iter().map(|k| dialect.uuid(k.id.as_uuid()))),
            )
            .order_by(KeySecrets::KeyId, Order::Asc)
            .order_by(KeySecrets::Slot, Order::Asc);
        let secret_rows = tx
            .fetch_all(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "loading the secrets of a page of keys"))?;
        let mut secrets: HashMap<Uuid, Vec<SecretInfo>> = HashMap::new();
        for row in &secret_rows {
            let key_id = row.key_id().map_err(corrupt)?;
            let secret = rows::secret(row, "").map_err(corrupt)?;
            secrets.entry(key_id).or_default().push(secret);
        }
        let ids: Vec<KeyId> = keys.iter().map(|k| k.id).collect();
        let product_rows = tx
            .fetch_all(super::subscriptions::accepted_products_stmt(dialect, &ids))
            .await
            .map_err(|e| db_error(e, "loading the products of a page of keys"))?;
        let mut accepted = super::subscriptions::fold_accepted(&product_rows)?;
        for key in &mut keys {
            key.secrets = secrets.remove(&key.id.as_uuid()).unwrap_or_default();
            let found = accepted.remove(&key.id.as_uuid()).unwrap_or_default();
            key.products = found.products;
            key.usage.plans = found.plans;
        }
        // A read-only transaction has nothing to commit; dropping it rolls back.
        Ok(keys)
    }

    async fn count_keys(&self, query: &Query<KeyField>) -> StoreResult<u64> {
        let stmt = query_sql::count(self.dialect(), query).map_err(corrupt)?;
        let row = self
            .fetch_optional(stmt)
            .await
            .map_err(|e| db_error(e, "counting keys"))?;
        match row {
            Some(row) => row.count().map_err(corrupt),
            None => Ok(0),
        }
    }

    async fn aggregate_keys(
        &self,
        query: &AggregateQuery<KeyField>,
    ) -> StoreResult<Vec<AggregateRow>> {
        let stmt = compile(self.dialect(), query).map_err(corrupt)?;
        let rows = self
            .fetch_all(stmt)
            .await
            .map_err(|e| db_error(e, "aggregating keys"))?;
        rows.iter()
            .map(|row| decode(row, query))
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }

    /// Writes the key if its stored version is `expected_version` (else `Stale`, also when the
    /// key is gone), replaces its secrets, and leaves `last_used_at` alone: that belongs to
    /// `record_last_used`, and a management change must not move it back.
    async fn update_key(
        &self,
        key: &ApiKey,
        expected_version: i64,
        op: &Operation,
    ) -> StoreResult<()> {
        retrying(Entity::Key, || {
            self.update_key_once(key, expected_version, op)
        })
        .await
    }

    /// Deletes the key and its secrets; `Stale` when it is already gone.
    async fn delete_key(&self, id: KeyId, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Key, || self.delete_key_once(id, op)).await
    }

    /// One statement: the key owning the secret with this hash, with all its secrets. Expired
    /// secrets are found too; the verifier decides what expiry means.
    async fn key_by_secret_hash(&self, hash: &SecretHash) -> StoreResult<Option<ApiKey>> {
        let dialect = self.dialect();
        let mut owner_of_hash = SelectStatement::new();
        owner_of_hash
            .column(KeySecrets::KeyId)
            .from(KeySecrets::Table)
            .and_where(Expr::col(KeySecrets::Hash).eq(hash.0.to_vec()));
        let which = Expr::col((ApiKeys::Table, ApiKeys::Id)).in_subquery(owner_of_hash);
        let found = self
            .fetch_all(key_with_secrets(dialect, which))
            .await
            .map_err(|e| db_error(e, "looking up a key by secret hash"))?;
        self.with_products(fold_key(&found).map_err(corrupt)?).await
    }

    /// One transaction per batch, one statement per `LAST_USED_CHUNK` keys. Each key's latest
    /// time wins, a stored time is only ever moved forward, and keys that are gone are skipped.
    /// Rows are touched in id order so two nodes flushing at once cannot deadlock each other.
    async fn record_last_used(&self, uses: &[(KeyId, OffsetDateTime)]) -> StoreResult<()> {
        retrying(Entity::Key, || self.record_last_used_once(uses)).await
    }

    /// Adds the counts in one transaction (chunked statements), rows in key and hour order so
    /// two nodes flushing at once cannot deadlock; rows of deleted keys are skipped.
    async fn record_usage(&self, counts: &[UsageCount]) -> StoreResult<()> {
        retrying(Entity::Key, || self.record_usage_once(counts)).await
    }

    async fn key_usage(
        &self,
        key: KeyId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<UsageCount>> {
        self.key_usage_rows(key, from, to).await
    }

    async fn prune_usage(&self, before: OffsetDateTime) -> StoreResult<u64> {
        retrying(Entity::Key, || self.prune_usage_once(before)).await
    }

    // Products.

    async fn key_credits(&self, key: KeyId) -> StoreResult<Option<StoredCredits>> {
        self.key_credits_now(key).await
    }

    async fn swap_credits(
        &self,
        key: KeyId,
        expected: &StoredCredits,
        next: &StoredCredits,
        op: Option<&Operation>,
    ) -> StoreResult<bool> {
        self.swap_credits_now(key, expected, next, op).await
    }

    async fn insert_product(&self, product: &Product, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Product, || self.insert_product_once(product, op)).await
    }

    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Products::Table)
            .and_where(Expr::col(Products::Id).eq(dialect.uuid(id.as_uuid())));
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "loading a product"))?;
        row.as_ref().map(product_row).transpose().map_err(corrupt)
    }

    async fn list_products(
        &self,
        domain: DomainId,
        after: Option<ProductId>,
        limit: u32,
    ) -> StoreResult<Vec<Product>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Products::Table)
            .and_where(Expr::col(Products::DomainId).eq(dialect.uuid(domain.as_uuid())));
        if let Some(after) = after {
            select.and_where(Expr::col(Products::Id).gt(dialect.uuid(after.as_uuid())));
        }
        select
            .order_by(Products::Id, Order::Asc)
            .limit(u64::from(limit) + 1);
        let found = self
            .fetch_all(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "listing products"))?;
        found
            .iter()
            .map(product_row)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }

    async fn delete_product(&self, id: ProductId, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Product, || self.delete_product_once(id, op)).await
    }

    // Usage plans (`usage_plans.rs`).

    async fn insert_usage_plan(&self, plan: &UsagePlan, op: &Operation) -> StoreResult<()> {
        retrying(Entity::UsagePlan, || self.insert_usage_plan_once(plan, op)).await
    }

    async fn usage_plan(&self, id: UsagePlanId) -> StoreResult<Option<UsagePlan>> {
        self.usage_plan_by_id(id).await
    }

    async fn list_usage_plans(&self, query: &PlanQuery) -> StoreResult<Vec<UsagePlan>> {
        self.usage_plan_page(query).await
    }

    async fn count_usage_plans(&self, query: &PlanQuery) -> StoreResult<u64> {
        self.usage_plan_count(query).await
    }

    async fn update_usage_plan(
        &self,
        plan: &UsagePlan,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        retrying(Entity::UsagePlan, || self.update_usage_plan_once(plan, op)).await
    }

    async fn delete_usage_plan(&self, id: UsagePlanId, op: &Operation) -> StoreResult<()> {
        retrying(Entity::UsagePlan, || self.delete_usage_plan_once(id, op)).await
    }

    async fn set_product_plan(
        &self,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        retrying(Entity::Product, || {
            self.set_product_plan_once(product, plan, op)
        })
        .await
    }

    async fn set_subscription_plan(
        &self,
        key: KeyId,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        retrying(Entity::Subscription, || {
            self.set_subscription_plan_once(key, product, plan, op)
        })
        .await
    }

    async fn associate_stage(
        &self,
        association: &StageAssociation,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        retrying(Entity::UsagePlan, || {
            self.associate_stage_once(association, op)
        })
        .await
    }

    async fn disassociate_stage(
        &self,
        association: &StageAssociation,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        retrying(Entity::UsagePlan, || {
            self.disassociate_stage_once(association, op)
        })
        .await
    }

    async fn stage_associations(
        &self,
        plans: &[UsagePlanId],
    ) -> StoreResult<Vec<StageAssociation>> {
        self.stage_associations_of(plans).await
    }

    // Subscriptions.

    async fn subscription(
        &self,
        key: KeyId,
        product: ProductId,
    ) -> StoreResult<Option<Subscription>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select.column(Asterisk).from(Subscriptions::Table);
        for condition in which_subscription(dialect, key, product) {
            select.and_where(condition);
        }
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "loading a subscription"))?;
        row.as_ref()
            .map(subscription_row)
            .transpose()
            .map_err(corrupt)
    }

    async fn key_subscriptions(&self, key: KeyId) -> StoreResult<Vec<Subscription>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Subscriptions::Table)
            .and_where(Expr::col(Subscriptions::KeyId).eq(dialect.uuid(key.as_uuid())))
            .order_by(Subscriptions::ProductId, Order::Asc);
        self.subscriptions(dialect.build(&select)).await
    }

    async fn product_subscriptions(
        &self,
        product: ProductId,
        statuses: &[SubscriptionStatus],
    ) -> StoreResult<Vec<Subscription>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Subscriptions::Table)
            .and_where(Expr::col(Subscriptions::ProductId).eq(dialect.uuid(product.as_uuid())));
        if !statuses.is_empty() {
            select.and_where(
                Expr::col(Subscriptions::Status).is_in(statuses.iter().map(|s| s.as_str())),
            );
        }
        select.order_by(Subscriptions::KeyId, Order::Asc);
        self.subscriptions(dialect.build(&select)).await
    }

    async fn put_subscription(
        &self,
        subscription: &Subscription,
        expected: Option<SubscriptionStatus>,
        op: &Operation,
    ) -> StoreResult<()> {
        retrying(Entity::Subscription, || {
            self.put_subscription_once(subscription, expected, op)
        })
        .await
    }

    async fn delete_subscription(
        &self,
        key: KeyId,
        product: ProductId,
        expected: SubscriptionStatus,
        op: &Operation,
    ) -> StoreResult<()> {
        retrying(Entity::Subscription, || {
            self.delete_subscription_once(key, product, expected, op)
        })
        .await
    }

    // Access keys.

    async fn insert_access_key(&self, access_key: &AccessKey, op: &Operation) -> StoreResult<()> {
        retrying(Entity::AccessKey, || {
            self.insert_access_key_once(access_key, op)
        })
        .await
    }

    async fn access_key(&self, id: &str) -> StoreResult<Option<AccessKey>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(AccessKeys::Table)
            .and_where(Expr::col(AccessKeys::Id).eq(id));
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "loading an access key"))?;
        row.as_ref()
            .map(access_key_row)
            .transpose()
            .map_err(corrupt)
    }

    async fn delete_access_key(&self, id: &str, op: &Operation) -> StoreResult<()> {
        retrying(Entity::AccessKey, || self.delete_access_key_once(id, op)).await
    }

    // Operations.

    async fn operation(&self, id: OperationId) -> StoreResult<Option<Operation>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Operations::Table)
            .and_where(Expr::col(Operations::Id).eq(dialect.uuid(id.as_uuid())));
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "loading an operation"))?;
        row.as_ref()
            .map(rows::operation)
            .transpose()
            .map_err(corrupt)
    }

    /// Newest first (ids are UUIDv7, so id order is time order); up to `limit + 1` rows, so the
    /// caller can tell whether an older page exists.
    async fn list_operations(&self, query: &OperationQuery) -> StoreResult<Vec<Operation>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select.column(Asterisk).from(Operations::Table);
        if let Some(domain) = query.domain {
            select.and_where(Expr::col(Operations::DomainId).eq(dialect.uuid(domain.as_uuid())));
        }
        if let Some(target) = query.target_id {
            select.and_where(Expr::col(Operations::TargetId).eq(dialect.uuid(target)));
        }
        if let Some(action) = &query.action {
            select.and_where(Expr::col(Operations::Action).eq(action.as_str()));
        }
        if let Some(before) = query.before {
            select.and_where(Expr::col(Operations::Id).lt(dialect.uuid(before)));
        }
        select
            .order_by(Operations::Id, Order::Desc)
            .limit(u64::from(query.limit) + 1);
        let found = self
            .fetch_all(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "listing operations"))?;
        found
            .iter()
            .map(rows::operation)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }
}
