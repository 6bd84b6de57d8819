//! `POST /v1/keys/verify`: the data-plane check as a JSON call. Needs no authentication; answers
//! 200 with a reason code whatever the outcome (503 only when the database is needed and down).

use std::net::IpAddr;

use axum::extract::State;
use axum::Json;
use keyward_core::error::ValidationError;
use keyward_core::ids::ProductId;
use keyward_core::model::text::LIST_MAX;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::{Face, VerifyRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::routes::check_request;
use crate::views::VerifyView;
use crate::ApiState;

/// What to verify. No `Debug`: `key` is a secret.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyKeyRequest {
    /// The secret presented by a client.
    pub key: String,
    /// The client's address; required when the key has an allow-list.
    #[serde(default)]
    #[schema(schema_with = crate::field_schemas::nullable_ip_schema)]
    pub ip: Option<String>,
    /// Scopes the key must hold (at most 100).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub scopes: Vec<String>,
    /// A product id: the key must hold an `ACCEPTED` subscription to it (else `NOT_SUBSCRIBED`).
    #[serde(default)]
    #[schema(value_type = Option<Uuid>)]
    pub product: Option<String>,
    /// What this request costs against the key's limits and credits: default 1; 0 checks
    /// without spending (refused only if a request of cost 1 would be).
    #[serde(default, deserialize_with = "super::opt_whole_u64")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_u64)]
    pub cost: Option<u64>,
}

/// Verify a key.
#[utoipa::path(post, path = "/v1/keys/verify", operation_id = "verify_key", tag = "verification",
    request_body = VerifyKeyRequest,
    responses(
        (status = 200, description = "The decision; `valid` false with a reason code when refused", body = VerifyView),
        (status = "4XX", description = "The request itself is malformed", body = ErrorBody),
        (status = 503, description = "The database is needed and unreachable", body = ErrorBody),
    ))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify(
    State(state): State<ApiState>,
    JsonBody(body): JsonBody<VerifyKeyRequest>,
) -> Result<Json<VerifyView>, ApiError> {
    let client_ip = body
        .ip
        .as_deref()
        .map(|text| {
            text.trim()
                .parse::<IpAddr>()
                .map_err(|_| ValidationError::new("ip", "must be an IPv4 or IPv6 address"))
        })
        .transpose()?;
    if body.scopes.len() > LIST_MAX {
        return Err(ValidationError::new("scopes", "must have at most 100 items").into());
    }
    if check_request::is_oversized(&body.key) {
        let refused = state.core.verifier().refuse_malformed(Face::NativeVerify);
        return Ok(Json(VerifyView::refused(refused.reason)));
    }
    let product = body
        .product
        .as_deref()
        .map(ProductId::parse)
        .transpose()
        .map_err(|_| ValidationError::new("product", "must be a product id (UUID)"))?;
    let cost =
        check_request::cost(body.cost).map_err(|reason| ValidationError::new("cost", reason))?;
    let request = VerifyRequest {
        face: Face::NativeVerify,
        client_ip,
        required_scopes: &body.scopes,
        product,
        cost,
    };
    let decision = state
        .core
        .verify(PresentedSecret::new(&body.key), request)
        .await?;
    Ok(Json(VerifyView::from(&decision)))
}
