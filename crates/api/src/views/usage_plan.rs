//! Usage plans, as `/v1/usage-plans` answers them: the plan's limits as keys show theirs
//! (`rate_limits`, `quotas`).

use keyward_core::model::UsagePlan;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::usage::{quota_views, rate_limit_views, QuotaView, RateLimitView};

/// A named set of rate limits and quotas, applied through products and subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsagePlanView {
    pub id: Uuid,
    pub domain_id: Uuid,
    pub name: String,
    pub description: String,
    pub rate_limits: Vec<RateLimitView>,
    pub quotas: Vec<QuotaView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<UsagePlan> for UsagePlanView {
    fn from(p: UsagePlan) -> Self {
        Self {
            id: p.id.as_uuid(),
            domain_id: p.domain.as_uuid(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            rate_limits: rate_limit_views(&p.limits),
            quotas: quota_views(&p.limits),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A list of usage plans; pass `next_after` back as `after` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsagePlanListView {
    pub items: Vec<UsagePlanView>,
    pub next_after: Option<Uuid>,
}
