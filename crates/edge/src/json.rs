//! Reading request bodies as JSON objects, for every face, with every failure sorted into one of
//! three kinds a face maps to its own error: not JSON at all, or not the JSON type expected (an
//! array for an object) → [`JsonErrorKind::Malformed`]; a field the endpoint does not know →
//! [`JsonErrorKind::UnknownField`]; a missing field or a value of the wrong type →
//! [`JsonErrorKind::Invalid`], naming the field by its path (`allowed_cidrs[0].cidr`). Messages
//! never quote the offending value.

use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use keyward_core::redact::without_input;

/// Why a body was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonErrorKind {
    Malformed,
    UnknownField,
    Invalid,
}

/// A refused body: its kind, a message for the client, and the field's path when one is to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub kind: JsonErrorKind,
    pub message: String,
    pub field: Option<String>,
}

impl JsonError {
    fn new(kind: JsonErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            field: None,
        }
    }

    fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// Whether the request says its body is JSON (`application/json` or any `application/*+json`).
pub fn has_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype
                .rsplit_once('+')
                .is_some_and(|(_, suffix)| suffix.eq_ignore_ascii_case("json")))
}

/// Parses a whole body as `T`. Every request body of this API is a JSON object, so anything else
/// (an array, a string, nothing) is refused before serde sees it: serde would read an array as a
/// struct's fields in order, which no client means.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(JsonError::new(
            JsonErrorKind::Malformed,
            "the body must be a JSON object",
        ));
    }
    // Syntax first, over the whole body: a broken body is 400 even when, read as far as it
    // goes, it also lacks a field.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|e| malformed(&e))?;
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(classify)?;
    deserializer.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(error: &serde_json::Error) -> JsonError {
    JsonError::new(
        JsonErrorKind::Malformed,
        format!("the body is not valid JSON: {error}"),
    )
}

fn classify(error: serde_path_to_error::Error<serde_json::Error>) -> JsonError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if inner.classify() != Category::Data {
        return malformed(&inner);
    }
    // serde quotes the offending value; the field path says which one it was.
    let text = without_input(&inner.to_string());
    // serde_json appends the position; the field path says more to a client.
    let reason = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(head, _)| head);
    let at_root = path == ".";
    if reason.starts_with("unknown field `") {
        // The path already ends with the unknown field's name.
        return JsonError::new(
            JsonErrorKind::UnknownField,
            format!("{path}: unknown field; {}", expected_part(reason)),
        )
        .with_field(path);
    }
    if let Some(name) = quoted_name(reason, "missing field `") {
        // The path is the object that lacks the field.
        let field = if at_root {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return JsonError::new(JsonErrorKind::Invalid, format!("{field}: is required"))
            .with_field(field);
    }
    if at_root {
        return JsonError::new(
            JsonErrorKind::Malformed,
            format!("the body is not the JSON object expected: {reason}"),
        );
    }
    JsonError::new(JsonErrorKind::Invalid, format!("{path}: {reason}")).with_field(path)
}

/// The name between the backticks of serde's "unknown field `x`" / "missing field `x`".
fn quoted_name<'a>(reason: &'a str, prefix: &str) -> Option<&'a str> {
    reason.strip_prefix(prefix)?.split('`').next()
}

/// The "expected one of ..." tail of serde's unknown-field message, or a plain phrase.
fn expected_part(reason: &str) -> &str {
    reason
        .split_once(", ")
        .map_or("this endpoint does not accept it", |(_, tail)| tail)
}
