//! Which characters text may hold: the one rule every value that reaches the store goes through
//! (names, descriptions, metadata, filter values, cursors), so every face refuses the same input
//! with its own 400 / `INVALID_ARGUMENT`, and SQLite and PostgreSQL never see it.
//!
//! - **Control characters** (Unicode `Cc`: C0 U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F) are
//!   refused everywhere, except that free text ([`Controls::AllowLineBreaks`]: descriptions,
//!   metadata string values, text filter values) may hold tab, line feed and carriage return.
//!   PostgreSQL cannot store U+0000 in `text` or `jsonb` at all and SQLite's C API cuts a string at
//!   it, so a NUL would otherwise answer 500 on one backend and silently match everything on the
//!   other.
//! - **Invisible format characters** (Unicode `Cf`: bidi embeddings, overrides and isolates such as
//!   U+202E, zero-width space/joiners U+200B–U+200D, U+2060, U+FEFF, soft hyphen U+00AD…) are
//!   refused in names: they make two names look alike or one name read backwards in a console.
//! - **Names are stored in NFC**, so "café" typed precomposed or decomposed is one name.

use unicode_normalization::{is_nfc, UnicodeNormalization as _};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

use crate::error::ValidationError;

/// Which control characters a value may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Controls {
    /// None at all: names, roles, scopes, metadata keys, identifiers.
    Refused,
    /// Tab, line feed and carriage return only: free text.
    AllowLineBreaks,
}

impl Controls {
    fn refuses(self, c: char) -> bool {
        c.is_control() && !(self == Controls::AllowLineBreaks && matches!(c, '\t' | '\n' | '\r'))
    }

    fn reason(self) -> &'static str {
        match self {
            Controls::Refused => "must not contain control characters",
            Controls::AllowLineBreaks => {
                "must not contain control characters other than tab, line feed and carriage return"
            }
        }
    }
}

/// Whether `value` holds a control character that `allowed` refuses.
pub fn has_refused_control(value: &str, allowed: Controls) -> bool {
    value.chars().any(|c| allowed.refuses(c))
}

/// Refuses a control character that `allowed` does not let through, naming `field` only: the
/// message never quotes the value.
pub fn check_controls(
    field: &'static str,
    value: &str,
    allowed: Controls,
) -> Result<(), ValidationError> {
    if has_refused_control(value, allowed) {
        return Err(ValidationError::new(field, allowed.reason()));
    }
    Ok(())
}

/// Whether `c` is an invisible format character (Unicode general category `Cf`).
pub fn is_invisible_format(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// Refuses bidi controls and other invisible format characters.
pub fn check_visible(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.chars().any(is_invisible_format) {
        return Err(ValidationError::new(
            field,
            "must not contain invisible format characters (bidi controls, zero-width characters)",
        ));
    }
    Ok(())
}

/// `value` in Unicode Normalization Form C; no allocation when it already is (the usual case).
pub fn to_nfc(value: String) -> String {
    if is_nfc(&value) {
        value
    } else {
        value.nfc().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_refused_and_free_text_keeps_its_line_breaks() {
        for text in ["a\0b", "\u{7}", "\u{7f}", "\u{85}", "\u{9f}"] {
            assert!(has_refused_control(text, Controls::Refused), "{text:?}");
            assert!(
                has_refused_control(text, Controls::AllowLineBreaks),
                "{text:?}"
            );
        }
        assert!(has_refused_control("a\nb", Controls::Refused));
        assert!(!has_refused_control("a\n\tb\r", Controls::AllowLineBreaks));
        assert!(!has_refused_control("café ✓", Controls::Refused));
        let error = check_controls("name", "a\0b", Controls::Refused).unwrap_err();
        assert_eq!(error.field, "name");
        assert!(!error.to_string().contains("a\0b"));
    }

    #[test]
    fn bidi_and_zero_width_characters_are_invisible() {
        for c in [
            '\u{202E}', '\u{2066}', '\u{200B}', '\u{200D}', '\u{FEFF}', '\u{AD}',
        ] {
            assert!(is_invisible_format(c), "{c:?}");
        }
        assert!(check_visible("name", "ab\u{202E}c").is_err());
        assert!(check_visible("name", "café").is_ok());
    }

    #[test]
    fn decomposed_text_is_composed() {
        assert_eq!(to_nfc("cafe\u{301}".to_owned()), "café");
        assert_eq!(to_nfc("café".to_owned()), "café");
    }
}
