//! Core keys as the vendor's `APIKeyInfo`, with the `only` and `minimal` projections.

use keyward_core::model::{ApiKey, KeyState, KeyType};
use prost_types::Timestamp;
use time::OffsetDateTime;

use super::error::SpaceoneError;
use super::proto::identity::{api_key_info, create_api_key_request, Acls, ApiKeyInfo};

/// Every field an `APIKeyInfo` has, for checking `only`.
const INFO_FIELDS: &[&str] = &[
    "api_key_id",
    "api_key",
    "state",
    "user_id",
    "domain_id",
    "allowed_hosts",
    "last_accessed_at",
    "created_at",
];

/// The vendor's `minimal_fields` of an API key.
const MINIMAL: &[&str] = &["api_key_id", "state", "user_id"];

pub fn timestamp(at: OffsetDateTime) -> Timestamp {
    Timestamp {
        seconds: at.unix_timestamp(),
        nanos: i32::try_from(at.nanosecond()).unwrap_or(0),
    }
}

/// A time as RFC 3339 text in UTC, as statistics answer it.
pub fn iso(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub fn state(state: KeyState) -> api_key_info::State {
    match state {
        KeyState::Enabled => api_key_info::State::Enabled,
        KeyState::Disabled => api_key_info::State::Disabled,
    }
}

/// The wire type of a create request, as the core's; `NONE` is refused.
pub fn key_type(wire: create_api_key_request::ApiKeyType) -> Result<KeyType, SpaceoneError> {
    use create_api_key_request::ApiKeyType as T;
    match wire {
        T::User => Ok(KeyType::User),
        T::System => Ok(KeyType::System),
        T::Delegation => Ok(KeyType::Delegation),
        T::Domain => Ok(KeyType::Domain),
        T::None => Err(SpaceoneError::invalid(
            "api_key_type",
            "must be one of USER SYSTEM DELEGATION DOMAIN",
        )),
    }
}

/// A key as the vendor renders it. The secret (`api_key`) is set only by `create`.
pub fn api_key(key: &ApiKey) -> ApiKeyInfo {
    ApiKeyInfo {
        api_key_id: key.id.to_string(),
        api_key: String::new(),
        state: state(key.state) as i32,
        user_id: key.owner.to_string(),
        domain_id: key.domain.to_string(),
        allowed_hosts: key
            .allowed_cidrs
            .iter()
            .map(|acl| Acls {
                name: acl
                    .name
                    .as_ref()
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default(),
                cidr: acl.cidr.to_string(),
            })
            .collect(),
        last_accessed_at: key.last_used_at.map(timestamp),
        created_at: Some(timestamp(key.created_at)),
    }
}

/// Checks `only` names fields of an `APIKeyInfo`.
pub fn check_only(only: &[String]) -> Result<(), SpaceoneError> {
    match only.iter().find(|f| !INFO_FIELDS.contains(&f.as_str())) {
        Some(bad) => Err(SpaceoneError::invalid(
            "only",
            &format!("unknown field `{bad}`; one of: {}", INFO_FIELDS.join(" ")),
        )),
        None => Ok(()),
    }
}

/// Keeps the fields `only` names (all when empty), or the minimal ones when `minimal`.
pub fn project(mut info: ApiKeyInfo, only: &[String], minimal: bool) -> ApiKeyInfo {
    let keep = |name: &str| {
        if !only.is_empty() {
            only.iter().any(|f| f == name)
        } else {
            !minimal || MINIMAL.contains(&name)
        }
    };
    if !keep("api_key_id") {
        info.api_key_id.clear();
    }
    if !keep("state") {
        info.state = 0;
    }
    if !keep("user_id") {
        info.user_id.clear();
    }
    if !keep("domain_id") {
        info.domain_id.clear();
    }
    if !keep("allowed_hosts") {
        info.allowed_hosts.clear();
    }
    if !keep("last_accessed_at") {
        info.last_accessed_at = None;
    }
    if !keep("created_at") {
        info.created_at = None;
    }
    info
}
