//! The three kinds of limit: rate limits (a rolling window), quotas (a calendar window) and
//! credits (a balance that may refill), validated once here and stored as JSON.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::calendar::Calendar;
use crate::duration::{format_duration, parse_duration};
use crate::error::ValidationError;
use crate::model::wire_enum;

/// The most limits of one kind one key, principal or plan may carry.
pub const LIMITS_MAX: usize = 16;
/// The largest limit, burst, balance or refill: far above any real use, far below overflow.
pub const AMOUNT_MAX: u64 = 1_000_000_000_000;
/// The longest rate-limit period (a quota is the tool for longer windows).
pub const PERIOD_MAX: Duration = Duration::from_secs(31 * 24 * 3600);
/// The shortest rate-limit period.
pub const PERIOD_MIN: Duration = Duration::from_millis(1);
const NAME_MAX: usize = 64;

wire_enum!(
    /// Where a limit is counted when several nodes share it: `exact` in Redis on every request
    /// (no node ever admits past the limit), `local` on each node, reconciled with Redis
    /// periodically (cheaper, within a documented bound).
    LimitMode, "mode" { Exact => "exact", Local => "local" }
);
wire_enum!(
    /// How a refill changes a balance.
    RefillMode, "mode" { Set => "set", Add => "add" }
);

/// A rolling-window limit, enforced with GCRA: `limit` per `period`, up to `burst` at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRateLimit", into = "RawRateLimit")]
pub struct RateLimit {
    pub name: String,
    pub limit: u64,
    pub period: Duration,
    pub burst: u64,
    /// `None`: the node's default (`exact` when Redis is configured).
    pub mode: Option<LimitMode>,
}

/// A calendar-window limit: `limit` per UTC day, week or month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawQuota", into = "RawQuota")]
pub struct Quota {
    pub name: String,
    pub limit: u64,
    pub per: Calendar,
    pub mode: Option<LimitMode>,
}

/// The rate limits and quotas of one key, principal or usage plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate_limits: Vec<RateLimit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<Quota>,
}

/// A credit refill: `amount` at the start of every `every` (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRefill", into = "RawRefill")]
pub struct Refill {
    pub amount: u64,
    pub every: Calendar,
    pub mode: RefillMode,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        self.rate_limits.is_empty() && self.quotas.is_empty()
    }

    /// Checks what serde cannot: counts and unique names per kind.
    pub fn validate(&self, field: &'static str) -> Result<(), ValidationError> {
        check_list(
            field,
            "rate_limits",
            self.rate_limits.iter().map(|l| &l.name),
        )?;
        check_list(field, "quotas", self.quotas.iter().map(|q| &q.name))
    }

    /// Parses and validates limits from request JSON (`{"rate_limits": [...], "quotas": [...]}`).
    pub fn from_json(
        field: &'static str,
        value: serde_json::Value,
    ) -> Result<Self, ValidationError> {
        let limits: Limits = serde_json::from_value(value)
            .map_err(|e| ValidationError::new(field, e.to_string()))?;
        limits.validate(field)?;
        Ok(limits)
    }

    /// Reads limits as the store wrote them; unreadable JSON (never written by keyward) reads as none.
    pub fn from_stored(value: serde_json::Value) -> Self {
        serde_json::from_value(value).unwrap_or_default()
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

fn check_list<'a>(
    field: &'static str,
    kind: &str,
    names: impl ExactSizeIterator<Item = &'a String>,
) -> Result<(), ValidationError> {
    if names.len() > LIMITS_MAX {
        return Err(ValidationError::new(
            field,
            format!("at most {LIMITS_MAX} {kind}"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name.as_str()) {
            return Err(ValidationError::new(
                field,
                format!("{kind}: the name `{name}` is used twice"),
            ));
        }
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= NAME_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "name: 1 to {NAME_MAX} characters of A-Z a-z 0-9 _ - . :"
        ))
    }
}

fn check_amount(field: &str, value: u64, min: u64) -> Result<u64, String> {
    if (min..=AMOUNT_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{field}: must be between {min} and {AMOUNT_MAX}"))
    }
}

fn parse_mode(text: Option<String>) -> Result<Option<LimitMode>, String> {
    text.map(|t| LimitMode::parse(&t).map_err(|e| e.reason.to_string()))
        .transpose()
}

fn parse_calendar(field: &str, text: &str) -> Result<Calendar, String> {
    Calendar::parse(text).map_err(|_| format!("{field}: must be one of: day week month"))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    name: String,
    limit: u64,
    period: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    burst: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
}

impl TryFrom<RawRateLimit> for RateLimit {
    type Error = String;

    fn try_from(raw: RawRateLimit) -> Result<Self, String> {
        check_name(&raw.name)?;
        let limit = check_amount("limit", raw.limit, 1)?;
        let period = parse_duration(&raw.period).map_err(|e| format!("period: {e}"))?;
        if !(PERIOD_MIN..=PERIOD_MAX).contains(&period) {
            return Err("period: must be between 1ms and 31d".into());
        }
        let burst = check_amount("burst", raw.burst.unwrap_or(limit), 1)?;
        Ok(Self {
            name: raw.name,
            limit,
            period,
            burst,
            mode: parse_mode(raw.mode)?,
        })
    }
}

impl From<RateLimit> for RawRateLimit {
    fn from(limit: RateLimit) -> Self {
        Self {
            name: limit.name,
            limit: limit.limit,
            period: format_duration(limit.period),
            burst: Some(limit.burst),
            mode: limit.mode.map(|m| m.as_str().to_owned()),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuota {
    name: String,
    limit: u64,
    per: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
}

impl TryFrom<RawQuota> for Quota {
    type Error = String;

    fn try_from(raw: RawQuota) -> Result<Self, String> {
        check_name(&raw.name)?;
        Ok(Self {
            limit: check_amount("limit", raw.limit, 1)?,
            per: parse_calendar("per", &raw.per)?,
            mode: parse_mode(raw.mode)?,
            name: raw.name,
        })
    }
}

impl From<Quota> for RawQuota {
    fn from(quota: Quota) -> Self {
        Self {
            name: quota.name,
            limit: quota.limit,
            per: quota.per.as_str().to_owned(),
            mode: quota.mode.map(|m| m.as_str().to_owned()),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefill {
    amount: u64,
    every: String,
    #[serde(default)]
    mode: Option<String>,
}

impl TryFrom<RawRefill> for Refill {
    type Error = String;

    fn try_from(raw: RawRefill) -> Result<Self, String> {
        let mode = match raw.mode {
            None => RefillMode::Set,
            Some(text) => RefillMode::parse(&text).map_err(|e| e.reason.to_string())?,
        };
        Ok(Self {
            amount: check_amount("amount", raw.amount, 1)?,
            every: parse_calendar("every", &raw.every)?,
            mode,
        })
    }
}

impl From<Refill> for RawRefill {
    fn from(refill: Refill) -> Self {
        Self {
            amount: refill.amount,
            every: refill.every.as_str().to_owned(),
            mode: Some(refill.mode.as_str().to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_rate_limit_reads_its_period_and_defaults_its_burst() {
        let limits = Limits::from_json(
            "limits",
            json!({"rate_limits": [{"name": "requests", "limit": 100, "period": "1m"}]}),
        )
        .expect("valid");
        let limit = &limits.rate_limits[0];
        assert_eq!(limit.period, Duration::from_secs(60));
        assert_eq!(limit.burst, 100);
        assert_eq!(
            limits.to_value(),
            json!({"rate_limits": [{"name": "requests", "limit": 100, "period": "1m", "burst": 100}]})
        );
    }

    #[test]
    fn bad_limits_are_refused_with_the_field() {
        for bad in [
            json!({"rate_limits": [{"name": "r", "limit": 0, "period": "1m"}]}),
            json!({"rate_limits": [{"name": "r", "limit": 1, "period": "0"}]}),
            json!({"rate_limits": [{"name": "r", "limit": 1, "period": "1m", "mode": "fast"}]}),
            json!({"quotas": [{"name": "q", "limit": 1, "per": "year"}]}),
            json!({"quotas": [{"name": "a b", "limit": 1, "per": "day"}]}),
            json!({"quotas": [{"name": "q", "limit": 1, "per": "day"}, {"name": "q", "limit": 2, "per": "week"}]}),
            json!({"quotas": [{"name": "q", "limit": 1, "per": "day", "extra": 1}]}),
        ] {
            let error = Limits::from_json("limits", bad.clone()).expect_err(&bad.to_string());
            assert_eq!(error.field, "limits", "{bad}");
        }
    }
}
