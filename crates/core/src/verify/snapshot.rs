//! The immutable view of one secret's key that the verify path needs, shared through the cache.

use std::any::Any;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use ipnet::IpNet;
use time::OffsetDateTime;

use super::usage::SnapshotUsage;
use crate::ids::{DomainId, KeyId, PrincipalId, ProductId};
use crate::model::{cidr::canonical, ApiKey, KeyState, SecretInfo, TokenSet};

/// `last_used_micros` of a key never used.
const NEVER_USED: i64 = i64::MIN;

/// Everything verification checks, for one secret of one key. Built once per cache fill.
pub struct KeySnapshot {
    pub key_id: KeyId,
    pub domain: DomainId,
    pub owner: PrincipalId,
    pub name: String,
    pub enabled: bool,
    pub expires_at: Option<OffsetDateTime>,
    /// The earlier of the key's expiry and this secret's grace expiry.
    pub secret_expires_at: Option<OffsetDateTime>,
    pub allowed: Vec<IpNet>,
    pub roles: TokenSet,
    pub scopes: TokenSet,
    /// Products with an `ACCEPTED` subscription; a handful, so a linear scan beats hashing.
    pub products: Box<[ProductId]>,
    /// Rate limits, quotas and credits to charge; `None` for a key without any.
    pub usage: Option<Box<SnapshotUsage>>,
    /// Unix micros of the latest recorded use: the stored `last_used_at` when the snapshot was
    /// made (`NEVER_USED` if none), then each use recorded since; see `mark_used`.
    last_used_micros: AtomicI64,
    /// Set while the snapshot waits in the verifier's queue for the next flush.
    pending: AtomicBool,
    /// What a face renders from this snapshot once and reuses on every hit (the gateway's
    /// response header values), so a cache hit formats nothing. Typed as `Any` because the core
    /// knows no transport types; see [`KeySnapshot::rendered`].
    rendered: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for KeySnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySnapshot")
            .field("key_id", &self.key_id)
            .field("domain", &self.domain)
            .field("owner", &self.owner)
            .field("enabled", &self.enabled)
            .field("expires_at", &self.expires_at)
            .field("secret_expires_at", &self.secret_expires_at)
            .finish_non_exhaustive()
    }
}

impl KeySnapshot {
    pub fn new(key: &ApiKey, secret: &SecretInfo) -> Self {
        Self {
            key_id: key.id,
            domain: key.domain,
            owner: key.owner,
            name: key.name.as_str().to_owned(),
            enabled: key.state == KeyState::Enabled,
            expires_at: key.expires_at,
            secret_expires_at: secret.expires_at,
            allowed: key.allowed_cidrs.iter().map(|c| c.cidr).collect(),
            roles: key.roles.clone(),
            scopes: key.scopes.clone(),
            products: key.products.clone().into_boxed_slice(),
            usage: SnapshotUsage::of(key),
            last_used_micros: AtomicI64::new(key.last_used_at.map_or(NEVER_USED, unix_micros)),
            pending: AtomicBool::new(false),
            rendered: OnceLock::new(),
        }
    }

    /// The face's rendering of this snapshot, made by `render` on first use and kept for the
    /// snapshot's life (a change to the key replaces the snapshot, so it cannot go stale).
    /// One face owns the slot: `None` when another type was stored first, and the caller then
    /// renders for itself.
    pub fn rendered<T: Any + Send + Sync>(&self, render: impl FnOnce(&Self) -> T) -> Option<&T> {
        self.rendered
            .get_or_init(|| Box::new(render(self)))
            .downcast_ref::<T>()
    }

    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
            || self.secret_expires_at.is_some_and(|at| now >= at)
    }

    /// Empty allow-list means any address. A key with an allow-list refuses unknown addresses.
    pub fn allows_ip(&self, ip: Option<IpAddr>) -> bool {
        if self.allowed.is_empty() {
            return true;
        }
        match ip {
            Some(ip) => {
                let ip = canonical(ip);
                self.allowed.iter().any(|net| net.contains(&ip))
            }
            None => false,
        }
    }

    pub fn subscribed_to(&self, product: ProductId) -> bool {
        self.products.contains(&product)
    }

    pub fn has_scopes<'a>(&self, required: impl IntoIterator<Item = &'a str>) -> bool {
        required.into_iter().all(|s| self.scopes.contains(s))
    }

    /// Records a use at `now`; true when the caller must queue the snapshot for the next flush
    /// (the first recorded use since the last one).
    ///
    /// A use less than `resolution` after the recorded one (the stored time, or a use recorded
    /// since) changes nothing. So a key in constant use is written once per `resolution`, not
    /// once per flush (10,000 busy keys would otherwise rewrite 10,000 rows every second), and a
    /// hot key used on every core at once does not make each core take the cache line
    /// exclusively. "Last used" is therefore at most `resolution` behind the latest use; a key's
    /// first use is always written at the next flush. When a newer time is written, the release
    /// of the `pending` swap publishes it to the flusher's acquire (see `take_use`).
    pub(crate) fn mark_used(&self, now: OffsetDateTime, resolution: Duration) -> bool {
        let micros = unix_micros(now);
        let recorded = self.last_used_micros.load(Ordering::Relaxed);
        let resolution = i64::try_from(resolution.as_micros()).unwrap_or(i64::MAX);
        if recorded != NEVER_USED && micros < recorded.saturating_add(resolution) {
            return false;
        }
        self.last_used_micros.fetch_max(micros, Ordering::Relaxed);
        !self.pending.swap(true, Ordering::AcqRel)
    }

    /// Takes this snapshot out of the flush queue and answers its latest recorded use. The
    /// swap's acquire pairs with `mark_used`'s release, so a use recorded concurrently is either
    /// seen here or queues the snapshot again.
    pub(crate) fn take_use(&self) -> OffsetDateTime {
        self.pending.swap(false, Ordering::AcqRel);
        let micros = self.last_used_micros.load(Ordering::Relaxed);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Puts the snapshot back in the queue after a failed flush; false when a use since then
    /// already did.
    pub(crate) fn requeue(&self) -> bool {
        !self.pending.swap(true, Ordering::AcqRel)
    }
}

fn unix_micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1_000) as i64
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use time::macros::datetime;
    use time::Duration;

    use super::*;
    use crate::ids::{DomainId, KeyId, PrincipalId};
    use crate::model::{Description, KeyType, Metadata, Name, SecretSlot};
    use crate::secret::SecretHash;

    fn snapshot(last_used_at: Option<OffsetDateTime>) -> KeySnapshot {
        let at = datetime!(2026-01-01 00:00 UTC);
        let secret = SecretInfo {
            slot: SecretSlot::Primary,
            hash: SecretHash([7; 32]),
            hint: "kw_…abcd".into(),
            created_at: at,
            expires_at: None,
        };
        let key = ApiKey {
            id: KeyId::new(),
            domain: DomainId::new(),
            owner: PrincipalId::new(),
            name: Name::parse("name", "k").expect("valid"),
            description: Description::default(),
            key_type: KeyType::User,
            state: KeyState::Enabled,
            roles: TokenSet::default(),
            scopes: TokenSet::default(),
            allowed_cidrs: Vec::new(),
            expires_at: None,
            metadata: Metadata::default(),
            limits: Default::default(),
            credits: None,
            credits_epoch: 0,
            usage: Default::default(),
            created_at: at,
            updated_at: at,
            last_used_at,
            last_rotated_at: None,
            secrets: vec![secret.clone()],
            products: Vec::new(),
            version: 1,
        };
        KeySnapshot::new(&key, &secret)
    }

    const MILLI: std::time::Duration = std::time::Duration::from_millis(1);
    const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

    #[test]
    fn a_snapshot_is_queued_once_per_flush_and_keeps_its_latest_use() {
        let s = snapshot(None);
        let t = datetime!(2026-02-01 10:00 UTC);
        assert!(s.mark_used(t, MILLI), "the first use queues the snapshot");
        assert!(
            !s.mark_used(t + Duration::seconds(5), MILLI),
            "already queued"
        );
        assert_eq!(s.take_use(), t + Duration::seconds(5));
        assert!(
            s.mark_used(t + Duration::seconds(6), MILLI),
            "queued again after a flush"
        );
        assert!(!s.requeue(), "a use since the flush already queued it");
    }

    #[test]
    fn uses_within_the_resolution_record_one_time() {
        let s = snapshot(None);
        let t = datetime!(2026-02-01 10:00 UTC);
        assert!(s.mark_used(t, MINUTE), "a first use is always written");
        assert!(!s.mark_used(t + Duration::seconds(59), MINUTE));
        assert_eq!(s.take_use(), t);
        // Nothing new to write: the flushed time is within the resolution of the latest use.
        assert!(!s.mark_used(t + Duration::seconds(30), MINUTE));
        assert!(s.mark_used(t + Duration::seconds(60), MINUTE));
        assert_eq!(s.take_use(), t + Duration::seconds(60));
    }

    #[test]
    fn the_stored_time_counts_as_the_recorded_use() {
        let stored = datetime!(2026-02-01 10:00 UTC);
        let s = snapshot(Some(stored));
        assert!(
            !s.mark_used(stored + Duration::seconds(10), MINUTE),
            "a reloaded snapshot does not rewrite a fresh stored time"
        );
        assert!(s.mark_used(stored + Duration::minutes(2), MINUTE));
        assert_eq!(s.take_use(), stored + Duration::minutes(2));
    }

    #[test]
    fn a_rendering_is_made_once_and_reused() {
        let s = snapshot(None);
        let made = AtomicUsize::new(0);
        let render = |_: &KeySnapshot| {
            made.fetch_add(1, Ordering::Relaxed);
            String::from("rendered")
        };
        assert_eq!(s.rendered(render).map(String::as_str), Some("rendered"));
        assert_eq!(s.rendered(render).map(String::as_str), Some("rendered"));
        assert_eq!(made.load(Ordering::Relaxed), 1);
        assert!(
            s.rendered(|_| 5u32).is_none(),
            "the slot belongs to its first type"
        );
    }
}
