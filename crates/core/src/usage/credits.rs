//! Credits: a balance each admitted request spends, refilled at the start of every UTC day, week
//! or month. Refills are computed, not scheduled: the balance a key shows at any moment already
//! includes every refill due by then (a key refilled at midnight shows the new balance at
//! 00:00:01 without a request arriving), and the store persists a refill the next time it writes
//! the balance.

use serde::Serialize;
use time::OffsetDateTime;

use super::limits::{Refill, RefillMode, AMOUNT_MAX};
use crate::error::ValidationError;

/// A key's balance as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Credits {
    pub remaining: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refill: Option<Refill>,
    /// When the balance was last set, added to or refilled: refills due after it are owed.
    #[serde(skip)]
    pub refilled_at: OffsetDateTime,
}

/// A key's balance as the store holds it (refills due since not yet applied), and its credit
/// epoch (see `ApiKey::credits_epoch`). Credit writes are compare-and-set on the whole of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredCredits {
    pub credits: Credits,
    pub epoch: i64,
}

impl StoredCredits {
    /// The balance at `now`, refills applied, with the epoch they start.
    pub fn at(&self, now: OffsetDateTime) -> StoredCredits {
        let (credits, new_epoch) = self.credits.at(now);
        StoredCredits {
            credits,
            epoch: self.epoch + i64::from(new_epoch),
        }
    }
}

/// A top-up: `POST /v1/keys/{id}/credits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditsOp {
    Add(u64),
    Set(u64),
}

impl CreditsOp {
    pub fn parse(op: &str, amount: u64) -> Result<Self, ValidationError> {
        if amount > AMOUNT_MAX {
            return Err(ValidationError::new(
                "amount",
                format!("must be at most {AMOUNT_MAX}"),
            ));
        }
        match op {
            "add" => Ok(Self::Add(amount)),
            "set" => Ok(Self::Set(amount)),
            _ => Err(ValidationError::new("op", "must be one of: add set")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add(_) => "add",
            Self::Set(_) => "set",
        }
    }

    pub fn amount(self) -> u64 {
        match self {
            Self::Add(amount) | Self::Set(amount) => amount,
        }
    }
}

impl Credits {
    /// A balance from input: `remaining` at most [`AMOUNT_MAX`], like every amount.
    pub fn parse(
        remaining: u64,
        refill: Option<Refill>,
        now: OffsetDateTime,
    ) -> Result<Self, ValidationError> {
        if remaining > AMOUNT_MAX {
            return Err(ValidationError::new(
                "credits",
                format!("remaining: must be at most {AMOUNT_MAX}"),
            ));
        }
        Ok(Self::new(remaining, refill, now))
    }

    pub fn new(remaining: u64, refill: Option<Refill>, now: OffsetDateTime) -> Self {
        Self {
            remaining: remaining.min(AMOUNT_MAX),
            refill,
            refilled_at: now,
        }
    }

    /// The balance at `now`, with every refill due since `refilled_at` applied, and whether a
    /// `set` refill happened (which starts a new credit epoch: leases of the old balance lapse).
    pub fn at(&self, now: OffsetDateTime) -> (Credits, bool) {
        let Some(refill) = self.refill else {
            return (*self, false);
        };
        let due = refill.every.boundaries_between(self.refilled_at, now);
        if due == 0 {
            return (*self, false);
        }
        let remaining = match refill.mode {
            RefillMode::Set => refill.amount,
            RefillMode::Add => self
                .remaining
                .saturating_add(refill.amount.saturating_mul(due))
                .min(AMOUNT_MAX),
        };
        let refilled = Credits {
            remaining,
            refill: self.refill,
            refilled_at: refill.every.start_of(now),
        };
        (refilled, refill.mode == RefillMode::Set)
    }

    /// The balance after a top-up at `now` (refills due first).
    pub fn topped_up(&self, op: CreditsOp, now: OffsetDateTime) -> Credits {
        let (mut credits, _) = self.at(now);
        credits.remaining = match op {
            CreditsOp::Add(amount) => credits.remaining.saturating_add(amount).min(AMOUNT_MAX),
            CreditsOp::Set(amount) => amount,
        };
        credits
    }

    /// When the next refill is due, if any.
    pub fn next_refill(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        self.refill.map(|refill| refill.every.end_of(now))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::usage::Calendar;

    #[test]
    fn refills_are_due_at_the_boundary_without_a_request() {
        let start = datetime!(2026-12-07 15:00 UTC);
        let set = Credits::new(
            3,
            Some(Refill {
                amount: 100,
                every: Calendar::Day,
                mode: RefillMode::Set,
            }),
            start,
        );
        assert_eq!(set.at(datetime!(2026-12-07 23:59:59 UTC)).0.remaining, 3);
        let (next, new_epoch) = set.at(datetime!(2026-12-08 00:00:01 UTC));
        assert_eq!((next.remaining, new_epoch), (100, true));
        assert_eq!(next.refilled_at, datetime!(2026-12-08 00:00 UTC));
        let add = Credits {
            refill: Some(Refill {
                amount: 10,
                every: Calendar::Day,
                mode: RefillMode::Add,
            }),
            ..set
        };
        let (later, new_epoch) = add.at(datetime!(2026-12-10 00:00 UTC));
        assert_eq!(
            (later.remaining, new_epoch),
            (33, false),
            "three days of +10"
        );
    }

    #[test]
    fn a_top_up_adds_or_sets() {
        let now = datetime!(2026-12-07 15:00 UTC);
        let credits = Credits::new(5, None, now);
        assert_eq!(credits.topped_up(CreditsOp::Add(7), now).remaining, 12);
        assert_eq!(credits.topped_up(CreditsOp::Set(1), now).remaining, 1);
        assert!(CreditsOp::parse("double", 1).is_err());
    }
}
