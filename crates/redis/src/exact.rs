//! `exact` limits: one script call checks every exact counter of a request and charges all of
//! them or none (`exact.lua`). Redis runs a script alone, so no node can slip in between.
//!
//! **Representation.** Lua numbers are doubles, exact up to 2^53. `counter.rs` keeps a rate
//! counter's TAT in nanoseconds × limit, far beyond that, so the script keeps it relative:
//! `base` (a time, in *units*) and `ahead` (how far the TAT lies past `base`, in units / limit).
//! `ahead` never exceeds `burst × period` (in units), which the unit is chosen to keep below
//! 2^52: a microsecond while `burst × period ≤ 4.5e9 request·seconds` (e.g. a burst of 50 000
//! per day), else a millisecond, else a second. Within that, the script's arithmetic is exact.
//!
//! **Error bound.** The caller's `now` is truncated to the unit and a period is rounded up to
//! it: with the microsecond unit, admission differs from `counter.rs` only for requests less
//! than 1 µs apart from a boundary, and never admits more. With a coarser unit the interval is
//! rounded up (admits at most as many). Past `burst × period ≈ 4.5e15 request·seconds`
//! (beyond any real limit) the numbers round.
//!
//! The script returns each counter's state before the charge; the states shown to the client
//! are computed from them with `counter.rs` itself, so both limiters report alike.

use std::collections::HashMap;
use std::time::Duration;

use keyward_core::usage::counter::{self, Counter, Verdict};
use keyward_core::usage::{Charge, LimitState, Rule};
use redis::Script;
use time::OffsetDateTime;

/// The largest value `ahead` may reach: kept under 2^52 so that adding a cost stays exact.
const EXACT_MAX: u128 = 1 << 52;
/// Extra life of a quota key past its window, for nodes whose clocks lag.
const WINDOW_MARGIN_MS: i128 = 60_000;

pub fn script() -> Script {
    Script::new(include_str!("exact.lua"))
}

/// One counter as the script sees it.
#[derive(Debug, Clone)]
struct Plan {
    key: String,
    /// The rule as the script applies it (the period rounded up to the unit).
    rule: Rule,
    /// `now` truncated to the unit.
    now: OffsetDateTime,
    /// Rate limits: the unit in microseconds and `now` in units.
    rate: Option<(i64, i64)>,
}

/// The script's call for a set of exact charges: one entry per distinct counter.
#[derive(Debug)]
pub struct ExactCall {
    plans: Vec<Plan>,
    /// For each charge given, its plan.
    plan_of: Vec<usize>,
}

impl ExactCall {
    pub fn new(prefix: &str, charges: &[&Charge], now: OffsetDateTime) -> Self {
        let mut plans: Vec<Plan> = Vec::with_capacity(charges.len());
        let mut index: HashMap<String, usize> = HashMap::with_capacity(charges.len());
        let plan_of = charges
            .iter()
            .map(|charge| {
                let plan = plan(prefix, charge, now);
                *index.entry(plan.key.clone()).or_insert_with(|| {
                    plans.push(plan);
                    plans.len() - 1
                })
            })
            .collect();
        Self { plans, plan_of }
    }

    /// Runs the script for `cost`: whether every counter admitted (and was charged), and each
    /// counter's state before the charge.
    pub async fn invoke<C>(
        &self,
        script: &Script,
        conn: &mut C,
        cost: u64,
    ) -> redis::RedisResult<(bool, Vec<i64>)>
    where
        C: redis::aio::ConnectionLike + Send,
    {
        let mut call = script.prepare_invoke();
        call.arg(cost);
        for plan in &self.plans {
            call.key(&plan.key);
            match (plan.rule, plan.rate) {
                (
                    Rule::Rate {
                        limit,
                        period,
                        burst,
                    },
                    Some((unit, now)),
                ) => {
                    let period_units = period.as_micros() / unit as u128;
                    call.arg("r")
                        .arg(now)
                        .arg(unit)
                        .arg(period_units as u64)
                        .arg(limit)
                        .arg(burst);
                }
                (Rule::Window { limit, end, .. }, _) => {
                    let ttl = (counter::nanos(end) - counter::nanos(plan.now)) / 1_000_000
                        + WINDOW_MARGIN_MS;
                    call.arg("w")
                        .arg(limit)
                        .arg(ttl.max(1) as i64)
                        .arg(0)
                        .arg(0)
                        .arg(0);
                }
                (Rule::Rate { .. }, None) => unreachable!("a rate plan has a unit"),
            }
        }
        let out: Vec<i64> = call.invoke_async(conn).await?;
        let admitted = out.first().copied() == Some(1);
        if out.len() != self.plans.len() + 1 {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Client,
                "the usage script answered with the wrong number of counters",
            )));
        }
        Ok((admitted, out[1..].to_vec()))
    }

    /// The states to report, one per charge given, from the script's answer.
    pub fn states(
        &self,
        charges: &[&Charge],
        admitted: bool,
        before: &[i64],
        cost: u64,
    ) -> Vec<LimitState> {
        let verdicts: Vec<Verdict> = self
            .plans
            .iter()
            .zip(before)
            .map(|(plan, &before)| {
                let counter = counter_of(plan, before);
                let charged = counter::charge(Some(counter), &plan.rule, cost, plan.now);
                if admitted {
                    charged
                } else {
                    counter::charge(Some(counter), &plan.rule, 0, plan.now).with_refusal(&charged)
                }
            })
            .collect();
        charges
            .iter()
            .zip(&self.plan_of)
            .map(|(charge, &plan)| {
                let verdict = &verdicts[plan];
                LimitState {
                    kind: charge.counter.kind,
                    name: charge.counter.name.clone(),
                    limit: verdict.limit,
                    remaining: verdict.remaining,
                    reset_at: verdict.reset_at,
                    retry_after: verdict.retry_after,
                }
            })
            .collect()
    }
}

/// The state the script read, in `counter.rs`'s terms.
fn counter_of(plan: &Plan, before: i64) -> Counter {
    match (plan.rule, plan.rate) {
        (Rule::Rate { limit, .. }, Some((unit, now))) => {
            let unit_ns = i128::from(unit) * 1_000;
            Counter::Rate {
                tat_scaled: i128::from(now) * unit_ns * i128::from(limit)
                    + i128::from(before) * unit_ns,
                scale: limit,
            }
        }
        (Rule::Window { start, .. }, _) => Counter::Window {
            start: counter::nanos(start),
            used: u64::try_from(before).unwrap_or(0),
        },
        (Rule::Rate { .. }, None) => unreachable!("a rate plan has a unit"),
    }
}

fn plan(prefix: &str, charge: &Charge, now: OffsetDateTime) -> Plan {
    let counter = charge.counter.render();
    match charge.rule {
        Rule::Rate {
            limit,
            period,
            burst,
        } => {
            let unit = unit_for(period, burst);
            let period_units = period.as_micros().div_ceil(unit as u128).max(1);
            let now_units = (counter::nanos(now) / 1_000).div_euclid(i128::from(unit)) as i64;
            Plan {
                key: format!("{prefix}{counter}"),
                rule: Rule::Rate {
                    limit,
                    period: Duration::from_micros((period_units * unit as u128) as u64),
                    burst,
                },
                now: OffsetDateTime::from_unix_timestamp_nanos(
                    i128::from(now_units) * i128::from(unit) * 1_000,
                )
                .unwrap_or(now),
                rate: Some((unit, now_units)),
            }
        }
        Rule::Window { start, .. } => Plan {
            key: format!("{prefix}{counter}:{}", start.unix_timestamp()),
            rule: charge.rule,
            now,
            rate: None,
        },
    }
}

/// The finest unit (µs, ms, s) in which `burst × period` stays exact in a double.
fn unit_for(period: Duration, burst: u64) -> i64 {
    let micros = period.as_micros().max(1);
    for unit in [1u128, 1_000, 1_000_000] {
        if micros.div_ceil(unit).saturating_mul(u128::from(burst)) <= EXACT_MAX {
            return unit as i64;
        }
    }
    1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_coarsens_only_for_huge_limits() {
        assert_eq!(unit_for(Duration::from_secs(60), 100), 1);
        assert_eq!(unit_for(Duration::from_secs(86_400), 50_000), 1);
        assert_eq!(unit_for(Duration::from_secs(86_400), 1_000_000), 1_000);
        assert_eq!(
            unit_for(Duration::from_secs(31 * 86_400), 1_000_000_000_000),
            1_000_000
        );
    }
}
