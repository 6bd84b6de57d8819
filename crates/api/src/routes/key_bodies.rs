//! The request bodies of `/v1/keys` and their conversion into the core's validated types.

use keyward_core::error::ValidationError;
use keyward_core::ids::PrincipalId;
use keyward_core::model::{AllowedCidr, Description, KeyState, KeyType, Metadata, Name, TokenSet};
use keyward_core::service::{KeyPatch, NewKey};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::field_schemas::{cidr_name_schema, cidr_schema};
use crate::field_schemas::{
    description_schema, name_schema, nullable_description_schema, nullable_tokens_schema,
    tokens_schema,
};
use crate::views::usage::{self, CreditsBody, QuotaBody, RateLimitBody};
use crate::views::{key_state_schema, key_type_schema};

/// One allowed client network: a CIDR (`10.0.0.0/8`) or a single address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CidrInput {
    #[serde(default)]
    #[schema(schema_with = cidr_name_schema)]
    pub name: Option<String>,
    #[schema(schema_with = cidr_schema)]
    pub cidr: String,
}

/// A key to create. Defaults: `type` `user`, `state` `enabled`, nothing else set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    #[schema(value_type = Uuid)]
    pub owner_id: String,
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = nullable_description_schema)]
    pub description: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "super::not_null")]
    #[schema(schema_with = key_type_schema)]
    pub key_type: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = key_state_schema)]
    pub state: Option<String>,
    #[serde(default)]
    #[schema(schema_with = nullable_tokens_schema)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    #[schema(schema_with = nullable_tokens_schema)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub allowed_cidrs: Option<Vec<CidrInput>>,
    /// RFC 3339; `null` or absent: never expires.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// A JSON object of at most 16 KiB. At any depth, keys hold no control character and
    /// strings none but tab, line feed and carriage return.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Rolling-window limits (at most 16).
    #[serde(default)]
    pub rate_limits: Option<Vec<RateLimitBody>>,
    /// Calendar-window limits (at most 16).
    #[serde(default)]
    pub quotas: Option<Vec<QuotaBody>>,
    /// A credit balance; absent or `null`: unlimited.
    #[serde(default)]
    pub credits: Option<CreditsBody>,
}

/// Fields to change; at least one. `"expires_at": null` removes the expiry and
/// `"metadata": null` clears the metadata; `null` for any other field is refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyRequest {
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = name_schema)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "super::not_null")]
    #[schema(schema_with = key_type_schema)]
    pub key_type: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = tokens_schema)]
    pub roles: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = tokens_schema)]
    pub scopes: Option<Vec<String>>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(value_type = Vec<CidrInput>)]
    pub allowed_cidrs: Option<Vec<CidrInput>>,
    #[serde(default, deserialize_with = "super::nullable_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Option<OffsetDateTime>>,
    /// `null` clears it; else a JSON object of at most 16 KiB. At any depth, keys hold no control character and
    /// strings none but tab, line feed and carriage return.
    #[serde(default, deserialize_with = "super::nullable_json")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Replaces the rate limits (`[]` removes them).
    #[serde(default, deserialize_with = "super::not_null")]
    pub rate_limits: Option<Vec<RateLimitBody>>,
    /// Replaces the quotas (`[]` removes them).
    #[serde(default, deserialize_with = "super::not_null")]
    pub quotas: Option<Vec<QuotaBody>>,
    /// Sets the balance (credits leased from the old one lapse); `null` removes it.
    #[serde(default, deserialize_with = "super::nullable")]
    pub credits: Option<Option<CreditsBody>>,
}

/// `POST /v1/keys/{id}/rotate`; the body may be left out.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyRequest {
    /// How long the old secret keeps verifying: 0–31536000 seconds (default 0: stops at once).
    /// A whole number; `30.0` is read as 30, as JSON Schema counts it an integer.
    #[serde(default, deserialize_with = "whole_seconds")]
    #[schema(minimum = 0, maximum = 31_536_000)]
    pub grace_seconds: i64,
}

/// `grace_seconds`: any JSON number with no fraction that fits an `i64` (`1.0` included).
fn whole_seconds<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                .map(|f| f as i64)
        })
        .ok_or_else(|| serde::de::Error::custom("must be a whole number of seconds"))
}

fn tokens(field: &'static str, items: Vec<String>) -> Result<TokenSet, ValidationError> {
    TokenSet::parse(field, items)
}

fn cidrs(items: Vec<CidrInput>) -> Result<Vec<AllowedCidr>, ValidationError> {
    items
        .into_iter()
        .map(|item| AllowedCidr::parse(item.name, &item.cidr))
        .collect()
}

impl TryFrom<CreateKeyRequest> for NewKey {
    type Error = ValidationError;

    fn try_from(body: CreateKeyRequest) -> Result<Self, ValidationError> {
        let owner = PrincipalId::parse(&body.owner_id)
            .map_err(|_| ValidationError::new("owner_id", "must be a UUID"))?;
        let mut key = NewKey::named(owner, Name::parse("name", body.name)?);
        if let Some(text) = body.description {
            key.description = Description::parse("description", text)?;
        }
        if let Some(text) = body.key_type {
            key.key_type = KeyType::parse(&text)?;
        }
        if let Some(text) = body.state {
            key.state = KeyState::parse(&text)?;
        }
        if let Some(items) = body.roles {
            key.roles = tokens("roles", items)?;
        }
        if let Some(items) = body.scopes {
            key.scopes = tokens("scopes", items)?;
        }
        if let Some(items) = body.allowed_cidrs {
            key.allowed_cidrs = cidrs(items)?;
        }
        key.expires_at = body.expires_at;
        if let Some(value) = body.metadata {
            key.metadata = Metadata::parse("metadata", value)?;
        }
        key.limits = usage::limits(body.rate_limits, body.quotas)?;
        key.credits = body
            .credits
            .map(|c| usage::credits(c, OffsetDateTime::now_utc()))
            .transpose()?;
        Ok(key)
    }
}

impl TryFrom<UpdateKeyRequest> for KeyPatch {
    type Error = ValidationError;

    fn try_from(body: UpdateKeyRequest) -> Result<Self, ValidationError> {
        Ok(KeyPatch {
            name: body.name.map(|n| Name::parse("name", n)).transpose()?,
            description: body
                .description
                .map(|d| Description::parse("description", d))
                .transpose()?,
            key_type: body.key_type.as_deref().map(KeyType::parse).transpose()?,
            roles: body.roles.map(|r| tokens("roles", r)).transpose()?,
            scopes: body.scopes.map(|s| tokens("scopes", s)).transpose()?,
            allowed_cidrs: body.allowed_cidrs.map(cidrs).transpose()?,
            expires_at: body.expires_at,
            metadata: body
                .metadata
                .map(|m| Metadata::parse("metadata", m))
                .transpose()?,
            state: None,
            rate_limits: body.rate_limits.map(usage::rate_limits).transpose()?,
            quotas: body.quotas.map(usage::quotas).transpose()?,
            credits: body
                .credits
                .map(|c| {
                    c.map(|c| usage::credits(c, OffsetDateTime::now_utc()))
                        .transpose()
                })
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(json: &str) -> KeyPatch {
        let body: UpdateKeyRequest = crate::json::parse(json.as_bytes()).expect("parses");
        KeyPatch::try_from(body).expect("valid")
    }

    #[test]
    fn expires_at_distinguishes_absent_from_null() {
        assert_eq!(patch(r#"{"name": "x"}"#).expires_at, None);
        assert_eq!(patch(r#"{"expires_at": null}"#).expires_at, Some(None));
        let set = patch(r#"{"expires_at": "2030-01-01T00:00:00Z"}"#).expires_at;
        assert!(matches!(set, Some(Some(_))));
    }

    #[test]
    fn null_metadata_clears_it() {
        let cleared = patch(r#"{"metadata": null}"#).metadata.expect("present");
        assert!(cleared.as_map().is_empty());
        assert!(patch(r#"{"name": "x"}"#).metadata.is_none());
    }

    #[test]
    fn create_bodies_fill_defaults_and_validate() {
        let body: CreateKeyRequest = crate::json::parse(
            br#"{"owner_id": "0190a0a0-0000-7000-8000-000000000001", "name": "ci",
                 "allowed_cidrs": [{"cidr": "10.1.2.3/8"}], "roles": ["a"]}"#,
        )
        .expect("parses");
        let key = NewKey::try_from(body).expect("valid");
        assert_eq!(key.key_type, KeyType::User);
        assert_eq!(key.state, KeyState::Enabled);
        assert_eq!(key.allowed_cidrs[0].cidr.to_string(), "10.0.0.0/8");
        let body: CreateKeyRequest =
            crate::json::parse(br#"{"owner_id": "nope", "name": "ci"}"#).expect("parses");
        assert_eq!(
            NewKey::try_from(body).expect_err("bad owner").field,
            "owner_id"
        );
        let body: CreateKeyRequest = crate::json::parse(
            br#"{"owner_id": "0190a0a0-0000-7000-8000-000000000001", "name": "ci", "type": "admin"}"#,
        )
        .expect("parses");
        assert_eq!(NewKey::try_from(body).expect_err("bad type").field, "type");
    }
}
