//! Probes and the OpenAPI document.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;

use crate::error::ApiError;
use crate::views::StatusView;
use crate::ApiState;

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", tag = "health",
    responses((status = 200, description = "The process is up", body = StatusView)))]
pub async fn healthz() -> Json<StatusView> {
    Json(StatusView { status: "ok" })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", operation_id = "readyz", tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = StatusView),
        (status = 503, description = "The database does not answer", body = crate::error::ErrorBody),
    ))]
pub async fn readyz(State(state): State<ApiState>) -> Result<Json<StatusView>, ApiError> {
    state.core.ready().await?;
    Ok(Json(StatusView { status: "ready" }))
}

/// This API's OpenAPI 3.1 document, generated from the code.
#[utoipa::path(get, path = "/v1/openapi.json", operation_id = "openapi", tag = "health",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json")))]
pub async fn openapi_json() -> impl IntoResponse {
    // Generated once per process: the document cannot change while it runs.
    static DOCUMENT: OnceLock<Bytes> = OnceLock::new();
    let document = DOCUMENT
        .get_or_init(|| Bytes::from(serde_json::to_vec(&crate::openapi()).unwrap_or_default()));
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.clone(),
    )
}
