//! `/v1/domains`: tenants. Root manages them; a domain admin sees its own.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::ids::DomainId;
use keyward_core::model::{Description, Name};
use keyward_core::service::{DomainPatch, NewDomain};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath, JsonBody};
use crate::field_schemas::{description_schema, name_schema, nullable_description_schema};
use crate::list_query::Params;
use crate::views::{DomainView, ListView};
use crate::ApiState;

/// A domain to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDomainRequest {
    #[schema(schema_with = name_schema)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = nullable_description_schema)]
    pub description: Option<String>,
}

/// Fields to change; at least one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
/// `null` is refused: a name cannot be removed.
pub struct UpdateDomainRequest {
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = name_schema)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
}

/// Create a domain (root only).
#[utoipa::path(post, path = "/v1/domains", operation_id = "create_domain", tag = "domains", security(("bearer" = [])),
    request_body = CreateDomainRequest,
    responses(
        (status = 201, description = "Created", body = DomainView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<CreateDomainRequest>,
) -> Result<(StatusCode, Json<DomainView>), ApiError> {
    let input = NewDomain {
        name: Name::parse("name", body.name)?,
        description: Description::parse("description", body.description.unwrap_or_default())?,
    };
    let domain = state.core.create_domain(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(domain.into())))
}

/// List domains, ordered by id (a domain admin sees only its own).
#[utoipa::path(get, path = "/v1/domains", operation_id = "list_domains", tag = "domains", security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 50)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of domains", body = ListView<DomainView>),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListView<DomainView>>, ApiError> {
    let mut params = Params::parse(raw.as_deref());
    let limit = params.limit()?;
    let after = params.uuid("cursor")?.map(DomainId::from_uuid);
    params.finish()?;
    let page = state
        .core
        .list_domains(&caller, after, limit)
        .await
        .map_err(|e| ApiError::from(e).in_query())?;
    Ok(Json(page.into()))
}

/// Get a domain.
#[utoipa::path(get, path = "/v1/domains/{id}", operation_id = "get_domain", tag = "domains", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Domain id")),
    responses(
        (status = 200, description = "The domain", body = DomainView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<DomainId>,
) -> Result<Json<DomainView>, ApiError> {
    Ok(Json(state.core.get_domain(&caller, id).await?.into()))
}

/// Rename or describe a domain (root only).
#[utoipa::path(patch, path = "/v1/domains/{id}", operation_id = "update_domain", tag = "domains", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Domain id")),
    request_body = UpdateDomainRequest,
    responses(
        (status = 200, description = "The updated domain", body = DomainView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<DomainId>,
    JsonBody(body): JsonBody<UpdateDomainRequest>,
) -> Result<Json<DomainView>, ApiError> {
    let patch = DomainPatch {
        name: body.name.map(|n| Name::parse("name", n)).transpose()?,
        description: body
            .description
            .map(|d| Description::parse("description", d))
            .transpose()?,
    };
    Ok(Json(
        state.core.update_domain(&caller, id, patch).await?.into(),
    ))
}

/// Delete an empty domain (root only; 409 while it has principals).
#[utoipa::path(delete, path = "/v1/domains/{id}", operation_id = "delete_domain", tag = "domains", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Domain id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<DomainId>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_domain(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
