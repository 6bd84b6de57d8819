//! An HTTP answer read in full, with the assertions tests make on it over and over.

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

/// Status, headers and body of one response. The body is kept as text and, when it parses, JSON.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// `Value::Null` when the body is empty or not JSON.
    pub body: Value,
}

impl Reply {
    pub async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("the body is read");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    /// Asserts the status and returns the JSON body.
    #[track_caller]
    pub fn expect_status(self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status}, got {} with body {}",
            self.status,
            self.text
        );
        self.body
    }

    /// Asserts an error answer: this status, this `error.code`, a non-empty message, and the
    /// documented envelope `{"error": {"code", "message", ...}}`. Returns the `error` object.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "expected {status} {code}, got {} with body {}",
            self.status,
            self.text
        );
        let error = &self.body["error"];
        assert_eq!(
            error["code"].as_str(),
            Some(code),
            "expected error code {code} in {}",
            self.text
        );
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error has a message: {}",
            self.text
        );
        error.clone()
    }

    /// Like `expect_error` for 422 `VALIDATION_FAILED`, also checking that `field` is named
    /// (exactly, or as a dotted prefix such as `allowed_cidrs` for `allowed_cidrs.cidr`).
    #[track_caller]
    pub fn expect_invalid(&self, field: &str) {
        let error = self.expect_error(422, "VALIDATION_FAILED");
        let named = error["field"].as_str().unwrap_or_default();
        assert!(
            named == field
                || named.starts_with(&format!("{field}."))
                || named.starts_with(&format!("{field}[")),
            "expected the error to name field `{field}`, got {}",
            self.text
        );
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `items` of a list answer; asserts a 200.
    #[track_caller]
    pub fn items(self) -> Vec<Value> {
        let body = self.expect_status(200);
        body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("a list has `items`: {body}"))
            .clone()
    }
}
