//! The limiter port: charge a request against a set of counters, all or nothing.
//!
//! The core builds the [`Charge`]s of a verification (the key's, its owner's and its product
//! plan's limits) and asks a [`Limiter`] to admit them together: a request is admitted only if
//! every counter admits it, and only then is every counter charged, so a refusal charges nothing.
//! [`super::LocalLimiter`] counts in this node's memory; `keyward-redis` counts in Redis for
//! many nodes.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;

use super::limits::{LimitMode, Quota, RateLimit};
use crate::ids::{KeyId, PrincipalId, UsagePlanId};

/// Whose limit a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CounterOwner {
    Key(KeyId),
    /// Shared by all of the principal's keys.
    Principal(PrincipalId),
    /// A usage plan's limit, counted per key: each key on the plan has its own allowance.
    Plan(UsagePlanId, KeyId),
}

/// One counter: an owner and the limit's name (unique per owner and kind).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CounterId {
    pub owner: CounterOwner,
    pub kind: LimitKind,
    pub name: Arc<str>,
}

impl CounterId {
    /// A stable text form, e.g. `k:<uuid>:r:requests`: Redis keys and log fields.
    pub fn render(&self) -> String {
        let owner = match self.owner {
            CounterOwner::Key(key) => format!("k:{key}"),
            CounterOwner::Principal(principal) => format!("p:{principal}"),
            CounterOwner::Plan(plan, key) => format!("u:{plan}:{key}"),
        };
        let kind = match self.kind {
            LimitKind::RateLimit => "r",
            LimitKind::Quota => "q",
        };
        format!("{owner}:{kind}:{}", self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    RateLimit,
    Quota,
}

/// How a counter admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// GCRA: one unit every `period / limit`, at most `burst` units banked.
    Rate {
        limit: u64,
        period: Duration,
        burst: u64,
    },
    /// At most `limit` units in the window `[start, end)`.
    Window {
        limit: u64,
        start: OffsetDateTime,
        end: OffsetDateTime,
    },
}

impl Rule {
    pub fn limit(&self) -> u64 {
        match *self {
            Rule::Rate { burst, .. } => burst,
            Rule::Window { limit, .. } => limit,
        }
    }
}

/// One limit to check and charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub counter: CounterId,
    pub rule: Rule,
    pub mode: Option<LimitMode>,
}

impl Charge {
    pub fn rate(owner: CounterOwner, limit: &RateLimit) -> Self {
        Self {
            counter: CounterId {
                owner,
                kind: LimitKind::RateLimit,
                name: Arc::from(limit.name.as_str()),
            },
            rule: Rule::Rate {
                limit: limit.limit,
                period: limit.period,
                burst: limit.burst,
            },
            mode: limit.mode,
        }
    }

    pub fn quota(owner: CounterOwner, quota: &Quota, now: OffsetDateTime) -> Self {
        Self {
            counter: CounterId {
                owner,
                kind: LimitKind::Quota,
                name: Arc::from(quota.name.as_str()),
            },
            rule: Rule::Window {
                limit: quota.limit,
                start: quota.per.start_of(now),
                end: quota.per.end_of(now),
            },
            mode: quota.mode,
        }
    }
}

/// One counter's state after a charge (or a refused one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitState {
    pub kind: LimitKind,
    pub name: Arc<str>,
    pub limit: u64,
    pub remaining: u64,
    /// When the counter is whole again (rate limit) or its window ends (quota).
    pub reset_at: OffsetDateTime,
    /// Set on a counter that refused: how long until the request could be admitted.
    pub retry_after: Option<Duration>,
}

impl LimitState {
    pub fn refused(&self) -> bool {
        self.retry_after.is_some()
    }
}

/// A limiter's answer: admitted (every counter charged) or not (none charged), and each
/// counter's state, in the order of the charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub admitted: bool,
    pub states: Vec<LimitState>,
}

/// Counts usage. `cost` 0 asks without spending: admitted if a request of cost 1 would be.
#[async_trait]
pub trait Limiter: Send + Sync + 'static {
    /// The answer when this limiter can give it without waiting (counters in memory), else
    /// `None` and the caller awaits [`Limiter::charge`]. Keeps cache hits synchronous.
    fn try_charge(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Option<Admission>;

    /// Checks and charges every counter atomically. Never fails: a limiter that cannot reach its
    /// shared counters falls back to counting on this node, as it documents.
    async fn charge(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Admission;
}
