//! The change log: `/v1/operations`, `/v1/operations/{id}`, `/v1/keys/{id}/operations`.
//! Newest first; the cursor is the id of the last operation of the page.

use axum::extract::{RawQuery, State};
use axum::Json;
use keyward_core::ids::{DomainId, KeyId, OperationId};
use keyward_core::query::OperationQuery;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath};
use crate::list_query::Params;
use crate::views::{ListView, OperationView};
use crate::ApiState;

/// List the change log of a domain (default: the caller's), newest first.
#[utoipa::path(get, path = "/v1/operations", operation_id = "list_operations", tag = "operations", security(("bearer" = [])),
    params(
        ("domain_id" = Option<Uuid>, Query, description = "Default: the caller's domain"),
        ("action" = Option<String>, Query, description = "Only this action, e.g. `key.rotate`"),
        ("target_id" = Option<Uuid>, Query, description = "Only changes to this object"),
        ("all_domains" = Option<bool>, Query, description = "Every domain (root only; ignored with `domain_id`)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 50)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of operations", body = ListView<OperationView>),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListView<OperationView>>, ApiError> {
    let mut params = Params::parse(raw.as_deref());
    let domain = params.uuid("domain_id")?.map(DomainId::from_uuid);
    let action = params.single("action")?.map(|a| a.into_owned());
    let target_id = params.uuid("target_id")?;
    let all_domains = params.flag("all_domains")?;
    let before = params.uuid("cursor")?;
    let limit = params.limit()?;
    params.finish()?;
    let query = OperationQuery {
        domain,
        target_id,
        action,
        before,
        limit,
    };
    let page = state
        .core
        .list_operations(&caller, query, all_domains)
        .await
        .map_err(|e| ApiError::from(e).in_query())?;
    Ok(Json(page.into()))
}

/// Get one operation.
#[utoipa::path(get, path = "/v1/operations/{id}", operation_id = "get_operation", tag = "operations", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Operation id")),
    responses(
        (status = 200, description = "The operation", body = OperationView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<OperationId>,
) -> Result<Json<OperationView>, ApiError> {
    Ok(Json(state.core.get_operation(&caller, id).await?.into()))
}

/// The change log of one key, newest first.
#[utoipa::path(get, path = "/v1/keys/{id}/operations", operation_id = "list_key_operations", tag = "operations", security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Key id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 50)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of operations", body = ListView<OperationView>),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn list_for_key(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListView<OperationView>>, ApiError> {
    let mut params = Params::parse(raw.as_deref());
    let before = params.uuid("cursor")?;
    let limit = params.limit()?;
    params.finish()?;
    let page = state
        .core
        .list_key_operations(&caller, id, before, limit)
        .await
        .map_err(|e| ApiError::from(e).in_query())?;
    Ok(Json(page.into()))
}
