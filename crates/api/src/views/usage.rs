//! Usage control on the wire: rate limits, quotas and credits as keys and principals carry them
//! (in and out), and a verification's usage report.

use keyward_core::duration::format_duration;
use keyward_core::error::ValidationError;
use keyward_core::usage::limits::LIMITS_MAX;
use keyward_core::usage::{
    Calendar, Credits, LimitKind, LimitMode, LimitState, Limits, Quota, RateLimit, RefillMode,
};
use keyward_core::verify::UsageReport;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};
use utoipa::openapi::Ref;
use utoipa::ToSchema;

use super::utc;

/// A rolling-window limit (GCRA): `limit` requests per `period`, at most `burst` at once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RateLimitBody {
    /// Unique among the owner's rate limits: 1–64 of `A-Z a-z 0-9 _ - . :`.
    #[schema(schema_with = limit_name_schema)]
    pub name: String,
    #[serde(deserialize_with = "crate::routes::whole_u64")]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub limit: u64,
    /// A duration from 1 ms to 31 days: `500ms`, `1s`, `1m`, `1h`, `1d` (the server also reads
    /// compound forms such as `1h30m`).
    #[schema(schema_with = period_schema)]
    pub period: String,
    /// Default `limit`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::routes::opt_whole_u64"
    )]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub burst: Option<u64>,
    /// `exact` (counted on every request, in Redis when configured) or `local` (counted on each
    /// node, reconciled through Redis periodically). Default: `exact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = limit_mode_schema)]
    pub mode: Option<String>,
}

/// A calendar-window limit: `limit` requests per UTC `day`, `week` (from Monday) or `month`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuotaBody {
    #[schema(schema_with = limit_name_schema)]
    pub name: String,
    #[serde(deserialize_with = "crate::routes::whole_u64")]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub limit: u64,
    /// `day`, `week` or `month`.
    #[schema(schema_with = calendar_schema)]
    pub per: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = limit_mode_schema)]
    pub mode: Option<String>,
}

/// A credit balance each admitted request spends (by its `cost`), optionally refilled.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditsBody {
    #[serde(deserialize_with = "crate::routes::whole_u64")]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_u64)]
    pub remaining: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refill: Option<RefillBody>,
}

/// `amount` at the start of every UTC `day`, `week` or `month`; `mode` `set` (default) resets
/// the balance to `amount`, `add` adds it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefillBody {
    #[serde(deserialize_with = "crate::routes::whole_u64")]
    #[schema(minimum = 1, maximum = 1_000_000_000_000_u64)]
    pub amount: u64,
    #[schema(schema_with = calendar_schema)]
    pub every: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = refill_mode_schema)]
    pub mode: Option<String>,
}

fn limit_name_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[A-Za-z0-9_.:-]{1,64}$"))
        .build()
}

/// The single-unit durations from 1 ms to 31 days.
fn period_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(
            "^([1-9][0-9]{0,2}(ms|s|m)|[1-9][0-9]?h|([1-9]|[12][0-9]|3[01])d)$",
        ))
        .build()
}

fn optional_words(words: &'static [&'static str]) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(words.iter().map(|w| Some(*w)).chain([None])))
        .build()
}

fn limit_mode_schema() -> Object {
    optional_words(LimitMode::WORDS)
}

fn refill_mode_schema() -> Object {
    optional_words(RefillMode::WORDS)
}

fn calendar_schema() -> Object {
    super::enum_schema(Calendar::WORDS.iter().copied())
}

/// `rate_limits` of a PATCH body: an array, never `null`.
pub(crate) fn rate_limits_schema() -> Array {
    ArrayBuilder::new()
        .items(Ref::from_schema_name("RateLimitBody"))
        .max_items(Some(LIMITS_MAX))
        .build()
}

/// `quotas` of a PATCH body: an array, never `null`.
pub(crate) fn quotas_schema() -> Array {
    ArrayBuilder::new()
        .items(Ref::from_schema_name("QuotaBody"))
        .max_items(Some(LIMITS_MAX))
        .build()
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
    Credits::parse(body.remaining, refill, now)
}

/// A rate limit as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct RateLimitView {
    pub name: String,
    pub limit: u64,
    /// A duration, e.g. `1m`, `1h30m`.
    pub period: String,
    pub burst: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
}

/// A quota as shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaView {
    pub name: String,
    pub limit: u64,
    pub per: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
}

/// A credit balance as shown: now, with the refills due applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditsView {
    pub remaining: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refill: Option<RefillView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefillView {
    pub amount: u64,
    pub every: &'static str,
    pub mode: &'static str,
}

impl From<&RateLimit> for RateLimitView {
    fn from(limit: &RateLimit) -> Self {
        Self {
            name: limit.name.clone(),
            limit: limit.limit,
            period: format_duration(limit.period),
            burst: limit.burst,
            mode: limit.mode.map(LimitMode::as_str),
        }
    }
}

impl From<&Quota> for QuotaView {
    fn from(quota: &Quota) -> Self {
        Self {
            name: quota.name.clone(),
            limit: quota.limit,
            per: quota.per.as_str(),
            mode: quota.mode.map(LimitMode::as_str),
        }
    }
}

impl From<&Credits> for CreditsView {
    fn from(credits: &Credits) -> Self {
        Self {
            remaining: credits.remaining,
            refill: credits.refill.map(|r| RefillView {
                amount: r.amount,
                every: r.every.as_str(),
                mode: r.mode.as_str(),
            }),
        }
    }
}

pub fn rate_limit_views(limits: &Limits) -> Vec<RateLimitView> {
    limits.rate_limits.iter().map(RateLimitView::from).collect()
}

pub fn quota_views(limits: &Limits) -> Vec<QuotaView> {
    limits.quotas.iter().map(QuotaView::from).collect()
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
