//! What an error message may repeat of a request: the field, never the value, and never anything
//! shaped like a secret. Every face renders its error bodies (and gRPC status messages) through
//! [`redact_secrets`], and turns deserializer messages into text with [`without_input`], so a
//! secret pasted into the wrong field (`{"scopes": "kw_…"}`, `?kw_…=1`) is not sent back, to the
//! client's logs or anyone watching them.

use std::borrow::Cow;

use crate::secret::SECRET_PREFIX;

/// What replaces a secret-shaped run of text.
pub const REDACTED: &str = "kw_<redacted>";

/// `text` with every run shaped like a keyward secret (`kw_` followed by letters or digits, of
/// any length: a truncated or mistyped secret is still mostly a secret) replaced by [`REDACTED`].
/// The prefix is matched case-insensitively. No allocation when there is nothing to redact.
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    if !contains_prefix(text) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if starts_secret(&bytes[i..]) {
            let mut end = i + SECRET_PREFIX.len();
            while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
                end += 1;
            }
            out.push_str(REDACTED);
            i = end;
        } else {
            // Copy one whole character (the prefix is ASCII, so a match never starts mid-character).
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    Cow::Owned(out)
}

fn contains_prefix(text: &str) -> bool {
    text.as_bytes()
        .windows(SECRET_PREFIX.len())
        .any(|w| w.eq_ignore_ascii_case(SECRET_PREFIX.as_bytes()))
}

fn starts_secret(bytes: &[u8]) -> bool {
    bytes.len() > SECRET_PREFIX.len()
        && bytes[..SECRET_PREFIX.len()].eq_ignore_ascii_case(SECRET_PREFIX.as_bytes())
        && bytes[SECRET_PREFIX.len()].is_ascii_alphanumeric()
}

/// A serde (or serde-like) deserializer message without the input it quotes:
/// `invalid type: string "kw_…", expected a sequence` → `invalid type: string, expected a sequence`;
/// `unknown variant `x`, expected one of `a`, `b`` → `unknown variant, expected one of `a`, `b``.
/// The expected part is written by the program, so it stays. Other messages only lose secrets.
pub fn without_input(message: &str) -> String {
    for head in ["invalid type: ", "invalid value: ", "unknown variant "] {
        let Some(at) = message.find(head) else {
            continue;
        };
        let rest = &message[at + head.len()..];
        // The quoted value may itself contain ", expected": the program's part is the last one.
        let Some(split) = rest.rfind(", expected ") else {
            continue;
        };
        let unexpected = &rest[..split];
        let kind = unexpected
            .find(['"', '`', '\''])
            .map_or(unexpected, |quote| &unexpected[..quote])
            .trim();
        let head = head.trim_end().trim_end_matches(':');
        let prefix = &message[..at];
        let kind = if kind.is_empty() || head == "unknown variant" {
            String::new()
        } else {
            format!(": {kind}")
        };
        let message = format!("{prefix}{head}{kind}{}", &rest[split..]);
        return redact_secrets(&message).into_owned();
    }
    redact_secrets(message).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretToken;

    #[test]
    fn secrets_are_redacted_wherever_they_appear() {
        let secret = SecretToken::generate();
        let text = format!("scopes: \"{}\" and KW_abc, kw_ alone", secret.expose());
        let redacted = redact_secrets(&text);
        assert!(!redacted.contains(secret.expose()));
        assert!(!redacted.contains("KW_abc"));
        assert!(redacted.contains("kw_ alone"));
        assert!(matches!(redact_secrets("nothing here"), Cow::Borrowed(_)));
        assert_eq!(redact_secrets("é kw_1 é"), "é kw_<redacted> é");
    }

    #[test]
    fn serde_messages_lose_the_quoted_input() {
        assert_eq!(
            without_input("invalid type: string \"hunter2, expected x\", expected a sequence"),
            "invalid type: string, expected a sequence"
        );
        assert_eq!(
            without_input("invalid value: integer `5`, expected a positive number"),
            "invalid value: integer, expected a positive number"
        );
        assert_eq!(
            without_input("unknown variant `kw_abc`, expected one of `a`, `b`"),
            "unknown variant, expected one of `a`, `b`"
        );
        assert_eq!(
            without_input("unknown field `kw_abc`, expected `name`"),
            "unknown field `kw_<redacted>`, expected `name`"
        );
    }
}
