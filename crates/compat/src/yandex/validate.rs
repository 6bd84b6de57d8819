//! The vendor's limits on request fields, which its protos state as custom options
//! (`yandex.cloud.length`, `value`, `size`, `unique`, `required`) that its clients do not
//! enforce: the server must. Each check turns wire values into the core's validated types or
//! answers `INVALID_ARGUMENT` naming the field. Rules about keys themselves (an expiry must be in
//! the future, who may do what) stay in the core.

use std::str::FromStr;

use keyward_core::error::Entity;
use keyward_core::model::{Description, TokenSet};
use prost_types::{FieldMask, Timestamp};
use time::macros::datetime;
use time::OffsetDateTime;

use super::error::YandexError;

/// `yandex.cloud.length = '<=50'` on every id field.
pub const ID_MAX: usize = 50;
/// `yandex.cloud.length = '<=256'` on descriptions.
pub const DESCRIPTION_MAX: usize = 256;
/// `yandex.cloud.length = '<=2000'` on page tokens.
pub const PAGE_TOKEN_MAX: usize = 2000;
/// `yandex.cloud.value = '0-1000'` on page sizes; 0 means the default.
pub const PAGE_SIZE_MAX: i64 = 1000;
/// The vendor's documented default page size.
pub const PAGE_SIZE_DEFAULT: u32 = 100;
/// `yandex.cloud.size = '<=100'` on scopes (`'1-100'` in an update).
pub const SCOPES_MAX: usize = 100;
/// `yandex.cloud.value = '19700101T000000.000000000-21051231T235959.999999999'` on expiries.
const EXPIRY_FIRST: OffsetDateTime = datetime!(1970-01-01 00:00:00 UTC);
const EXPIRY_LAST: OffsetDateTime = datetime!(2105-12-31 23:59:59.999_999_999 UTC);

fn too_long(field: &str, text: &str, max: usize) -> Result<(), YandexError> {
    if text.chars().count() > max {
        return Err(YandexError::invalid(
            field,
            &format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// An id that may be left empty. Within the length limit, text that is not one of keyward's
/// ids names nothing that exists: `NOT_FOUND`, as the vendor answers for an unknown id.
pub fn optional_id<T: FromStr>(
    field: &str,
    text: &str,
    entity: Entity,
) -> Result<Option<T>, YandexError> {
    too_long(field, text, ID_MAX)?;
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| YandexError::not_found(entity))
}

/// An id marked `yandex.cloud.required`.
pub fn required_id<T: FromStr>(field: &str, text: &str, entity: Entity) -> Result<T, YandexError> {
    optional_id(field, text, entity)?.ok_or_else(|| YandexError::invalid(field, "is required"))
}

/// `page_size`: 0–1000, where 0 (unset) means 100.
pub fn page_size(value: i64) -> Result<u32, YandexError> {
    match value {
        0 => Ok(PAGE_SIZE_DEFAULT),
        1..=PAGE_SIZE_MAX => Ok(value as u32),
        _ => Err(YandexError::invalid(
            "page_size",
            "must be between 0 and 1000",
        )),
    }
}

/// `page_token`: empty for the first page, at most 2000 characters.
pub fn page_token(text: &str) -> Result<Option<&str>, YandexError> {
    too_long("page_token", text, PAGE_TOKEN_MAX)?;
    Ok((!text.is_empty()).then_some(text))
}

/// The refusal for a page token this server did not issue.
pub fn bad_page_token() -> YandexError {
    YandexError::invalid("page_token", "is not a token returned by this list")
}

pub fn description(text: &str) -> Result<Description, YandexError> {
    too_long("description", text, DESCRIPTION_MAX)?;
    Ok(Description::parse("description", text)?)
}

/// Scopes: at most 100 unique items of at most 256 characters (the core's `TokenSet` checks
/// the items), and at least `min`.
pub fn scopes(values: &[String], min: usize) -> Result<TokenSet, YandexError> {
    if values.len() < min || values.len() > SCOPES_MAX {
        let reason = if min == 0 {
            "must have at most 100 items".to_owned()
        } else {
            format!("must have {min} to 100 items")
        };
        return Err(YandexError::invalid("scopes", &reason));
    }
    Ok(TokenSet::parse("scopes", values.iter().cloned())?)
}

/// A wire timestamp as a time, or `INVALID_ARGUMENT` when its fields are out of range.
pub fn timestamp(field: &str, at: &Timestamp) -> Result<OffsetDateTime, YandexError> {
    let invalid = || YandexError::invalid(field, "is not a valid timestamp");
    if !(0..1_000_000_000).contains(&at.nanos) {
        return Err(invalid());
    }
    let nanos = i128::from(at.seconds) * 1_000_000_000 + i128::from(at.nanos);
    OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| invalid())
}

/// An expiry: unset means "never", otherwise within the vendor's range. Whether it is in the
/// future is the core's rule.
pub fn expiry(at: Option<&Timestamp>) -> Result<Option<OffsetDateTime>, YandexError> {
    let Some(at) = at else {
        return Ok(None);
    };
    let at = timestamp("expires_at", at)?;
    if !(EXPIRY_FIRST..=EXPIRY_LAST).contains(&at) {
        return Err(YandexError::invalid(
            "expires_at",
            "must be between 1970-01-01T00:00:00Z and 2105-12-31T23:59:59.999999999Z",
        ));
    }
    Ok(Some(at))
}

/// Which fields an update changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    pub description: bool,
    pub scopes: bool,
    pub expires_at: bool,
}

/// The fields `update_mask` names. An absent or empty mask means the fields the request sets
/// (Google AIP-134's implied mask); a path that is not an updatable field is refused.
pub fn update_mask(
    mask: Option<&FieldMask>,
    sets_description: bool,
    sets_scopes: bool,
    sets_expiry: bool,
) -> Result<Changed, YandexError> {
    let paths = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    if paths.is_empty() {
        return Ok(Changed {
            description: sets_description,
            scopes: sets_scopes,
            expires_at: sets_expiry,
        });
    }
    let mut changed = Changed::default();
    for path in paths {
        match path.as_str() {
            "description" => changed.description = true,
            "scopes" => changed.scopes = true,
            "expires_at" => changed.expires_at = true,
            other => {
                let shown: String = other.chars().take(64).collect();
                return Err(YandexError::invalid(
                    "update_mask",
                    &format!(
                        "`{shown}` cannot be updated; the fields are description, scopes, expires_at"
                    ),
                ));
            }
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::ids::KeyId;
    use tonic::Code;

    #[test]
    fn ids_are_bounded_and_unknown_shapes_are_not_found() {
        let id = KeyId::new().to_string();
        assert!(required_id::<KeyId>("api_key_id", &id, Entity::Key).is_ok());
        let missing = required_id::<KeyId>("api_key_id", "", Entity::Key).unwrap_err();
        assert_eq!(missing.code(), Code::InvalidArgument);
        let long = required_id::<KeyId>("api_key_id", &"a".repeat(51), Entity::Key).unwrap_err();
        assert_eq!(long.code(), Code::InvalidArgument);
        let odd = required_id::<KeyId>("api_key_id", "aje1234", Entity::Key).unwrap_err();
        assert_eq!(odd.code(), Code::NotFound);
    }

    #[test]
    fn page_sizes_default_to_100_and_stop_at_1000() {
        assert_eq!(page_size(0).unwrap(), 100);
        assert_eq!(page_size(1000).unwrap(), 1000);
        assert!(page_size(1001).is_err());
        assert!(page_size(-1).is_err());
        assert!(page_token(&"t".repeat(2001)).is_err());
        assert_eq!(page_token("").unwrap(), None);
    }

    #[test]
    fn expiries_stay_in_the_vendor_range() {
        let at = |seconds, nanos| Timestamp { seconds, nanos };
        assert!(expiry(Some(&at(0, 0))).is_ok());
        assert!(expiry(Some(&at(-1, 0))).is_err());
        let last = EXPIRY_LAST.unix_timestamp();
        assert!(expiry(Some(&at(last, 999_999_999))).is_ok());
        assert!(expiry(Some(&at(last + 1, 0))).is_err());
        assert!(expiry(Some(&at(10, -1))).is_err());
        assert_eq!(expiry(None).unwrap(), None);
    }

    #[test]
    fn masks_name_only_updatable_fields() {
        let mask = |paths: &[&str]| FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        };
        let changed = update_mask(Some(&mask(&["scopes"])), true, true, true).unwrap();
        assert!(changed.scopes && !changed.description && !changed.expires_at);
        assert!(update_mask(Some(&mask(&["name"])), false, false, false).is_err());
        let implied = update_mask(None, true, false, true).unwrap();
        assert!(implied.description && !implied.scopes && implied.expires_at);
    }

    #[test]
    fn scopes_follow_the_vendor_sizes() {
        assert!(scopes(&[], 0).is_ok());
        assert!(scopes(&[], 1).is_err());
        assert!(scopes(&["a".into(), "a".into()], 0).is_err());
        assert!(scopes(&["x".repeat(257)], 0).is_err());
        let many: Vec<String> = (0..101).map(|i| i.to_string()).collect();
        assert!(scopes(&many, 0).is_err());
    }
}
