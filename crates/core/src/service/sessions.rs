//! Access tokens (see `crate::session`): minted from a key that verifies, accepted while that
//! key's secret lives. What a token may do is decided exactly as for the key itself.

use std::net::IpAddr;

use time::Duration;

use super::Keyward;
use crate::auth::{Authority, Caller};
use crate::error::{CoreError, CoreResult};
use crate::ids::KeyId;
use crate::model::{ApiKey, KeyState, Principal};
use crate::secret::PresentedSecret;
use crate::session::{Claims, PresentedToken, SessionToken, SESSION_TTL};
use crate::verify::Face;

/// A freshly minted access token.
#[derive(Debug)]
pub struct Session {
    pub token: SessionToken,
    /// How long the token is accepted from now.
    pub expires_in: Duration,
}

/// Who a token speaks for, whatever its roles (ZenML's `current-user`).
#[derive(Debug, Clone)]
pub struct Identity {
    pub key_id: KeyId,
    pub principal: Principal,
    /// Whether the key administers its domain (or every domain); a `keyward:self` key, which
    /// manages only its own principal's keys, is no administrator.
    pub is_admin: bool,
}

impl Keyward {
    /// Exchanges a key for an access token. The key is checked as `authenticate` checks it
    /// (`Keyward::credential`), without requiring a management role.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_session(
        &self,
        face: Face,
        secret: PresentedSecret<'_>,
        client_ip: Option<IpAddr>,
    ) -> CoreResult<Session> {
        let key = self.credential(face, secret, client_ip).await?;
        let hash = secret.hash(self.verifier.hasher());
        let claims = Claims::new(key.key_id, &hash, self.clock.now());
        Ok(Session {
            token: self.sessions.mint(&claims),
            expires_in: SESSION_TTL,
        })
    }

    /// The management caller a token speaks for: the same `Caller` its key would get from
    /// `authenticate` (so a key without a management role is `Forbidden`). Not in a span of its
    /// own: it names the caller in the request's span (`noted`).
    pub async fn session_caller(
        &self,
        token: PresentedToken<'_>,
        client_ip: Option<IpAddr>,
    ) -> CoreResult<Caller> {
        let key = self.session_key(token, client_ip).await?;
        let authority = self.authority_of(&key.roles, key.domain).await?;
        Ok(super::noted(Caller::new(
            key.id, key.owner, key.domain, authority,
        )))
    }

    /// Who a token speaks for, without requiring a management role.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn session_identity(
        &self,
        token: PresentedToken<'_>,
        client_ip: Option<IpAddr>,
    ) -> CoreResult<Identity> {
        let key = self.session_key(token, client_ip).await?;
        let principal = self
            .store
            .principal(key.owner)
            .await?
            .ok_or(CoreError::Unauthenticated)?;
        let is_admin = matches!(
            self.authority_of(&key.roles, key.domain).await,
            Ok(Authority::Root | Authority::DomainAdmin(_))
        );
        Ok(Identity {
            key_id: key.id,
            principal,
            is_admin,
        })
    }

    /// A stable id of this deployment, for vendor APIs that report a server id.
    pub fn deployment_id(&self) -> uuid::Uuid {
        self.sessions.deployment_id()
    }

    /// The key behind a token, if the token is genuine and current and the key still accepts the
    /// secret it was minted from. Reads the store every time: a revocation must end the token at
    /// once, on every node, without waiting for any cache.
    async fn session_key(
        &self,
        token: PresentedToken<'_>,
        client_ip: Option<IpAddr>,
    ) -> CoreResult<ApiKey> {
        let claims = self
            .sessions
            .open(token)
            .ok_or(CoreError::Unauthenticated)?;
        let now = self.clock.now();
        if !claims.is_current_at(now) {
            return Err(CoreError::Unauthenticated);
        }
        let key = self
            .store
            .key(claims.key_id)
            .await?
            .ok_or(CoreError::Unauthenticated)?;
        let secret_lives = key
            .secrets
            .iter()
            .any(|secret| secret.is_live_at(now) && claims.matches(&secret.hash));
        if key.state != KeyState::Enabled || key.is_expired_at(now) || !secret_lives {
            return Err(CoreError::Unauthenticated);
        }
        let ip_allowed = key.allowed_cidrs.is_empty()
            || client_ip.is_some_and(|ip| key.allowed_cidrs.iter().any(|c| c.contains(ip)));
        if !ip_allowed {
            return Err(CoreError::Forbidden(
                "this key may not be used from this address".into(),
            ));
        }
        Ok(key)
    }
}
