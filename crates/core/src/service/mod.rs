//! The use cases, as methods of `Keyward`, one file per object. Faces call these and nothing
//! else; every rule about keys lives here once. `usage.rs` reports a key's metered
//! verifications per UTC hour or day.

mod access_keys;
mod bootstrap;
mod credits;
mod domains;
mod dual_keys;
mod keys;
mod operations;
mod principals;
mod products;
mod scopes;
mod self_service;
mod sessions;
mod stats;
mod usage;
mod usage_plans;

pub use access_keys::{CreatedAccessKey, SignedRequest};
pub use bootstrap::Bootstrapped;
pub use domains::{DomainPatch, NewDomain};
pub use dual_keys::CreatedDualKey;
pub use keys::{CreatedKey, KeyPatch, NewKey, MAX_ROTATION_GRACE};
pub use operations::{Change, IdOnly, Subject, SubjectRenderer};
pub use principals::{NewPrincipal, PrincipalPatch};
pub use products::NewProduct;
pub use sessions::{Identity, Session};
pub use usage::{Granularity, UsageBucket, UsageRange, MAX_DAILY_BUCKETS, MAX_HOURLY_BUCKETS};
pub use usage_plans::{NewUsagePlan, StageRef, UsagePlanPatch};

use std::sync::{Arc, OnceLock};

use time::OffsetDateTime;

use crate::auth::{Authority, Caller, ADMIN_ROLE, ROOT_ROLE, SELF_ROLE};
use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::ids::DomainId;
use crate::model::TokenSet;
use crate::secret::{PresentedSecret, SecretHasher};
use crate::session::SessionKey;
use crate::store::Store;
use crate::verify::{
    CacheMiss, CacheSettings, Decision, Face, KeySnapshot, Reason, Verifier, VerifyRequest,
};

/// The core: one per node, shared by every face.
pub struct Keyward {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    verifier: Verifier,
    /// Signs access tokens (`service/sessions.rs`); derived from the pepper.
    sessions: SessionKey,
    /// Seals access keys' secret keys (`service/access_keys.rs`); `None`: none can be made.
    master: Option<crate::signing::MasterKey>,
    /// The root domain's id, once read: there is at most one, it cannot be deleted, and its id
    /// never changes, so checks against it (every key creation) need not read the store again.
    root_domain: OnceLock<DomainId>,
    /// Writes an operation's `result` (`service/operations.rs`); the faces install theirs.
    renderer: Arc<dyn SubjectRenderer>,
}

impl std::fmt::Debug for Keyward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyward")
            .field("verifier", &self.verifier)
            .finish()
    }
}

impl Keyward {
    pub fn new(
        store: Arc<dyn Store>,
        hasher: SecretHasher,
        clock: Arc<dyn Clock>,
        cache: &CacheSettings,
    ) -> Self {
        let sessions = SessionKey::derive(&hasher);
        let verifier = Verifier::new(Arc::clone(&store), hasher, Arc::clone(&clock), cache);
        Self {
            store,
            clock,
            verifier,
            sessions,
            master: None,
            root_domain: OnceLock::new(),
            renderer: Arc::new(IdOnly),
        }
    }

    /// Configures the master key that seals access keys' secret keys (NCP signature v2).
    pub fn with_master_key(mut self, master: crate::signing::MasterKey) -> Self {
        self.master = Some(master);
        self
    }

    /// Writes operations' results with `renderer` (the native API's views) instead of ids only.
    pub fn with_renderer(mut self, renderer: Arc<dyn SubjectRenderer>) -> Self {
        self.renderer = renderer;
        self
    }

    /// Counts usage with `limiter` instead of this node's memory (e.g. Redis, shared by nodes).
    pub fn with_limiter(mut self, limiter: Arc<dyn crate::usage::Limiter>) -> Self {
        self.verifier.set_limiter(limiter);
        self
    }

    /// Counts verifications with `metrics` (see `verify::metrics`).
    pub fn with_metrics(mut self, metrics: crate::verify::VerifyMetrics) -> Self {
        self.verifier.set_metrics(metrics);
        self
    }

    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// Whether the store answers (for readiness probes).
    pub async fn ready(&self) -> CoreResult<()> {
        // Any failure to answer means "not ready", never an internal error.
        self.store
            .ping()
            .await
            .map_err(|error| match CoreError::from(error) {
                CoreError::Internal => CoreError::Unavailable,
                other => other,
            })
    }

    /// Verifies a key as a data-plane credential.
    pub async fn verify(
        &self,
        secret: PresentedSecret<'_>,
        request: VerifyRequest<'_>,
    ) -> CoreResult<Decision> {
        self.verifier.verify(secret, request).await
    }

    /// `verify` when the cache alone can answer; see `Verifier::verify_cached`.
    pub fn verify_cached(
        &self,
        secret: PresentedSecret<'_>,
        request: &VerifyRequest<'_>,
    ) -> Result<Decision, CacheMiss> {
        self.verifier.verify_cached(secret, request)
    }

    /// `verify` for what `verify_cached` could not answer.
    pub async fn verify_uncached(
        &self,
        miss: CacheMiss,
        request: &VerifyRequest<'_>,
    ) -> CoreResult<Decision> {
        self.verifier.verify_uncached(miss, request).await
    }

    /// Turns a management credential presented to `face` into a `Caller`. The key must verify
    /// (including its IP allow-list) and hold `keyward:admin`, `keyward:root` in the root domain,
    /// or `keyward:self` (its own principal's keys only).
    pub async fn authenticate(
        &self,
        face: Face,
        secret: PresentedSecret<'_>,
        client_ip: Option<std::net::IpAddr>,
    ) -> CoreResult<Caller> {
        let key = self.credential(face, secret, client_ip).await?;
        let authority = self.authority_of(&key.roles, key.domain).await?;
        Ok(noted(Caller::new(
            key.key_id, key.owner, key.domain, authority,
        )))
    }

    /// The key behind a presented credential (a management key, or the key a session is opened
    /// with). It is verified like any use of it, so its last-used time is written behind and its
    /// IP allow-list applies; a key refused for its address is `Forbidden`, any other refusal
    /// `Unauthenticated`, without saying why.
    pub(crate) async fn credential(
        &self,
        face: Face,
        secret: PresentedSecret<'_>,
        client_ip: Option<std::net::IpAddr>,
    ) -> CoreResult<Arc<KeySnapshot>> {
        let request = VerifyRequest {
            client_ip,
            ..VerifyRequest::for_face(face)
        };
        let decision = self.verifier.verify(secret, request).await?;
        decision.key.ok_or_else(|| match decision.reason {
            Reason::IpNotAllowed => {
                CoreError::Forbidden("this key may not be used from this address".into())
            }
            // A key's limits and credits apply to every use of it, management included.
            Reason::RateLimited | Reason::UsageExceeded => {
                CoreError::Forbidden("this key's usage limit is reached".into())
            }
            _ => CoreError::Unauthenticated,
        })
    }

    /// What a key with these roles in this domain may administer: `keyward:root` in the root
    /// domain is root, `keyward:admin` its own domain, `keyward:self` its own principal's keys;
    /// anything else is no management key.
    pub(crate) async fn authority_of(
        &self,
        roles: &TokenSet,
        domain: DomainId,
    ) -> CoreResult<Authority> {
        if roles.contains(ROOT_ROLE) && self.is_root_domain(domain).await? {
            Ok(Authority::Root)
        } else if roles.contains(ADMIN_ROLE) {
            Ok(Authority::DomainAdmin(domain))
        } else if roles.contains(SELF_ROLE) {
            Ok(Authority::OwnKeys(domain))
        } else {
            Err(CoreError::Forbidden(
                "this key has no management role (keyward:admin, keyward:root or keyward:self)"
                    .into(),
            ))
        }
    }

    async fn is_root_domain(&self, id: DomainId) -> CoreResult<bool> {
        if let Some(root) = self.root_domain.get() {
            return Ok(*root == id);
        }
        match self.store.root_domain().await? {
            Some(root) => Ok(*self.root_domain.get_or_init(|| root.id) == id),
            // Not bootstrapped yet: nothing is root.
            None => Ok(false),
        }
    }
}

/// Writes who a management call is made by (`domain`, `actor_key_id`) into the current span: the
/// request span of the face that authenticated it, whose access line then names them. A span
/// without these fields ignores them.
pub(crate) fn noted(caller: Caller) -> Caller {
    let span = tracing::Span::current();
    span.record("domain", tracing::field::display(caller.home_domain()));
    span.record("actor_key_id", tracing::field::display(caller.key_id()));
    caller
}
