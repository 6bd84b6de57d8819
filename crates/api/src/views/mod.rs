//! What the REST face answers: its own serde structs, built from core values. The core's types are
//! never serialized directly, so the wire format changes only here, and no hash can leak: a view
//! simply has no field for it. Times are RFC 3339 in UTC.
//!
//! This file holds the shared pieces (enum schemas, `ListView`) and the views of domains,
//! principals, keys, operations and verification; `product.rs`, `access_key.rs`, `usage.rs`
//! (limits and credits), `usage_series.rs` (a key's metered usage) and `usage_plan.rs` hold theirs;
//! `subject.rs` renders operation results through these same views.

mod access_key;
mod product;
mod subject;
pub mod usage;
mod usage_plan;
mod usage_series;

pub use access_key::CreatedAccessKeyView;
pub use product::{ProductListView, ProductView, SubscriptionListView, SubscriptionView};
pub use subject::ViewRenderer;
pub use usage_plan::{UsagePlanListView, UsagePlanView};
pub use usage_series::{UsageBucketView, UsageSeriesView};

use keyward_core::model::{
    Actor, AllowedCidr, ApiKey, Domain, KeyState, KeyType, Operation, Principal, PrincipalKind,
    SecretInfo, SecretSlot,
};
use keyward_core::service::CreatedKey;
use keyward_core::verify::{Decision, Reason};
use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::ToSchema;
use uuid::Uuid;

/// A string schema limited to `values`: how closed sets (`type`, `state`, codes) appear in the
/// OpenAPI document, built from the same lists the code uses.
pub fn enum_schema(values: impl IntoIterator<Item = &'static str>) -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

pub(crate) fn key_type_schema() -> utoipa::openapi::Object {
    enum_schema(KeyType::ALL.iter().map(|t| t.as_str()))
}
pub(crate) fn key_state_schema() -> utoipa::openapi::Object {
    enum_schema(KeyState::ALL.iter().map(|s| s.as_str()))
}
pub(crate) fn principal_kind_schema() -> utoipa::openapi::Object {
    enum_schema(PrincipalKind::ALL.iter().map(|k| k.as_str()))
}
fn secret_slot_schema() -> utoipa::openapi::Object {
    enum_schema(SecretSlot::ALL.iter().map(|s| s.as_str()))
}
fn target_kind_schema() -> utoipa::openapi::Object {
    enum_schema([
        "domain",
        "principal",
        "key",
        "product",
        "access_key",
        "usage_plan",
    ])
}

fn utc(at: OffsetDateTime) -> OffsetDateTime {
    at.to_offset(UtcOffset::UTC)
}

/// A page of a list. Pass `next_cursor` back as `cursor` for the next page; `null` means the end.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T, U: From<T>> From<keyward_core::query::Page<T>> for ListView<U> {
    fn from(page: keyward_core::query::Page<T>) -> Self {
        Self {
            items: page.items.into_iter().map(U::from).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// A tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct DomainView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// The domain created at first start; only its keys may hold `keyward:root`.
    pub is_root: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Domain> for DomainView {
    fn from(d: Domain) -> Self {
        Self {
            id: d.id.as_uuid(),
            name: d.name.as_str().to_owned(),
            description: d.description.as_str().to_owned(),
            is_root: d.is_root,
            created_at: utc(d.created_at),
            updated_at: utc(d.updated_at),
        }
    }
}

/// A user or service account that owns keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrincipalView {
    pub id: Uuid,
    pub domain_id: Uuid,
    #[schema(schema_with = principal_kind_schema)]
    pub kind: &'static str,
    pub name: String,
    pub description: String,
    /// Created by an external authority: its keys cannot be managed through this API.
    pub external: bool,
    /// Shared by all of this principal's keys.
    pub rate_limits: Vec<usage::RateLimitView>,
    pub quotas: Vec<usage::QuotaView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<Principal> for PrincipalView {
    fn from(p: Principal) -> Self {
        Self {
            id: p.id.as_uuid(),
            domain_id: p.domain.as_uuid(),
            kind: p.kind.as_str(),
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            external: p.external,
            rate_limits: usage::rate_limit_views(&p.limits),
            quotas: usage::quota_views(&p.limits),
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

/// One allowed client network of a key.
#[derive(Debug, Serialize, ToSchema)]
pub struct CidrView {
    pub name: Option<String>,
    /// `192.0.2.0/24`, `2001:db8::/32`; a single host is `/32` or `/128`.
    pub cidr: String,
}

impl From<&AllowedCidr> for CidrView {
    fn from(c: &AllowedCidr) -> Self {
        Self {
            name: c.name.as_ref().map(|n| n.as_str().to_owned()),
            cidr: c.cidr.to_string(),
        }
    }
}

/// One live secret of a key, described but never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretView {
    #[schema(schema_with = secret_slot_schema)]
    pub slot: &'static str,
    /// The prefix and last four characters, e.g. `kw_…a1B2`.
    pub hint: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Set on an old secret kept alive for a grace period after rotation.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl From<&SecretInfo> for SecretView {
    fn from(s: &SecretInfo) -> Self {
        Self {
            slot: s.slot.as_str(),
            hint: s.hint.clone(),
            created_at: utc(s.created_at),
            expires_at: s.expires_at.map(utc),
        }
    }
}

/// An API key (the managed object; its secrets appear only as hints).
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub id: Uuid,
    pub domain_id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    #[schema(schema_with = key_type_schema)]
    pub key_type: &'static str,
    #[schema(schema_with = key_state_schema)]
    pub state: &'static str,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    pub allowed_cidrs: Vec<CidrView>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub rate_limits: Vec<usage::RateLimitView>,
    pub quotas: Vec<usage::QuotaView>,
    /// The balance now (refills due applied); `null`: no credits, unlimited.
    pub credits: Option<usage::CreditsView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_rotated_at: Option<OffsetDateTime>,
    pub secrets: Vec<SecretView>,
}

impl From<ApiKey> for KeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.as_uuid(),
            domain_id: k.domain.as_uuid(),
            owner_id: k.owner.as_uuid(),
            name: k.name.as_str().to_owned(),
            description: k.description.as_str().to_owned(),
            key_type: k.key_type.as_str(),
            state: k.state.as_str(),
            roles: k.roles.to_strings(),
            scopes: k.scopes.to_strings(),
            allowed_cidrs: k.allowed_cidrs.iter().map(CidrView::from).collect(),
            expires_at: k.expires_at.map(utc),
            metadata: k.metadata.to_value(),
            rate_limits: usage::rate_limit_views(&k.limits),
            quotas: usage::quota_views(&k.limits),
            credits: k.credits.as_ref().map(usage::CreditsView::from),
            created_at: utc(k.created_at),
            updated_at: utc(k.updated_at),
            last_used_at: k.last_used_at.map(utc),
            last_rotated_at: k.last_rotated_at.map(utc),
            secrets: k.secrets.iter().map(SecretView::from).collect(),
        }
    }
}

/// A key with its new secret: the answer to create and rotate, the only time a secret is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedKeyView {
    pub key: KeyView,
    /// The plaintext secret. Store it now: keyward keeps only a hash and cannot show it again.
    pub secret: String,
}

impl From<CreatedKey> for CreatedKeyView {
    fn from(created: CreatedKey) -> Self {
        let secret = created.secret.expose().to_owned();
        Self {
            key: KeyView::from(created.key),
            secret,
        }
    }
}

impl std::fmt::Debug for CreatedKeyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKeyView")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActorView {
    /// keyward itself (first start).
    System,
    /// A management call authenticated by this key, owned by this principal.
    Key { key_id: Uuid, principal_id: Uuid },
}

impl From<Actor> for ActorView {
    fn from(actor: Actor) -> Self {
        match actor {
            Actor::System => ActorView::System,
            Actor::Key {
                key_id,
                principal_id,
            } => ActorView::Key {
                key_id: key_id.as_uuid(),
                principal_id: principal_id.as_uuid(),
            },
        }
    }
}

/// One record of the change log.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperationView {
    pub id: Uuid,
    pub domain_id: Uuid,
    pub actor: ActorView,
    /// `key.create`, `key.rotate`, `principal.delete`, ...
    pub action: String,
    #[schema(schema_with = target_kind_schema)]
    pub target_kind: &'static str,
    pub target_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What was asked, e.g. `{"changed": ["name"]}`. Never a secret.
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    /// The target's state after the change (before it, for a delete). Never a secret.
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
}

impl From<Operation> for OperationView {
    fn from(op: Operation) -> Self {
        Self {
            id: op.id.as_uuid(),
            domain_id: op.domain.as_uuid(),
            actor: ActorView::from(op.actor),
            action: op.action,
            target_kind: op.target_kind.as_str(),
            target_id: op.target_id,
            at: utc(op.at),
            metadata: op.metadata,
            result: op.result,
        }
    }
}

/// The outcome of a verification: [`VerifiedView`] when the key is valid, [`RefusedView`] (only
/// `valid` and `code`) when it is not.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum VerifyView {
    Verified(VerifiedView),
    Refused(RefusedView),
}

/// A refusal: `valid` is false and `code` says why; nothing about the key.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedView {
    #[schema(schema_with = false_schema)]
    pub valid: bool,
    #[schema(schema_with = refusal_schema)]
    pub code: &'static str,
    /// With `RATE_LIMITED` and `USAGE_EXCEEDED`: the limits' states.
    #[serde(flatten)]
    pub usage: usage::UsageView,
}

/// A valid key and its identity.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedView {
    #[schema(schema_with = true_schema)]
    pub valid: bool,
    #[schema(schema_with = valid_schema)]
    pub code: &'static str,
    pub key_id: Uuid,
    /// The principal that owns the key.
    pub owner: Uuid,
    /// The key's domain.
    pub domain: Uuid,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    /// The key's own expiry (`null`: none).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The key's limits and credits after this request, when it has any.
    #[serde(flatten)]
    pub usage: usage::UsageView,
}

fn boolean_schema(value: bool) -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([value]))
        .build()
}
fn true_schema() -> utoipa::openapi::Object {
    boolean_schema(true)
}
fn false_schema() -> utoipa::openapi::Object {
    boolean_schema(false)
}
fn valid_schema() -> utoipa::openapi::Object {
    enum_schema([Reason::Valid.as_str()])
}
fn refusal_schema() -> utoipa::openapi::Object {
    enum_schema(
        Reason::ALL
            .iter()
            .filter(|r| **r != Reason::Valid)
            .map(|r| r.as_str()),
    )
}

impl VerifyView {
    pub fn refused(reason: Reason) -> Self {
        Self::Refused(RefusedView::from(reason))
    }
}

impl From<Reason> for RefusedView {
    fn from(reason: Reason) -> Self {
        Self {
            valid: false,
            code: reason.as_str(),
            usage: usage::UsageView::default(),
        }
    }
}

impl From<&Decision> for VerifyView {
    fn from(decision: &Decision) -> Self {
        let usage = decision
            .usage
            .as_deref()
            .map(usage::UsageView::from)
            .unwrap_or_default();
        let key = match (&decision.key, decision.is_valid()) {
            (Some(key), true) => key,
            _ => {
                return Self::Refused(RefusedView {
                    valid: false,
                    code: decision.reason.as_str(),
                    usage,
                })
            }
        };
        Self::Verified(VerifiedView {
            valid: true,
            code: decision.reason.as_str(),
            key_id: key.key_id.as_uuid(),
            owner: key.owner.as_uuid(),
            domain: key.domain.as_uuid(),
            roles: key.roles.to_strings(),
            scopes: key.scopes.to_strings(),
            expires_at: key.expires_at.map(utc),
            usage,
        })
    }
}

/// The answer of the health probes.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    /// `ok` (`/healthz`) or `ready` (`/readyz`).
    pub status: &'static str,
}
