//! ZenML's datetimes: naive (no zone, meaning UTC) ISO 8601 with microseconds, as pydantic
//! renders Python's `datetime` (`2026-11-22T08:35:26.269252`, the fraction left out when it is
//! zero); and the filter format `%Y-%m-%d %H:%M:%S` (plus ISO 8601, which pydantic also reads).

use serde::Serializer;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `2026-11-22T08:35:26.269252` (UTC, no zone), or without the fraction when it is zero.
pub fn naive(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let mut text = at.format(&seconds).unwrap_or_default();
    let micros = at.microsecond();
    if micros != 0 {
        text.push_str(&format!(".{micros:06}"));
    }
    text
}

/// For `#[serde(serialize_with)]`.
pub fn serialize<S: Serializer>(at: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&naive(*at))
}

/// For `#[serde(serialize_with)]` on optional times (`null` when absent).
pub fn serialize_option<S: Serializer>(
    at: &Option<OffsetDateTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// A filter time: `2026-01-31 12:00:00` (ZenML's filter format), or ISO 8601 with `T`, an
/// optional fraction and an optional zone. A time without a zone is UTC, as on a ZenML server.
pub fn parse_filter_time(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if text.len() > 64 {
        return None;
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(at.to_offset(UtcOffset::UTC));
    }
    let plain = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let iso = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let iso_fraction =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    [plain, iso, iso_fraction]
        .iter()
        .find_map(|format| PrimitiveDateTime::parse(text, format).ok())
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_render_naive_with_microseconds_only_when_present() {
        assert_eq!(
            naive(datetime!(2026-11-22 08:35:26.269252 UTC)),
            "2026-11-22T08:35:26.269252"
        );
        assert_eq!(
            naive(datetime!(2026-11-22 08:35:26.000001 UTC)),
            "2026-11-22T08:35:26.000001"
        );
        assert_eq!(
            naive(datetime!(2026-11-22 08:35:26 UTC)),
            "2026-11-22T08:35:26"
        );
        assert_eq!(
            naive(datetime!(2026-11-22 10:35:26 +02:00)),
            "2026-11-22T08:35:26"
        );
    }

    #[test]
    fn filter_times_accept_zenml_and_iso_forms() {
        let at = datetime!(2000-01-01 00:00:00 UTC);
        assert_eq!(parse_filter_time("2000-01-01 00:00:00"), Some(at));
        assert_eq!(parse_filter_time("2000-01-01T00:00:00"), Some(at));
        assert_eq!(parse_filter_time("2000-01-01T02:00:00+02:00"), Some(at));
        assert_eq!(
            parse_filter_time("2000-01-01T00:00:00.5"),
            Some(datetime!(2000-01-01 00:00:00.5 UTC))
        );
        for bad in ["", "yesterday", "2000-01-01", "2000-13-01 00:00:00", "1,2"] {
            assert_eq!(parse_filter_time(bad), None, "{bad}");
        }
    }
}
