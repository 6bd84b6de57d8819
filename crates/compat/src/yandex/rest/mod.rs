//! The REST transport: the vendor's transcoding paths (its `google.api.http` annotations), each
//! handler building the request message from path, query and body, calling the same
//! [`crate::yandex::rpc`] function the gRPC transport calls, and rendering proto3 JSON. Every
//! status is 200 on success, as grpc-gateway answers; refusals are the vendor's JSON error body.
//!
//! | method and path | rpc |
//! |---|---|
//! | `GET /iam/v1/apiKeys?serviceAccountId&pageSize&pageToken` | List |
//! | `POST /iam/v1/apiKeys` | Create |
//! | `GET /iam/v1/apiKeys/{apiKeyId}` | Get |
//! | `PATCH /iam/v1/apiKeys/{apiKeyId}` | Update |
//! | `DELETE /iam/v1/apiKeys/{apiKeyId}` | Delete |
//! | `GET /iam/v1/apiKeys/{apiKeyId}/operations?pageSize&pageToken` | ListOperations |
//! | `GET /iam/v1/apiKeyScopes?pageSize&pageToken` | ListScopes |
//! | `GET /operations/{operationId}` | OperationService.Get |
//! | `GET /operations/{operationId}:cancel` | OperationService.Cancel |

mod json;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use keyward_core::auth::Caller;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::Face;
use keyward_edge::credentials::{bearer_token, client_address};
use keyward_edge::ApiState;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tonic::Code;

use super::error::{error_response, YandexError};
use super::proto::{iam, operation};
use super::rpc;

type Answer = Result<Json<Value>, YandexError>;

/// The REST routes, with the same body limit as the native face.
pub fn router(state: ApiState) -> Router {
    let body_limit = state.body_limit;
    Router::new()
        .route("/iam/v1/apiKeys", get(list).post(create))
        .route(
            "/iam/v1/apiKeys/{api_key_id}",
            get(get_key).patch(update).delete(delete),
        )
        .route(
            "/iam/v1/apiKeys/{api_key_id}/operations",
            get(list_operations),
        )
        .route("/iam/v1/apiKeyScopes", get(list_scopes))
        // `{operation_id}:cancel` shares the segment, so one route serves both rpcs.
        .route("/operations/{operation_id}", get(get_operation))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// The caller behind `Authorization: Bearer <key>`.
struct Authed(Caller);

impl FromRequestParts<ApiState> for Authed {
    type Rejection = YandexError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, YandexError> {
        let token = bearer_token(&parts.headers)
            .map(PresentedSecret::new)
            .ok_or_else(YandexError::unauthenticated)?;
        let ip = client_address(&parts.extensions, &parts.headers, state);
        Ok(Authed(
            state.core.authenticate(Face::Yandex, token, ip).await?,
        ))
    }
}

/// The one path parameter of a route, as text; the rpc validates it.
struct Segment(String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = YandexError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, YandexError> {
        let Path(segment) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| YandexError::invalid("path", "is not a valid id"))?;
        Ok(Segment(segment))
    }
}

/// The query parameters `names` (lowerCamelCase; their snake_case form is accepted too), each
/// at most once. Any other parameter is refused, so a typo never silently changes a list.
fn params<const N: usize>(
    raw: Option<&str>,
    names: [(&'static str, &'static str); N],
) -> Result<[Option<String>; N], YandexError> {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let Some(index) = names
            .iter()
            .position(|(camel, snake)| name == *camel || name == *snake)
        else {
            let shown: String = name.chars().take(64).collect();
            return Err(YandexError::invalid(
                &shown,
                "is not a parameter of this method",
            ));
        };
        if values[index].replace(value.into_owned()).is_some() {
            return Err(YandexError::invalid(
                names[index].0,
                "may be given only once",
            ));
        }
    }
    Ok(values)
}

/// An int64 query parameter; absent is 0, as in proto3.
fn int64(name: &str, value: Option<String>) -> Result<i64, YandexError> {
    value.map_or(Ok(0), |text| {
        text.parse()
            .map_err(|_| YandexError::invalid(name, "must be an integer"))
    })
}

/// A JSON object body; an empty body is `{}`, as grpc-gateway reads it.
fn body<T: DeserializeOwned + Default>(
    bytes: Result<Bytes, BytesRejection>,
) -> Result<T, YandexError> {
    let bytes = bytes.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            YandexError::invalid("body", "is larger than this server accepts")
        } else {
            YandexError::invalid("body", "could not be read")
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    keyward_edge::json::parse(&bytes)
        .map_err(|error| YandexError::new(Code::InvalidArgument, error.message))
}

async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        Code::Unimplemented,
        "this path does not accept this method",
    )
}

async fn list(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    RawQuery(raw): RawQuery,
) -> Answer {
    let [owner, size, token] = params(
        raw.as_deref(),
        [
            ("serviceAccountId", "service_account_id"),
            ("pageSize", "page_size"),
            ("pageToken", "page_token"),
        ],
    )?;
    let request = iam::ListApiKeysRequest {
        service_account_id: owner.unwrap_or_default(),
        page_size: int64("pageSize", size)?,
        page_token: token.unwrap_or_default(),
    };
    let answer = rpc::list(&state.core, &caller, request).await?;
    Ok(Json(json::list_keys(&answer)))
}

async fn create(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    bytes: Result<Bytes, BytesRejection>,
) -> Answer {
    let request = body::<json::CreateBody>(bytes)?.into_request()?;
    let answer = rpc::create(&state.core, &caller, request).await?;
    Ok(Json(json::created(&answer)))
}

async fn get_key(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Segment(id): Segment,
) -> Answer {
    let request = iam::GetApiKeyRequest { api_key_id: id };
    let answer = rpc::get(&state.core, &caller, request).await?;
    Ok(Json(json::api_key(&answer)))
}

async fn update(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Segment(id): Segment,
    bytes: Result<Bytes, BytesRejection>,
) -> Answer {
    let request = body::<json::UpdateBody>(bytes)?.into_request(id)?;
    let answer = rpc::update(&state.core, &caller, request).await?;
    Ok(Json(json::operation(&answer)))
}

async fn delete(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Segment(id): Segment,
) -> Answer {
    let request = iam::DeleteApiKeyRequest { api_key_id: id };
    let answer = rpc::delete(&state.core, &caller, request).await?;
    Ok(Json(json::operation(&answer)))
}

async fn list_operations(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Segment(id): Segment,
    RawQuery(raw): RawQuery,
) -> Answer {
    let [size, token] = params(
        raw.as_deref(),
        [("pageSize", "page_size"), ("pageToken", "page_token")],
    )?;
    let request = iam::ListApiKeyOperationsRequest {
        api_key_id: id,
        page_size: int64("pageSize", size)?,
        page_token: token.unwrap_or_default(),
    };
    let answer = rpc::list_operations(&state.core, &caller, request).await?;
    Ok(Json(json::list_operations(&answer)))
}

async fn list_scopes(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    RawQuery(raw): RawQuery,
) -> Answer {
    let [size, token] = params(
        raw.as_deref(),
        [("pageSize", "page_size"), ("pageToken", "page_token")],
    )?;
    let request = iam::ListApiKeyScopesRequest {
        page_size: int64("pageSize", size)?,
        page_token: token.unwrap_or_default(),
    };
    let answer = rpc::list_scopes(&state.core, &caller, request).await?;
    Ok(Json(json::list_scopes(&answer)))
}

/// `GET /operations/{id}`, or `GET /operations/{id}:cancel`.
async fn get_operation(
    State(state): State<ApiState>,
    Authed(caller): Authed,
    Segment(segment): Segment,
) -> Answer {
    let answer = match segment.strip_suffix(":cancel") {
        Some(id) => {
            let request = operation::CancelOperationRequest {
                operation_id: id.to_owned(),
            };
            rpc::cancel_operation(&state.core, &caller, request).await?
        }
        None => {
            let request = operation::GetOperationRequest {
                operation_id: segment,
            };
            rpc::get_operation(&state.core, &caller, request).await?
        }
    };
    Ok(Json(json::operation(&answer)))
}
