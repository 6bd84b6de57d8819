//! `RedisLimiter` against a real Redis: several limiters in one process stand for several
//! keyward nodes sharing one Redis, each with its own connection and memory.
//!
//! - `app`: the server with `redis_url` shares its counters with its peers, and starts without
//!   Redis;
//! - `exact`: all-or-nothing over several counters (and over both modes in one request), costs,
//!   cost 0, and the same states as the in-memory limiter reports;
//! - `nodes`: three nodes hammering one exact limit of 100 admit exactly 100;
//! - `local`: three nodes on one `local` limit stay within the stated bound;
//! - `outage`: Redis cut away or gone silent (through the testkit relay): charges still answer,
//!   at the node's share; Redis back: the node counts in Redis again.
//!
//! Without `KEYWARD_TEST_REDIS_URL` every test says loudly that it was skipped, and fails when
//! `CI=true`. Each test keeps to its own key prefix; nothing is ever flushed.

mod app;
mod exact;
mod local;
mod nodes;
mod outage;

use std::time::Duration;

use keyward_core::ids::{KeyId, PrincipalId};
use keyward_core::usage::{Calendar, Charge, CounterOwner, LimitMode, Quota, RateLimit};
use keyward_redis::{RedisConfig, RedisLimiter};
use keyward_testkit::redis::{redis_or_skip, unique_prefix};
use time::OffsetDateTime;

/// A node: a limiter on `url` under `prefix`. The timeout is generous: a loaded test machine
/// must not push a node into its fallback in a test that is not about outages.
async fn node(url: &str, prefix: &str) -> RedisLimiter {
    let mut config = RedisConfig::new(url);
    config.prefix = prefix.to_owned();
    config.timeout = Duration::from_secs(5);
    // Rounds are driven by the tests (`tick`), not by the clock.
    config.interval = Duration::from_secs(3600);
    RedisLimiter::start(config)
        .await
        .expect("a valid Redis URL")
}

/// The Redis URL and a fresh prefix, or `None` when the test is skipped.
fn setup(test: &str) -> Option<(String, String)> {
    redis_or_skip(&format!("redis::{test}")).map(|url| (url, unique_prefix()))
}

fn rate(limit: u64, period: Duration, burst: u64, mode: Option<LimitMode>) -> Charge {
    Charge::rate(
        CounterOwner::Key(KeyId::new()),
        &RateLimit {
            name: "requests".into(),
            limit,
            period,
            burst,
            mode,
        },
    )
}

fn quota(limit: u64, mode: Option<LimitMode>, now: OffsetDateTime) -> Charge {
    Charge::quota(
        CounterOwner::Principal(PrincipalId::new()),
        &Quota {
            name: "daily".into(),
            limit,
            per: Calendar::Day,
            mode,
        },
        now,
    )
}

/// Charges `cost` through `limiter` the way the verifier does: synchronously when it can.
async fn charge(
    limiter: &RedisLimiter,
    charges: &[Charge],
    cost: u64,
    now: OffsetDateTime,
) -> keyward_core::usage::Admission {
    use keyward_core::usage::Limiter as _;
    match limiter.try_charge(charges, cost, now) {
        Some(admission) => admission,
        None => limiter.charge(charges, cost, now).await,
    }
}

/// The time every charge of a test uses: the wall clock at its start, frozen.
fn frozen_now() -> OffsetDateTime {
    // Whole milliseconds: the script counts in microseconds, the in-memory limiter in
    // nanoseconds, and the comparisons below want the same instant for both.
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
        .expect("a valid nanosecond")
}
