//! The face's extractors. Each one refuses with an [`ApiError`], so even axum's own rejections
//! (bad JSON, bad path, body too large) come out in the API's error shape.
//!
//! - [`Auth`]: the authenticated management [`Caller`]. Handlers take it as an argument, so a
//!   handler cannot forget to authenticate.
//! - [`ClientIp`]: the caller's address (the edge's, re-exported; see [`crate::client_ip`]).
//! - [`IdPath`]: the `{id}` path segment as a core id type (400 `INVALID_ID`).
//! - [`JsonBody`] / [`OptionalJsonBody`]: a JSON request body (400/413/415/422).

use std::str::FromStr;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use keyward_core::auth::Caller;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::Face;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ErrorCode};
use crate::{json, ApiState};
pub use keyward_edge::credentials::{bearer_token, client_address, peer_address, ClientIp};

/// An authenticated management caller, from `Authorization: Bearer <key>`.
#[derive(Debug)]
pub struct Auth(pub Caller);

impl FromRequestParts<ApiState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let secret = bearer_token(&parts.headers)
            .map(PresentedSecret::new)
            .ok_or_else(ApiError::unauthenticated)?;
        let ip = client_address(&parts.extensions, &parts.headers, state);
        let caller = state.core.authenticate(Face::NativeApi, secret, ip).await?;
        Ok(Auth(caller))
    }
}

/// The `{id}` path segment, parsed as a core id (`KeyId`, `DomainId`, ...).
#[derive(Debug, Clone, Copy)]
pub struct IdPath<T>(pub T);

impl<T, S> FromRequestParts<S> for IdPath<T>
where
    T: FromStr + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::invalid_id("id"))?;
        raw.parse()
            .map(IdPath)
            .map_err(|_| ApiError::invalid_id("id"))
    }
}

/// A JSON request body of type `T`; requires `Content-Type: application/json`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !json::has_json_content_type(request.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = read_body(request, state).await?;
        json::parse(&bytes).map(JsonBody)
    }
}

/// A JSON body that may be left out entirely (no body and no content type). `POST /rotate` takes
/// one: `{}` and nothing at all mean the same.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T, S> FromRequest<S> for OptionalJsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = json::has_json_content_type(request.headers());
        let bytes = read_body(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJsonBody(None));
        }
        if !is_json {
            return Err(unsupported_media_type());
        }
        json::parse(&bytes).map(|v| OptionalJsonBody(Some(v)))
    }
}

async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection: BytesRejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "the body is larger than this server accepts",
                )
            } else {
                ApiError::new(ErrorCode::MalformedJson, "the body could not be read")
            }
        })
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        ErrorCode::UnsupportedMediaType,
        "send the body as JSON with `Content-Type: application/json`",
    )
}
