//! Usage control on the wire: rate limits, quotas and credits as keys and principals carry them
//! (in and out), and a verification's usage report.

use keyward_core::duration::format_duration;
use keyward_core::error::ValidationError;
use keyward_core::usage::{Credits, LimitKind, LimitState, Limits, Quota, RateLimit};
use keyward_core::verify::UsageReport;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::utc;

/// A rolling-window limit (GCRA): `limit` requests per `period`, at most `burst` at once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RateLimitBody {
    /// Unique among the owner's rate limits: 1–64 of `A-Z a-z 0-9 _ - . :`.
    #[schema(example = "requests")]
    pub name: String,
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub limit: u64,
    /// A duration: `500ms`, `1s`, `1m`, `1h`, `1d` (1 ms to 31 days).
    #[schema(example = "1m")]
    pub period: String,
    /// Default `limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub burst: Option<u64>,
    /// `exact` (counted on every request, in Redis when configured) or `local` (counted on each
    /// node, reconciled through Redis periodically). Default: `exact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "exact")]
    pub mode: Option<String>,
}

/// A calendar-window limit: `limit` requests per UTC `day`, `week` (from Monday) or `month`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuotaBody {
    #[schema(example = "daily")]
    pub name: String,
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub limit: u64,
    /// `day`, `week` or `month`.
    #[schema(example = "day")]
    pub per: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// A credit balance each admitted request spends (by its `cost`), optionally refilled.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditsBody {
    #[schema(minimum = 0, maximum = 1_000_000_000_000_u64)]
    pub remaining: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill: Option<RefillBody>,
}

/// `amount` at the start of every UTC `day`, `week` or `month`; `mode` `set` (default) resets
/// the balance to `amount`, `add` adds it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefillBody {
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub amount: u64,
    pub every: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

fn read<T: serde::de::DeserializeOwned>(
    field: &'static str,
    value: impl Serialize,
) -> Result<T, ValidationError> {
    let json =
        serde_json::to_value(value).map_err(|e| ValidationError::new(field, e.to_string()))?;
    serde_json::from_value(json).map_err(|e| ValidationError::new(field, e.to_string()))
}

/// The core's rate limits from a body (each validated there).
pub fn rate_limits(items: Vec<RateLimitBody>) -> Result<Vec<RateLimit>, ValidationError> {
    items
        .into_iter()
        .map(|item| read("rate_limits", item))
        .collect()
}

pub fn quotas(items: Vec<QuotaBody>) -> Result<Vec<Quota>, ValidationError> {
    items.into_iter().map(|item| read("quotas", item)).collect()
}

/// Both lists, checked together (counts, unique names).
pub fn limits(
    rate: Option<Vec<RateLimitBody>>,
    quota: Option<Vec<QuotaBody>>,
) -> Result<Limits, ValidationError> {
    let limits = Limits {
        rate_limits: rate.map(rate_limits).transpose()?.unwrap_or_default(),
        quotas: quota.map(quotas).transpose()?.unwrap_or_default(),
    };
    limits.validate("limits")?;
    Ok(limits)
}

pub fn credits(body: CreditsBody, now: OffsetDateTime) -> Result<Credits, ValidationError> {
    let refill = body.refill.map(|r| read("credits", r)).transpose()?;
    if body.remaining > keyward_core::usage::limits::AMOUNT_MAX {
        return Err(ValidationError::new(
            "credits",
            "remaining: must be at most 1000000000000",
        ));
    }
    Ok(Credits::new(body.remaining, refill, now))
}

impl From<&RateLimit> for RateLimitBody {
    fn from(limit: &RateLimit) -> Self {
        Self {
            name: limit.name.clone(),
            limit: limit.limit,
            period: format_duration(limit.period),
            burst: Some(limit.burst),
            mode: limit.mode.map(|m| m.as_str().to_owned()),
        }
    }
}

impl From<&Quota> for QuotaBody {
    fn from(quota: &Quota) -> Self {
        Self {
            name: quota.name.clone(),
            limit: quota.limit,
            per: quota.per.as_str().to_owned(),
            mode: quota.mode.map(|m| m.as_str().to_owned()),
        }
    }
}

impl From<&Credits> for CreditsBody {
    fn from(credits: &Credits) -> Self {
        Self {
            remaining: credits.remaining,
            refill: credits.refill.map(|r| RefillBody {
                amount: r.amount,
                every: r.every.as_str().to_owned(),
                mode: Some(r.mode.as_str().to_owned()),
            }),
        }
    }
}

pub fn rate_limit_bodies(limits: &Limits) -> Vec<RateLimitBody> {
    limits.rate_limits.iter().map(RateLimitBody::from).collect()
}

pub fn quota_bodies(limits: &Limits) -> Vec<QuotaBody> {
    limits.quotas.iter().map(QuotaBody::from).collect()
}

/// One limit's state after a verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct LimitStateView {
    pub name: String,
    pub limit: u64,
    pub remaining: u64,
    /// When the limit is whole again (rate limit) or its window ends (quota).
    #[serde(with = "time::serde::rfc3339")]
    pub reset_at: OffsetDateTime,
}

/// A key's balance after a verification.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsStateView {
    pub remaining: u64,
}

/// The usage part of a verification answer; every field left out when the key has none.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct UsageView {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rate_limits: Vec<LimitStateView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quotas: Vec<LimitStateView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits: Option<CreditsStateView>,
}

impl From<&UsageReport> for UsageView {
    fn from(report: &UsageReport) -> Self {
        let of = |kind: LimitKind| {
            report
                .limits
                .iter()
                .filter(|s| s.kind == kind)
                .map(LimitStateView::from)
                .collect()
        };
        Self {
            rate_limits: of(LimitKind::RateLimit),
            quotas: of(LimitKind::Quota),
            credits: report.credits.map(|c| CreditsStateView {
                remaining: c.remaining,
            }),
        }
    }
}

impl From<&LimitState> for LimitStateView {
    fn from(state: &LimitState) -> Self {
        Self {
            name: state.name.to_string(),
            limit: state.limit,
            remaining: state.remaining,
            reset_at: utc(state.reset_at),
        }
    }
}
