//! The use cases, as methods of `Keyward`, one file per object. Faces call these and nothing
//! else; every rule about keys lives here once.

mod bootstrap;
mod domains;
mod keys;
mod operations;
mod principals;

pub use bootstrap::Bootstrapped;
pub use domains::{DomainPatch, NewDomain};
pub use keys::{CreatedKey, KeyPatch, NewKey, MAX_ROTATION_GRACE};
pub use operations::Change;
pub use principals::{NewPrincipal, PrincipalPatch};

use std::sync::Arc;

use time::OffsetDateTime;

use crate::auth::{Authority, Caller, ADMIN_ROLE, ROOT_ROLE};
use crate::clock::Clock;
use crate::error::{CoreError, CoreResult};
use crate::secret::SecretHasher;
use crate::store::Store;
use crate::verify::{CacheSettings, Decision, Reason, Verifier, VerifyRequest};

/// The core: one per node, shared by every face.
pub struct Keyward {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    verifier: Verifier,
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
        let verifier = Verifier::new(Arc::clone(&store), hasher, Arc::clone(&clock), cache);
        Self {
            store,
            clock,
            verifier,
        }
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
    pub async fn verify(&self, secret: &str, request: VerifyRequest<'_>) -> CoreResult<Decision> {
        self.verifier.verify(secret, request).await
    }

    /// Turns a management credential into a `Caller`. The key must verify (including its IP
    /// allow-list) and hold `keyward:admin`, or `keyward:root` in the root domain.
    pub async fn authenticate(
        &self,
        secret: &str,
        client_ip: Option<std::net::IpAddr>,
    ) -> CoreResult<Caller> {
        let decision = self
            .verifier
            .verify(
                secret,
                VerifyRequest {
                    client_ip,
                    required_scopes: &[],
                },
            )
            .await?;
        let Some(key) = decision.key else {
            return Err(match decision.reason {
                Reason::IpNotAllowed => {
                    CoreError::Forbidden("this key may not be used from this address".into())
                }
                _ => CoreError::Unauthenticated,
            });
        };
        let authority = if key.roles.contains(ROOT_ROLE) && self.is_root_domain(key.domain).await? {
            Authority::Root
        } else if key.roles.contains(ADMIN_ROLE) {
            Authority::DomainAdmin(key.domain)
        } else {
            return Err(CoreError::Forbidden(
                "this key has no management role (keyward:admin or keyward:root)".into(),
            ));
        };
        Ok(Caller::new(key.key_id, key.owner, key.domain, authority))
    }

    async fn is_root_domain(&self, id: crate::ids::DomainId) -> CoreResult<bool> {
        let domain = self.store.domain(id).await?;
        Ok(domain.is_some_and(|d| d.is_root))
    }
}
