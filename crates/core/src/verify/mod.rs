//! The hot path: `secret → shape & checksum → hash → cache → store → checks → decision`.
//!
//! The cache holds one immutable `KeySnapshot` per secret hash (and short-lived negative entries
//! for unknown hashes). Every change a node makes drops the affected entries at once, and so does
//! every change another node makes (`apply`, fed by the store's change feed); positive entries
//! are also reloaded after a minute as a backstop. While the database is away, cached keys keep
//! being served for the stale window, even past that minute. Successful uses are recorded in the
//! snapshot with two atomics and flushed to the store in batches by `Verifier::flush_last_used`.
//! Every decision about a found key is also counted by outcome in the `Meter` (`usage::meter`)
//! and flushed, per key and hour, by `Verifier::flush_usage`.

mod credits;
mod decision;
mod face;
pub mod metrics;
mod snapshot;
mod usage;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::sync::Cache;
use moka::Expiry;
use time::OffsetDateTime;

pub use self::metrics::{LogVerifications, VerifyMetrics};
pub use decision::{Decision, Reason};
pub use face::Face;
pub use snapshot::KeySnapshot;
pub use usage::{CreditsReport, UsageReport};

use credits::CreditLedger;

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::ids::{KeyId, ProductId};
use crate::model::ApiKey;
use crate::secret::{PresentedSecret, SecretHash, SecretHasher};
use crate::store::{ChangeEvent, Store};
use crate::usage::{Limiter, LocalLimiter, Meter};

/// What a verification asks, and through which face.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// The face asking: the decision is counted under it.
    pub face: Face,
    pub client_ip: Option<IpAddr>,
    pub required_scopes: &'a [String],
    /// The product the request is for: the key must hold an `ACCEPTED` subscription to it.
    pub product: Option<ProductId>,
    /// What the request costs against the key's limits and credits (default 1; 0 checks
    /// without spending).
    pub cost: u64,
}

impl VerifyRequest<'_> {
    /// A plain check through `face`: no address, scopes or product; cost 1.
    pub fn for_face(face: Face) -> Self {
        Self {
            face,
            client_ip: None,
            required_scopes: &[],
            product: None,
            cost: 1,
        }
    }
}

/// What `Verifier::verify_cached` could not answer without waiting: the secret's hash and the
/// cached snapshot that is due for a reload (served if the store cannot be asked), or a valid
/// key whose usage must be charged where only an await reaches (Redis, the store's credits).
#[derive(Debug)]
pub struct CacheMiss {
    miss: Miss,
    /// When the verification started (for its duration), if that is measured.
    started: Option<Instant>,
}

#[derive(Debug)]
enum Miss {
    Lookup {
        hash: SecretHash,
        stale: Option<Arc<KeySnapshot>>,
    },
    Usage(Arc<KeySnapshot>),
}

/// Cache sizing and lifetimes.
#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub max_entries: u64,
    /// How long a found key is served before it is read again: the backstop behind invalidation.
    /// When the read fails because the store is unavailable, the cached key is still served,
    /// within the stale window.
    pub positive_ttl: Duration,
    /// How long an unknown hash is answered "not found" without asking the store. A key created
    /// on any node drops the entry of its hash at once (here directly, elsewhere through the
    /// change feed), so this too is only a backstop.
    pub negative_ttl: Duration,
    /// How long cached decisions keep being served after the store's change feed broke (the
    /// database is unreachable). After that the cache is bypassed: uncached or not, every
    /// verification needs the store, and fails closed (503) while it is down.
    pub stale_window: Duration,
    /// How far behind the latest use a stored "last used" time may be: a key in constant use is
    /// written once per this, not once per flush (see `KeySnapshot::mark_used`).
    pub last_used_resolution: Duration,
    /// The most credits of one key a node leases from the store at a time: what a crash of the
    /// node can lose at most (never over-spend), and how many requests one store write serves.
    pub credit_lease_max: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            max_entries: 1_000_000,
            positive_ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(30),
            stale_window: Duration::from_secs(300),
            last_used_resolution: Duration::from_secs(60),
            credit_lease_max: 100,
        }
    }
}

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);

/// One cached answer: the snapshot of the key owning the hash (`None`: no key does), and until
/// when it is served without asking the store again.
#[derive(Clone)]
struct Entry {
    snapshot: Option<Arc<KeySnapshot>>,
    fresh_until: Instant,
}

/// How long entries stay in the cache at all. A positive entry outlives its freshness by the
/// stale window, to be served while the store cannot be asked.
struct EntryExpiry {
    positive: Duration,
    negative: Duration,
}

impl Expiry<SecretHash, Entry> for EntryExpiry {
    fn expire_after_create(&self, _: &SecretHash, value: &Entry, _: Instant) -> Option<Duration> {
        Some(if value.snapshot.is_some() {
            self.positive
        } else {
            self.negative
        })
    }
}

/// Verifies secrets. One per node, shared by every face.
pub struct Verifier {
    store: Arc<dyn Store>,
    hasher: SecretHasher,
    clock: Arc<dyn Clock>,
    cache: Cache<SecretHash, Entry>,
    /// Snapshots used since the last flush. Only a snapshot's first use per interval locks this.
    used: Mutex<Vec<Arc<KeySnapshot>>>,
    /// Bumped by every invalidation, before it drops entries. A load that raced with one does
    /// not keep what it read in the cache, since that might predate the change.
    generation: AtomicU64,
    /// Milliseconds after `started` at which the change feed broke; 0 while it is healthy.
    feed_lost_at: AtomicU64,
    started: Instant,
    stale_window: Duration,
    positive_ttl: Duration,
    negative_ttl: Duration,
    last_used_resolution: Duration,
    /// Counts rate limits and quotas (`usage`): this node's memory unless set otherwise.
    limiter: Arc<dyn Limiter>,
    credits: CreditLedger,
    /// Decisions about found keys, per key and outcome, until `flush_usage` writes them.
    meter: Meter,
    /// What Prometheus sees (no-ops unless the application registers them).
    metrics: VerifyMetrics,
    /// Milliseconds after `started` of the last event of the change feed; 0: none yet.
    last_change_at: AtomicU64,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("cached", &self.cache.entry_count())
            .finish()
    }
}

impl Verifier {
    pub fn new(
        store: Arc<dyn Store>,
        hasher: SecretHasher,
        clock: Arc<dyn Clock>,
        settings: &CacheSettings,
    ) -> Self {
        let cache = Cache::builder()
            .max_capacity(settings.max_entries)
            .expire_after(EntryExpiry {
                positive: settings.positive_ttl.saturating_add(settings.stale_window),
                negative: settings.negative_ttl,
            })
            .build();
        Self {
            store,
            hasher,
            clock,
            cache,
            used: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            feed_lost_at: AtomicU64::new(0),
            started: Instant::now(),
            stale_window: settings.stale_window,
            positive_ttl: settings.positive_ttl,
            negative_ttl: settings.negative_ttl,
            last_used_resolution: settings.last_used_resolution,
            limiter: Arc::new(LocalLimiter::default()),
            credits: CreditLedger::new(settings.credit_lease_max),
            meter: Meter::default(),
            metrics: VerifyMetrics::default(),
            last_change_at: AtomicU64::new(0),
        }
    }

    /// Counts with `metrics` (before the node serves).
    pub fn set_metrics(&mut self, metrics: VerifyMetrics) {
        self.metrics = metrics;
    }

    /// Entries in the cache. The cache applies inserts and evictions to its count lazily: this
    /// applies them first (for a scrape, not for the hot path).
    pub fn cache_entries(&self) -> u64 {
        self.cache.run_pending_tasks();
        self.cache.entry_count()
    }

    /// Keys used since the last "last used" flush, waiting to be written.
    pub fn last_used_pending(&self) -> usize {
        self.used.lock().map_or(0, |used| used.len())
    }

    /// Whether the store's change feed is up (true too for a store without one, whose node
    /// makes every change itself).
    pub fn change_feed_up(&self) -> bool {
        !self.feed_is_lost()
    }

    /// How long ago the change feed reported its last event; `None` before its first.
    pub fn since_last_change(&self) -> Option<Duration> {
        match self.last_change_at.load(Ordering::Relaxed) {
            0 => None,
            at => Some(Duration::from_millis(
                self.millis_since_start().saturating_sub(at),
            )),
        }
    }

    /// Replaces the limiter (before the node serves).
    pub fn set_limiter(&mut self, limiter: Arc<dyn Limiter>) {
        self.limiter = limiter;
    }

    pub fn limiter(&self) -> &Arc<dyn Limiter> {
        &self.limiter
    }

    /// The usage counts gathered since the last `flush_usage`.
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    pub fn hasher(&self) -> &SecretHasher {
        &self.hasher
    }

    /// Verifies `secret`. Fails only when the store is needed and unreachable.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify(
        &self,
        secret: PresentedSecret<'_>,
        request: VerifyRequest<'_>,
    ) -> CoreResult<Decision> {
        match self.verify_cached(secret, &request) {
            Ok(decision) => Ok(decision),
            Err(miss) => self.verify_uncached(miss, &request).await,
        }
    }

    /// A refusal a face decided before any secret was there to verify (no key presented, or
    /// one too long to read): `MALFORMED`, counted like every other decision.
    pub fn refuse_malformed(&self, face: Face) -> Decision {
        let decision = Decision::deny(Reason::Malformed);
        self.metrics.decided(face, &decision, None);
        decision
    }

    /// The decision when it needs no store: a malformed secret, or a fresh cache entry. Otherwise
    /// the [`CacheMiss`] to hand to [`Verifier::verify_uncached`]. Synchronous, so a face can
    /// answer a cache hit without building (and allocating) the future of a store read.
    pub fn verify_cached(
        &self,
        secret: PresentedSecret<'_>,
        request: &VerifyRequest<'_>,
    ) -> Result<Decision, CacheMiss> {
        let started = self.metrics.start();
        let decided = self.verify_in_cache(secret, request, started);
        if let Ok(decision) = &decided {
            self.metrics.decided(request.face, decision, started);
        }
        decided
    }

    /// `verify_cached`, uncounted.
    fn verify_in_cache(
        &self,
        secret: PresentedSecret<'_>,
        request: &VerifyRequest<'_>,
        started: Option<Instant>,
    ) -> Result<Decision, CacheMiss> {
        let miss = |miss| CacheMiss { miss, started };
        if !secret.is_well_formed() {
            return Ok(Decision::deny(Reason::Malformed));
        }
        let hash = secret.hash(&self.hasher);
        let cached = if self.cache_is_trusted() {
            self.cache.get(&hash)
        } else {
            None
        };
        let snapshot = match cached {
            Some(entry) if Instant::now() < entry.fresh_until => entry.snapshot,
            // Due for a reload. With the change feed down the store most likely is too, and the
            // stale window (checked above) already allows what is cached: serve it without
            // waiting on the store.
            Some(Entry {
                snapshot: Some(stale),
                ..
            }) if self.feed_is_lost() => Some(stale),
            Some(Entry {
                snapshot: Some(stale),
                ..
            }) => {
                self.metrics.cache_miss();
                return Err(miss(Miss::Lookup {
                    hash,
                    stale: Some(stale),
                }));
            }
            _ => {
                self.metrics.cache_miss();
                return Err(miss(Miss::Lookup { hash, stale: None }));
            }
        };
        self.metrics.cache_hit();
        self.decide_found(snapshot, request)
            .map_err(|snapshot| miss(Miss::Usage(snapshot)))
    }

    /// Asks the store what the cache could not answer. A stale entry is served if the store
    /// cannot answer: a change since would have dropped it.
    pub async fn verify_uncached(
        &self,
        miss: CacheMiss,
        request: &VerifyRequest<'_>,
    ) -> CoreResult<Decision> {
        let started = miss.started;
        let decided = self.verify_in_store(miss.miss, request).await;
        if let Ok(decision) = &decided {
            self.metrics.decided(request.face, decision, started);
        }
        decided
    }

    /// `verify_uncached`, uncounted.
    async fn verify_in_store(
        &self,
        miss: Miss,
        request: &VerifyRequest<'_>,
    ) -> CoreResult<Decision> {
        let snapshot = match miss {
            Miss::Usage(snapshot) => return self.charge_metered(snapshot, request).await,
            Miss::Lookup { hash, stale } => match (self.load(hash).await, stale) {
                (Err(CoreError::Unavailable), Some(stale)) => Some(stale),
                (loaded, _) => loaded?,
            },
        };
        match self.decide_found(snapshot, request) {
            Ok(decision) => Ok(decision),
            Err(snapshot) => self.charge_metered(snapshot, request).await,
        }
    }

    /// The decision for a looked-up key, or the snapshot of a valid key whose usage needs an
    /// await to charge.
    fn decide_found(
        &self,
        snapshot: Option<Arc<KeySnapshot>>,
        request: &VerifyRequest<'_>,
    ) -> Result<Decision, Arc<KeySnapshot>> {
        match snapshot {
            Some(snapshot) => {
                let key = snapshot.key_id;
                let decided = self.decide(snapshot, request);
                // Usage metering: every decision about a found key, whatever its outcome (one
                // whose usage needs an await is metered by `charge_metered`).
                if let Ok(decision) = &decided {
                    self.meter.record(key, decision.reason);
                }
                decided
            }
            None => Ok(Decision::deny(Reason::NotFound)),
        }
    }

    fn feed_is_lost(&self) -> bool {
        self.feed_lost_at.load(Ordering::Relaxed) != 0
    }

    /// False once the change feed has been down for longer than the stale window.
    fn cache_is_trusted(&self) -> bool {
        let lost_at = self.feed_lost_at.load(Ordering::Relaxed);
        lost_at == 0
            || self.millis_since_start().saturating_sub(lost_at)
                <= self.stale_window.as_millis() as u64
    }

    fn millis_since_start(&self) -> u64 {
        // +1 keeps 0 free to mean "healthy".
        self.started.elapsed().as_millis() as u64 + 1
    }

    /// Applies what the store's change feed reports (see `Store::watch_changes`).
    pub fn apply(&self, event: ChangeEvent) {
        self.last_change_at
            .store(self.millis_since_start(), Ordering::Relaxed);
        match event {
            ChangeEvent::Keys(hashes) => {
                self.generation.fetch_add(1, Ordering::SeqCst);
                for hash in &hashes {
                    self.cache.invalidate(hash);
                }
            }
            ChangeEvent::Lost => {
                let now = self.millis_since_start();
                let _ =
                    self.feed_lost_at
                        .compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed);
                tracing::warn!(
                    stale_window_secs = self.stale_window.as_secs(),
                    "change feed lost: serving cached verifications for the stale window"
                );
            }
            ChangeEvent::Restored => {
                self.forget_all();
                if self.feed_lost_at.swap(0, Ordering::AcqRel) != 0 {
                    tracing::info!("change feed restored: cache dropped");
                } else {
                    // The feed's first start, or a notification meaning "everything changed".
                    tracing::debug!("change feed (re)started: cache dropped");
                }
            }
        }
    }

    async fn load(&self, hash: SecretHash) -> CoreResult<Option<Arc<KeySnapshot>>> {
        let generation = self.generation.load(Ordering::SeqCst);
        let key = self
            .store
            .key_by_secret_hash(&hash)
            .await
            .map_err(CoreError::from)?;
        let snapshot = key.and_then(|key| {
            key.secrets
                .iter()
                .find(|s| s.hash == hash)
                .map(|secret| Arc::new(KeySnapshot::new(&key, secret)))
        });
        if self.generation.load(Ordering::SeqCst) == generation && self.cache_is_trusted() {
            let fresh_for = if snapshot.is_some() {
                self.positive_ttl
            } else {
                self.negative_ttl
            };
            let now = Instant::now();
            let entry = Entry {
                snapshot: snapshot.clone(),
                // A configured TTL too large to add means "for as long as the cache keeps it".
                fresh_until: now.checked_add(fresh_for).unwrap_or(now + YEAR),
            };
            self.cache.insert(hash, entry);
            // An invalidation that ran between the check above and the insert found nothing to
            // drop; look again and drop what was just cached, which may predate it.
            fence(Ordering::SeqCst);
            if self.generation.load(Ordering::SeqCst) != generation {
                self.cache.invalidate(&hash);
            }
        }
        Ok(snapshot)
    }

    fn decide(
        &self,
        snapshot: Arc<KeySnapshot>,
        request: &VerifyRequest<'_>,
    ) -> Result<Decision, Arc<KeySnapshot>> {
        let now = self.clock.now();
        let reason = if !snapshot.enabled {
            Reason::Disabled
        } else if snapshot.is_expired_at(now) {
            Reason::Expired
        } else if !snapshot.allows_ip(request.client_ip) {
            Reason::IpNotAllowed
        } else if request.product.is_some_and(|p| !snapshot.subscribed_to(p)) {
            Reason::NotSubscribed
        } else if !snapshot.has_scopes(request.required_scopes.iter().map(String::as_str)) {
            Reason::InsufficientScope
        } else {
            Reason::Valid
        };
        if reason != Reason::Valid {
            return Ok(Decision::deny(reason));
        }
        let Some(usage) = &snapshot.usage else {
            self.record_use(&snapshot, now);
            return Ok(Decision {
                reason,
                key: Some(snapshot),
                usage: None,
            });
        };
        // Credits first, then every limit at once; a refusal by either charges nothing.
        let credits = match &usage.credits {
            Some(credits) => {
                match self
                    .credits
                    .try_spend(snapshot.key_id, credits, request.cost, now)
                {
                    Some(report) => Some(report),
                    None => return Err(snapshot),
                }
            }
            None => None,
        };
        if credits.is_some_and(|c| c.exhausted) {
            return Ok(self.conclude(snapshot, credits, Vec::new(), true, request.cost, now));
        }
        let charges = usage.charges(request.product, now);
        let admission = if charges.is_empty() {
            None
        } else {
            match self.limiter.try_charge(&charges, request.cost, now) {
                Some(admission) => Some(admission),
                None => {
                    if credits.is_some() {
                        self.credits.refund(snapshot.key_id, request.cost);
                    }
                    return Err(snapshot);
                }
            }
        };
        let (states, admitted) = admission.map_or((Vec::new(), true), |a| (a.states, a.admitted));
        Ok(self.conclude(snapshot, credits, states, admitted, request.cost, now))
    }

    /// `decide`'s usage check for what only an await can charge: credits the lease does not
    /// cover, limits counted elsewhere (Redis).
    /// `charge_later`, with its decision metered (see `decide_found`).
    async fn charge_metered(
        &self,
        snapshot: Arc<KeySnapshot>,
        request: &VerifyRequest<'_>,
    ) -> CoreResult<Decision> {
        let key = snapshot.key_id;
        let decision = self.charge_later(snapshot, request).await?;
        self.meter.record(key, decision.reason);
        Ok(decision)
    }

    async fn charge_later(
        &self,
        snapshot: Arc<KeySnapshot>,
        request: &VerifyRequest<'_>,
    ) -> CoreResult<Decision> {
        let now = self.clock.now();
        let Some(usage) = &snapshot.usage else {
            // Only a key with usage rules is ever handed here.
            return Ok(Decision::deny(Reason::NotFound));
        };
        let credits = match &usage.credits {
            Some(credits) => {
                self.credits
                    .spend(
                        self.store.as_ref(),
                        snapshot.key_id,
                        credits,
                        request.cost,
                        now,
                    )
                    .await?
            }
            None => None,
        };
        if credits.is_some_and(|c| c.exhausted) {
            return Ok(self.conclude(snapshot, credits, Vec::new(), true, request.cost, now));
        }
        let charges = usage.charges(request.product, now);
        let (states, admitted) = if charges.is_empty() {
            (Vec::new(), true)
        } else {
            let admission = self.limiter.charge(&charges, request.cost, now).await;
            (admission.states, admission.admitted)
        };
        Ok(self.conclude(snapshot, credits, states, admitted, request.cost, now))
    }

    /// The decision once usage is charged: valid if the credits and every limit admitted. A
    /// refusal by a limit gives the credits spent back.
    fn conclude(
        &self,
        snapshot: Arc<KeySnapshot>,
        credits: Option<CreditsReport>,
        limits: Vec<crate::usage::LimitState>,
        limits_admitted: bool,
        cost: u64,
        now: OffsetDateTime,
    ) -> Decision {
        let mut report = UsageReport::from_limits(limits);
        report.credits = credits;
        let credits_refused = credits.is_some_and(|c| c.exhausted);
        if !limits_admitted && !credits_refused {
            if let Some(c) = &mut report.credits {
                self.credits.refund(snapshot.key_id, cost);
                c.remaining = c.remaining.saturating_add(cost);
            }
        }
        let reason = if limits_admitted && !credits_refused {
            self.record_use(&snapshot, now);
            Reason::Valid
        } else if report.refused_by_rate() {
            Reason::RateLimited
        } else {
            Reason::UsageExceeded
        };
        self.metrics.limited(reason);
        Decision {
            reason,
            key: (reason == Reason::Valid).then_some(snapshot),
            usage: Some(Box::new(report)),
        }
    }

    /// Credits leased by this node and not yet spent, for `key`.
    pub fn credits_leased(&self, key: KeyId) -> u64 {
        self.credits.leased(key)
    }

    /// Returns credit leases unused for `idle` to the store (`Duration::ZERO`: all, at
    /// shutdown). Call it about once a second.
    pub async fn return_credits(&self, idle: Duration) -> CoreResult<u64> {
        self.credits
            .return_idle(self.store.as_ref(), idle, self.clock.now())
            .await
    }

    fn record_use(&self, snapshot: &Arc<KeySnapshot>, now: OffsetDateTime) {
        if snapshot.mark_used(now, self.last_used_resolution) {
            if let Ok(mut used) = self.used.lock() {
                used.push(Arc::clone(snapshot));
            }
        }
    }

    /// Writes the "last used" times gathered since the previous flush in one batch. Call it about
    /// once a second and at shutdown. On failure the uses are kept for the next flush.
    pub async fn flush_last_used(&self) -> CoreResult<usize> {
        let drained: Vec<Arc<KeySnapshot>> = match self.used.lock() {
            Ok(mut used) => std::mem::take(&mut *used),
            Err(_) => return Ok(0),
        };
        if drained.is_empty() {
            return Ok(0);
        }
        // A key can appear more than once (two live secrets, or a snapshot replaced after a
        // change): keep its latest time. A map, because a busy second uses many thousand keys.
        let mut latest: HashMap<KeyId, OffsetDateTime> = HashMap::with_capacity(drained.len());
        for snapshot in &drained {
            let at = snapshot.take_use();
            latest
                .entry(snapshot.key_id)
                .and_modify(|t| *t = (*t).max(at))
                .or_insert(at);
        }
        let batch: Vec<(KeyId, OffsetDateTime)> = latest.into_iter().collect();
        if let Err(error) = self.store.record_last_used(&batch).await {
            // Keep the uses for the next flush; the snapshots still hold their times.
            if let Ok(mut used) = self.used.lock() {
                used.extend(drained.into_iter().filter(|s| s.requeue()));
            }
            return Err(error.into());
        }
        Ok(batch.len())
    }

    /// Writes the usage counted since the previous flush, attributed to the current UTC hour
    /// (see `usage::meter`), in one batch. Call it with `flush_last_used`. On failure the counts
    /// are kept, in their hours, for the next flush. Answers how many key-hour rows it wrote.
    pub async fn flush_usage(&self) -> CoreResult<usize> {
        let batch = self.meter.drain(self.clock.now());
        if batch.is_empty() {
            return Ok(0);
        }
        if let Err(error) = self.store.record_usage(&batch).await {
            self.meter.restore(batch);
            return Err(error.into());
        }
        Ok(batch.len())
    }

    /// Drops every cached entry of `key` (call after any change to it, on this node).
    pub fn forget_key(&self, key: &ApiKey) {
        self.credits.recheck(key.id);
        self.generation.fetch_add(1, Ordering::SeqCst);
        for secret in &key.secrets {
            self.cache.invalidate(&secret.hash);
        }
    }

    /// Drops one hash's entry (a new secret may have a negative entry; drop it).
    pub fn forget_hash(&self, hash: &SecretHash) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate(hash);
    }

    /// Drops everything (after missed notifications from other nodes).
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate_all();
    }
}
