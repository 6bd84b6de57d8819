//! ZenML's response models (`zenml.models`), rendered from core types. JSON field names and
//! shapes are exactly ZenML 0.98's: `{body, metadata, resources, id, permission_denied, name}`,
//! `metadata` only when hydrated, datetimes naive with microseconds.
//!
//! What keyward does not keep is rendered as ZenML's default: a service account's `full_name` is
//! `""`, `avatar_url` `null`, `active` `true`; `external_user_id` is the account's own id when the
//! account is external (keyward has no separate external id) and `null` otherwise.

use keyward_core::model::{ApiKey, Principal, PrincipalKind, SecretSlot};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::datetime;

/// ZenML's `Page[T]`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub index: u64,
    pub max_size: u32,
    pub total_pages: u64,
    pub total: u64,
    pub items: Vec<T>,
}

/// `{body, metadata, resources, id, permission_denied, name}`, the shape of every response.
#[derive(Debug, Serialize)]
pub struct Response<B, M> {
    pub body: B,
    pub metadata: Option<M>,
    pub resources: Option<()>,
    pub id: Uuid,
    pub permission_denied: bool,
    pub name: String,
}

/// `ServiceAccountResponse`.
pub type ServiceAccount = Response<AccountBody, AccountMetadata>;

#[derive(Debug, Serialize)]
pub struct AccountBody {
    #[serde(serialize_with = "datetime::serialize")]
    pub created: OffsetDateTime,
    #[serde(serialize_with = "datetime::serialize")]
    pub updated: OffsetDateTime,
    pub full_name: &'static str,
    pub active: bool,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AccountMetadata {
    pub description: String,
    pub external_user_id: Option<Uuid>,
}

/// A service account (a principal) as ZenML renders it.
pub fn service_account(principal: &Principal, hydrate: bool) -> ServiceAccount {
    Response {
        body: AccountBody {
            created: principal.created_at,
            updated: principal.updated_at,
            full_name: "",
            active: true,
            avatar_url: None,
        },
        metadata: hydrate.then(|| AccountMetadata {
            description: principal.description.as_str().to_owned(),
            external_user_id: external_user_id(principal),
        }),
        resources: None,
        id: principal.id.as_uuid(),
        permission_denied: false,
        name: principal.name.as_str().to_owned(),
    }
}

fn external_user_id(principal: &Principal) -> Option<Uuid> {
    principal.external.then(|| principal.id.as_uuid())
}

/// `APIKeyResponse`.
pub type ApiKeyView = Response<ApiKeyBody, ApiKeyMetadata>;

#[derive(Debug, Serialize)]
pub struct ApiKeyBody {
    #[serde(serialize_with = "datetime::serialize")]
    pub created: OffsetDateTime,
    #[serde(serialize_with = "datetime::serialize")]
    pub updated: OffsetDateTime,
    /// The plaintext secret: only in the create and rotate responses.
    pub key: Option<String>,
    pub active: bool,
    pub service_account: ServiceAccount,
}

#[derive(Debug, Serialize)]
pub struct ApiKeyMetadata {
    pub description: String,
    pub retain_period_minutes: i64,
    #[serde(serialize_with = "datetime::serialize_option")]
    pub last_login: Option<OffsetDateTime>,
    #[serde(serialize_with = "datetime::serialize_option")]
    pub last_rotated: Option<OffsetDateTime>,
}

/// A key as ZenML renders it; `secret` only right after create or rotate.
pub fn api_key(key: &ApiKey, owner: &Principal, secret: Option<&str>, hydrate: bool) -> ApiKeyView {
    Response {
        body: ApiKeyBody {
            created: key.created_at,
            updated: key.updated_at,
            key: secret.map(str::to_owned),
            active: key.state == keyward_core::model::KeyState::Enabled,
            service_account: service_account(owner, false),
        },
        metadata: hydrate.then(|| ApiKeyMetadata {
            description: key.description.as_str().to_owned(),
            retain_period_minutes: retain_period_minutes(key),
            last_login: key.last_used_at,
            last_rotated: key.last_rotated_at,
        }),
        resources: None,
        id: key.id.as_uuid(),
        permission_denied: false,
        name: key.name.as_str().to_owned(),
    }
}

/// The retain period of the last rotation, derived rather than stored: the old secret's grace
/// ends `retain` after the rotation. 0 when the last rotation kept nothing (or none happened).
/// A grace the core cut short at the key's own expiry shows as that shorter period.
pub fn retain_period_minutes(key: &ApiKey) -> i64 {
    match (key.secret(SecretSlot::Secondary), key.last_rotated_at) {
        (Some(old), Some(rotated)) => old
            .expires_at
            .map_or(0, |end| ((end - rotated).whole_seconds() + 59) / 60),
        _ => 0,
    }
}

/// `UserResponse`, for `current-user`.
#[derive(Debug, Serialize)]
pub struct UserBody {
    #[serde(serialize_with = "datetime::serialize")]
    pub created: OffsetDateTime,
    #[serde(serialize_with = "datetime::serialize")]
    pub updated: OffsetDateTime,
    pub active: bool,
    pub activation_token: Option<String>,
    pub full_name: &'static str,
    pub email_opted_in: bool,
    pub is_service_account: bool,
    pub is_admin: bool,
    pub default_project_id: Option<Uuid>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UserMetadata {
    pub password_changed_at: Option<String>,
    pub email: Option<String>,
    pub external_user_id: Option<Uuid>,
    pub user_metadata: serde_json::Map<String, serde_json::Value>,
    pub oidc_claims: serde_json::Map<String, serde_json::Value>,
}

pub fn user(
    principal: &Principal,
    is_admin: bool,
    hydrate: bool,
) -> Response<UserBody, UserMetadata> {
    Response {
        body: UserBody {
            created: principal.created_at,
            updated: principal.updated_at,
            active: true,
            activation_token: None,
            full_name: "",
            email_opted_in: false,
            is_service_account: principal.kind == PrincipalKind::ServiceAccount,
            is_admin,
            default_project_id: None,
            avatar_url: None,
        },
        metadata: hydrate.then(|| UserMetadata {
            password_changed_at: None,
            email: None,
            external_user_id: external_user_id(principal),
            user_metadata: serde_json::Map::new(),
            oidc_claims: serde_json::Map::new(),
        }),
        resources: None,
        id: principal.id.as_uuid(),
        permission_denied: false,
        name: principal.name.as_str().to_owned(),
    }
}

/// `OAuthTokenResponse`.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: Option<String>,
    pub csrf_token: Option<String>,
    pub scope: Option<String>,
    pub device_id: Option<Uuid>,
    pub device_metadata: Option<serde_json::Value>,
}
