//! Usage control: how much a key may be used.
//!
//! - [`limits`]: the three kinds of limit as stored and shown (rate limits, quotas, credits).
//! - [`calendar`]: UTC day / week / month windows (quotas, refills).
//! - [`counter`]: one counter's exact arithmetic (GCRA, calendar windows).
//! - [`limiter`]: the `Limiter` port: charge a set of counters all or nothing.
//! - [`local`]: `LocalLimiter`, the counters in this node's memory.
//! - [`credits`]: a key's balance, its refills (computed, never scheduled) and top-ups.
//! - [`rules`]: the owner's and the product plans' limits read with a key.

pub mod calendar;
pub mod counter;
pub mod credits;
pub mod limiter;
pub mod limits;
pub mod local;
pub mod rules;

pub use calendar::Calendar;
pub use credits::{Credits, CreditsOp, StoredCredits};
pub use limiter::{
    Admission, Charge, CounterId, CounterOwner, LimitKind, LimitState, Limiter, Rule,
};
pub use limits::{LimitMode, Limits, Quota, RateLimit, Refill, RefillMode};
pub use local::LocalLimiter;
pub use rules::{PlanLimits, UsageRules};
