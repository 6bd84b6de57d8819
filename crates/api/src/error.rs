//! The REST face's one error type and its one mapping from [`CoreError`].
//!
//! Every refusal the face makes, whether from the core, from a custom extractor or from a fallback,
//! ends up as an [`ApiError`] and leaves as `{"error": {"code", "message", "field"?}}` with the
//! status of the table in `docs/rest-api.md`.

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyward_core::error::{CoreError, ValidationError};
use keyward_core::redact::redact_secrets;
use serde::Serialize;
use utoipa::ToSchema;

/// Declares [`ErrorCode`] from one table: each code once, with its wire string and its status.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $code:ident => $wire:literal, $status:ident;)*) => {
        /// The stable, machine-readable error codes of the REST API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($(#[$doc])* $code,)*
        }

        impl ErrorCode {
            /// Every code, in table order (the OpenAPI document's enum lists them so).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$code,)*];

            /// The code as it appears in the body's `error.code`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$code => $wire,)*
                }
            }

            /// The HTTP status every answer with this code carries.
            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$code => StatusCode::$status,)*
                }
            }
        }
    };
}

error_codes! {
    MalformedJson => "MALFORMED_JSON", BAD_REQUEST;
    InvalidQuery => "INVALID_QUERY", BAD_REQUEST;
    InvalidId => "INVALID_ID", BAD_REQUEST;
    /// A header is unreadable or contradicts another (the original request a gateway reports).
    InvalidRequest => "INVALID_REQUEST", BAD_REQUEST;
    Unauthenticated => "UNAUTHENTICATED", UNAUTHORIZED;
    Forbidden => "FORBIDDEN", FORBIDDEN;
    NotFound => "NOT_FOUND", NOT_FOUND;
    MethodNotAllowed => "METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED;
    Conflict => "CONFLICT", CONFLICT;
    PayloadTooLarge => "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE;
    UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE", UNSUPPORTED_MEDIA_TYPE;
    ValidationFailed => "VALIDATION_FAILED", UNPROCESSABLE_ENTITY;
    UnknownField => "UNKNOWN_FIELD", UNPROCESSABLE_ENTITY;
    Internal => "INTERNAL", INTERNAL_SERVER_ERROR;
    Unavailable => "UNAVAILABLE", SERVICE_UNAVAILABLE;
}

/// A refusal of the REST face. Messages are written for the client and never carry internals or
/// secrets; a 5xx says only its code's fixed words (the cause was logged where it happened).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    field: Option<Cow<'static, str>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Names the input the error is about.
    pub fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "a valid `Authorization: Bearer <key>` is required",
        )
    }

    pub fn invalid_id(field: &'static str) -> Self {
        Self::new(ErrorCode::InvalidId, format!("{field}: must be a UUID")).with_field(field)
    }

    pub fn invalid_query(field: impl Into<Cow<'static, str>>, reason: &str) -> Self {
        let field = field.into();
        Self::new(ErrorCode::InvalidQuery, format!("{field}: {reason}")).with_field(field)
    }

    pub fn validation(error: ValidationError) -> Self {
        let message = error.to_string();
        Self::new(ErrorCode::ValidationFailed, message).with_field(error.field)
    }

    /// A header the request is read from is refused: `field` names it.
    pub fn invalid_request(field: &'static str, reason: &str) -> Self {
        Self::new(ErrorCode::InvalidRequest, format!("{field}: {reason}")).with_field(field)
    }

    pub fn route_not_found() -> Self {
        Self::new(ErrorCode::NotFound, "no such route")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            ErrorCode::MethodNotAllowed,
            "this route does not accept this method",
        )
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error")
    }

    pub fn unavailable() -> Self {
        Self::new(ErrorCode::Unavailable, "service unavailable; retry later")
    }

    /// For list endpoints, whose only input is the query string: a value the core refused there
    /// (a cursor made for another sort, too many conditions) is a query error, not a body error.
    pub fn in_query(self) -> Self {
        match self.code {
            ErrorCode::ValidationFailed => Self {
                code: ErrorCode::InvalidQuery,
                ..self
            },
            _ => self,
        }
    }
}

/// The one mapping from the core's errors to the wire.
impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Invalid(invalid) => Self::validation(invalid),
            CoreError::NotFound(entity) => Self::new(
                ErrorCode::NotFound,
                format!("{} not found", entity.as_str()),
            ),
            CoreError::Conflict { detail, .. } => Self::new(ErrorCode::Conflict, detail),
            CoreError::Forbidden(reason) => Self::new(ErrorCode::Forbidden, reason),
            CoreError::Unauthenticated => Self::unauthenticated(),
            CoreError::Unavailable => Self::unavailable(),
            CoreError::Internal => Self::internal(),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::validation(error)
    }
}

/// The error body: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail<'a> {
    /// Stable machine-readable code.
    #[schema(schema_with = error_code_schema)]
    pub code: &'a str,
    /// Human-readable explanation; never contains internals.
    pub message: &'a str,
    /// The input (body field or query parameter) the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

fn error_code_schema() -> utoipa::openapi::Object {
    crate::views::enum_schema(ErrorCode::ALL.iter().map(|c| c.as_str()))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        if status.is_server_error() {
            tracing::warn!(code = self.code.as_str(), "request failed");
        }
        // Whatever a message quotes, nothing shaped like a secret leaves in it.
        let message = redact_secrets(&self.message);
        let field = self.field.as_deref().map(redact_secrets);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.as_str(),
                message: &message,
                field: field.as_deref(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if self.code == ErrorCode::Unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::error::Entity;

    #[test]
    fn core_errors_map_to_the_documented_codes() {
        let cases = [
            (
                CoreError::Invalid(ValidationError::new("name", "must not be empty")),
                ErrorCode::ValidationFailed,
                422,
            ),
            (CoreError::NotFound(Entity::Key), ErrorCode::NotFound, 404),
            (
                CoreError::Conflict {
                    entity: Entity::Key,
                    detail: "name already used".into(),
                },
                ErrorCode::Conflict,
                409,
            ),
            (CoreError::Forbidden("no".into()), ErrorCode::Forbidden, 403),
            (CoreError::Unauthenticated, ErrorCode::Unauthenticated, 401),
            (CoreError::Unavailable, ErrorCode::Unavailable, 503),
            (CoreError::Internal, ErrorCode::Internal, 500),
        ];
        for (core, code, status) in cases {
            let api = ApiError::from(core);
            assert_eq!(api.code(), code);
            assert_eq!(api.code().status().as_u16(), status);
        }
    }

    #[test]
    fn validation_errors_name_their_field() {
        let api = ApiError::from(ValidationError::new("name", "must not be empty"));
        assert_eq!(api.field(), Some("name"));
        assert_eq!(api.message(), "name: must not be empty");
        assert_eq!(api.clone().in_query().code(), ErrorCode::InvalidQuery);
        assert_eq!(
            ApiError::unavailable().in_query().code(),
            ErrorCode::Unavailable
        );
    }

    #[test]
    fn unauthenticated_answers_carry_the_challenge() {
        let response = ApiError::unauthenticated().into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    /// The table above and the table in `docs/rest-api.md` say the same thing: each code once,
    /// with the same status, in the same order.
    #[test]
    fn the_documented_error_table_matches_the_code_table() {
        let docs = include_str!("../../../docs/rest-api.md");
        let section = docs.split("## Errors").nth(1).expect("an Errors section");
        let documented: Vec<(u16, String)> = section
            .lines()
            .skip_while(|line| !line.starts_with("| status | code |"))
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let status = cells[1].parse().expect("a numeric status");
                (status, cells[2].trim_matches('`').to_owned())
            })
            .collect();
        let declared: Vec<(u16, String)> = ErrorCode::ALL
            .iter()
            .map(|code| (code.status().as_u16(), code.as_str().to_owned()))
            .collect();
        assert_eq!(documented, declared);
    }

    #[test]
    fn internal_errors_say_nothing_more() {
        let api = ApiError::from(CoreError::Internal);
        assert_eq!(api.message(), "internal error");
        assert_eq!(api.field(), None);
    }
}
