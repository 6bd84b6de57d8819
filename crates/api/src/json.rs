//! Reading request bodies as JSON, with every failure sorted into the API's codes:
//! not JSON at all, or not the JSON type expected (an array for an object) → 400 `MALFORMED_JSON`;
//! a field this endpoint does not know → 422 `UNKNOWN_FIELD`; a missing field or a value of the
//! wrong type → 422 `VALIDATION_FAILED`, naming the field by its path (`allowed_cidrs[0].cidr`).
//! The parsing is the edge's ([`keyward_edge::json`]); this maps its refusals to the API's codes.

use serde::de::DeserializeOwned;

pub use keyward_edge::json::has_json_content_type;
use keyward_edge::json::{JsonError, JsonErrorKind};

use crate::error::{ApiError, ErrorCode};

/// Parses a whole body as `T` (a JSON object), refusals in the API's codes.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    keyward_edge::json::parse(bytes).map_err(api_error)
}

fn api_error(error: JsonError) -> ApiError {
    let code = match error.kind {
        JsonErrorKind::Malformed => ErrorCode::MalformedJson,
        JsonErrorKind::UnknownField => ErrorCode::UnknownField,
        JsonErrorKind::Invalid => ErrorCode::ValidationFailed,
    };
    let refused = ApiError::new(code, error.message);
    match error.field {
        Some(field) => refused.with_field(field),
        None => refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderMap, HeaderValue};
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
