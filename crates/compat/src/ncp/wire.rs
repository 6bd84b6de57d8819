//! NCP API Gateway's request and response bodies (camelCase on the wire), and the rendering of
//! core values into them. Key values: NCP shows `primaryKey`/`secondaryKey` in every answer;
//! keyward shows a secret only in the answer that created or regenerated it and a masked hint
//! (`kw_…abcd`) everywhere else — the one deliberate difference (docs/compat-ncp.md).

use keyward_core::model::{ApiKey, KeyState, SecretSlot, Subscription};
use serde::{Deserialize, Serialize};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// NCP's times: `2024-05-08T00:21:31Z`.
const NCP_TIME: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// The fixed `domainCode` of NCP's public region; keyward's tenant is `tenantId`.
pub const DOMAIN_CODE: &str = "PUB";

pub fn ncp_time(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(NCP_TIME)
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateApiKey {
    pub api_key_name: String,
    #[serde(default)]
    pub api_key_description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateApiKey {
    #[serde(default)]
    pub api_key_name: Option<String>,
    #[serde(default)]
    pub api_key_description: Option<String>,
    #[serde(default)]
    pub is_enabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Regenerate {
    pub key_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductRef {
    pub product_id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchApiKeys {
    #[serde(default)]
    pub product_id: Option<String>,
    #[serde(default)]
    pub api_key_name: Option<String>,
    #[serde(default)]
    pub status_set: Vec<String>,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub limit: Option<u64>,
}

/// `POST /products/{product-id}/api-keys/search` (the seed). No `Debug`: `api_key_value` is a secret.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchProductKeys {
    #[serde(default)]
    pub api_key_id: Option<String>,
    #[serde(default)]
    pub api_key_value: Option<String>,
    #[serde(default)]
    pub status_set: Vec<String>,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub limit: Option<u64>,
}

#[derive(Debug, Deserialize)]
pub struct StatusChange {
    pub status: String,
}

/// The plaintext secrets an answer may show: only those just created or regenerated.
#[derive(Default)]
pub struct Shown<'a> {
    pub primary: Option<&'a str>,
    pub secondary: Option<&'a str>,
}

fn key_value(key: &ApiKey, slot: SecretSlot, shown: Option<&str>) -> Option<String> {
    shown
        .map(str::to_owned)
        .or_else(|| key.secret(slot).map(|s| s.hint.clone()))
}

/// NCP's `ApiKey` object.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyBody {
    pub api_key_id: String,
    pub tenant_id: String,
    pub api_key_name: String,
    pub api_key_description: String,
    pub primary_key: Option<String>,
    pub secondary_key: Option<String>,
    pub modifier: String,
    pub is_enabled: bool,
    pub reg_time: String,
    pub mod_time: String,
    pub domain_code: &'static str,
}

impl ApiKeyBody {
    pub fn render(key: &ApiKey, shown: &Shown<'_>) -> Self {
        Self {
            api_key_id: key.id.to_string(),
            tenant_id: key.domain.to_string(),
            api_key_name: key.name.as_str().to_owned(),
            api_key_description: key.description.as_str().to_owned(),
            primary_key: key_value(key, SecretSlot::Primary, shown.primary),
            secondary_key: key_value(key, SecretSlot::Secondary, shown.secondary),
            modifier: key.owner.to_string(),
            is_enabled: key.state == KeyState::Enabled,
            reg_time: ncp_time(key.created_at),
            mod_time: ncp_time(key.updated_at),
            domain_code: DOMAIN_CODE,
        }
    }
}

/// `{"apiKey": ApiKey}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyEnvelope {
    pub api_key: ApiKeyBody,
}

/// `GET /api-keys` and `POST /api-keys/search`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyList {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_count: Option<u64>,
    pub total: u64,
    pub api_keys: Vec<ApiKeyBody>,
}

/// One row of a product's key search: the key and its subscription status.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductKeyBody {
    pub api_key_id: String,
    pub api_key_name: String,
    pub primary_key: Option<String>,
    pub secondary_key: Option<String>,
    pub status: &'static str,
    pub domain_code: &'static str,
    pub reg_time: String,
    pub mod_time: String,
}

impl ProductKeyBody {
    pub fn render(key: &ApiKey, subscription: &Subscription) -> Self {
        Self {
            api_key_id: key.id.to_string(),
            api_key_name: key.name.as_str().to_owned(),
            primary_key: key_value(key, SecretSlot::Primary, None),
            secondary_key: key_value(key, SecretSlot::Secondary, None),
            status: subscription.status.as_str(),
            domain_code: DOMAIN_CODE,
            reg_time: ncp_time(subscription.created_at),
            mod_time: ncp_time(subscription.updated_at),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProductKeyPage {
    pub total: u64,
    pub content: Vec<ProductKeyBody>,
}

/// `{"apiKeyPage": {"total", "content"}}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductKeySearch {
    pub api_key_page: ProductKeyPage,
}

/// The answer to subscribe: the subscription as it now stands.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionBody {
    pub api_key_id: String,
    pub product_id: String,
    pub status: &'static str,
    pub reg_time: String,
    pub mod_time: String,
}

impl From<&Subscription> for SubscriptionBody {
    fn from(s: &Subscription) -> Self {
        Self {
            api_key_id: s.key_id.to_string(),
            product_id: s.product_id.to_string(),
            status: s.status.as_str(),
            reg_time: ncp_time(s.created_at),
            mod_time: ncp_time(s.updated_at),
        }
    }
}
