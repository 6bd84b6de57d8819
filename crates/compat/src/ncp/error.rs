//! The NCP face's one error type and its one mapping from [`CoreError`]. NCP API Gateway answers
//! `{"error": {"errorCode": "<NCP code>", "message": "<title>", "details": "<text>"}}` with the
//! HTTP status and NCP code pairs its documentation lists: 400/100 Bad Request, 401/200
//! Authentication Failed, 401/210 Permission Denied, 403/230 Forbidden, 404/300 Not Found,
//! 429/400 Quota Exceeded. keyward adds 409/100 for a conflict (a name in use, a subscription
//! transition that is not allowed) and 503/500 while the database is unreachable.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyward_core::error::{CoreError, ValidationError};
use keyward_core::redact::redact_secrets;
use serde_json::json;

/// A refusal of the NCP face. Details never carry secrets or internals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NcpError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: &'static str,
    pub details: Cow<'static, str>,
}

impl NcpError {
    fn new(
        status: StatusCode,
        code: &'static str,
        message: &'static str,
        details: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code,
            message,
            details: details.into(),
        }
    }

    pub fn bad_request(details: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "100",
            "Bad Request Exception",
            details,
        )
    }

    pub fn authentication_failed(details: impl Into<Cow<'static, str>>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "200",
            "Authentication Failed",
            details,
        )
    }

    pub fn not_found(details: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "300", "Not Found Exception", details)
    }
}

impl From<ValidationError> for NcpError {
    fn from(error: ValidationError) -> Self {
        Self::bad_request(error.to_string())
    }
}

/// The one mapping from the core's errors to NCP's status and code pairs.
impl From<CoreError> for NcpError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Invalid(invalid) => invalid.into(),
            CoreError::NotFound(entity) => {
                Self::not_found(format!("{} not found", entity.as_str()))
            }
            CoreError::Conflict { detail, .. } => {
                Self::new(StatusCode::CONFLICT, "100", "Bad Request Exception", detail)
            }
            CoreError::Forbidden(reason) => {
                Self::new(StatusCode::FORBIDDEN, "230", "Forbidden", reason)
            }
            CoreError::Unauthenticated => {
                Self::authentication_failed("a valid credential is required")
            }
            CoreError::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "500",
                "Service Unavailable",
                "the database is unreachable; retry",
            ),
            CoreError::Internal => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500",
                "Internal Server Error",
                "internal error",
            ),
        }
    }
}

impl IntoResponse for NcpError {
    fn into_response(self) -> Response {
        // Whatever the details quote, nothing shaped like a secret leaves in them.
        let details = redact_secrets(&self.details);
        let body = json!({
            "error": {"errorCode": self.code, "message": self.message, "details": details}
        });
        (self.status, Json(body)).into_response()
    }
}
