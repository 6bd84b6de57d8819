//! Products and subscriptions: create, list, delete products; subscribe a key, decide on its
//! request, unsubscribe. The allowed status changes are `model::SUBSCRIPTION_TRANSITIONS`; every
//! change is an operation, and drops the key's cache entries so verification follows at once.

use serde_json::json;

use super::operations::{Change, Subject};
use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreError, CoreResult, Entity, StoreError};
use crate::ids::{DomainId, KeyId, ProductId, UsagePlanId};
use crate::model::{
    ApiKey, Description, Name, Product, Subscription, SubscriptionStatus, TargetKind,
};
use crate::query::MAX_PAGE_SIZE;

/// A product to create. `domain: None` means the caller's own domain.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub domain: Option<DomainId>,
    pub name: Name,
    pub description: Description,
    /// A plan of the same domain for every key `ACCEPTED` for the product.
    pub usage_plan: Option<UsagePlanId>,
}

fn refused(from: Option<SubscriptionStatus>, to: &str) -> CoreError {
    let from = from.map_or("no subscription", SubscriptionStatus::as_str);
    CoreError::Conflict {
        entity: Entity::Subscription,
        detail: format!("a subscription cannot go from {from} to {to}"),
    }
}

/// A lost race on a subscription is reported as the conflict it is.
fn raced(error: StoreError) -> CoreError {
    match error {
        StoreError::Stale => CoreError::Conflict {
            entity: Entity::Subscription,
            detail: "the subscription changed while this request ran; retry".into(),
        },
        other => other.into(),
    }
}

impl Keyward {
    pub async fn create_product(&self, caller: &Caller, input: NewProduct) -> CoreResult<Product> {
        let domain = input.domain.unwrap_or_else(|| caller.home_domain());
        let cap = caller.admin_of(domain, Entity::Domain)?;
        self.plan_in(caller, domain, input.usage_plan).await?;
        let now = self.clock.now();
        let product = Product {
            id: ProductId::new(),
            domain,
            name: input.name,
            description: input.description,
            usage_plan_id: input.usage_plan,
            created_at: now,
            updated_at: now,
        };
        let op = self.record(
            &cap,
            domain,
            now,
            Change {
                action: "product.create",
                target_kind: TargetKind::Product,
                target_id: product.id.as_uuid(),
                metadata: json!({}),
                result: Subject::Product(&product),
            },
        );
        self.store.insert_product(&product, &op).await?;
        Ok(product)
    }

    pub async fn get_product(&self, caller: &Caller, id: ProductId) -> CoreResult<Product> {
        let product = self
            .store
            .product(id)
            .await?
            .ok_or(CoreError::NotFound(Entity::Product))?;
        caller.admin_of(product.domain, Entity::Product)?;
        Ok(product)
    }

    /// One page of a domain's products by id; the second value is the id to continue after.
    pub async fn list_products(
        &self,
        caller: &Caller,
        domain: DomainId,
        after: Option<ProductId>,
        limit: u32,
    ) -> CoreResult<(Vec<Product>, Option<ProductId>)> {
        caller.admin_of(domain, Entity::Domain)?;
        let limit = limit.clamp(1, MAX_PAGE_SIZE);
        let mut items = self.store.list_products(domain, after, limit).await?;
        let next = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|p| p.id)
        } else {
            None
        };
        Ok((items, next))
    }

    /// Deletes a product no key is subscribed to (`Conflict` otherwise).
    pub async fn delete_product(&self, caller: &Caller, id: ProductId) -> CoreResult<Product> {
        let product = self.get_product(caller, id).await?;
        let cap = caller.admin_of(product.domain, Entity::Product)?;
        let op = self.record(
            &cap,
            product.domain,
            self.clock.now(),
            Change {
                action: "product.delete",
                target_kind: TargetKind::Product,
                target_id: product.id.as_uuid(),
                metadata: json!({}),
                result: Subject::Product(&product),
            },
        );
        match self.store.delete_product(id, &op).await {
            Err(StoreError::Stale) => Err(CoreError::NotFound(Entity::Product)),
            other => other.map(|()| product).map_err(CoreError::from),
        }
    }

    /// The key and the product, both visible to the caller and in the same domain.
    async fn key_and_product(
        &self,
        caller: &Caller,
        key: KeyId,
        product: ProductId,
    ) -> CoreResult<ApiKey> {
        let key = self.get_key(caller, key).await?;
        let product = self.get_product(caller, product).await?;
        if product.domain != key.domain {
            return Err(CoreError::NotFound(Entity::Product));
        }
        Ok(key)
    }

    pub async fn subscription(
        &self,
        caller: &Caller,
        key: KeyId,
        product: ProductId,
    ) -> CoreResult<Subscription> {
        self.key_and_product(caller, key, product).await?;
        self.store
            .subscription(key, product)
            .await?
            .ok_or(CoreError::NotFound(Entity::Subscription))
    }

    pub async fn key_subscriptions(
        &self,
        caller: &Caller,
        key: KeyId,
    ) -> CoreResult<Vec<Subscription>> {
        self.get_key(caller, key).await?;
        Ok(self.store.key_subscriptions(key).await?)
    }

    /// A product's subscriptions, optionally only those in `statuses`.
    pub async fn product_subscriptions(
        &self,
        caller: &Caller,
        product: ProductId,
        statuses: &[SubscriptionStatus],
    ) -> CoreResult<Vec<Subscription>> {
        self.get_product(caller, product).await?;
        Ok(self.store.product_subscriptions(product, statuses).await?)
    }

    /// The key asks for the product: a new subscription in `REQUEST`, or a `REJECTED` one asked
    /// again. Anything else is a conflict.
    pub async fn subscribe(
        &self,
        caller: &Caller,
        key: KeyId,
        product: ProductId,
    ) -> CoreResult<Subscription> {
        self.move_subscription(caller, key, product, SubscriptionStatus::Request)
            .await
    }

    /// Moves a subscription to `status` if the transition table allows it (creating it when
    /// `status` is `REQUEST` and none exists).
    pub async fn set_subscription_status(
        &self,
        caller: &Caller,
        key: KeyId,
        product: ProductId,
        status: SubscriptionStatus,
    ) -> CoreResult<Subscription> {
        self.move_subscription(caller, key, product, status).await
    }

    async fn move_subscription(
        &self,
        caller: &Caller,
        key_id: KeyId,
        product: ProductId,
        status: SubscriptionStatus,
    ) -> CoreResult<Subscription> {
        let key = self.key_and_product(caller, key_id, product).await?;
        let cap = caller.admin_of(key.domain, Entity::Key)?;
        let current = self.store.subscription(key_id, product).await?;
        let from = current.as_ref().map(|s| s.status);
        let allowed = match from {
            None => status == SubscriptionStatus::Request,
            Some(from) => from.can_become(status),
        };
        if !allowed {
            return Err(refused(from, status.as_str()));
        }
        let now = self.clock.now();
        let subscription = Subscription {
            key_id,
            product_id: product,
            status,
            usage_plan_id: current.as_ref().and_then(|s| s.usage_plan_id),
            created_at: current.as_ref().map_or(now, |s| s.created_at),
            updated_at: now,
        };
        let action = match status {
            SubscriptionStatus::Request => "subscription.request",
            SubscriptionStatus::Accepted => "subscription.accept",
            SubscriptionStatus::Rejected => "subscription.reject",
            SubscriptionStatus::Deny => "subscription.deny",
            SubscriptionStatus::BlockedRequest => "subscription.block",
        };
        let op = self.record(
            &cap,
            key.domain,
            now,
            Change {
                action,
                target_kind: TargetKind::Key,
                target_id: key_id.as_uuid(),
                metadata: json!({
                    "product_id": product,
                    "from": from.map(SubscriptionStatus::as_str),
                    "to": status.as_str(),
                }),
                result: Subject::Subscription(&subscription),
            },
        );
        let written = self.store.put_subscription(&subscription, from, &op).await;
        self.verifier.forget_key(&key);
        written.map_err(raced)?;
        Ok(subscription)
    }

    /// Deletes the subscription, if its status allows (`REQUEST`, `ACCEPTED`, `REJECTED`).
    pub async fn unsubscribe(
        &self,
        caller: &Caller,
        key_id: KeyId,
        product: ProductId,
    ) -> CoreResult<Subscription> {
        let key = self.key_and_product(caller, key_id, product).await?;
        let cap = caller.admin_of(key.domain, Entity::Key)?;
        let current = self
            .store
            .subscription(key_id, product)
            .await?
            .ok_or(CoreError::NotFound(Entity::Subscription))?;
        if !current.status.can_unsubscribe() {
            return Err(refused(Some(current.status), "unsubscribed"));
        }
        let op = self.record(
            &cap,
            key.domain,
            self.clock.now(),
            Change {
                action: "subscription.delete",
                target_kind: TargetKind::Key,
                target_id: key_id.as_uuid(),
                metadata: json!({ "product_id": product, "from": current.status.as_str() }),
                result: Subject::Subscription(&current),
            },
        );
        let deleted = self
            .store
            .delete_subscription(key_id, product, current.status, &op)
            .await;
        self.verifier.forget_key(&key);
        deleted.map_err(raced)?;
        Ok(current)
    }
}
