//! Keys with two live secrets, as NCP API Gateway issues them: a primary and a secondary that
//! both verify, each regenerated on its own so clients switch from one to the other with no
//! downtime. Also the lookup of a key by one of its secrets, for searches that name a secret
//! (hashed like on the verify path; secrets are never stored in plain text).

use serde_json::json;

use super::keys::{check_roles, new_secret, refuse_external, Reach};
use super::{CreatedKey, Keyward, NewKey};
use crate::auth::Caller;
use crate::error::{CoreError, CoreResult, Entity};
use crate::ids::{DomainId, KeyId};
use crate::model::{cidr::check_cidr_count, ApiKey, SecretSlot};
use crate::secret::{PresentedSecret, SecretToken};

/// A key created with both slots, and both plaintext secrets, shown this once.
#[derive(Debug)]
pub struct CreatedDualKey {
    pub key: ApiKey,
    pub primary: SecretToken,
    pub secondary: SecretToken,
}

impl Keyward {
    /// Creates a key with a primary and a secondary secret, both live.
    pub async fn create_dual_key(
        &self,
        caller: &Caller,
        input: NewKey,
    ) -> CoreResult<CreatedDualKey> {
        let owner = self.visible_principal(caller, input.owner).await?;
        let cap = caller.admin_of(owner.domain, Entity::Principal)?;
        refuse_external(&owner)?;
        let in_root = self.is_root_domain(owner.domain).await?;
        check_roles(&cap, &input.roles, in_root)?;
        check_cidr_count(&input.allowed_cidrs)?;
        let (created, secondary) = self
            .insert_key_with_slots(&cap, input, json!({"secondary": true}), true)
            .await?;
        let secondary = secondary.ok_or(CoreError::Internal)?;
        Ok(CreatedDualKey {
            key: created.key,
            primary: created.secret,
            secondary,
        })
    }

    /// Replaces the secret in `slot` with a new one, at once and without grace; the other
    /// slot's secret is untouched and keeps verifying. Answers the new secret.
    pub async fn regenerate_secret(
        &self,
        caller: &Caller,
        id: KeyId,
        slot: SecretSlot,
    ) -> CoreResult<CreatedKey> {
        let hasher = self.verifier.hasher().clone();
        let metadata = json!({ "slot": slot.as_str() });
        let (key, secret, _) = self
            .change_key(
                caller,
                id,
                Reach::Administrators,
                "key.regenerate",
                metadata,
                move |key, _, now, _| {
                    let (secret, info) = new_secret(slot, now, &hasher);
                    key.secrets.retain(|s| s.slot != slot);
                    key.secrets.push(info);
                    key.secrets.sort_by_key(|s| s.slot != SecretSlot::Primary);
                    Ok(Some(secret))
                },
            )
            .await?;
        let secret = secret.ok_or(CoreError::Internal)?;
        Ok(CreatedKey { key, secret })
    }

    /// The key of `domain` one of whose secrets is `secret`, if the caller administers the
    /// domain. The secret is hashed, never compared or stored in plain text.
    pub async fn find_key_by_secret(
        &self,
        caller: &Caller,
        domain: DomainId,
        secret: PresentedSecret<'_>,
    ) -> CoreResult<Option<ApiKey>> {
        caller.admin_of(domain, Entity::Domain)?;
        if !secret.is_well_formed() {
            return Ok(None);
        }
        let hash = secret.hash(self.verifier.hasher());
        let key = self.store.key_by_secret_hash(&hash).await?;
        Ok(key.filter(|k| k.domain == domain))
    }
}
