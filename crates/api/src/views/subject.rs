//! How an operation's `result` is written: the changed object rendered by the same view the API
//! answers it with everywhere else (`GET /v1/keys/{id}` and an operation's `result` show one key
//! alike). The core hands each change's object to [`ViewRenderer`], installed by the serving
//! application (`Keyward::with_renderer`); the core itself decides no wire names.

use keyward_core::model::{AccessKey, StageAssociation};
use keyward_core::service::{Subject, SubjectRenderer};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{DomainView, KeyView, PrincipalView, ProductView, SubscriptionView, UsagePlanView};

/// Renders operation results through the native API's views.
#[derive(Debug, Default)]
pub struct ViewRenderer;

impl SubjectRenderer for ViewRenderer {
    fn render(&self, subject: Subject<'_>) -> serde_json::Value {
        let rendered = match subject {
            Subject::Domain(d) => serde_json::to_value(DomainView::from(d.clone())),
            Subject::Principal(p) => serde_json::to_value(PrincipalView::from(p.clone())),
            Subject::Key(k) => serde_json::to_value(KeyView::from(k.clone())),
            Subject::AccessKey(a) => serde_json::to_value(AccessKeyView::from(a)),
            Subject::Product(p) => serde_json::to_value(ProductView::from(p.clone())),
            Subject::Subscription(s) => serde_json::to_value(SubscriptionView::from(s.clone())),
            Subject::UsagePlan(p) => serde_json::to_value(UsagePlanView::from(p.clone())),
            Subject::StageAssociation(a) => serde_json::to_value(StageAssociationView::from(a)),
        };
        // Views of plain data always serialize; `null` would only hide a bug, never a secret.
        rendered.unwrap_or(serde_json::Value::Null)
    }
}

/// An access key as its operations record it: never its secret key, sealed or not.
#[derive(Serialize)]
struct AccessKeyView {
    access_key_id: String,
    key_id: Uuid,
    domain_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<&AccessKey> for AccessKeyView {
    fn from(a: &AccessKey) -> Self {
        Self {
            access_key_id: a.id.clone(),
            key_id: a.key_id.as_uuid(),
            domain_id: a.domain.as_uuid(),
            created_at: a.created_at,
        }
    }
}

/// A usage plan's association with one stage of one API of a product (NCP).
#[derive(Serialize)]
struct StageAssociationView {
    product_id: Uuid,
    api_id: String,
    stage_id: String,
    usage_plan_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

impl From<&StageAssociation> for StageAssociationView {
    fn from(a: &StageAssociation) -> Self {
        Self {
            product_id: a.product_id.as_uuid(),
            api_id: a.api_id.as_str().to_owned(),
            stage_id: a.stage_id.as_str().to_owned(),
            usage_plan_id: a.usage_plan_id.as_uuid(),
            created_at: a.created_at,
        }
    }
}
