//! `/v1/keys/{id}/access-keys` and `/v1/access-keys/{id}`: access keys for signed requests (NCP
//! signature v2), acting with the authority of key `{id}`. The secret key is shown once, in the
//! answer to create; keyward stores it sealed under the master key (`KEYWARD_MASTER_KEY`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use keyward_core::ids::KeyId;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath};
use crate::views::CreatedAccessKeyView;
use crate::ApiState;

/// Create an access key for a key.
#[utoipa::path(post, path = "/v1/keys/{id}/access-keys", operation_id = "create_access_key", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id whose authority signed requests carry")),
    responses(
        (status = 201, description = "Created; `secret_key` is shown this once", body = CreatedAccessKeyView),
        (status = "4XX", description = "Refused (403 when no master key is configured)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
) -> Result<(StatusCode, Json<CreatedAccessKeyView>), ApiError> {
    let created = state.core.create_access_key(&caller, id).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Delete an access key; its signatures stop being accepted at once.
#[utoipa::path(delete, path = "/v1/access-keys/{id}", operation_id = "delete_access_key", tag = "keys", security(("bearer" = [])),
    params(("id" = String, Path, description = "Access key id (`KWAK…`)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = "4XX", description = "Refused", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_access_key(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
