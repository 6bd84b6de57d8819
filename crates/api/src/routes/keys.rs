//! `/v1/keys`: the key lifecycle. Bodies and their conversion live in `key_bodies.rs`.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::ids::KeyId;
use keyward_core::model::KeyState;
use keyward_core::query::{KeyField, Sort};
use keyward_core::service::{KeyPatch, NewKey};
use time::Duration;

pub use super::key_bodies::{CidrInput, CreateKeyRequest, RotateKeyRequest, UpdateKeyRequest};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath, JsonBody, OptionalJsonBody};
use crate::list_query::ListParams;
use crate::views::{CreatedKeyView, KeyView, ListView};
use crate::ApiState;

/// Create a key. The answer holds its secret, the only time it is ever shown.
#[utoipa::path(post, path = "/v1/keys", operation_id = "create_key", tag = "keys", security(("bearer" = [])),
    request_body = CreateKeyRequest,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = CreatedKeyView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    JsonBody(body): JsonBody<CreateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKeyView>), ApiError> {
    let input = NewKey::try_from(body)?;
    let created = state.core.create_key(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// List keys.
///
/// Filters: `field=[op:]value` on `id`, `name`, `description`, `owner`, `type`,
/// `state`, `role`, `scope`, `created_at`, `updated_at`, `expires_at`, `last_used_at`,
/// `last_rotated_at`; operators `eq` (default), `ne`, `lt`, `lte`, `gt`, `gte`, `contains`,
/// `not_contains`, `starts_with`, `ends_with`, `in`, `not_in`, `is_null`, `is_not_null`.
#[utoipa::path(get, path = "/v1/keys", operation_id = "list_keys", tag = "keys", security(("bearer" = [])),
    params(
        ("domain_id" = Option<Uuid>, Query, description = "Default: the caller's domain"),
        ("sort" = Option<String>, Query, description = "`id`, `name`, `owner`, `type`, `state`, `created_at`, `updated_at`, `expires_at`, `last_used_at`, `last_rotated_at`; `-` prefix for descending (default `-created_at`)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size, 1–1000 (default 50)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of keys", body = ListView<KeyView>),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    RawQuery(raw): RawQuery,
) -> Result<Json<ListView<KeyView>>, ApiError> {
    let default_sort = Sort {
        field: KeyField::CreatedAt,
        descending: true,
    };
    let query = ListParams::parse(raw.as_deref())?.into_query(&caller, default_sort);
    let page = state
        .core
        .list_keys(&caller, query)
        .await
        .map_err(|e| ApiError::from(e).in_query())?;
    Ok(Json(page.into()))
}

/// Get a key.
#[utoipa::path(get, path = "/v1/keys/{id}", operation_id = "get_key", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
) -> Result<Json<KeyView>, ApiError> {
    Ok(Json(state.core.get_key(&caller, id).await?.into()))
}

/// Change a key's fields.
#[utoipa::path(patch, path = "/v1/keys/{id}", operation_id = "update_key", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    request_body = UpdateKeyRequest,
    responses(
        (status = 200, description = "The updated key", body = KeyView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
    JsonBody(body): JsonBody<UpdateKeyRequest>,
) -> Result<Json<KeyView>, ApiError> {
    let patch = KeyPatch::try_from(body)?;
    Ok(Json(
        state.core.update_key(&caller, id, patch).await?.into(),
    ))
}

/// Delete a key; its secrets stop verifying at once.
#[utoipa::path(delete, path = "/v1/keys/{id}", operation_id = "delete_key", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_key(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enable a key (no change if it already is).
#[utoipa::path(post, path = "/v1/keys/{id}/enable", operation_id = "enable_key", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn enable(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
) -> Result<Json<KeyView>, ApiError> {
    let key = state
        .core
        .set_key_state(&caller, id, KeyState::Enabled)
        .await?;
    Ok(Json(key.into()))
}

/// Disable a key: it stops verifying at once (no change if it already is disabled).
#[utoipa::path(post, path = "/v1/keys/{id}/disable", operation_id = "disable_key", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn disable(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
) -> Result<Json<KeyView>, ApiError> {
    let key = state
        .core
        .set_key_state(&caller, id, KeyState::Disabled)
        .await?;
    Ok(Json(key.into()))
}

/// Issue a new primary secret; the old one stays valid for `grace_seconds` as the secondary.
#[utoipa::path(post, path = "/v1/keys/{id}/rotate", operation_id = "rotate_key", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    request_body(content = RotateKeyRequest, description = "May be left out (grace 0); never `null`"),
    responses(
        (status = 200, description = "The key and its new secret, shown this once", body = CreatedKeyView),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn rotate(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
    OptionalJsonBody(body): OptionalJsonBody<RotateKeyRequest>,
) -> Result<Json<CreatedKeyView>, ApiError> {
    let grace = Duration::seconds(body.map_or(0, |b| b.grace_seconds));
    let created = state.core.rotate_key(&caller, id, grace).await?;
    Ok(Json(created.into()))
}
