//! Human durations: `500ms`, `10s`, `5m`, `2h`, `30d`, `1h30m`, `2 weeks`, and the bare `0`.
//!
//! One parser for every duration keyward reads (configuration, `--grace`, `--expires-in`, a rate
//! limit's period, the load harness's `--duration`), so `10m` means the same thing everywhere.
//! The syntax is `humantime`'s; keyward adds two rules on top. A bare number other than `0` is
//! refused (humantime does too): `--grace 600` could mean seconds or minutes, and guessing wrong
//! on an expiry is worse than asking. And durations are whole milliseconds, so that
//! [`format_duration`] can always write back what was read.

use std::time::Duration;

/// Parses a duration such as `10m`, `3600s`, `1h30m` or `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a duration must not be empty (e.g. 10s, 5m, 1h, 30d)".into());
    }
    let duration = humantime::parse_duration(text).map_err(|error| match error {
        humantime::DurationError::UnknownUnit { unit, .. } if unit.is_empty() => {
            format!("`{text}` needs a unit: ms, s, m, h or d (e.g. {text}s)")
        }
        humantime::DurationError::UnknownUnit { unit, .. } => {
            format!("`{text}`: unknown unit `{unit}` (use ms, s, m, h or d)")
        }
        humantime::DurationError::NumberOverflow => format!("`{text}` is too long"),
        _ => format!(
            "`{text}` is not a duration: expected a number followed by a unit (ms, s, m, h, d)"
        ),
    })?;
    if duration.subsec_nanos() % 1_000_000 != 0 {
        return Err(format!(
            "`{text}`: durations are counted in whole milliseconds"
        ));
    }
    Ok(duration)
}

/// Prints a duration the way [`parse_duration`] reads it back (`90s` → `1m30s`).
pub fn format_duration(duration: Duration) -> String {
    if duration.is_zero() {
        return "0".into();
    }
    let millis = duration.subsec_millis();
    let mut secs = duration.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if millis > 0 {
        out.push_str(&format!("{millis}ms"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_units() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("3600s"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration(" 5s "), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(
            parse_duration("2 weeks"),
            Ok(Duration::from_secs(14 * 86_400))
        );
    }

    #[test]
    fn compound_durations_add_up() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(
            parse_duration("1d2h3m4s5ms"),
            Ok(Duration::from_millis(93_784_005))
        );
    }

    #[test]
    fn bad_durations_say_why() {
        assert!(parse_duration("").unwrap_err().contains("empty"));
        assert!(parse_duration("600").unwrap_err().contains("needs a unit"));
        assert!(parse_duration("5x")
            .unwrap_err()
            .contains("unknown unit `x`"));
        assert!(parse_duration("500us")
            .unwrap_err()
            .contains("whole milliseconds"));
        assert!(parse_duration("m5").unwrap_err().contains("not a duration"));
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("99999999999999999999s").is_err());
        assert!(parse_duration("999999999999999999d").is_err());
    }

    #[test]
    fn formatting_round_trips() {
        for text in ["0", "1s", "1m30s", "1d", "2h5m", "250ms", "1s500ms"] {
            let parsed = parse_duration(text).expect(text);
            assert_eq!(format_duration(parsed), text);
            assert_eq!(parse_duration(&format_duration(parsed)), Ok(parsed));
        }
    }
}
