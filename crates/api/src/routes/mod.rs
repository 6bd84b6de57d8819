//! The handlers, one file per resource. Each parses the wire format into core types, calls one
//! `Keyward` method, and renders a view; the `#[utoipa::path]` on each is its OpenAPI entry.
//! `check_request` holds what both verification doors (`verify`, `gateway`) read alike. `docs`
//! serves the interactive API reference (`/docs`) from assets embedded in the binary.

pub mod access_keys;
pub(crate) mod check_request;
pub mod docs;
pub mod domains;
pub mod gateway;
pub mod health;
mod key_bodies;
pub mod key_credits;
pub mod key_usage;
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

/// A non-negative whole number, also when written with a zero fraction (`5.0`): JSON Schema
/// counts that an integer, so clients generated from the document may send it.
pub(crate) fn whole_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_u64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19)
                .map(|f| f as u64)
        })
        .ok_or_else(|| serde::de::Error::custom("must be a whole number, 0 or more"))
}

/// [`whole_u64`] for an optional field (`null` or absent: `None`).
pub(crate) fn opt_whole_u64<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_u64")] u64);
    Ok(Option::<Whole>::deserialize(deserializer)?.map(|w| w.0))
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
