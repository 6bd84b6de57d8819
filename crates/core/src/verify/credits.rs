//! Credits on the verify path: each node leases blocks of credits from the stored balance and
//! spends them in memory, so a request costs no store write and no node can spend what the
//! store did not grant it.
//!
//! Guarantee: every credit spent was granted by a compare-and-set on the stored balance, so the
//! credits admitted across all nodes never exceed the balance (plus refills and top-ups). A node
//! that crashes loses its unspent lease (at most `lease_max` credits per key), never grants more.
//! Unspent leases go back to the store when idle (`return_idle`) and at shutdown. A lease lapses
//! when the balance is set (a new credit epoch: a `PATCH` of the credits, or a `set` top-up or
//! refill) — the old balance's credits are gone, so are leases of it.
//!
//! The balance a node reports is its lease plus what the store held after its last take: exact
//! on one node, lower by other nodes' unspent leases on several.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;

use super::usage::{CreditsReport, SnapshotCredits};
use crate::error::CoreResult;
use crate::ids::KeyId;
use crate::store::Store;
use crate::usage::{RefillMode, StoredCredits};

/// Compare-and-set attempts before a take gives up and refuses (contention on one key).
const SWAP_ATTEMPTS: usize = 16;
/// A refusal from an empty lease is answered without the store for this long, then rechecked
/// (a top-up elsewhere is seen within it).
const EXHAUSTED_RECHECK: time::Duration = time::Duration::seconds(1);

#[derive(Debug, Clone, Copy)]
struct Lease {
    left: u64,
    epoch: i64,
    /// The stored balance after this node's last take.
    store_left: u64,
    /// A `set` refill at this time ends the lease's credits.
    lapses_at: Option<OffsetDateTime>,
    refill_at: Option<OffsetDateTime>,
    checked_at: OffsetDateTime,
    used_at: OffsetDateTime,
}

impl Lease {
    fn valid(&self, credits: &SnapshotCredits, now: OffsetDateTime) -> bool {
        self.epoch >= credits.epoch && self.lapses_at.is_none_or(|at| now < at)
    }

    fn report(&self, exhausted: bool) -> CreditsReport {
        CreditsReport {
            remaining: self.left.saturating_add(self.store_left),
            refill_at: self.refill_at,
            exhausted,
        }
    }
}

/// This node's credit leases, by key.
pub(crate) struct CreditLedger {
    leases: Mutex<HashMap<KeyId, Lease>>,
    lease_max: u64,
    /// Requests of one key that need the store take turns (by stripe of the key): the first
    /// takes a block and the others spend it, instead of all racing on the stored balance.
    takers: Box<[tokio::sync::Mutex<()>]>,
}

const TAKER_STRIPES: usize = 64;

impl CreditLedger {
    pub(crate) fn new(lease_max: u64) -> Self {
        Self {
            leases: Mutex::new(HashMap::new()),
            lease_max: lease_max.max(1),
            takers: (0..TAKER_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }

    fn leases(&self) -> std::sync::MutexGuard<'_, HashMap<KeyId, Lease>> {
        self.leases.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Spends `cost` from the lease when it can answer alone: `Some(report)` (admitted unless
    /// `exhausted`), or `None` when the store must be asked.
    pub(crate) fn try_spend(
        &self,
        key: KeyId,
        credits: &SnapshotCredits,
        cost: u64,
        now: OffsetDateTime,
    ) -> Option<CreditsReport> {
        let mut leases = self.leases();
        let lease = leases.get_mut(&key)?;
        if !lease.valid(credits, now) {
            return None;
        }
        if lease.left >= cost.max(1) {
            lease.left -= cost;
            lease.used_at = now;
            return Some(lease.report(false));
        }
        (lease.store_left == 0 && now < lease.checked_at + EXHAUSTED_RECHECK)
            .then(|| lease.report(true))
    }

    /// Spends `cost`, taking credits from the store as needed.
    pub(crate) async fn spend(
        &self,
        store: &dyn Store,
        key: KeyId,
        credits: &SnapshotCredits,
        cost: u64,
        now: OffsetDateTime,
    ) -> CoreResult<Option<CreditsReport>> {
        if let Some(report) = self.try_spend(key, credits, cost, now) {
            if !report.exhausted {
                return Ok(Some(report));
            }
        }
        let stripe = (key.as_uuid().as_u128() % TAKER_STRIPES as u128) as usize;
        let _turn = self.takers[stripe].lock().await;
        // Whoever held the turn may have taken enough for this request too.
        if let Some(report) = self.try_spend(key, credits, cost, now) {
            return Ok(Some(report));
        }
        let need = cost.max(1);
        let (have, hint) = {
            let leases = self.leases();
            match leases.get(&key).filter(|l| l.valid(credits, now)) {
                Some(lease) => (lease.left, lease.store_left),
                None => (0, 0),
            }
        };
        // Take what is missing, plus a block for the requests to come: an eighth of what the
        // store held last time, at most `lease_max`.
        let want = need.saturating_sub(have) + (hint / 8).min(self.lease_max - 1);
        let Some((granted, after)) = take(store, key, want, now).await? else {
            // The balance was removed since the key was cached: nothing to count.
            return Ok(None);
        };
        let mut leases = self.leases();
        let refill = after.credits.refill;
        let lease = leases.entry(key).or_insert(Lease {
            left: 0,
            epoch: after.epoch,
            store_left: 0,
            lapses_at: None,
            refill_at: None,
            checked_at: now,
            used_at: now,
        });
        if lease.epoch != after.epoch || !lease.valid(credits, now) {
            lease.left = 0;
        }
        lease.epoch = after.epoch;
        lease.left += granted;
        lease.store_left = after.credits.remaining;
        lease.refill_at = refill.map(|r| r.every.end_of(now));
        lease.lapses_at = refill
            .filter(|r| r.mode == RefillMode::Set)
            .map(|r| r.every.end_of(now));
        lease.checked_at = now;
        lease.used_at = now;
        if lease.left >= need {
            lease.left -= cost;
            Ok(Some(lease.report(false)))
        } else {
            Ok(Some(lease.report(true)))
        }
    }

    /// Makes the next request of `key` ask the store (its balance was topped up here).
    pub(crate) fn recheck(&self, key: KeyId) {
        if let Some(lease) = self.leases().get_mut(&key) {
            lease.checked_at = OffsetDateTime::UNIX_EPOCH;
        }
    }

    /// Gives back credits spent by a request that a limit then refused.
    pub(crate) fn refund(&self, key: KeyId, cost: u64) {
        if let Some(lease) = self.leases().get_mut(&key) {
            lease.left = lease.left.saturating_add(cost);
        }
    }

    /// The unspent lease of `key` on this node (added to the stored balance when shown).
    pub(crate) fn leased(&self, key: KeyId) -> u64 {
        self.leases().get(&key).map_or(0, |l| l.left)
    }

    /// Returns the leases unused for `idle` to the store (all of them with `Duration::ZERO`,
    /// at shutdown). A lease of an older epoch is dropped: its balance is gone. Returns how many
    /// credits went back.
    pub(crate) async fn return_idle(
        &self,
        store: &dyn Store,
        idle: Duration,
        now: OffsetDateTime,
    ) -> CoreResult<u64> {
        let idle = time::Duration::try_from(idle).unwrap_or(time::Duration::MAX);
        let due: Vec<(KeyId, Lease)> = {
            let mut leases = self.leases();
            let keys: Vec<KeyId> = leases
                .iter()
                .filter(|(_, l)| now - l.used_at >= idle)
                .map(|(k, _)| *k)
                .collect();
            keys.into_iter()
                .filter_map(|k| leases.remove(&k).map(|l| (k, l)))
                .collect()
        };
        let mut returned = 0;
        for (key, lease) in due {
            if lease.left == 0 || lease.lapses_at.is_some_and(|at| now >= at) {
                continue;
            }
            if give_back(store, key, lease.left, lease.epoch, now).await? {
                returned += lease.left;
            }
        }
        Ok(returned)
    }
}

/// Takes up to `want` credits from the stored balance (refills due applied first), by
/// compare-and-set. `None` when the key has no balance.
async fn take(
    store: &dyn Store,
    key: KeyId,
    want: u64,
    now: OffsetDateTime,
) -> CoreResult<Option<(u64, StoredCredits)>> {
    for _ in 0..SWAP_ATTEMPTS {
        let Some(stored) = store.key_credits(key).await? else {
            return Ok(None);
        };
        let current = stored.at(now);
        let granted = want.min(current.credits.remaining);
        let mut next = current;
        next.credits.remaining -= granted;
        if next == stored || store.swap_credits(key, &stored, &next, None).await? {
            return Ok(Some((granted, next)));
        }
    }
    // Lost every race: grant nothing this time (the request is refused, nothing over-spent).
    let stored = store.key_credits(key).await?;
    Ok(stored.map(|s| (0, s.at(now))))
}

/// Puts `amount` back if the balance is still of `epoch`.
async fn give_back(
    store: &dyn Store,
    key: KeyId,
    amount: u64,
    epoch: i64,
    now: OffsetDateTime,
) -> CoreResult<bool> {
    for _ in 0..SWAP_ATTEMPTS {
        let Some(stored) = store.key_credits(key).await? else {
            return Ok(false);
        };
        let current = stored.at(now);
        if current.epoch != epoch {
            return Ok(false);
        }
        let mut next = current;
        next.credits.remaining = next
            .credits
            .remaining
            .saturating_add(amount)
            .min(crate::usage::limits::AMOUNT_MAX);
        if store.swap_credits(key, &stored, &next, None).await? {
            return Ok(true);
        }
    }
    Ok(false)
}
