//! `TimedStore`: the store behind the core, each call timed into
//! `keyward_store_operation_duration_seconds{operation}` (the method's name).
//!
//! Generated from the `Store` trait (one forwarding method per trait method, each with its
//! histogram registered at start); when the trait changes, the compiler names what is missing.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use keyward_core::ids::{DomainId, KeyId, OperationId, PrincipalId, ProductId, UsagePlanId};
use keyward_core::model::{
    AccessKey, ApiKey, Domain, Operation, PlanQuery, Principal, Product, StageAssociation,
    Subscription, SubscriptionStatus, UsagePlan,
};
use keyward_core::query::{KeyField, OperationQuery, PrincipalField, Query};
use keyward_core::secret::SecretHash;
use keyward_core::store::{ChangeSink, Store, StoreResult};
use keyward_core::usage::{StoredCredits, UsageCount};
use keyward_core::verify::metrics::METADATA;
use metrics::{Histogram, Key, Label, Recorder};
use time::OffsetDateTime;

/// The operations timed, in the order of the handles.
const OPERATIONS: [&str; 54] = [
    "ping",
    "is_empty",
    "insert_domain",
    "domain",
    "root_domain",
    "list_domains",
    "update_domain",
    "delete_domain",
    "insert_principal",
    "principal",
    "list_principals",
    "count_principals",
    "update_principal",
    "delete_principal",
    "insert_key",
    "key",
    "key_in_domain",
    "list_keys",
    "count_keys",
    "aggregate_keys",
    "update_key",
    "delete_key",
    "key_by_secret_hash",
    "record_last_used",
    "record_usage",
    "key_usage",
    "prune_usage",
    "key_credits",
    "swap_credits",
    "insert_product",
    "product",
    "list_products",
    "delete_product",
    "subscription",
    "key_subscriptions",
    "product_subscriptions",
    "put_subscription",
    "delete_subscription",
    "insert_usage_plan",
    "usage_plan",
    "list_usage_plans",
    "count_usage_plans",
    "update_usage_plan",
    "delete_usage_plan",
    "set_product_plan",
    "set_subscription_plan",
    "associate_stage",
    "disassociate_stage",
    "stage_associations",
    "insert_access_key",
    "access_key",
    "delete_access_key",
    "operation",
    "list_operations",
];

/// A store whose every call is timed.
pub struct TimedStore {
    inner: Arc<dyn Store>,
    /// In the order of `OPERATIONS`.
    durations: Vec<Histogram>,
}

impl TimedStore {
    pub fn new(inner: Arc<dyn Store>, recorder: &dyn Recorder) -> Self {
        let durations = OPERATIONS
            .iter()
            .map(|operation| {
                let labels = vec![Label::from_static_parts("operation", operation)];
                let key = Key::from_parts("keyward_store_operation_duration_seconds", labels);
                recorder.register_histogram(&key, &METADATA)
            })
            .collect();
        Self { inner, durations }
    }

    fn record(&self, operation: usize, started: Instant) {
        self.durations[operation].record(started.elapsed().as_secs_f64());
    }
}

#[async_trait]
impl Store for TimedStore {
    fn watch_changes(&self, sink: ChangeSink) -> bool {
        self.inner.watch_changes(sink)
    }

    fn pool_connections(&self) -> Option<keyward_core::store::PoolConnections> {
        self.inner.pool_connections()
    }

    async fn ping(&self) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.ping().await;
        self.record(0, started);
        result
    }

    async fn is_empty(&self) -> StoreResult<bool> {
        let started = Instant::now();
        let result = self.inner.is_empty().await;
        self.record(1, started);
        result
    }

    async fn insert_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.insert_domain(domain, op).await;
        self.record(2, started);
        result
    }

    async fn domain(&self, id: DomainId) -> StoreResult<Option<Domain>> {
        let started = Instant::now();
        let result = self.inner.domain(id).await;
        self.record(3, started);
        result
    }

    async fn root_domain(&self) -> StoreResult<Option<Domain>> {
        let started = Instant::now();
        let result = self.inner.root_domain().await;
        self.record(4, started);
        result
    }

    async fn list_domains(&self, after: Option<DomainId>, limit: u32) -> StoreResult<Vec<Domain>> {
        let started = Instant::now();
        let result = self.inner.list_domains(after, limit).await;
        self.record(5, started);
        result
    }

    async fn update_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.update_domain(domain, op).await;
        self.record(6, started);
        result
    }

    async fn delete_domain(&self, id: DomainId, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.delete_domain(id, op).await;
        self.record(7, started);
        result
    }

    async fn insert_principal(&self, principal: &Principal, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.insert_principal(principal, op).await;
        self.record(8, started);
        result
    }

    async fn principal(&self, id: PrincipalId) -> StoreResult<Option<Principal>> {
        let started = Instant::now();
        let result = self.inner.principal(id).await;
        self.record(9, started);
        result
    }

    async fn list_principals(&self, query: &Query<PrincipalField>) -> StoreResult<Vec<Principal>> {
        let started = Instant::now();
        let result = self.inner.list_principals(query).await;
        self.record(10, started);
        result
    }

    async fn count_principals(&self, query: &Query<PrincipalField>) -> StoreResult<u64> {
        let started = Instant::now();
        let result = self.inner.count_principals(query).await;
        self.record(11, started);
        result
    }

    async fn update_principal(&self, principal: &Principal, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.update_principal(principal, op).await;
        self.record(12, started);
        result
    }

    async fn delete_principal(&self, id: PrincipalId, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.delete_principal(id, op).await;
        self.record(13, started);
        result
    }

    async fn insert_key(&self, key: &ApiKey, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.insert_key(key, op).await;
        self.record(14, started);
        result
    }

    async fn key(&self, id: KeyId) -> StoreResult<Option<ApiKey>> {
        let started = Instant::now();
        let result = self.inner.key(id).await;
        self.record(15, started);
        result
    }

    async fn key_in_domain(&self, id: KeyId, domain: DomainId) -> StoreResult<Option<ApiKey>> {
        let started = Instant::now();
        let result = self.inner.key_in_domain(id, domain).await;
        self.record(16, started);
        result
    }

    async fn list_keys(&self, query: &Query<KeyField>) -> StoreResult<Vec<ApiKey>> {
        let started = Instant::now();
        let result = self.inner.list_keys(query).await;
        self.record(17, started);
        result
    }

    async fn count_keys(&self, query: &Query<KeyField>) -> StoreResult<u64> {
        let started = Instant::now();
        let result = self.inner.count_keys(query).await;
        self.record(18, started);
        result
    }

    async fn aggregate_keys(
        &self,
        query: &keyward_core::query::AggregateQuery<KeyField>,
    ) -> StoreResult<Vec<keyward_core::query::AggregateRow>> {
        let started = Instant::now();
        let result = self.inner.aggregate_keys(query).await;
        self.record(19, started);
        result
    }

    async fn update_key(
        &self,
        key: &ApiKey,
        expected_version: i64,
        op: &Operation,
    ) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.update_key(key, expected_version, op).await;
        self.record(20, started);
        result
    }

    async fn delete_key(&self, id: KeyId, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.delete_key(id, op).await;
        self.record(21, started);
        result
    }

    async fn key_by_secret_hash(&self, hash: &SecretHash) -> StoreResult<Option<ApiKey>> {
        let started = Instant::now();
        let result = self.inner.key_by_secret_hash(hash).await;
        self.record(22, started);
        result
    }

    async fn record_last_used(&self, uses: &[(KeyId, OffsetDateTime)]) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.record_last_used(uses).await;
        self.record(23, started);
        result
    }

    async fn record_usage(&self, counts: &[UsageCount]) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.record_usage(counts).await;
        self.record(24, started);
        result
    }

    async fn key_usage(
        &self,
        key: KeyId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<UsageCount>> {
        let started = Instant::now();
        let result = self.inner.key_usage(key, from, to).await;
        self.record(25, started);
        result
    }

    async fn prune_usage(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let started = Instant::now();
        let result = self.inner.prune_usage(before).await;
        self.record(26, started);
        result
    }

    async fn key_credits(&self, key: KeyId) -> StoreResult<Option<StoredCredits>> {
        let started = Instant::now();
        let result = self.inner.key_credits(key).await;
        self.record(27, started);
        result
    }

    async fn swap_credits(
        &self,
        key: KeyId,
        expected: &StoredCredits,
        next: &StoredCredits,
        op: Option<&Operation>,
    ) -> StoreResult<bool> {
        let started = Instant::now();
        let result = self.inner.swap_credits(key, expected, next, op).await;
        self.record(28, started);
        result
    }

    async fn insert_product(&self, product: &Product, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.insert_product(product, op).await;
        self.record(29, started);
        result
    }

    async fn product(&self, id: ProductId) -> StoreResult<Option<Product>> {
        let started = Instant::now();
        let result = self.inner.product(id).await;
        self.record(30, started);
        result
    }

    async fn list_products(
        &self,
        domain: DomainId,
        after: Option<ProductId>,
        limit: u32,
    ) -> StoreResult<Vec<Product>> {
        let started = Instant::now();
        let result = self.inner.list_products(domain, after, limit).await;
        self.record(31, started);
        result
    }

    async fn delete_product(&self, id: ProductId, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.delete_product(id, op).await;
        self.record(32, started);
        result
    }

    async fn subscription(
        &self,
        key: KeyId,
        product: ProductId,
    ) -> StoreResult<Option<Subscription>> {
        let started = Instant::now();
        let result = self.inner.subscription(key, product).await;
        self.record(33, started);
        result
    }

    async fn key_subscriptions(&self, key: KeyId) -> StoreResult<Vec<Subscription>> {
        let started = Instant::now();
        let result = self.inner.key_subscriptions(key).await;
        self.record(34, started);
        result
    }

    async fn product_subscriptions(
        &self,
        product: ProductId,
        statuses: &[SubscriptionStatus],
    ) -> StoreResult<Vec<Subscription>> {
        let started = Instant::now();
        let result = self.inner.product_subscriptions(product, statuses).await;
        self.record(35, started);
        result
    }

    async fn put_subscription(
        &self,
        subscription: &Subscription,
        expected: Option<SubscriptionStatus>,
        op: &Operation,
    ) -> StoreResult<()> {
        let started = Instant::now();
        let result = self
            .inner
            .put_subscription(subscription, expected, op)
            .await;
        self.record(36, started);
        result
    }

    async fn delete_subscription(
        &self,
        key: KeyId,
        product: ProductId,
        expected: SubscriptionStatus,
        op: &Operation,
    ) -> StoreResult<()> {
        let started = Instant::now();
        let result = self
            .inner
            .delete_subscription(key, product, expected, op)
            .await;
        self.record(37, started);
        result
    }

    async fn insert_usage_plan(&self, plan: &UsagePlan, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.insert_usage_plan(plan, op).await;
        self.record(38, started);
        result
    }

    async fn usage_plan(&self, id: UsagePlanId) -> StoreResult<Option<UsagePlan>> {
        let started = Instant::now();
        let result = self.inner.usage_plan(id).await;
        self.record(39, started);
        result
    }

    async fn list_usage_plans(&self, query: &PlanQuery) -> StoreResult<Vec<UsagePlan>> {
        let started = Instant::now();
        let result = self.inner.list_usage_plans(query).await;
        self.record(40, started);
        result
    }

    async fn count_usage_plans(&self, query: &PlanQuery) -> StoreResult<u64> {
        let started = Instant::now();
        let result = self.inner.count_usage_plans(query).await;
        self.record(41, started);
        result
    }

    async fn update_usage_plan(
        &self,
        plan: &UsagePlan,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let started = Instant::now();
        let result = self.inner.update_usage_plan(plan, op).await;
        self.record(42, started);
        result
    }

    async fn delete_usage_plan(&self, id: UsagePlanId, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.delete_usage_plan(id, op).await;
        self.record(43, started);
        result
    }

    async fn set_product_plan(
        &self,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let started = Instant::now();
        let result = self.inner.set_product_plan(product, plan, op).await;
        self.record(44, started);
        result
    }

    async fn set_subscription_plan(
        &self,
        key: KeyId,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let started = Instant::now();
        let result = self
            .inner
            .set_subscription_plan(key, product, plan, op)
            .await;
        self.record(45, started);
        result
    }

    async fn associate_stage(
        &self,
        association: &StageAssociation,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let started = Instant::now();
        let result = self.inner.associate_stage(association, op).await;
        self.record(46, started);
        result
    }

    async fn disassociate_stage(
        &self,
        association: &StageAssociation,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let started = Instant::now();
        let result = self.inner.disassociate_stage(association, op).await;
        self.record(47, started);
        result
    }

    async fn stage_associations(
        &self,
        plans: &[UsagePlanId],
    ) -> StoreResult<Vec<StageAssociation>> {
        let started = Instant::now();
        let result = self.inner.stage_associations(plans).await;
        self.record(48, started);
        result
    }

    async fn insert_access_key(&self, access_key: &AccessKey, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.insert_access_key(access_key, op).await;
        self.record(49, started);
        result
    }

    async fn access_key(&self, id: &str) -> StoreResult<Option<AccessKey>> {
        let started = Instant::now();
        let result = self.inner.access_key(id).await;
        self.record(50, started);
        result
    }

    async fn delete_access_key(&self, id: &str, op: &Operation) -> StoreResult<()> {
        let started = Instant::now();
        let result = self.inner.delete_access_key(id, op).await;
        self.record(51, started);
        result
    }

    async fn operation(&self, id: OperationId) -> StoreResult<Option<Operation>> {
        let started = Instant::now();
        let result = self.inner.operation(id).await;
        self.record(52, started);
        result
    }

    async fn list_operations(&self, query: &OperationQuery) -> StoreResult<Vec<Operation>> {
        let started = Instant::now();
        let result = self.inner.list_operations(query).await;
        self.record(53, started);
        result
    }
}
