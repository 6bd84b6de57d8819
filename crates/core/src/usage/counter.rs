//! One counter's arithmetic, exact and in integers: GCRA for rate limits, a count per calendar
//! window for quotas. Pure functions of (state, rule, cost, now), so every limiter (in memory,
//! or Redis through its script) admits the same way.
//!
//! GCRA keeps one number per counter, the theoretical arrival time (TAT): the time at which the
//! counter would be whole again. A request of cost `c` advances it by `c · period / limit`; it is
//! admitted if the new TAT is at most `burst · period / limit` ahead of now. Times are kept in
//! nanoseconds multiplied by `limit`, so the interval `period / limit` is the integer `period`
//! and nothing is rounded: admission is exact (no error bound beyond the clock's nanosecond).

use std::time::Duration;

use time::OffsetDateTime;

use super::limiter::Rule;

/// A counter's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// `tat_scaled` = TAT in unix nanoseconds × `scale` (the rule's `limit` when written).
    Rate { tat_scaled: i128, scale: u64 },
    /// `used` units in the window that started at `start` (unix nanoseconds).
    Window { start: i128, used: u64 },
}

/// What charging a counter would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub admitted: bool,
    /// The counter after the charge (unchanged when refused or when the cost is 0).
    pub next: Option<Counter>,
    pub limit: u64,
    pub remaining: u64,
    pub reset_at: OffsetDateTime,
    pub retry_after: Option<Duration>,
}

impl Verdict {
    /// This verdict (a look at a counter with cost 0) carrying the refusal of `charged`, the
    /// verdict of the real cost: what to report of a counter when the request was refused.
    pub fn with_refusal(mut self, charged: &Verdict) -> Verdict {
        self.admitted = charged.admitted;
        self.retry_after = charged.retry_after;
        self.next = None;
        self
    }
}

pub fn nanos(at: OffsetDateTime) -> i128 {
    at.unix_timestamp_nanos()
}

fn at_nanos(nanos: i128) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn duration_of(nanos: i128) -> Duration {
    Duration::from_nanos(u64::try_from(nanos.max(0)).unwrap_or(u64::MAX))
}

/// Charges `cost` against `counter` (`None`: never charged) under `rule` at `now`. A cost of 0
/// charges nothing and is admitted when a cost of 1 would be.
pub fn charge(counter: Option<Counter>, rule: &Rule, cost: u64, now: OffsetDateTime) -> Verdict {
    let now_ns = nanos(now);
    let asked = cost.max(1);
    match *rule {
        Rule::Rate {
            limit,
            period,
            burst,
        } => {
            let scale = i128::from(limit);
            let period = period.as_nanos() as i128;
            let now_scaled = now_ns * scale;
            let tat = match counter {
                Some(Counter::Rate {
                    tat_scaled,
                    scale: old,
                }) if old == limit => tat_scaled,
                Some(Counter::Rate {
                    tat_scaled,
                    scale: old,
                }) if old > 0 => tat_scaled / i128::from(old) * scale,
                _ => now_scaled,
            }
            .max(now_scaled);
            let tolerance = period * i128::from(burst);
            let wanted = tat + period * i128::from(asked);
            let admitted = wanted - now_scaled <= tolerance;
            let after = if admitted && cost > 0 {
                tat + period * i128::from(cost)
            } else {
                tat
            };
            let remaining = ((tolerance - (after - now_scaled)) / period).max(0) as u64;
            Verdict {
                admitted,
                next: (admitted && cost > 0).then_some(Counter::Rate {
                    tat_scaled: after,
                    scale: limit,
                }),
                limit: burst,
                remaining,
                reset_at: at_nanos(ceil_div(after, scale)),
                retry_after: (!admitted)
                    .then(|| duration_of(ceil_div(wanted - tolerance - now_scaled, scale))),
            }
        }
        Rule::Window { limit, start, end } => {
            let start_ns = nanos(start);
            let used = match counter {
                Some(Counter::Window { start: s, used }) if s == start_ns => used,
                _ => 0,
            };
            let admitted = used.saturating_add(asked) <= limit;
            let after = if admitted { used + cost } else { used };
            Verdict {
                admitted,
                next: (admitted && cost > 0).then_some(Counter::Window {
                    start: start_ns,
                    used: after,
                }),
                limit,
                remaining: limit.saturating_sub(after),
                reset_at: end,
                retry_after: (!admitted).then(|| duration_of(nanos(end) - now_ns)),
            }
        }
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    (a + b - 1).div_euclid(b)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const T0: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

    fn run(rule: &Rule, times: &[(i64, u64)]) -> Vec<bool> {
        let mut counter = None;
        times
            .iter()
            .map(|&(ms, cost)| {
                let verdict = charge(counter, rule, cost, T0 + time::Duration::milliseconds(ms));
                if let Some(next) = verdict.next {
                    counter = Some(next);
                }
                verdict.admitted
            })
            .collect()
    }

    #[test]
    fn gcra_admits_the_burst_then_one_per_interval() {
        let rule = Rule::Rate {
            limit: 10,
            period: Duration::from_secs(1),
            burst: 3,
        };
        // Three at once, the fourth refused; 100 ms later one more.
        assert_eq!(
            run(
                &rule,
                &[(0, 1), (0, 1), (0, 1), (0, 1), (99, 1), (100, 1), (100, 1)]
            ),
            [true, true, true, false, false, true, false]
        );
    }

    #[test]
    fn exactly_limit_per_period_over_a_long_run() {
        let rule = Rule::Rate {
            limit: 7,
            period: Duration::from_secs(3),
            burst: 7,
        };
        // One request per millisecond for 30 s: burst + 7 per 3 s.
        let asks: Vec<(i64, u64)> = (0..30_000).map(|ms| (ms, 1)).collect();
        let admitted = run(&rule, &asks).iter().filter(|a| **a).count();
        assert_eq!(admitted, 7 + 70 - 1, "burst, then one per 3/7 s");
    }

    #[test]
    fn a_refused_request_and_a_zero_cost_charge_nothing() {
        let rule = Rule::Rate {
            limit: 2,
            period: Duration::from_secs(60),
            burst: 2,
        };
        assert_eq!(
            run(&rule, &[(0, 0), (0, 5), (0, 2), (0, 0), (0, 1)]),
            [true, false, true, false, false]
        );
        let verdict = charge(None, &rule, 1, T0);
        assert_eq!(verdict.remaining, 1);
        assert_eq!(verdict.reset_at, T0 + time::Duration::seconds(30));
        let full = charge(verdict.next, &rule, 1, T0);
        let refused = charge(full.next, &rule, 1, T0);
        assert_eq!(refused.retry_after, Some(Duration::from_secs(30)));
    }

    #[test]
    fn a_window_counts_until_it_ends_and_then_starts_over() {
        let start = T0;
        let end = T0 + time::Duration::days(1);
        let rule = Rule::Window {
            limit: 3,
            start,
            end,
        };
        assert_eq!(
            run(&rule, &[(0, 2), (1, 2), (2, 1), (3, 1)]),
            [true, false, true, false]
        );
        let full = Counter::Window {
            start: nanos(start),
            used: 3,
        };
        let next_day = Rule::Window {
            limit: 3,
            start: end,
            end: end + time::Duration::days(1),
        };
        assert!(charge(Some(full), &next_day, 1, end).admitted);
        let refused = charge(Some(full), &rule, 1, T0 + time::Duration::hours(23));
        assert_eq!(refused.retry_after, Some(Duration::from_secs(3600)));
    }
}
