//! `local` limits: each node counts alone in its own `LocalLimiter` (no round trip on the
//! verify path) and, every interval, reconciles with Redis: it adds the units it admitted since
//! the last time to a hash per counter (`HINCRBY <prefix>l:<counter> <node> <units>`), reads
//! the other nodes' totals and charges their growth into its own counters.
//!
//! **Bound.** Each node's counters hold everyone's usage, late by at most one interval (plus a
//! Redis round trip). So over one limit's window the nodes together admit at most
//! `limit + (nodes − 1) × U`, where `U` is the most units one node admits on that counter in
//! one interval (at worst a whole burst, when a counter is new to every node at once). A node
//! that takes in more than a counter holds fills it (it never goes past full), so the bound
//! holds after refusals too.
//!
//! A rate counter's hash keeps cumulative totals for as long as any node uses it; a node that
//! first meets it takes the other nodes' totals in whole, which may exceed what is still owed
//! (conservative: it admits less, for at most the time the counter takes to be whole again).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keyward_core::usage::{Charge, CounterId, LocalLimiter, Rule};
use time::OffsetDateTime;

/// Extra life for reconcile hashes and entries, past the time their counter is whole again.
const MARGIN: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LedgerKey {
    counter: CounterId,
    /// The quota's window start (unix seconds); `None` for a rate limit.
    window: Option<i64>,
}

struct Entry {
    charge: Charge,
    /// Units admitted here and not yet pushed.
    pending: u64,
    /// Each other node's total as last read.
    seen: HashMap<String, u64>,
    /// The latest `now` a charge gave: other nodes' usage is charged at this time.
    last_now: OffsetDateTime,
    /// When the entry can be forgotten: its counter is whole again or its window is over.
    forget_at: Instant,
}

/// What this node admitted on its `local` counters, and what it knows of the others'.
pub struct Ledger {
    node: Arc<str>,
    prefix: Arc<str>,
    interval: Duration,
    entries: Mutex<HashMap<LedgerKey, Entry>>,
}

/// One counter's share of a reconcile round.
struct Push {
    key: LedgerKey,
    redis_key: String,
    units: u64,
    ttl_ms: u64,
}

impl Ledger {
    pub fn new(node: Arc<str>, prefix: Arc<str>, interval: Duration) -> Self {
        Self {
            node,
            prefix,
            interval,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Notes `cost` admitted on each of `charges` (all `local`) at `now`.
    pub fn record<'a>(
        &self,
        charges: impl Iterator<Item = &'a Charge>,
        cost: u64,
        now: OffsetDateTime,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        for charge in charges {
            let key = key_of(charge);
            let keep = keep_for(&charge.rule, now) + self.interval * 2;
            let entry = entries.entry(key).or_insert_with(|| Entry {
                charge: charge.clone(),
                pending: 0,
                seen: HashMap::new(),
                last_now: now,
                forget_at: Instant::now(),
            });
            entry.pending = entry.pending.saturating_add(cost);
            entry.charge.rule = charge.rule;
            entry.last_now = entry.last_now.max(now);
            entry.forget_at = entry.forget_at.max(Instant::now() + keep);
        }
    }

    /// One reconcile round: pushes this node's units, takes in the others'. On an error nothing
    /// is lost here: the units stay pending for the next round.
    pub async fn reconcile<C>(
        &self,
        conn: &mut C,
        local: &LocalLimiter,
        timeout: Duration,
    ) -> redis::RedisResult<()>
    where
        C: redis::aio::ConnectionLike + Send,
    {
        let pushes = self.snapshot();
        if pushes.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for push in &pushes {
            if push.units > 0 {
                pipe.hincr(&push.redis_key, &*self.node, push.units)
                    .ignore();
            }
            pipe.pexpire(&push.redis_key, push.ttl_ms as i64).ignore();
            pipe.hgetall(&push.redis_key);
        }
        let totals: Vec<HashMap<String, u64>> =
            match tokio::time::timeout(timeout * 4, pipe.query_async(conn)).await {
                Ok(result) => result?,
                Err(_) => return Err(timed_out()),
            };
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        for (push, totals) in pushes.iter().zip(totals) {
            let Some(entry) = entries.get_mut(&push.key) else {
                continue;
            };
            entry.pending = entry.pending.saturating_sub(push.units);
            for (node, total) in totals {
                if *node == *self.node {
                    continue;
                }
                let seen = entry.seen.entry(node).or_insert(0);
                // A total below the last one read: the hash expired and started over.
                let grown = if total >= *seen { total - *seen } else { total };
                *seen = total;
                if grown > 0 {
                    absorb(local, &entry.charge, grown, entry.last_now);
                }
            }
        }
        let now = Instant::now();
        entries.retain(|_, entry| entry.pending > 0 || entry.forget_at > now);
        Ok(())
    }

    fn snapshot(&self) -> Vec<Push> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .map(|(key, entry)| {
                let keep = keep_for(&entry.charge.rule, entry.last_now) + MARGIN;
                Push {
                    key: key.clone(),
                    redis_key: match key.window {
                        Some(start) => {
                            format!("{}l:{}:{start}", self.prefix, key.counter.render())
                        }
                        None => format!("{}l:{}", self.prefix, key.counter.render()),
                    },
                    units: entry.pending,
                    ttl_ms: u64::try_from(keep.as_millis()).unwrap_or(u64::MAX).max(1),
                }
            })
            .collect()
    }

    /// How many counters this node reconciles.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Charges `units` of another node's usage into `local`, filling the counter when it holds
/// less room than that (its state never goes past full).
fn absorb(local: &LocalLimiter, charge: &Charge, units: u64, now: OffsetDateTime) {
    let one = std::slice::from_ref(charge);
    if local.charge_now(one, units, now).admitted {
        return;
    }
    let room = local.charge_now(one, 0, now).states[0].remaining;
    if room > 0 {
        local.charge_now(one, room, now);
    }
}

fn key_of(charge: &Charge) -> LedgerKey {
    LedgerKey {
        counter: charge.counter.clone(),
        window: match charge.rule {
            Rule::Window { start, .. } => Some(start.unix_timestamp()),
            Rule::Rate { .. } => None,
        },
    }
}

/// How long a counter's usage matters: until a full rate counter is whole again, or until the
/// quota's window ends.
fn keep_for(rule: &Rule, now: OffsetDateTime) -> Duration {
    match *rule {
        Rule::Rate {
            limit,
            period,
            burst,
        } => {
            let nanos = period.as_nanos() * u128::from(burst) / u128::from(limit.max(1));
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        }
        Rule::Window { end, .. } => {
            Duration::try_from(end - now).unwrap_or(Duration::ZERO) + MARGIN
        }
    }
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from((redis::ErrorKind::Io, "Redis did not answer in time"))
}
