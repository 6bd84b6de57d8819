//! The face's one error type and its one mapping from the core's errors.
//!
//! A [`YandexError`] is a gRPC status code and a message. Over gRPC it becomes a
//! `tonic::Status`; over REST it becomes the vendor's JSON error body
//! `{"code": <gRPC code number>, "message": "...", "details": []}` with the HTTP status that
//! grpc-gateway (which the vendor's REST API is) gives that code.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keyward_core::error::{CoreError, Entity, ValidationError};
use keyward_core::redact::redact_secrets;
use serde_json::json;
use tonic::Code;

/// A refusal, as a Yandex client expects to see it. Messages are for the client: never a
/// secret, never an internal cause (those were logged where they happened).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YandexError {
    code: Code,
    message: Cow<'static, str>,
}

impl YandexError {
    pub fn new(code: Code, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `INVALID_ARGUMENT` naming the request field.
    pub fn invalid(field: &str, reason: &str) -> Self {
        Self::new(Code::InvalidArgument, format!("{field}: {reason}"))
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            Code::Unauthenticated,
            "a valid `authorization: Bearer <key>` is required",
        )
    }

    pub fn not_found(entity: Entity) -> Self {
        Self::new(Code::NotFound, format!("{} not found", noun(entity)))
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The vendor's words for the core's objects.
fn noun(entity: Entity) -> &'static str {
    match entity {
        Entity::Domain => "domain",
        Entity::Principal => "service account",
        Entity::Key => "API key",
        Entity::Operation => "operation",
        Entity::Product => "product",
        Entity::Subscription => "subscription",
        Entity::AccessKey => "access key",
        Entity::UsagePlan => "usage plan",
    }
}

/// The one mapping from the core's errors to the gRPC codes a Yandex client expects.
impl From<CoreError> for YandexError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Invalid(invalid) => Self::new(Code::InvalidArgument, invalid.to_string()),
            CoreError::NotFound(entity) => Self::not_found(entity),
            CoreError::Conflict { detail, .. } => Self::new(Code::AlreadyExists, detail),
            CoreError::Forbidden(reason) => Self::new(Code::PermissionDenied, reason),
            CoreError::Unauthenticated => Self::unauthenticated(),
            CoreError::Unavailable => Self::new(Code::Unavailable, "service unavailable; retry"),
            CoreError::Internal => Self::new(Code::Internal, "internal error"),
        }
    }
}

impl From<ValidationError> for YandexError {
    fn from(error: ValidationError) -> Self {
        CoreError::from(error).into()
    }
}

impl From<YandexError> for tonic::Status {
    fn from(error: YandexError) -> Self {
        tonic::Status::new(error.code, redact_secrets(&error.message).into_owned())
    }
}

/// The HTTP status grpc-gateway answers for a gRPC code.
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::Cancelled | Code::Unknown | Code::Internal | Code::DataLoss => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// The vendor's REST error body for `code` and `message`, with `status`.
pub fn error_response(status: StatusCode, code: Code, message: &str) -> Response {
    // Whatever a message quotes, nothing shaped like a secret leaves in it.
    let body = json!({"code": code as i32, "message": redact_secrets(message), "details": []});
    (status, Json(body)).into_response()
}

impl IntoResponse for YandexError {
    fn into_response(self) -> Response {
        let status = http_status(self.code);
        if status.is_server_error() {
            tracing::warn!(code = ?self.code, "yandex request failed");
        }
        error_response(status, self.code, &self.message)
    }
}

impl crate::grpc_peer::GrpcFaceError for YandexError {
    const FACE: keyward_core::verify::Face = keyward_core::verify::Face::Yandex;

    fn unauthenticated() -> Self {
        YandexError::unauthenticated()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_the_codes_a_yandex_client_expects() {
        let cases = [
            (
                CoreError::Invalid(ValidationError::new("description", "too long")),
                Code::InvalidArgument,
                400,
            ),
            (CoreError::NotFound(Entity::Key), Code::NotFound, 404),
            (
                CoreError::Conflict {
                    entity: Entity::Key,
                    detail: "exists".into(),
                },
                Code::AlreadyExists,
                409,
            ),
            (
                CoreError::Forbidden("no".into()),
                Code::PermissionDenied,
                403,
            ),
            (CoreError::Unauthenticated, Code::Unauthenticated, 401),
            (CoreError::Unavailable, Code::Unavailable, 503),
            (CoreError::Internal, Code::Internal, 500),
        ];
        for (core, code, status) in cases {
            let error = YandexError::from(core);
            assert_eq!(error.code(), code);
            assert_eq!(http_status(error.code()).as_u16(), status);
        }
    }

    #[test]
    fn messages_use_the_vendor_vocabulary() {
        let error = YandexError::from(CoreError::NotFound(Entity::Principal));
        assert_eq!(error.message(), "service account not found");
        let error = YandexError::from(ValidationError::new("scopes", "items must be unique"));
        assert_eq!(error.message(), "scopes: items must be unique");
        assert_eq!(
            YandexError::from(CoreError::Internal).message(),
            "internal error"
        );
    }
}
