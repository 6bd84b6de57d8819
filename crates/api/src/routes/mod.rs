//! The handlers, one file per resource. Each parses the wire format into core types, calls one
//! `Keyward` method, and renders a view; the `#[utoipa::path]` on each is its OpenAPI entry.
//! `check_request` holds what both verification doors (`verify`, `gateway`) read alike.

pub mod access_keys;
mod check_request;
pub mod domains;
pub mod gateway;
pub mod health;
mod key_bodies;
pub mod key_credits;
pub mod keys;
pub mod operations;
pub mod principals;
pub mod products;
mod rate_limit_headers;
pub mod usage_plans;
pub mod verify;

use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

use crate::error::ApiError;

/// Unknown routes: 404 in the API's error shape.
pub async fn route_not_found() -> ApiError {
    ApiError::route_not_found()
}

/// Known routes, wrong method: 405 in the API's error shape.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// For PATCH bodies: an absent field is `None`, an explicit `null` is `Some(None)`.
pub(crate) fn nullable_time<'de, D>(
    deserializer: D,
) -> Result<Option<Option<OffsetDateTime>>, D::Error>
where
    D: Deserializer<'de>,
{
    time::serde::rfc3339::option::deserialize(deserializer).map(Some)
}

/// For PATCH bodies: an absent field is `None`; `null` is refused (the field cannot be removed).
pub(crate) fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// For PATCH bodies: an absent field is `None`, an explicit `null` is `Some(None)`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// For PATCH bodies: an absent field is `None`, an explicit `null` is `Some(Value::Null)`.
pub(crate) fn nullable_json<'de, D>(deserializer: D) -> Result<Option<serde_json::Value>, D::Error>
where
    D: Deserializer<'de>,
{
    serde_json::Value::deserialize(deserializer).map(Some)
}
