//! A key's metered verifications: `/v1/keys/{id}/usage?from&to&granularity`. The core fills the
//! buckets and checks the range; this parses the query string and renders the series.

use std::borrow::Cow;

use axum::extract::{RawQuery, State};
use axum::Json;
use keyward_core::ids::KeyId;
use keyward_core::service::{Granularity, UsageRange};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath};
use crate::list_query::Params;
use crate::views::UsageSeriesView;
use crate::ApiState;

/// A key's verifications per UTC hour or day, by outcome. Counts are written behind: a
/// verification shows here about a second after it was made.
#[utoipa::path(get, path = "/v1/keys/{id}/usage", operation_id = "get_key_usage", tag = "keys", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Key id"),
        ("from" = Option<OffsetDateTime>, Query, description = "RFC 3339; the series starts with the bucket holding it. Default: `to` minus 24 hours (hour) or 30 days (day). Must be before `to`"),
        ("to" = Option<OffsetDateTime>, Query, description = "RFC 3339; the series ends with the bucket holding the instant before it. Default: now"),
        ("granularity" = Option<String>, Query, description = "`hour` (default; at most 744 buckets) or `day` (at most 400 buckets)"),
    ),
    responses(
        (status = 200, description = "The usage series", body = UsageSeriesView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
    RawQuery(raw): RawQuery,
) -> Result<Json<UsageSeriesView>, ApiError> {
    let mut params = Params::parse(raw.as_deref());
    let from = time_param(params.single("from")?, "from")?;
    let to = time_param(params.single("to")?, "to")?;
    let granularity = match params.single("granularity")? {
        Some(text) => Granularity::parse(&text).map_err(|e| ApiError::from(e).in_query())?,
        None => Granularity::Hour,
    };
    params.finish()?;
    let range = UsageRange {
        from,
        to,
        granularity,
    };
    let series = state
        .core
        .key_usage(&caller, id, range)
        .await
        .map_err(|e| ApiError::from(e).in_query())?;
    Ok(Json(series.into()))
}

fn time_param(
    text: Option<Cow<'_, str>>,
    field: &'static str,
) -> Result<Option<OffsetDateTime>, ApiError> {
    text.map(|text| {
        OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
            ApiError::invalid_query(field, "must be an RFC 3339 time, e.g. 2026-03-04T05:00:00Z")
        })
    })
    .transpose()
}
