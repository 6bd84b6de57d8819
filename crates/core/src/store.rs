//! The storage port. The core declares it; `keyward-store` implements it for SQLite and PostgreSQL.
//!
//! Rules every implementation keeps (the conformance suite in `keyward-testkit` checks them):
//! - every mutating call writes its `Operation` in the same transaction as the change;
//! - domain names are unique; principal names are unique per domain and key names per owner: a clash is `Conflict`;
//! - `update_key` writes only if the stored version equals `expected_version` (else `Stale`),
//!   stores `key.version` as the new version, replaces the key's secrets, and never touches
//!   `last_used_at`, which only `record_last_used` writes; it writes the credit balance only
//!   when `key.credits_epoch` differs from the stored epoch (the balance was set or removed),
//!   since nodes lease credits from the stored balance concurrently (`swap_credits`);
//! - every key read fills `ApiKey::usage.owner` with the owner's limits;
//! - a principal update publishes the secret hashes of all of the principal's keys;
//! - usage rows (`record_usage`) only ever add up, and go with their key when it is deleted;
//! - a store shared by several nodes publishes every key write (insert, update, delete, with the
//!   secret hashes before and after) to `watch_changes` sinks on every other node, after commit
//!   (the writing node's core forgets its own changes as the write returns);
//! - `key`, `list_keys` and `key_by_secret_hash` fill `ApiKey::products` with the products the
//!   key holds an `ACCEPTED` subscription to, and `ApiKey::usage.plans` with the plan in force
//!   for each of them that has one (the subscription's own, else the product's), in the same
//!   statement;
//! - a write that changes which limits apply to keys (a plan's limits, a product's or a
//!   subscription's plan) answers the secret hashes of the keys it touched, and publishes them to
//!   other nodes like a key write, so every node drops those keys' cached snapshots;
//! - times keep microsecond precision; lists honour the `Query` exactly (filter, sort, window).

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::ids::{DomainId, KeyId, OperationId, PrincipalId, ProductId, UsagePlanId};
use crate::model::{
    AccessKey, ApiKey, Domain, Operation, PlanQuery, Principal, Product, StageAssociation,
    Subscription, SubscriptionStatus, UsagePlan,
};
use crate::query::{KeyField, OperationQuery, PrincipalField, Query};
use crate::secret::SecretHash;
use crate::usage::StoredCredits;
use crate::usage::UsageCount;

pub type StoreResult<T> = Result<T, StoreError>;

/// What a store tells a node about key changes made by any node (including itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeEvent {
    /// Keys with these secret hashes (before or after the change) changed: drop their cache entries.
    Keys(Vec<SecretHash>),
    /// The change feed broke; changes made from now on may be missed until `Restored`.
    Lost,
    /// The feed is back. Anything may have changed while it was down.
    Restored,
}

/// A store's pooled database connections: open and idle, and open and in use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolConnections {
    pub idle: u32,
    pub in_use: u32,
}

/// Where a store delivers `ChangeEvent`s.
pub type ChangeSink = std::sync::Arc<dyn Fn(ChangeEvent) + Send + Sync>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Starts delivering key changes to `sink` for as long as the store lives (PostgreSQL:
    /// `LISTEN/NOTIFY`, reconnecting by itself). A store that only ever serves one node (SQLite)
    /// has nothing to deliver and returns `false`. Must be called inside the async runtime.
    fn watch_changes(&self, _sink: ChangeSink) -> bool {
        false
    }

    /// The database connections this store holds, for the metrics; `None` when it has no pool.
    fn pool_connections(&self) -> Option<PoolConnections> {
        None
    }

    /// Cheap liveness check for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    /// True when no domain exists yet (a fresh database awaiting bootstrap).
    async fn is_empty(&self) -> StoreResult<bool>;

    async fn insert_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()>;
    async fn domain(&self, id: DomainId) -> StoreResult<Option<Domain>>;
    async fn root_domain(&self) -> StoreResult<Option<Domain>>;
    /// Domains ordered by id, after `after`; up to `limit + 1` rows. Domain names are globally unique.
    async fn list_domains(&self, after: Option<DomainId>, limit: u32) -> StoreResult<Vec<Domain>>;
    async fn update_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()>;
    /// Deletes an empty domain; `Conflict` if principals remain. Its operations stay.
    async fn delete_domain(&self, id: DomainId, op: &Operation) -> StoreResult<()>;

    async fn insert_principal(&self, principal: &Principal, op: &Operation) -> StoreResult<()>;
    async fn principal(&self, id: PrincipalId) -> StoreResult<Option<Principal>>;
    /// Returns up to `query.limit + 1` rows so the caller can tell whether a next page exists.
    async fn list_principals(&self, query: &Query<PrincipalField>) -> StoreResult<Vec<Principal>>;
    /// Counts the principals matching the query's domain and filter (window and limit ignored).
    async fn count_principals(&self, query: &Query<PrincipalField>) -> StoreResult<u64>;
    async fn update_principal(&self, principal: &Principal, op: &Operation) -> StoreResult<()>;
    /// Deletes a principal that owns no keys; `Conflict` otherwise.
    async fn delete_principal(&self, id: PrincipalId, op: &Operation) -> StoreResult<()>;

    /// Inserts a key with its secrets.
    async fn insert_key(&self, key: &ApiKey, op: &Operation) -> StoreResult<()>;
    async fn key(&self, id: KeyId) -> StoreResult<Option<ApiKey>>;
    /// The key `id` if it lives in `domain`, in one statement that matches both: a key of another
    /// domain and no key at all are the same miss, and cost the same work, so a tenant cannot
    /// tell them apart (not even by timing).
    async fn key_in_domain(&self, id: KeyId, domain: DomainId) -> StoreResult<Option<ApiKey>>;
    /// Returns up to `query.limit + 1` rows so the caller can tell whether a next page exists.
    async fn list_keys(&self, query: &Query<KeyField>) -> StoreResult<Vec<ApiKey>>;
    /// Counts the keys matching the query's domain and filter (window and limit ignored).
    async fn count_keys(&self, query: &Query<KeyField>) -> StoreResult<u64>;
    /// Groups the keys matching the query's domain and filter by `group_by` and computes the
    /// aggregates per group, as one `GROUP BY` statement: up to `query.limit` groups, ordered by
    /// their key values ascending (NULL first). With no `group_by`, exactly one row.
    async fn aggregate_keys(
        &self,
        query: &crate::query::AggregateQuery<KeyField>,
    ) -> StoreResult<Vec<crate::query::AggregateRow>>;
    async fn update_key(
        &self,
        key: &ApiKey,
        expected_version: i64,
        op: &Operation,
    ) -> StoreResult<()>;
    async fn delete_key(&self, id: KeyId, op: &Operation) -> StoreResult<()>;
    /// The key one of whose live or grace-period secrets has this hash. The verify path's only query.
    async fn key_by_secret_hash(&self, hash: &SecretHash) -> StoreResult<Option<ApiKey>>;
    /// Write-behind of "last used": one statement or transaction per batch, never per request.
    /// Only moves `last_used_at` forward.
    async fn record_last_used(&self, uses: &[(KeyId, OffsetDateTime)]) -> StoreResult<()>;

    /// Write-behind of usage counts (`usage::meter`): adds each row's counts to the stored row of
    /// its key and hour, creating it when absent, in one statement or transaction per batch.
    /// Rows of keys deleted meanwhile are dropped, not an error. A batch may hold a key and hour
    /// more than once; their counts add up.
    async fn record_usage(&self, counts: &[UsageCount]) -> StoreResult<()>;
    /// The stored hour rows of `key` whose hour starts in `[from, to)`, oldest first.
    async fn key_usage(
        &self,
        key: KeyId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<UsageCount>>;
    /// Deletes every usage row whose hour starts before `before`; answers how many it deleted.
    async fn prune_usage(&self, before: OffsetDateTime) -> StoreResult<u64>;
    /// A key's credit balance as stored (refills due since not applied) with its credit epoch;
    /// `None` when the key has no balance or does not exist.
    async fn key_credits(&self, key: KeyId) -> StoreResult<Option<StoredCredits>>;
    /// Compare-and-set of a key's balance: writes `next` only if the stored balance, refill time
    /// and epoch still equal `expected`, and answers whether it wrote. With `op` (a top-up) the
    /// operation is written in the same transaction and the key's change published; without (a
    /// node leasing or returning credits) nothing is recorded or published: usage is not a change.
    async fn swap_credits(
        &self,
        key: KeyId,
        expected: &StoredCredits,
        next: &StoredCredits,
        op: Option<&Operation>,
    ) -> StoreResult<bool>;

    /// Inserts a product; a name already used in its domain is `Conflict`.
    async fn insert_product(&self, product: &Product, op: &Operation) -> StoreResult<()>;
    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>>;
    /// A domain's products ordered by id, after `after`; up to `limit + 1` rows.
    async fn list_products(
        &self,
        domain: DomainId,
        after: Option<ProductId>,
        limit: u32,
    ) -> StoreResult<Vec<Product>>;
    /// Deletes a product no key is subscribed to; `Conflict` otherwise, `Stale` when gone.
    async fn delete_product(&self, id: ProductId, op: &Operation) -> StoreResult<()>;

    async fn subscription(
        &self,
        key: KeyId,
        product: ProductId,
    ) -> StoreResult<Option<Subscription>>;
    /// A key's subscriptions, ordered by product id.
    async fn key_subscriptions(&self, key: KeyId) -> StoreResult<Vec<Subscription>>;
    /// A product's subscriptions, ordered by key id, optionally only those in `statuses`.
    async fn product_subscriptions(
        &self,
        product: ProductId,
        statuses: &[SubscriptionStatus],
    ) -> StoreResult<Vec<Subscription>>;
    /// Writes a subscription if the stored one is in status `expected` (`None`: none may exist),
    /// else `Stale`. Like a key write, it publishes the key's secret hashes to other nodes,
    /// since the key's set of accepted products (`ApiKey::products`) changes with it.
    async fn put_subscription(
        &self,
        subscription: &Subscription,
        expected: Option<SubscriptionStatus>,
        op: &Operation,
    ) -> StoreResult<()>;
    /// Deletes a subscription that is in status `expected`, else `Stale`; publishes like `put_subscription`.
    async fn delete_subscription(
        &self,
        key: KeyId,
        product: ProductId,
        expected: SubscriptionStatus,
        op: &Operation,
    ) -> StoreResult<()>;

    /// Inserts a usage plan; a name already used in its domain is `Conflict`.
    async fn insert_usage_plan(&self, plan: &UsagePlan, op: &Operation) -> StoreResult<()>;
    async fn usage_plan(&self, id: UsagePlanId) -> StoreResult<Option<UsagePlan>>;
    /// A domain's plans ordered by id, narrowed by `name_contains`, after `after`, skipping
    /// `offset`; up to `limit + 1` rows.
    async fn list_usage_plans(&self, query: &PlanQuery) -> StoreResult<Vec<UsagePlan>>;
    /// Counts the plans `list_usage_plans` would walk through (paging ignored).
    async fn count_usage_plans(&self, query: &PlanQuery) -> StoreResult<u64>;
    /// Rewrites a plan's name, description, limits and compat fields; `Stale` when gone,
    /// `Conflict` on a name in use. Answers (and publishes) the secret hashes of every key the
    /// plan applies to: `ACCEPTED` for a product with this plan and no plan of its own, or with
    /// this plan on its subscription.
    async fn update_usage_plan(
        &self,
        plan: &UsagePlan,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>>;
    /// Deletes a plan no product, subscription or stage association uses (`Conflict`
    /// otherwise); `Stale` when gone.
    async fn delete_usage_plan(&self, id: UsagePlanId, op: &Operation) -> StoreResult<()>;
    /// Sets or clears a product's plan; `Stale` when the product is gone. Answers and publishes
    /// the hashes of the keys `ACCEPTED` for the product.
    async fn set_product_plan(
        &self,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>>;
    /// Sets or clears one subscription's plan; `Stale` when there is no such subscription.
    /// Answers and publishes the key's hashes.
    async fn set_subscription_plan(
        &self,
        key: KeyId,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>>;
    /// Records an NCP stage association and sets the product's plan to its plan, in one
    /// transaction. The same association twice is recorded once. Answers and publishes like
    /// `set_product_plan`.
    async fn associate_stage(
        &self,
        association: &StageAssociation,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>>;
    /// Removes an NCP stage association (`Stale` when it does not exist); when it was the
    /// product's last association with that plan and the product still has that plan, clears
    /// the product's plan. Answers and publishes like `set_product_plan`.
    async fn disassociate_stage(
        &self,
        association: &StageAssociation,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>>;
    /// The recorded stage associations of these plans, ordered by plan, product, API, stage.
    async fn stage_associations(&self, plans: &[UsagePlanId])
        -> StoreResult<Vec<StageAssociation>>;

    /// Inserts an access key (its secret already sealed); an id in use is `Conflict`.
    async fn insert_access_key(&self, access_key: &AccessKey, op: &Operation) -> StoreResult<()>;
    async fn access_key(&self, id: &str) -> StoreResult<Option<AccessKey>>;
    /// Deletes an access key; `Stale` when it is already gone. Deleting its key deletes it too.
    async fn delete_access_key(&self, id: &str, op: &Operation) -> StoreResult<()>;

    async fn operation(&self, id: OperationId) -> StoreResult<Option<Operation>>;
    /// Newest first; up to `limit + 1` rows so the caller can tell whether a next page exists.
    async fn list_operations(&self, query: &OperationQuery) -> StoreResult<Vec<Operation>>;
}
