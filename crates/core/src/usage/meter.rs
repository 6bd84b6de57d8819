//! Usage metering: every verification of a found key, counted per key per hour by outcome, in
//! memory, and written behind in batches (`Verifier::flush_usage`, about once a second).
//!
//! `record` runs on every verification, so it is a shard lock and an add: the shard is picked by
//! the key id's random low bits (UUIDv7), and a key already counted since the last drain costs no
//! allocation. `drain` hands out what was counted since the previous drain, attributed to the UTC
//! hour of the `now` it is given: a use made in the last second of an hour and drained in the
//! first second of the next lands in the next hour. Drained every second, an hour's boundary is
//! off by at most that second (at most the flush interval in general).
//!
//! Counts a failed write gave back (`restore`) keep the hour they were drained into, and are
//! handed out again, merged, by the next `drain`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;

use crate::ids::KeyId;
use crate::verify::Reason;

/// How many independently locked maps the counts are spread over: enough that verifications on
/// every core rarely meet on one lock.
const SHARDS: usize = 64;

/// One key's counts for one hour, as drained and as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageCount {
    pub key: KeyId,
    /// The start of the UTC hour the counts belong to.
    pub hour_start: OffsetDateTime,
    pub valid: u64,
    pub rate_limited: u64,
    pub usage_exceeded: u64,
    /// Every other refusal of a found key (disabled, expired, IP, subscription, scope).
    pub refused: u64,
}

impl UsageCount {
    /// Adds `other`'s counts to these (saturating: a counter never wraps).
    pub fn add(&mut self, other: &UsageCount) {
        self.valid = self.valid.saturating_add(other.valid);
        self.rate_limited = self.rate_limited.saturating_add(other.rate_limited);
        self.usage_exceeded = self.usage_exceeded.saturating_add(other.usage_exceeded);
        self.refused = self.refused.saturating_add(other.refused);
    }

    /// The sum of the four outcomes.
    pub fn total(&self) -> u64 {
        self.valid
            .saturating_add(self.rate_limited)
            .saturating_add(self.usage_exceeded)
            .saturating_add(self.refused)
    }

    fn from_counts(key: KeyId, hour_start: OffsetDateTime, counts: Counts) -> Self {
        Self {
            key,
            hour_start,
            valid: counts[VALID],
            rate_limited: counts[RATE_LIMITED],
            usage_exceeded: counts[USAGE_EXCEEDED],
            refused: counts[REFUSED],
        }
    }
}

/// The counts of one key, indexed by `VALID`..`REFUSED`.
type Counts = [u64; 4];
const VALID: usize = 0;
const RATE_LIMITED: usize = 1;
const USAGE_EXCEEDED: usize = 2;
const REFUSED: usize = 3;

/// Which of the four counts an outcome adds to.
fn slot(reason: Reason) -> usize {
    match reason {
        Reason::Valid => VALID,
        Reason::RateLimited => RATE_LIMITED,
        Reason::UsageExceeded => USAGE_EXCEEDED,
        _ => REFUSED,
    }
}

/// The start of the UTC hour holding `at`.
pub fn hour_start(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_time(time::Time::from_hms(at.hour(), 0, 0).unwrap_or(time::Time::MIDNIGHT))
}

/// Verifications counted in memory since the last drain. One per node, inside the `Verifier`.
pub struct Meter {
    shards: Box<[Mutex<HashMap<KeyId, Counts>>]>,
    /// Counts a failed write gave back, with their hours, for the next drain.
    held: Mutex<Vec<UsageCount>>,
}

impl Default for Meter {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            held: Mutex::new(Vec::new()),
        }
    }
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter").finish_non_exhaustive()
    }
}

/// A poisoned lock only means another thread panicked while holding it; the counts are plain
/// numbers and still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Meter {
    /// Counts one verification of `key` that ended with `reason`.
    pub fn record(&self, key: KeyId, reason: Reason) {
        // UUIDv7 ends in random bits: the low ones spread keys evenly without hashing.
        let shard = (key.as_uuid().as_u128() as usize) % SHARDS;
        let mut counts = lock(&self.shards[shard]);
        let count = &mut counts.entry(key).or_insert([0; 4])[slot(reason)];
        *count = count.saturating_add(1);
    }

    /// Everything counted since the previous drain, attributed to the UTC hour of `now`, and
    /// whatever `restore` gave back, in its own hours; one row per key and hour.
    pub fn drain(&self, now: OffsetDateTime) -> Vec<UsageCount> {
        let hour = hour_start(now);
        let held = std::mem::take(&mut *lock(&self.held));
        let mut rows: Vec<UsageCount> = Vec::with_capacity(held.len());
        for shard in self.shards.iter() {
            // `drain` keeps the map's capacity: a key counted every hour never reallocates it.
            let mut counts = lock(shard);
            rows.extend(
                counts
                    .drain()
                    .map(|(key, counts)| UsageCount::from_counts(key, hour, counts)),
            );
        }
        if held.is_empty() {
            return rows;
        }
        merge(held.into_iter().chain(rows))
    }

    /// Gives back counts a write failed to store; the next `drain` hands them out again.
    pub fn restore(&self, rows: Vec<UsageCount>) {
        let mut held = lock(&self.held);
        let merged = merge(held.drain(..).chain(rows));
        *held = merged;
    }
}

/// One row per key and hour, counts summed.
fn merge(rows: impl Iterator<Item = UsageCount>) -> Vec<UsageCount> {
    let mut by_key_hour: HashMap<(KeyId, OffsetDateTime), UsageCount> = HashMap::new();
    for row in rows {
        by_key_hour
            .entry((row.key, row.hour_start))
            .and_modify(|sum| sum.add(&row))
            .or_insert(row);
    }
    by_key_hour.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sorted(mut rows: Vec<UsageCount>) -> Vec<UsageCount> {
        rows.sort_by_key(|r| (r.key, r.hour_start));
        rows
    }

    #[test]
    fn outcomes_fall_into_four_counts() {
        let meter = Meter::default();
        let key = KeyId::new();
        for reason in Reason::ALL {
            meter.record(key, *reason);
        }
        meter.record(key, Reason::Valid);
        let rows = meter.drain(datetime!(2026-03-04 05:06:07.5 UTC));
        assert_eq!(
            rows,
            vec![UsageCount {
                key,
                hour_start: datetime!(2026-03-04 05:00 UTC),
                valid: 2,
                rate_limited: 1,
                usage_exceeded: 1,
                // Malformed, NotFound, Disabled, Expired, IpNotAllowed, NotSubscribed,
                // InsufficientScope: the verifier never records the first two, the meter
                // counts whatever it is given.
                refused: 7,
            }]
        );
        assert_eq!(rows[0].total(), 11);
    }

    #[test]
    fn a_drain_empties_the_meter_and_keys_stay_apart() {
        let meter = Meter::default();
        let (a, b) = (KeyId::new(), KeyId::new());
        meter.record(a, Reason::Valid);
        meter.record(b, Reason::RateLimited);
        meter.record(b, Reason::RateLimited);
        let now = datetime!(2026-03-04 23:59:59.999999 UTC);
        let rows = meter.drain(now);
        assert_eq!(rows.len(), 2);
        let of = |key| *rows.iter().find(|r| r.key == key).expect("a row per key");
        assert_eq!(of(a).valid, 1);
        assert_eq!(of(a).total(), 1);
        assert_eq!(of(b).rate_limited, 2);
        assert_eq!(of(b).total(), 2);
        assert!(rows
            .iter()
            .all(|r| r.hour_start == datetime!(2026-03-04 23:00 UTC)));
        assert!(meter.drain(now).is_empty(), "a second drain has nothing");
    }

    #[test]
    fn hours_are_utc_whatever_the_offset_of_now() {
        let local = datetime!(2026-03-04 05:30 +05:30);
        assert_eq!(hour_start(local), datetime!(2026-03-04 00:00 UTC));
        assert_eq!(
            hour_start(datetime!(2026-03-04 00:00 UTC)),
            datetime!(2026-03-04 00:00 UTC)
        );
    }

    #[test]
    fn restored_counts_keep_their_hour_and_merge() {
        let meter = Meter::default();
        let key = KeyId::new();
        meter.record(key, Reason::Valid);
        let first = meter.drain(datetime!(2026-03-04 05:59:59 UTC));
        meter.restore(first.clone());
        meter.record(key, Reason::Disabled);
        meter.restore(first); // a second failure of the same rows adds, it does not replace
        meter.record(key, Reason::Valid);
        let rows = sorted(meter.drain(datetime!(2026-03-04 06:00:01 UTC)));
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].hour_start, datetime!(2026-03-04 05:00 UTC));
        assert_eq!((rows[0].valid, rows[0].refused), (2, 0));
        assert_eq!(rows[1].hour_start, datetime!(2026-03-04 06:00 UTC));
        assert_eq!((rows[1].valid, rows[1].refused), (1, 1));
        assert!(meter.drain(datetime!(2026-03-04 06:00:02 UTC)).is_empty());
    }

    #[test]
    fn counts_from_many_threads_all_arrive() {
        let meter = std::sync::Arc::new(Meter::default());
        let keys: Vec<KeyId> = (0..100).map(|_| KeyId::new()).collect();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let meter = std::sync::Arc::clone(&meter);
                let keys = keys.clone();
                std::thread::spawn(move || {
                    for i in 0..10_000 {
                        let reason = if (i + t) % 5 == 0 {
                            Reason::UsageExceeded
                        } else {
                            Reason::Valid
                        };
                        meter.record(keys[i % keys.len()], reason);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no panic");
        }
        let rows = meter.drain(datetime!(2026-03-04 05:00 UTC));
        assert_eq!(rows.len(), 100);
        let total: u64 = rows.iter().map(UsageCount::total).sum();
        let exceeded: u64 = rows.iter().map(|r| r.usage_exceeded).sum();
        assert_eq!(total, 40_000);
        assert_eq!(exceeded, 8_000);
    }
}
