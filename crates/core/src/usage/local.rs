//! `LocalLimiter`: every counter in this node's memory, exact for this node.
//!
//! A charge locks the counters it touches in one global order (so two charges sharing counters
//! never deadlock), checks them all, and writes them only if all admit. Counters are forgotten
//! once forgetting changes nothing: a rate counter when its TAT has passed, a quota counter when
//! its window has ended. Counters live only in memory: a restart starts them afresh (documented;
//! use Redis to keep them across restarts and share them between nodes).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use time::OffsetDateTime;

use super::counter::{self, Counter};
use super::limiter::{Admission, Charge, CounterId, LimitState, Limiter, Rule};

/// The most counters kept; past it, counters that forgetting changes nothing for go first, then
/// any (a forgotten counter starts afresh: documented as a bound on memory, not on admission).
pub const LOCAL_COUNTERS_MAX: u64 = 10_000_000;

/// Shards of the counter map: a charge locks one shard briefly to find its counters.
const SHARDS: usize = 64;

struct Slot {
    counter: Mutex<Option<Counter>>,
    /// Unix seconds after which the counter is whole again (or its window over): from then on
    /// forgetting it changes nothing.
    forget_after: AtomicI64,
}

/// One shard: its counters, and the size at which it is next swept of counters forgetting
/// changes nothing for (twice its size after the last sweep): memory stays within about twice
/// the live counters, and a sweep costs a constant per insert, amortised.
#[derive(Default)]
struct ShardMap {
    counters: HashMap<CounterId, Arc<Slot>>,
    next_sweep: usize,
}

type Shard = Mutex<ShardMap>;

const SWEEP_MIN: usize = 1024;

/// Counters in memory: exact on one node, at the cost of a map lookup and a lock per limit.
pub struct LocalLimiter {
    shards: Box<[Shard]>,
    /// Most counters per shard before it is swept.
    shard_max: usize,
    hasher: RandomState,
    /// Divides every limit: a node that stands in for a shared limiter it cannot reach counts
    /// its share, `limit / divisor` (at least 1).
    divisor: u64,
}

impl std::fmt::Debug for LocalLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalLimiter")
            .field("counters", &self.len())
            .finish()
    }
}

impl Default for LocalLimiter {
    fn default() -> Self {
        Self::new(LOCAL_COUNTERS_MAX)
    }
}

impl LocalLimiter {
    pub fn new(max_counters: u64) -> Self {
        Self::with_share(max_counters, 1)
    }

    /// A limiter that admits `limit / divisor` of every limit: one node's share of a limit
    /// shared by `divisor` nodes.
    pub fn with_share(max_counters: u64, divisor: u64) -> Self {
        let per_shard = usize::try_from(max_counters / SHARDS as u64).unwrap_or(usize::MAX);
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            shard_max: per_shard.max(1),
            hasher: RandomState::new(),
            divisor: divisor.max(1),
        }
    }

    fn slot(&self, id: &CounterId, now_secs: i64) -> Arc<Slot> {
        let shard = &self.shards[(self.hasher.hash_one(id) as usize) % SHARDS];
        let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = shard.counters.get(id) {
            return Arc::clone(slot);
        }
        let size = shard.counters.len();
        if size >= shard.next_sweep.max(SWEEP_MIN) || size >= self.shard_max {
            // Forget what forgetting changes nothing for; past the cap, anything.
            shard
                .counters
                .retain(|_, slot| slot.forget_after.load(Ordering::Relaxed) > now_secs);
            if shard.counters.len() >= self.shard_max {
                shard.counters.clear();
            }
            shard.next_sweep = shard.counters.len() * 2;
        }
        let slot = Arc::new(Slot {
            counter: Mutex::new(None),
            forget_after: AtomicI64::new(0),
        });
        shard.counters.insert(id.clone(), Arc::clone(&slot));
        slot
    }

    fn share(&self, rule: &Rule) -> Rule {
        if self.divisor == 1 {
            return *rule;
        }
        let d = self.divisor;
        match *rule {
            Rule::Rate {
                limit,
                period,
                burst,
            } => Rule::Rate {
                limit: (limit / d).max(1),
                period,
                burst: (burst / d).max(1),
            },
            Rule::Window { limit, start, end } => Rule::Window {
                limit: (limit / d).max(1),
                start,
                end,
            },
        }
    }

    /// Checks and charges synchronously; the whole of [`Limiter::try_charge`].
    pub fn charge_now(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Admission {
        // Lock in counter order, each counter once.
        let mut order: Vec<usize> = (0..charges.len()).collect();
        order.sort_by(|&a, &b| charges[a].counter.cmp(&charges[b].counter));
        order.dedup_by(|a, b| charges[*a].counter == charges[*b].counter);
        let slots: Vec<(usize, Arc<Slot>)> = order
            .iter()
            .map(|&i| (i, self.slot(&charges[i].counter, now.unix_timestamp())))
            .collect();
        let mut guards: Vec<(usize, &Slot, MutexGuard<'_, Option<Counter>>)> = slots
            .iter()
            .map(|(i, slot)| {
                let guard = slot.counter.lock().unwrap_or_else(|p| p.into_inner());
                (*i, slot.as_ref(), guard)
            })
            .collect();
        let verdicts: Vec<(usize, counter::Verdict)> = guards
            .iter()
            .map(|(i, _, guard)| {
                (
                    *i,
                    counter::charge(**guard, &self.share(&charges[*i].rule), cost, now),
                )
            })
            .collect();
        let admitted = verdicts.iter().all(|(_, v)| v.admitted);
        let mut states = vec![None; charges.len()];
        for ((i, slot, guard), (_, verdict)) in guards.iter_mut().zip(&verdicts) {
            let verdict = if admitted {
                *verdict
            } else {
                // Nothing is charged: report each counter as it stands.
                counter::charge(**guard, &self.share(&charges[*i].rule), 0, now)
                    .with_refusal(verdict)
            };
            if admitted {
                if let Some(next) = verdict.next {
                    **guard = Some(next);
                    slot.forget_after
                        .store(verdict.reset_at.unix_timestamp() + 1, Ordering::Relaxed);
                }
            }
            states[*i] = Some(LimitState {
                kind: charges[*i].counter.kind,
                name: Arc::clone(&charges[*i].counter.name),
                limit: verdict.limit,
                remaining: verdict.remaining,
                reset_at: verdict.reset_at,
                retry_after: verdict.retry_after,
            });
        }
        drop(guards);
        Admission {
            admitted,
            // A duplicate charge reports the state of its first occurrence.
            states: states
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    s.clone().unwrap_or_else(|| {
                        let first = charges
                            .iter()
                            .position(|c| c.counter == charges[i].counter)
                            .expect("a duplicate has a first");
                        states[first].clone().expect("the first was charged")
                    })
                })
                .collect(),
        }
    }

    /// How many counters are held.
    pub fn len(&self) -> u64 {
        self.shards
            .iter()
            .map(|shard| shard.lock().map_or(0, |s| s.counters.len() as u64))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl Limiter for LocalLimiter {
    fn try_charge(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Option<Admission> {
        Some(self.charge_now(charges, cost, now))
    }

    async fn charge(&self, charges: &[Charge], cost: u64, now: OffsetDateTime) -> Admission {
        self.charge_now(charges, cost, now)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use std::time::Duration;

    use super::*;
    use crate::ids::{KeyId, PrincipalId};
    use crate::usage::{CounterOwner, Quota, RateLimit};

    const NOW: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

    fn charges(key: KeyId, owner: PrincipalId) -> Vec<Charge> {
        let rate = RateLimit {
            name: "requests".into(),
            limit: 5,
            period: Duration::from_secs(60),
            burst: 5,
            mode: None,
        };
        let quota = Quota {
            name: "daily".into(),
            limit: 3,
            per: crate::usage::Calendar::Day,
            mode: None,
        };
        vec![
            Charge::rate(CounterOwner::Key(key), &rate),
            Charge::quota(CounterOwner::Principal(owner), &quota, NOW),
        ]
    }

    #[test]
    fn all_limits_admit_or_none_is_charged() {
        let limiter = LocalLimiter::default();
        let (key, owner) = (KeyId::new(), PrincipalId::new());
        let both = charges(key, owner);
        assert!(limiter.charge_now(&both, 2, NOW).admitted);
        // The quota (3) refuses a cost of 2; the rate limit (3 left) is not charged.
        let refused = limiter.charge_now(&both, 2, NOW);
        assert!(!refused.admitted);
        assert_eq!(refused.states[0].remaining, 3);
        assert!(!refused.states[0].refused());
        assert!(refused.states[1].refused());
        assert_eq!(refused.states[1].remaining, 1);
        let rate_only = &both[..1];
        assert!(limiter.charge_now(rate_only, 3, NOW).admitted);
        assert!(!limiter.charge_now(rate_only, 1, NOW).admitted);
    }

    #[test]
    fn a_principal_counter_is_shared_by_its_keys() {
        let limiter = LocalLimiter::default();
        let owner = PrincipalId::new();
        let admitted = (0..6)
            .filter(|_| {
                limiter
                    .charge_now(&charges(KeyId::new(), owner), 1, NOW)
                    .admitted
            })
            .count();
        assert_eq!(admitted, 3, "the owner's daily quota of 3 across six keys");
    }

    #[test]
    fn a_share_divides_every_limit() {
        let limiter = LocalLimiter::with_share(100, 2);
        let only_rate = charges(KeyId::new(), PrincipalId::new())[..1].to_vec();
        let admitted = (0..5)
            .filter(|_| limiter.charge_now(&only_rate, 1, NOW).admitted)
            .count();
        assert_eq!(admitted, 2, "5 / 2 nodes");
    }
}
