//! The ZenML face's one error type, its one mapping from [`CoreError`], and ZenML's bodies.
//!
//! ZenML answers errors in three shapes, and its client reads the exception name out of them
//! (`zenml.zen_server.exceptions.exception_from_response`), so each is kept exactly:
//! - `{"detail": ["ExceptionName", "message"]}`: anything a handler raises (401
//!   `CredentialsNotValid`, 403 `IllegalOperationError`, 404 `KeyError`, 409 `EntityExistsError`,
//!   422/400 `ValueError`, 501 `NotImplementedError`, 500 `RuntimeError`);
//! - a bare `["ValueError", "message"]` with 422: FastAPI's request validation (a body field
//!   missing or too long, a malformed path or `hydrate`);
//! - `{"detail": "text"}`: FastAPI's own refusals (401 `Not authenticated` with
//!   `WWW-Authenticate: Bearer`, the login form's 400s).

use std::borrow::Cow;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use keyward_core::error::{CoreError, Entity};
use keyward_core::redact::redact_secrets;
use serde_json::json;

/// A refusal of the ZenML face. Messages never carry secrets or internals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZenmlError {
    /// No credentials at all: 401 `{"detail": "Not authenticated"}`.
    NotAuthenticated,
    /// `{"detail": [exception, message]}` with `status`.
    Raised {
        status: StatusCode,
        exception: &'static str,
        message: Cow<'static, str>,
    },
    /// FastAPI request validation: 422 `["ValueError", message]`.
    RequestValidation(String),
    /// `{"detail": message}` with `status`.
    Plain {
        status: StatusCode,
        message: Cow<'static, str>,
    },
}

impl ZenmlError {
    fn raised(
        status: StatusCode,
        exception: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Raised {
            status,
            exception,
            message: message.into(),
        }
    }

    /// 401 `CredentialsNotValid`: the client drops its token and logs in again.
    pub fn credentials_not_valid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::raised(StatusCode::UNAUTHORIZED, "CredentialsNotValid", message)
    }

    /// 403 `IllegalOperationError`.
    pub fn illegal_operation(message: impl Into<Cow<'static, str>>) -> Self {
        Self::raised(StatusCode::FORBIDDEN, "IllegalOperationError", message)
    }

    /// 404 `KeyError`. The message is rendered as Python's `str(KeyError(message))` does, which
    /// quotes it (ZenML's bodies show those quotes).
    pub fn key_error(message: &str) -> Self {
        Self::raised(StatusCode::NOT_FOUND, "KeyError", python_repr(message))
    }

    /// 409 `EntityExistsError`.
    pub fn entity_exists(message: impl Into<Cow<'static, str>>) -> Self {
        Self::raised(StatusCode::CONFLICT, "EntityExistsError", message)
    }

    /// 422 `ValueError`: a query the filter model refused (sort, page, size, filters).
    pub fn invalid_filter(message: impl Into<Cow<'static, str>>) -> Self {
        Self::raised(StatusCode::UNPROCESSABLE_ENTITY, "ValueError", message)
    }

    /// 400 `ValueError`: what ZenML's store refuses while running a query (a page past the end).
    pub fn value_error(message: impl Into<Cow<'static, str>>) -> Self {
        Self::raised(StatusCode::BAD_REQUEST, "ValueError", message)
    }

    /// 501 `NotImplementedError`: valid ZenML that keyward deliberately does not do.
    pub fn not_implemented(message: impl Into<Cow<'static, str>>) -> Self {
        Self::raised(StatusCode::NOT_IMPLEMENTED, "NotImplementedError", message)
    }

    /// 422 body or path validation, in pydantic's words: `field` of `location` is wrong.
    pub fn invalid_request(location: &str, field: &str, kind: &str, message: &str) -> Self {
        let loc = if field.is_empty() {
            format!("('{location}',)")
        } else {
            format!("('{location}', '{field}')")
        };
        Self::RequestValidation(format!(
            "1 validation error:\n  {{'type': '{kind}', 'loc': {loc}, 'msg': '{message}'}}"
        ))
    }

    /// 400 `{"detail": message}` (the login form's refusals).
    pub fn bad_login_form(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Plain {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// 404 for a path no route serves, in FastAPI's words.
    pub fn route_not_found() -> Self {
        Self::Plain {
            status: StatusCode::NOT_FOUND,
            message: "Not Found".into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotAuthenticated => StatusCode::UNAUTHORIZED,
            Self::Raised { status, .. } | Self::Plain { status, .. } => *status,
            Self::RequestValidation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// The one mapping from the core's errors. Handlers that know more (which key was not found)
/// replace a `NotFound` with their own words; everything else comes through here.
impl From<CoreError> for ZenmlError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::Invalid(invalid) => Self::invalid_filter(invalid.to_string()),
            CoreError::NotFound(entity) => Self::key_error(&format!(
                "{} not found",
                match entity {
                    Entity::Key => "API key",
                    Entity::Principal => "service account",
                    other => other.as_str(),
                }
            )),
            CoreError::Conflict { detail, .. } => Self::entity_exists(detail),
            CoreError::Forbidden(reason) => Self::illegal_operation(reason),
            CoreError::Unauthenticated => Self::credentials_not_valid(
                "Authentication error: the credentials are not valid (unknown, disabled, \
                 expired or rotated key, or an expired access token)",
            ),
            CoreError::Unavailable => Self::raised(
                StatusCode::SERVICE_UNAVAILABLE,
                "RuntimeError",
                "service unavailable; retry later",
            ),
            CoreError::Internal => Self::raised(
                StatusCode::INTERNAL_SERVER_ERROR,
                "RuntimeError",
                "internal error",
            ),
        }
    }
}

impl IntoResponse for ZenmlError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), "ZenML request failed");
        }
        let body = match &self {
            Self::NotAuthenticated => json!({"detail": "Not authenticated"}),
            // Whatever a message quotes, nothing shaped like a secret leaves in it.
            Self::Raised {
                exception, message, ..
            } => json!({"detail": [exception, redact_secrets(message)]}),
            Self::RequestValidation(message) => json!(["ValueError", redact_secrets(message)]),
            Self::Plain { message, .. } => json!({"detail": redact_secrets(message)}),
        };
        let mut response = (status, axum::Json(body)).into_response();
        if matches!(self, Self::NotAuthenticated) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Python's `repr` of a string: single quotes, or double quotes when the text holds a single
/// quote and no double quote.
fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_errors_are_quoted_like_python() {
        assert_eq!(python_repr("no 'k1' here"), "\"no 'k1' here\"");
        assert_eq!(python_repr("plain"), "'plain'");
        assert_eq!(python_repr("both ' and \""), "'both \\' and \"'");
    }

    #[test]
    fn core_errors_map_to_zenml_exceptions() {
        let cases = [
            (CoreError::NotFound(Entity::Key), 404),
            (
                CoreError::Conflict {
                    entity: Entity::Key,
                    detail: "x".into(),
                },
                409,
            ),
            (CoreError::Forbidden("no".into()), 403),
            (CoreError::Unauthenticated, 401),
            (CoreError::Unavailable, 503),
            (CoreError::Internal, 500),
        ];
        for (core, status) in cases {
            assert_eq!(ZenmlError::from(core).status().as_u16(), status);
        }
    }
}
