//! An access key: an id and a secret key for signed requests (NCP signature v2), acting with the
//! authority of one keyward key. The secret key is stored only sealed (`signing::MasterKey`).

use time::OffsetDateTime;

use crate::ids::{DomainId, KeyId};

#[derive(Clone, PartialEq)]
pub struct AccessKey {
    /// `KWAK…`: sent in the clear as `x-ncp-iam-access-key`.
    pub id: String,
    pub domain: DomainId,
    /// The keyward key whose roles and domain a signed request carries.
    pub key_id: KeyId,
    /// `nonce || AES-256-GCM(secret key)`, bound to `id`. Never serialized or printed.
    pub sealed_secret: Vec<u8>,
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("id", &self.id)
            .field("domain", &self.domain)
            .field("key_id", &self.key_id)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}
