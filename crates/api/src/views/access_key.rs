//! Access keys for signed requests, as `/v1/keys/{id}/access-keys` answers them.

use keyward_core::service::CreatedAccessKey;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// A new access key. `secret_key` is shown this once. No `Debug`: it holds a secret.
#[derive(Serialize, ToSchema)]
pub struct CreatedAccessKeyView {
    pub access_key_id: String,
    pub secret_key: String,
    pub key_id: Uuid,
    pub domain_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<CreatedAccessKey> for CreatedAccessKeyView {
    fn from(created: CreatedAccessKey) -> Self {
        Self {
            secret_key: created.secret_key.expose().to_owned(),
            access_key_id: created.access_key.id,
            key_id: created.access_key.key_id.as_uuid(),
            domain_id: created.access_key.domain.as_uuid(),
            created_at: created.access_key.created_at,
        }
    }
}
