//! Usage on the verify path: what a valid key is charged (its own limits, its owner's, its
//! product plan's, its credits) and the report a face renders (`RateLimit-*`, `rate_limits`).
//!
//! The order inside the usage check: credits are reserved first (from this node's lease, see
//! `credits.rs`), then every limit is charged at once by the limiter; if a limit refuses, the
//! reserved credits go back to the lease. A refused request therefore charges nothing anywhere.

use std::time::Duration;

use time::OffsetDateTime;

use crate::ids::{KeyId, PrincipalId, ProductId};
use crate::model::ApiKey;
use crate::usage::{Charge, CounterOwner, LimitKind, LimitState, Limits, PlanLimits};

/// The usage rules of one cached key; `None` in the snapshot when it has none at all, so a key
/// without limits pays one branch.
#[derive(Debug)]
pub struct SnapshotUsage {
    key: KeyId,
    owner: PrincipalId,
    own: Limits,
    owner_limits: Limits,
    plans: Vec<PlanLimits>,
    pub(super) credits: Option<SnapshotCredits>,
}

/// What the verify path knows of a key's credits without asking the store.
#[derive(Debug, Clone, Copy)]
pub struct SnapshotCredits {
    pub epoch: i64,
}

impl SnapshotUsage {
    pub fn of(key: &ApiKey) -> Option<Box<Self>> {
        let has_plans = key.usage.plans.iter().any(|p| !p.limits.is_empty());
        if key.limits.is_empty()
            && key.usage.owner.is_empty()
            && !has_plans
            && key.credits.is_none()
        {
            return None;
        }
        Some(Box::new(Self {
            key: key.id,
            owner: key.owner,
            own: key.limits.clone(),
            owner_limits: key.usage.owner.clone(),
            plans: key.usage.plans.clone(),
            credits: key.credits.map(|_| SnapshotCredits {
                epoch: key.credits_epoch,
            }),
        }))
    }

    /// Every limit a request for `product` is charged against.
    pub fn charges(&self, product: Option<ProductId>, now: OffsetDateTime) -> Vec<Charge> {
        let mut charges = Vec::new();
        let mut add = |owner: CounterOwner, limits: &Limits| {
            charges.extend(limits.rate_limits.iter().map(|l| Charge::rate(owner, l)));
            charges.extend(limits.quotas.iter().map(|q| Charge::quota(owner, q, now)));
        };
        add(CounterOwner::Key(self.key), &self.own);
        add(CounterOwner::Principal(self.owner), &self.owner_limits);
        if let Some(product) = product {
            if let Some(plan) = self.plans.iter().find(|p| p.product == product) {
                add(CounterOwner::Plan(plan.plan, self.key), &plan.limits);
            }
        }
        charges
    }
}

/// What usage control reports about one verification.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UsageReport {
    /// Each limit's state after the request (or as it stands, when refused).
    pub limits: Vec<LimitState>,
    /// The key's balance after the request, when it has credits.
    pub credits: Option<CreditsReport>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditsReport {
    pub remaining: u64,
    /// When the balance is refilled next, if it is.
    pub refill_at: Option<OffsetDateTime>,
    /// Set when the credits refused the request.
    pub exhausted: bool,
}

impl UsageReport {
    /// The limit a `RateLimit-*` header should describe: the one that refused, else the one
    /// with the least left relative to its size.
    pub fn tightest(&self) -> Option<&LimitState> {
        self.limits.iter().find(|s| s.refused()).or_else(|| {
            self.limits.iter().min_by(|a, b| {
                (u128::from(a.remaining) * u128::from(b.limit))
                    .cmp(&(u128::from(b.remaining) * u128::from(a.limit)))
            })
        })
    }

    /// How long until a refused request could be admitted, when known.
    pub fn retry_after(&self, now: OffsetDateTime) -> Option<Duration> {
        let from_limits = self.limits.iter().filter_map(|s| s.retry_after).max();
        let from_credits = self
            .credits
            .filter(|c| c.exhausted)
            .and_then(|c| c.refill_at)
            .map(|at| Duration::try_from(at - now).unwrap_or_default());
        from_limits.max(from_credits)
    }

    /// The reason a refused request is refused for: a rate limit is transient, anything else
    /// (a quota, the credits) is `USAGE_EXCEEDED`.
    pub(super) fn refused_by_rate(&self) -> bool {
        self.limits
            .iter()
            .any(|s| s.refused() && s.kind == LimitKind::RateLimit)
    }

    pub(super) fn from_limits(states: Vec<LimitState>) -> Self {
        Self {
            limits: states,
            credits: None,
        }
    }
}
