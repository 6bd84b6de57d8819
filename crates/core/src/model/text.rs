//! Validated text values: names, descriptions, roles, scopes, metadata. Each is a newtype whose only
//! way in is `parse`, so an over-long or malformed value cannot exist past the edge. Which
//! characters they may hold is decided in [`super::chars`]. A value read back from the store comes
//! in through `from_stored`: it passed the rules of the version that wrote it, and re-checking it
//! against today's stricter rules would make old rows unreadable.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use super::chars::{check_controls, check_visible, to_nfc, Controls};
use crate::error::ValidationError;

/// Longest name accepted (ZenML allows 255; the other vendors less).
pub const NAME_MAX: usize = 255;
/// Longest description accepted (ZenML allows 65,535; faces may narrow it).
pub const DESCRIPTION_MAX: usize = 65_535;
/// Longest role or scope.
pub const TOKEN_MAX: usize = 256;
/// Most roles, scopes or allowed CIDRs on one key.
pub const LIST_MAX: usize = 100;
/// Largest metadata object, serialized.
pub const METADATA_MAX_BYTES: usize = 16 * 1024;

/// Unicode `White_Space` (what `str::trim` and `char::is_whitespace` remove), as a regex class body.
const WHITE_SPACE_CLASS: &str =
    r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Unicode `Cc` (what `char::is_control` matches), as a regex class body.
const CONTROL_CLASS: &str = r"\x00-\x1f\x7f-\x9f";

/// Unicode `Cf` in the Basic Multilingual Plane (bidi controls, zero-width characters, the BOM),
/// as a regex class body. The few astral `Cf` characters (tags, Kaithi and musical formatting)
/// are refused by the server too, but a non-`u` ECMA-262 pattern cannot name them.
const FORMAT_CLASS: &str = r"\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb";

/// [`Name`]'s rules as a JSON Schema (ECMA-262) pattern, for the OpenAPI document: no control or
/// format character, no leading or trailing white space. The length is `minLength`/`maxLength`.
pub fn name_pattern() -> String {
    let edge = format!("[^{WHITE_SPACE_CLASS}{CONTROL_CLASS}{FORMAT_CLASS}]");
    format!("^{edge}(?:[^{CONTROL_CLASS}{FORMAT_CLASS}]*{edge})?$")
}

/// [`Description`]'s rules as a pattern: no control character but tab, line feed and return.
pub fn description_pattern() -> String {
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$".to_owned()
}

/// [`Token`]'s rules as a pattern: no white space, no control character.
pub fn token_pattern() -> String {
    format!("^[^{WHITE_SPACE_CLASS}{CONTROL_CLASS}]+$")
}

/// A human-chosen name: 1–255 characters in NFC, no control or invisible format characters (bidi
/// controls, zero-width characters), no leading or trailing spaces. NFC makes "café" one name
/// however it was typed, so uniqueness holds.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Name(String);

impl Name {
    pub fn parse(field: &'static str, value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = to_nfc(value.into());
        if value.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if value.chars().count() > NAME_MAX {
            return Err(ValidationError::new(
                field,
                "must be at most 255 characters",
            ));
        }
        if value.trim() != value {
            return Err(ValidationError::new(
                field,
                "must not start or end with whitespace",
            ));
        }
        check_controls(field, &value, Controls::Refused)?;
        check_visible(field, &value)?;
        Ok(Self(value))
    }

    /// A name as the store holds it.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text, possibly empty, at most 65,535 characters.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    pub fn parse(field: &'static str, value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.chars().count() > DESCRIPTION_MAX {
            return Err(ValidationError::new(
                field,
                "must be at most 65535 characters",
            ));
        }
        check_controls(field, &value, Controls::AllowLineBreaks)?;
        Ok(Self(value))
    }

    /// A description as the store holds it.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// A role or scope: 1–256 printable characters without whitespace (e.g. `billing:read`, `yc.ydb.topics.manage`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Token(String);

impl Token {
    pub fn parse(field: &'static str, value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::new(field, "items must not be empty"));
        }
        if value.chars().count() > TOKEN_MAX {
            return Err(ValidationError::new(
                field,
                "items must be at most 256 characters",
            ));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new(
                field,
                "items must not contain whitespace",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// A set of roles or scopes: at most 100 unique tokens, kept in the order given.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TokenSet(Vec<Token>);

impl TokenSet {
    pub fn parse<I, S>(field: &'static str, values: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut seen = HashSet::new();
        let mut tokens = Vec::new();
        for value in values {
            let token = Token::parse(field, value)?;
            if !seen.insert(token.clone()) {
                return Err(ValidationError::new(field, "items must be unique"));
            }
            tokens.push(token);
            if tokens.len() > LIST_MAX {
                return Err(ValidationError::new(field, "must have at most 100 items"));
            }
        }
        Ok(Self(tokens))
    }

    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|t| t.as_str() == value)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(Token::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_strings(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Caller-defined data on a key: a JSON object of at most 16 KiB. Keys hold no control
/// characters; string values, at any depth, only tab, line feed and carriage return.
#[derive(Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Metadata(serde_json::Map<String, serde_json::Value>);

impl Metadata {
    pub fn parse(field: &'static str, value: serde_json::Value) -> Result<Self, ValidationError> {
        match value {
            serde_json::Value::Object(map) => Self::from_map(field, map),
            serde_json::Value::Null => Ok(Self::default()),
            _ => Err(ValidationError::new(field, "must be a JSON object")),
        }
    }

    pub fn from_map(
        field: &'static str,
        map: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Self, ValidationError> {
        let size = serde_json::to_string(&map)
            .map(|s| s.len())
            .unwrap_or(usize::MAX);
        if size > METADATA_MAX_BYTES {
            return Err(ValidationError::new(
                field,
                "must be at most 16384 bytes as JSON",
            ));
        }
        for (key, value) in &map {
            check_json_text(field, key, value)?;
        }
        Ok(Self(map))
    }

    /// Metadata as the store holds it (a JSON object; anything else reads as empty).
    pub fn from_stored(value: serde_json::Value) -> Self {
        match value {
            serde_json::Value::Object(map) => Self(map),
            _ => Self::default(),
        }
    }

    pub fn as_map(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::Value::Object(self.0.clone())
    }
}

/// Checks one metadata entry and everything below it.
fn check_json_text(
    field: &'static str,
    key: &str,
    value: &serde_json::Value,
) -> Result<(), ValidationError> {
    check_controls(field, key, Controls::Refused)?;
    match value {
        serde_json::Value::String(text) => check_controls(field, text, Controls::AllowLineBreaks),
        serde_json::Value::Array(items) => items
            .iter()
            .try_for_each(|item| check_json_text(field, "", item)),
        serde_json::Value::Object(map) => map
            .iter()
            .try_for_each(|(key, value)| check_json_text(field, key, value)),
        _ => Ok(()),
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_trimmed() {
        assert!(Name::parse("name", "ci-deploy").is_ok());
        assert!(Name::parse("name", "").is_err());
        assert!(Name::parse("name", " padded").is_err());
        assert!(Name::parse("name", "a\u{7}b").is_err());
        assert!(Name::parse("name", "x".repeat(255)).is_ok());
        assert!(Name::parse("name", "x".repeat(256)).is_err());
        assert!(Name::parse("name", "a\0b").is_err());
        assert!(Name::parse("name", "evil\u{202E}txt.exe").is_err());
        assert!(Name::parse("name", "ad\u{200B}min").is_err());
        assert_eq!(
            Name::parse("name", "cafe\u{301}").unwrap(),
            Name::parse("name", "café").unwrap()
        );
    }

    #[test]
    fn descriptions_keep_line_breaks_but_no_other_controls() {
        assert!(Description::parse("description", "line\nline\ttab").is_ok());
        assert!(Description::parse("description", "a\0b").is_err());
        assert!(Description::parse("description", "a\u{85}b").is_err());
    }

    #[test]
    fn token_sets_reject_duplicates_and_whitespace() {
        assert!(TokenSet::parse("scopes", ["a", "b"]).is_ok());
        assert!(TokenSet::parse("scopes", ["a", "a"]).is_err());
        assert!(TokenSet::parse("scopes", ["a b"]).is_err());
        assert!(TokenSet::parse("scopes", (0..101).map(|i| i.to_string())).is_err());
    }

    #[test]
    fn metadata_must_be_a_small_object() {
        assert!(Metadata::parse("metadata", serde_json::json!({"team": "x"})).is_ok());
        assert!(Metadata::parse("metadata", serde_json::json!([1])).is_err());
        let big = "x".repeat(METADATA_MAX_BYTES);
        assert!(Metadata::parse("metadata", serde_json::json!({ "k": big })).is_err());
        assert!(Metadata::parse("metadata", serde_json::json!({"a\u{0}": 1})).is_err());
        assert!(Metadata::parse("metadata", serde_json::json!({"a": "x\u{0}"})).is_err());
        assert!(Metadata::parse("metadata", serde_json::json!({"a": [{"b": ["\u{1}"]}]})).is_err());
        assert!(Metadata::parse("metadata", serde_json::json!({"a": "two\nlines"})).is_ok());
    }
}
