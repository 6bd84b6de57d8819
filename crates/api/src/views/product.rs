//! Products and keys' subscriptions to them, as `/v1/products` and `/v1/keys/{id}/subscriptions`
//! answer them.

use keyward_core::model::{Product, Subscription};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// A product keys may subscribe to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: Uuid,
    pub domain_id: Uuid,
    pub name: String,
    pub description: String,
    /// The plan applied to every key `ACCEPTED` for the product, unless its subscription has one.
    pub usage_plan_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        Self {
            id: p.id.as_uuid(),
            domain_id: p.domain.as_uuid(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            usage_plan_id: p.usage_plan_id.map(|id| id.as_uuid()),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A key's subscription to a product.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub key_id: Uuid,
    pub product_id: Uuid,
    /// `REQUEST`, `ACCEPTED`, `REJECTED`, `DENY` or `BLOCKED_REQUEST`.
    pub status: String,
    /// This key's own plan for the product, overriding the product's.
    pub usage_plan_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        Self {
            key_id: s.key_id.as_uuid(),
            product_id: s.product_id.as_uuid(),
            status: s.status.as_str().to_owned(),
            usage_plan_id: s.usage_plan_id.map(|id| id.as_uuid()),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A list of products; pass `next_after` back as `after` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductListView {
    pub items: Vec<ProductView>,
    pub next_after: Option<Uuid>,
}

/// A key's subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionListView {
    pub items: Vec<SubscriptionView>,
}
