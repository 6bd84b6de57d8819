//! Credit top-ups (`POST /v1/keys/{id}/credits`) and the balance a key shows.

use serde_json::json;

use super::keys::Reach;
use super::operations::{Change, Subject};
use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreResult, Entity, ValidationError};
use crate::ids::KeyId;
use crate::model::{ApiKey, TargetKind};
use crate::usage::{Credits, CreditsOp, StoredCredits};

/// Compare-and-set attempts of an `add` racing with nodes leasing credits.
const TOP_UP_ATTEMPTS: usize = 32;

impl Keyward {
    /// Adds to or sets a key's credit balance: one operation, `key.credits`. `set` also gives a
    /// key without a balance one; `add` needs a balance to add to. Setting starts a new credit
    /// epoch: credits nodes leased from the old balance lapse.
    pub async fn top_up_credits(
        &self,
        caller: &Caller,
        id: KeyId,
        op: CreditsOp,
    ) -> CoreResult<ApiKey> {
        let metadata = json!({"op": op.as_str(), "amount": op.amount()});
        if let CreditsOp::Set(amount) = op {
            let (key, _, _) = self
                .change_key(
                    caller,
                    id,
                    Reach::Administrators,
                    "key.credits",
                    metadata,
                    |key, _, now, _| {
                        let refill = key.credits.and_then(|c| c.refill);
                        key.credits = Some(Credits::new(amount, refill, now));
                        key.credits_epoch += 1;
                        Ok(None)
                    },
                )
                .await?;
            return Ok(self.present(key));
        }
        for _ in 0..TOP_UP_ATTEMPTS {
            let mut key = self.get_key(caller, id).await?;
            let cap = caller.admin_of(key.domain, Entity::Key)?;
            let Some(stored) = self.store.key_credits(id).await? else {
                return Err(ValidationError::new(
                    "op",
                    "the key has no credit balance to add to: use `set`",
                )
                .into());
            };
            let now = self.clock.now();
            let current = stored.at(now);
            let next = StoredCredits {
                credits: current.credits.topped_up(op, now),
                epoch: current.epoch,
            };
            key.credits = Some(next.credits);
            key.credits_epoch = next.epoch;
            let operation = self.record(
                &cap,
                key.domain,
                now,
                Change {
                    action: "key.credits",
                    target_kind: TargetKind::Key,
                    target_id: key.id.as_uuid(),
                    metadata: metadata.clone(),
                    result: Subject::Key(&key),
                },
            );
            if self
                .store
                .swap_credits(id, &stored, &next, Some(&operation))
                .await?
            {
                self.verifier.forget_key(&key);
                return Ok(self.present(key));
            }
        }
        Err(crate::error::StoreError::Stale.into())
    }

    /// The key as it is shown: its balance with the refills due by now and this node's unspent
    /// lease (credits leased by other nodes show as spent until they return them).
    pub(super) fn present(&self, mut key: ApiKey) -> ApiKey {
        if let Some(credits) = key.credits {
            let (mut now_credits, _) = credits.at(self.clock.now());
            now_credits.remaining = now_credits
                .remaining
                .saturating_add(self.verifier.credits_leased(key.id));
            key.credits = Some(now_credits);
        }
        key
    }
}
