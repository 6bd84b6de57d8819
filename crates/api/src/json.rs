//! Reading request bodies as JSON, with every failure sorted into the API's codes:
//! not JSON at all, or not the JSON type expected (an array for an object) → 400 `MALFORMED_JSON`;
//! a field this endpoint does not know → 422 `UNKNOWN_FIELD`; a missing field or a value of the
//! wrong type → 422 `VALIDATION_FAILED`, naming the field by its path (`allowed_cidrs[0].cidr`).

use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use keyward_core::redact::without_input;

use crate::error::{ApiError, ErrorCode};

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
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::new(
            ErrorCode::MalformedJson,
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

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::new(
        ErrorCode::MalformedJson,
        format!("the body is not valid JSON: {error}"),
    )
}

fn classify(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
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
        return ApiError::new(
            ErrorCode::UnknownField,
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
        return ApiError::new(ErrorCode::ValidationFailed, format!("{field}: is required"))
            .with_field(field);
    }
    if at_root {
        return ApiError::new(
            ErrorCode::MalformedJson,
            format!("the body is not the JSON object expected: {reason}"),
        );
    }
    ApiError::new(ErrorCode::ValidationFailed, format!("{path}: {reason}")).with_field(path)
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        #[serde(default)]
        limit: Option<u32>,
        #[serde(default)]
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        cidr: String,
    }

    fn err(body: &str) -> ApiError {
        parse::<Body>(body.as_bytes()).expect_err("should fail")
    }

    #[test]
    fn good_bodies_parse() {
        let body: Body = parse(br#"{"name": "a", "items": [{"cidr": "10.0.0.0/8"}]}"#).expect("ok");
        assert_eq!(body.name, "a");
    }

    #[test]
    fn syntax_errors_and_wrong_top_level_types_are_malformed() {
        for body in [
            "",
            "{",
            "not json",
            r#"{"name": "a"} trailing"#,
            "[1]",
            "\"x\"",
        ] {
            assert_eq!(err(body).code(), ErrorCode::MalformedJson, "{body}");
        }
    }

    #[test]
    fn unknown_fields_are_named_even_when_nested() {
        let e = err(r#"{"name": "a", "colour": 1}"#);
        assert_eq!(e.code(), ErrorCode::UnknownField);
        assert_eq!(e.field(), Some("colour"));
        let e = err(r#"{"name": "a", "items": [{"cidr": "x", "extra": 1}]}"#);
        assert_eq!(e.code(), ErrorCode::UnknownField);
        assert_eq!(e.field(), Some("items[0].extra"));
    }

    #[test]
    fn missing_and_mistyped_fields_fail_validation_by_path() {
        let e = err(r#"{}"#);
        assert_eq!(e.code(), ErrorCode::ValidationFailed);
        assert_eq!(e.field(), Some("name"));
        let e = err(r#"{"name": 5}"#);
        assert_eq!(e.code(), ErrorCode::ValidationFailed);
        assert_eq!(e.field(), Some("name"));
        assert!(!e.message().contains("line"), "{}", e.message());
        let e = err(r#"{"name": "a", "limit": -1}"#);
        assert_eq!(e.field(), Some("limit"));
        let e = err(r#"{"name": "a", "items": [{}]}"#);
        assert_eq!(e.field(), Some("items[0].cidr"));
    }

    #[test]
    fn json_content_types_are_recognised() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(v));
            has_json_content_type(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!with("json"));
        assert!(!has_json_content_type(&HeaderMap::new()));
    }
}
