//! ZenML's request models and how a body becomes one. As on a ZenML server (FastAPI + pydantic),
//! unknown fields are ignored and a body that does not fit its model is a 422 bare
//! `["ValueError", "1 validation error: …"]` naming `('body', field)`. Names and descriptions are
//! checked by the core's own newtypes (≤ 255 and ≤ 65,535 characters), refused the same way.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use keyward_core::model::{Description, Name};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::ZenmlError;

/// A JSON body of model `T`. An empty body is read as `{}` (the client sends `{}` for a rotate
/// with the default retain period; both mean the same).
#[derive(Debug)]
pub struct ZenJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ZenJson<T> {
    type Rejection = ZenmlError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ZenmlError> {
        let ZenBytes(bytes) = ZenBytes::from_request(request, state).await?;
        parse(&bytes).map(ZenJson)
    }
}

/// A raw body (the login form), refused in the face's `{"detail": ...}` shape: 413 over the body
/// limit, 400 when it cannot be read.
#[derive(Debug)]
pub struct ZenBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ZenBytes {
    type Rejection = ZenmlError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ZenmlError> {
        Bytes::from_request(request, state)
            .await
            .map(ZenBytes)
            .map_err(|rejection| ZenmlError::Plain {
                status: if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                },
                message: "the request body could not be read".into(),
            })
    }
}

/// Parses a body as model `T`, with pydantic's words for what is wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ZenmlError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| {
        ZenmlError::invalid_request("body", "", "json_invalid", "JSON decode error")
    })?;
    if !value.is_object() {
        return Err(ZenmlError::invalid_request(
            "body",
            "",
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let text = error.into_inner().to_string();
        if let Some(name) = text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            return ZenmlError::invalid_request("body", name, "missing", "Field required");
        }
        // serde: "invalid type: integer `5`, expected a string".
        let expected = text
            .rsplit_once("expected ")
            .map_or("a valid value", |(_, e)| e);
        ZenmlError::invalid_request(
            "body",
            &path,
            "type_error",
            &format!("Input should be {expected}"),
        )
    })
}

/// A name through the core's `Name` (1–255 characters, no control characters, no padding).
pub fn name(field: &'static str, value: String) -> Result<Name, ZenmlError> {
    Name::parse(field, value).map_err(|e| {
        ZenmlError::invalid_request(
            "body",
            field,
            "value_error",
            &format!("Value error, {}", e.reason),
        )
    })
}

/// A description through the core's `Description` (≤ 65,535 characters); `null` is empty.
pub fn description(field: &'static str, value: Option<String>) -> Result<Description, ZenmlError> {
    Description::parse(field, value.unwrap_or_default()).map_err(|e| {
        ZenmlError::invalid_request(
            "body",
            field,
            "value_error",
            &format!("Value error, {}", e.reason),
        )
    })
}

/// `APIKeyRequest`.
#[derive(Debug, Deserialize)]
pub struct ApiKeyRequest {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// `APIKeyUpdate`: `null` or absent leaves a field as it is.
#[derive(Debug, Default, Deserialize)]
pub struct ApiKeyUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

/// `APIKeyRotateRequest`.
#[derive(Debug, Default, Deserialize)]
pub struct RotateRequest {
    #[serde(default)]
    pub retain_period_minutes: Option<i64>,
}

/// `ServiceAccountRequest`.
#[derive(Debug, Deserialize)]
pub struct ServiceAccountRequest {
    pub name: String,
    pub active: bool,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// `ServiceAccountUpdate`.
#[derive(Debug, Default, Deserialize)]
pub struct ServiceAccountUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// keyward keeps no display name, avatar or active flag for a service account: it accepts
/// ZenML's defaults (`""`, `null`, `true`) and refuses anything else rather than dropping it.
pub fn refuse_unkept_account_fields(
    full_name: Option<&str>,
    avatar_url: Option<&str>,
    active: Option<bool>,
) -> Result<(), ZenmlError> {
    let refuse = |what: &str| {
        Err(ZenmlError::not_implemented(format!(
            "keyward does not keep a service account's {what}"
        )))
    };
    if full_name.is_some_and(|n| !n.is_empty()) {
        return refuse("full_name: send \"\" or leave it out");
    }
    if avatar_url.is_some() {
        return refuse("avatar_url: send null or leave it out");
    }
    if active == Some(false) {
        return refuse(
            "active flag (every account is active): disable its API keys to stop its logins",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_error(text: &str) -> String {
        match parse::<ApiKeyRequest>(text.as_bytes()) {
            Err(ZenmlError::RequestValidation(message)) => message,
            other => panic!("expected a request validation error, got {other:?}"),
        }
    }

    #[test]
    fn bodies_are_read_like_pydantic_reads_them() {
        let ok: ApiKeyRequest = parse(br#"{"name": "k", "extra": 1}"#).expect("extra ignored");
        assert_eq!(ok.name, "k");
        assert!(body_error("{}").contains("'loc': ('body', 'name'), 'msg': 'Field required'"));
        assert!(body_error(r#"{"name": 5}"#).contains("'loc': ('body', 'name')"));
        assert!(body_error("[1]").contains("valid dictionary"));
        assert!(body_error("{").contains("JSON decode error"));
        let rotate: RotateRequest = parse(b"").expect("empty is {}");
        assert_eq!(rotate.retain_period_minutes, None);
    }

    #[test]
    fn names_and_descriptions_are_bounded_by_the_core() {
        assert!(name("name", "x".repeat(255)).is_ok());
        assert!(matches!(
            name("name", "x".repeat(256)),
            Err(ZenmlError::RequestValidation(_))
        ));
        assert!(description("description", Some("x".repeat(65_535))).is_ok());
        assert!(description("description", Some("x".repeat(65_536))).is_err());
        assert_eq!(
            description("description", None).expect("empty").as_str(),
            ""
        );
    }
}
