//! `/v1/principals`: the users and service accounts that own keys.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::ids::{DomainId, PrincipalId};
use keyward_core::model::{Description, Name, PrincipalKind};
use keyward_core::query::{PrincipalField, Sort};
use keyward_core::service::{NewPrincipal, PrincipalPatch};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath, JsonBody};
use crate::field_schemas::{description_schema, name_schema, nullable_description_schema};
use crate::list_query::ListParams;
use crate::views::usage::{self, QuotaBody, RateLimitBody};
use crate::views::{principal_kind_schema, ListView, PrincipalView};
use crate::ApiState;

/// A principal to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePrincipalRequest {
    #[schema(schema_with = principal_kind_schema)]
    pub kind: String,
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = nullable_description_schema)]
    pub description: Option<String>,
    /// Created by an external authority: its keys cannot be managed through this API.
    #[serde(default)]
    pub external: bool,
    /// Default: the domain of the caller's key.
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub domain_id: Option<String>,
    /// Rate limits shared by all of the principal's keys (at most 16).
    #[serde(default)]
    pub rate_limits: Option<Vec<RateLimitBody>>,
    /// Quotas shared by all of the principal's keys (at most 16).
    #[serde(default)]
    pub quotas: Option<Vec<QuotaBody>>,
}

/// Fields to change; at least one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
/// `null` is refused: a name cannot be removed.
pub struct UpdatePrincipalRequest {
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = name_schema)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    /// Replaces the rate limits (`[]` removes them).
    #[serde(default, deserialize_with = "super::not_null")]
    pub rate_limits: Option<Vec<RateLimitBody>>,
    /// Replaces the quotas (`[]` removes them).
    #[serde(default, deserialize_with = "super::not_null")]
    pub quotas: Option<Vec<QuotaBody>>,
}

/// Create a principal.
#[utoipa::path(post, path = "/v1/principals", operation_id = "create_principal", tag = "principals", security(("bearer" = [])),
    request_body = CreatePrincipalRequest,
    responses(
        (status = 201, description = "Created", body = PrincipalView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<CreatePrincipalRequest>,
) -> Result<(StatusCode, Json<PrincipalView>), ApiError> {
    let input = NewPrincipal {
        domain: body.domain_id.as_deref().map(DomainId::parse).transpose()?,
        kind: PrincipalKind::parse(&body.kind)?,
        name: Name::parse("name", body.name)?,
        description: Description::parse("description", body.description.unwrap_or_default())?,
        external: body.external,
        limits: usage::limits(body.rate_limits, body.quotas)?,
    };
    let principal = state.core.create_principal(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(principal.into())))
}

/// List principals.
///
/// Filters: `field=[op:]value` on `id`, `name`, `description`, `kind`,
/// `external`, `created_at`, `updated_at`.
#[utoipa::path(get, path = "/v1/principals", operation_id = "list_principals", tag = "principals", security(("bearer" = [])),
    params(
        ("domain_id" = Option<Uuid>, Query, description = "Default: the caller's domain"),
        ("sort" = Option<String>, Query, description = "`id`, `name`, `created_at` (default), `updated_at`; `-` prefix for descending"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 50)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of principals", body = ListView<PrincipalView>),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListView<PrincipalView>>, ApiError> {
    let default_sort = Sort {
        field: PrincipalField::CreatedAt,
        descending: false,
    };
    let query = ListParams::parse(raw.as_deref())?.into_query(&caller, default_sort);
    let page = state
        .core
        .list_principals(&caller, query)
        .await
        .map_err(|e| ApiError::from(e).in_query())?;
    Ok(Json(page.into()))
}

/// Get a principal.
#[utoipa::path(get, path = "/v1/principals/{id}", operation_id = "get_principal", tag = "principals", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Principal id")),
    responses(
        (status = 200, description = "The principal", body = PrincipalView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<PrincipalId>,
) -> Result<Json<PrincipalView>, ApiError> {
    Ok(Json(state.core.get_principal(&caller, id).await?.into()))
}

/// Rename or describe a principal.
#[utoipa::path(patch, path = "/v1/principals/{id}", operation_id = "update_principal", tag = "principals", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Principal id")),
    request_body = UpdatePrincipalRequest,
    responses(
        (status = 200, description = "The updated principal", body = PrincipalView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<PrincipalId>,
    JsonBody(body): JsonBody<UpdatePrincipalRequest>,
) -> Result<Json<PrincipalView>, ApiError> {
    let patch = PrincipalPatch {
        name: body.name.map(|n| Name::parse("name", n)).transpose()?,
        description: body
            .description
            .map(|d| Description::parse("description", d))
            .transpose()?,
        rate_limits: body.rate_limits.map(usage::rate_limits).transpose()?,
        quotas: body.quotas.map(usage::quotas).transpose()?,
    };
    let principal = state.core.update_principal(&caller, id, patch).await?;
    Ok(Json(principal.into()))
}

/// Delete a principal that owns no keys (409 otherwise).
#[utoipa::path(delete, path = "/v1/principals/{id}", operation_id = "delete_principal", tag = "principals", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Principal id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<PrincipalId>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_principal(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
