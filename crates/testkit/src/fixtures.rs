//! Small builders and readers for HTTP tests: unique names, RFC 3339 times, request bodies, and
//! secrets that are well formed but unknown (or deliberately broken).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use keyward_core::secret::SECRET_LEN;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `prefix-<n>`, unique within the test process, so tests sharing a database never clash on names.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A time in the wire format.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("a time formats as RFC 3339")
}

/// Reads a time from a response field; panics with the field's text when it is not RFC 3339.
pub fn time_of(value: &Value) -> OffsetDateTime {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected an RFC 3339 string, got {value}"));
    OffsetDateTime::parse(text, &Rfc3339)
        .unwrap_or_else(|e| panic!("`{text}` is not RFC 3339: {e}"))
}

/// The `id` of a response object, as text.
pub fn id_of(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no string `id` in {value}"))
        .to_owned()
}

/// The strings of a JSON array of strings, in order.
pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, got {value}"))
        .iter()
        .map(|v| v.as_str().expect("string item").to_owned())
        .collect()
}

/// A secret in keyward's format with a correct checksum that no server has issued: `NOT_FOUND`.
pub fn unknown_secret() -> String {
    keyward_core::secret::SecretToken::generate()
        .expose()
        .to_owned()
}

/// `secret` with one body character changed: right shape, wrong checksum, so `MALFORMED`.
pub fn typo_of(secret: &str) -> String {
    let mut chars: Vec<char> = secret.chars().collect();
    let at = 10.min(chars.len().saturating_sub(1));
    chars[at] = if chars[at] == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

/// The 39 characters after `kw_`: what a log must not contain even without the prefix.
pub fn secret_body(secret: &str) -> &str {
    secret.strip_prefix("kw_").unwrap_or(secret)
}

/// A `POST /v1/principals` body for a service account.
pub fn service_account(name: &str) -> Value {
    json!({"kind": "service_account", "name": name})
}

/// A `POST /v1/principals` body for a user.
pub fn user(name: &str) -> Value {
    json!({"kind": "user", "name": name})
}

/// A key returned by create or rotate, with the secret shown that one time.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    pub id: String,
    pub secret: String,
    /// The `key` object of the response.
    pub key: Value,
}

impl CreatedKey {
    pub fn from_response(body: &Value) -> Self {
        let secret = body["secret"]
            .as_str()
            .unwrap_or_else(|| panic!("no `secret` in {body}"))
            .to_owned();
        Self {
            id: id_of(&body["key"]),
            secret,
            key: body["key"].clone(),
        }
    }
}

/// Whether `value` (any JSON) contains `needle` in any string, key or number.
pub fn json_contains(value: &Value, needle: &str) -> bool {
    value.to_string().contains(needle)
}
