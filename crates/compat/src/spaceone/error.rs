//! The face's one error type and its one mapping from the core's errors.
//!
//! SpaceONE servers put a stable `ERROR_…` code at the front of the status message
//! (`ERROR_NOT_FOUND`, `ERROR_INVALID_ARGUMENT`, `ERROR_DB_QUERY` for a bad filter, …); clients
//! and people match on it. A [`SpaceoneError`] is a gRPC code, that `ERROR_…` code and a
//! message; it becomes a `tonic::Status` or, over REST, a JSON body
//! `{"code": "ERROR_…", "message": "…", "status": <gRPC code number>}`.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyward_core::error::{CoreError, Entity};
use keyward_core::redact::redact_secrets;
use serde_json::json;
use tonic::Code;

/// A refusal, as a SpaceONE client expects to see it. Never a secret, never an internal cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceoneError {
    code: Code,
    error_code: &'static str,
    message: Cow<'static, str>,
}

impl SpaceoneError {
    pub fn new(
        code: Code,
        error_code: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            code,
            error_code,
            message: message.into(),
        }
    }

    /// `INVALID_ARGUMENT` / `ERROR_INVALID_ARGUMENT` naming the request field.
    pub fn invalid(field: &str, reason: &str) -> Self {
        Self::new(
            Code::InvalidArgument,
            "ERROR_INVALID_ARGUMENT",
            format!("{field}: {reason}"),
        )
    }

    /// A REST body over the body limit: 413 with the face's JSON error.
    pub fn too_large() -> Self {
        Self::new(
            Code::ResourceExhausted,
            "ERROR_REQUEST_TOO_LARGE",
            "the request body is larger than the body limit",
        )
    }

    /// A filter, sort or statistics query the store cannot run (the vendor's `ERROR_DB_QUERY`).
    pub fn query(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::InvalidArgument, "ERROR_DB_QUERY", reason)
    }

    /// A query feature keyward refuses rather than run unbounded (regular expressions).
    pub fn unsupported(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(Code::InvalidArgument, "ERROR_NOT_SUPPORTED_QUERY", reason)
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            "ERROR_AUTHENTICATE_FAILURE",
            "a valid keyward key is required in the `token` metadata",
        )
    }

    pub fn not_found(entity: Entity) -> Self {
        let noun = match entity {
            Entity::Domain => "domain",
            Entity::Principal => "user",
            Entity::Key => "api key",
            Entity::Operation => "operation",
            other => other.as_str(),
        };
        Self::new(
            Code::NotFound,
            "ERROR_NOT_FOUND",
            format!("{noun} not found"),
        )
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn error_code(&self) -> &'static str {
        self.error_code
    }

    /// The status message: `ERROR_…: reason`, with nothing shaped like a secret in it (REST and
    /// gRPC both render this).
    pub fn message(&self) -> String {
        format!("{}: {}", self.error_code, redact_secrets(&self.message))
    }
}

/// The one mapping from the core's errors.
impl From<CoreError> for SpaceoneError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Invalid(invalid) => Self::new(
                Code::InvalidArgument,
                "ERROR_INVALID_ARGUMENT",
                invalid.to_string(),
            ),
            CoreError::NotFound(entity) => Self::not_found(entity),
            CoreError::Conflict { detail, .. } => {
                Self::new(Code::AlreadyExists, "ERROR_ALREADY_EXIST", detail)
            }
            CoreError::Forbidden(reason) => {
                Self::new(Code::PermissionDenied, "ERROR_PERMISSION_DENIED", reason)
            }
            CoreError::Unauthenticated => Self::unauthenticated(),
            CoreError::Unavailable => Self::new(
                Code::Unavailable,
                "ERROR_UNAVAILABLE",
                "service unavailable; retry",
            ),
            CoreError::Internal => Self::new(Code::Internal, "ERROR_UNKNOWN", "internal error"),
        }
    }
}

impl From<keyward_core::error::ValidationError> for SpaceoneError {
    fn from(error: keyward_core::error::ValidationError) -> Self {
        CoreError::Invalid(error).into()
    }
}

impl From<SpaceoneError> for tonic::Status {
    fn from(error: SpaceoneError) -> Self {
        tonic::Status::new(error.code, error.message())
    }
}

/// The HTTP status grpc-gateway gives each gRPC code.
fn http_status(code: Code) -> StatusCode {
    match code {
        Code::InvalidArgument => StatusCode::BAD_REQUEST,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists => StatusCode::CONFLICT,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        // Only a body over the limit (`SpaceoneError::too_large`) carries this code.
        Code::ResourceExhausted => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for SpaceoneError {
    fn into_response(self) -> Response {
        let body = json!({
            "code": self.error_code,
            "message": self.message(),
            "status": self.code as i32,
        });
        (http_status(self.code), Json(body)).into_response()
    }
}

impl crate::grpc_peer::GrpcFaceError for SpaceoneError {
    const FACE: keyward_core::verify::Face = keyward_core::verify::Face::Spaceone;

    fn unauthenticated() -> Self {
        SpaceoneError::unauthenticated()
    }
}
