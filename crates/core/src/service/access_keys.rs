//! Access keys: created for a keyward key (whose authority signed requests then carry), shown
//! once, stored sealed under the master key, deleted; and the signed-request check (NCP
//! signature v2) that turns a signed management call into a `Caller`.

use std::net::IpAddr;

use serde_json::json;

use super::operations::{Change, Subject};
use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreError, CoreResult, Entity, StoreError};
use crate::ids::KeyId;
use crate::model::chars::{has_refused_control, Controls};
use crate::model::{cidr::canonical, AccessKey, KeyState, TargetKind};
use crate::signing::{
    new_access_key_id, signature_matches, string_to_sign, timestamp_is_fresh, MasterKey, SecretKey,
};

/// A new access key and its secret key, shown this once.
#[derive(Debug)]
pub struct CreatedAccessKey {
    pub access_key: AccessKey,
    pub secret_key: SecretKey,
}

/// What a signed request presents. `target` is the request target exactly as received (path and
/// raw query), never a re-encoded form.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub target: &'a str,
    pub timestamp: &'a str,
    pub access_key: &'a str,
    /// Not a secret (an HMAC), but no reason to print it either.
    pub signature: &'a str,
}

impl Keyward {
    fn master(&self) -> CoreResult<&MasterKey> {
        self.master.as_ref().ok_or(CoreError::Forbidden(
            "access keys need a master key (KEYWARD_MASTER_KEY or master_key_file)".into(),
        ))
    }

    /// Creates an access key acting as key `key_id`.
    pub async fn create_access_key(
        &self,
        caller: &Caller,
        key_id: KeyId,
    ) -> CoreResult<CreatedAccessKey> {
        let master = self.master()?;
        let key = self.get_key(caller, key_id).await?;
        let cap = caller.admin_of(key.domain, Entity::Key)?;
        let id = new_access_key_id();
        let secret_key = SecretKey::generate();
        let access_key = AccessKey {
            sealed_secret: master.seal(secret_key.expose().as_bytes(), id.as_bytes()),
            id,
            domain: key.domain,
            key_id,
            created_at: self.clock.now(),
        };
        let op = self.record(
            &cap,
            key.domain,
            access_key.created_at,
            Change {
                action: "access_key.create",
                target_kind: TargetKind::Key,
                target_id: key_id.as_uuid(),
                metadata: json!({ "access_key_id": access_key.id }),
                result: Subject::AccessKey(&access_key),
            },
        );
        self.store.insert_access_key(&access_key, &op).await?;
        Ok(CreatedAccessKey {
            access_key,
            secret_key,
        })
    }

    /// Deletes an access key; its signatures stop being accepted at once.
    pub async fn delete_access_key(&self, caller: &Caller, id: &str) -> CoreResult<AccessKey> {
        // No access key id holds a control character; PostgreSQL could not even compare one.
        if has_refused_control(id, Controls::Refused) {
            return Err(CoreError::NotFound(Entity::AccessKey));
        }
        let access_key = self
            .store
            .access_key(id)
            .await?
            .ok_or(CoreError::NotFound(Entity::AccessKey))?;
        let cap = caller.admin_of(access_key.domain, Entity::AccessKey)?;
        let op = self.record(
            &cap,
            access_key.domain,
            self.clock.now(),
            Change {
                action: "access_key.delete",
                target_kind: TargetKind::Key,
                target_id: access_key.key_id.as_uuid(),
                metadata: json!({ "access_key_id": access_key.id }),
                result: Subject::AccessKey(&access_key),
            },
        );
        match self.store.delete_access_key(id, &op).await {
            Err(StoreError::Stale) => Err(CoreError::NotFound(Entity::AccessKey)),
            other => other.map(|()| access_key).map_err(CoreError::from),
        }
    }

    /// Checks a signature-v2 request: fresh timestamp, known access key, matching HMAC (constant
    /// time), and a usable key behind it with a management role. Every failure is the same
    /// `Unauthenticated`, so a caller learns nothing about which part was wrong.
    pub async fn authenticate_signed(
        &self,
        request: SignedRequest<'_>,
        client_ip: Option<IpAddr>,
    ) -> CoreResult<Caller> {
        let now = self.clock.now();
        if !timestamp_is_fresh(request.timestamp, now) {
            return Err(CoreError::Unauthenticated);
        }
        let Some(master) = self.master.as_ref() else {
            return Err(CoreError::Unauthenticated);
        };
        if has_refused_control(request.access_key, Controls::Refused) {
            return Err(CoreError::Unauthenticated);
        }
        let access_key = self
            .store
            .access_key(request.access_key)
            .await?
            .ok_or(CoreError::Unauthenticated)?;
        let secret = master
            .open(&access_key.sealed_secret, access_key.id.as_bytes())
            .ok_or_else(|| {
                tracing::error!(access_key = %access_key.id, "an access key does not open with the configured master key");
                CoreError::Unauthenticated
            })?;
        let message = string_to_sign(
            request.method,
            request.target,
            request.timestamp,
            request.access_key,
        );
        if !signature_matches(&secret, &message, request.signature) {
            return Err(CoreError::Unauthenticated);
        }
        let key = self
            .store
            .key(access_key.key_id)
            .await?
            .ok_or(CoreError::Unauthenticated)?;
        if key.state != KeyState::Enabled || key.is_expired_at(now) {
            return Err(CoreError::Unauthenticated);
        }
        if !key.allowed_cidrs.is_empty() {
            let allowed = client_ip
                .map(canonical)
                .is_some_and(|ip| key.allowed_cidrs.iter().any(|c| c.cidr.contains(&ip)));
            if !allowed {
                return Err(CoreError::Forbidden(
                    "this key may not be used from this address".into(),
                ));
            }
        }
        let authority = self.authority_of(&key.roles, key.domain).await?;
        Ok(super::noted(Caller::new(
            key.id, key.owner, key.domain, authority,
        )))
    }
}
