//! `POST /v1/keys/{id}/credits`: add to or set a key's credit balance.

use axum::extract::State;
use axum::Json;
use keyward_core::ids::KeyId;
use keyward_core::usage::CreditsOp;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{Auth, IdPath, JsonBody};
use crate::views::KeyView;
use crate::ApiState;

/// A top-up.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopUpRequest {
    /// `add` adds `amount` to the balance (the key must have one); `set` makes `amount` the
    /// balance (a key without one gets one; credits nodes leased from the old balance lapse).
    #[schema(example = "add")]
    pub op: String,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_u64)]
    pub amount: u64,
}

/// Add to or set a key's credits; recorded as `key.credits`.
#[utoipa::path(post, path = "/v1/keys/{id}/credits", operation_id = "top_up_credits", tag = "keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    request_body = TopUpRequest,
    responses(
        (status = 200, description = "The key with its new balance", body = KeyView),
        (status = "4XX", description = "Refused (`add` to a key without credits is 400)", body = ErrorBody),
    ))]
pub async fn top_up(
    State(state): State<ApiState>,
    Auth(caller): Auth,
    IdPath(id): IdPath<KeyId>,
    JsonBody(body): JsonBody<TopUpRequest>,
) -> Result<Json<KeyView>, ApiError> {
    let op = CreditsOp::parse(&body.op, body.amount)?;
    let key = state.core.top_up_credits(&caller, id, op).await?;
    Ok(Json(key.into()))
}
