//! Core values as Yandex wire messages: `ApiKey`, and the core's change log entries as done
//! `Operation`s with their `Any`-packed metadata and response.

use keyward_core::model::{Actor, ApiKey, Operation, SecretSlot, TargetKind};
use prost::Message;
use prost_types::{Any, Timestamp};
use serde::Deserialize;
use time::OffsetDateTime;

use super::proto::{iam, operation, type_url};

pub fn timestamp(at: OffsetDateTime) -> Timestamp {
    Timestamp {
        seconds: at.unix_timestamp(),
        nanos: at.nanosecond() as i32,
    }
}

/// `****` and the last characters of the secret, from the hint the core keeps (`kw_…a1B2`).
/// The core keeps four characters, so that is what is shown (the vendor shows six).
pub fn masked_secret(hint: &str) -> String {
    let tail = hint.rsplit('…').next().unwrap_or_default();
    format!("****{tail}")
}

/// A key as the vendor's `ApiKey`. Yandex keys have no name and no state: those stay keyward's.
pub fn api_key(key: &ApiKey) -> iam::ApiKey {
    let scopes = key.scopes.to_strings();
    #[allow(deprecated)] // `scope` is deprecated by the vendor and still sent
    iam::ApiKey {
        id: key.id.to_string(),
        service_account_id: key.owner.to_string(),
        created_at: Some(timestamp(key.created_at)),
        description: key.description.as_str().to_owned(),
        last_used_at: key.last_used_at.map(timestamp),
        scope: scopes.first().cloned().unwrap_or_default(),
        scopes,
        expires_at: key.expires_at.map(timestamp),
        masked_secret: key
            .secret(SecretSlot::Primary)
            .map(|s| masked_secret(&s.hint))
            .unwrap_or_default(),
    }
}

fn pack(type_url: &str, message: &impl Message) -> Any {
    Any {
        type_url: type_url.to_owned(),
        value: message.encode_to_vec(),
    }
}

pub fn empty() -> Any {
    Any {
        type_url: type_url::EMPTY.to_owned(),
        value: Vec::new(),
    }
}

pub fn update_metadata(key_id: &str) -> Any {
    let metadata = iam::UpdateApiKeyMetadata {
        api_key_id: key_id.to_owned(),
    };
    pack(type_url::UPDATE_API_KEY_METADATA, &metadata)
}

pub fn delete_metadata(key_id: &str) -> Any {
    let metadata = iam::DeleteApiKeyMetadata {
        api_key_id: key_id.to_owned(),
    };
    pack(type_url::DELETE_API_KEY_METADATA, &metadata)
}

pub fn packed_key(key: &iam::ApiKey) -> Any {
    pack(type_url::API_KEY, key)
}

/// Who made a change, as the vendor's `created_by`: the principal (user or service account)
/// whose key authenticated the call; `system` for keyward's own changes (bootstrap).
fn created_by(actor: &Actor) -> String {
    match actor {
        Actor::Key { principal_id, .. } => principal_id.to_string(),
        Actor::System => "system".to_owned(),
    }
}

fn description(action: &str) -> String {
    let known = match action {
        "key.create" => "Create API key",
        "key.update" => "Update API key",
        "key.delete" => "Delete API key",
        "key.rotate" => "Rotate API key",
        "key.enable" => "Enable API key",
        "key.disable" => "Disable API key",
        other => return other.to_owned(),
    };
    known.to_owned()
}

/// A change-log entry as a done Yandex `Operation`.
///
/// Key deletions carry `DeleteApiKeyMetadata` and `google.protobuf.Empty`; every other key change
/// carries `UpdateApiKeyMetadata` (the only other key metadata the vendor defines) and the key as
/// it was right after the change. Changes to other objects carry no metadata and `Empty`.
pub fn operation(op: &Operation) -> operation::Operation {
    let target = op.target_id.to_string();
    let (metadata, response) = match (op.target_kind, op.action.as_str()) {
        (TargetKind::Key, "key.delete") => (Some(delete_metadata(&target)), empty()),
        (TargetKind::Key, _) => {
            let key = snapshot(&op.result).unwrap_or_else(|| iam::ApiKey {
                id: target.clone(),
                ..iam::ApiKey::default()
            });
            (Some(update_metadata(&target)), packed_key(&key))
        }
        _ => (None, empty()),
    };
    done_operation(op, metadata, response)
}

/// The frame every done operation shares; `metadata` and `response` say what it was.
pub fn done_operation(
    op: &Operation,
    metadata: Option<Any>,
    response: Any,
) -> operation::Operation {
    operation::Operation {
        id: op.id.to_string(),
        description: description(&op.action),
        created_at: Some(timestamp(op.at)),
        created_by: created_by(&op.actor),
        // keyward's operations complete in the transaction that records them.
        modified_at: Some(timestamp(op.at)),
        done: true,
        metadata,
        result: Some(operation::operation::Result::Response(response)),
    }
}

/// The fields of the key snapshot an operation records (`Operation::result`) that the vendor's
/// `ApiKey` shows. Read leniently: an older snapshot missing a field still renders.
#[derive(Deserialize)]
struct KeySnapshot {
    id: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    created_at: Option<OffsetDateTime>,
    #[serde(default)]
    description: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    last_used_at: Option<OffsetDateTime>,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    #[serde(default)]
    secrets: Vec<SecretSnapshot>,
}

#[derive(Deserialize)]
struct SecretSnapshot {
    slot: String,
    hint: String,
}

fn snapshot(result: &serde_json::Value) -> Option<iam::ApiKey> {
    let key: KeySnapshot = serde_json::from_value(result.clone()).ok()?;
    let masked = key
        .secrets
        .iter()
        .find(|s| s.slot == SecretSlot::Primary.as_str())
        .map(|s| masked_secret(&s.hint))
        .unwrap_or_default();
    #[allow(deprecated)]
    Some(iam::ApiKey {
        id: key.id,
        service_account_id: key.owner_id,
        created_at: key.created_at.map(timestamp),
        description: key.description,
        last_used_at: key.last_used_at.map(timestamp),
        scope: key.scopes.first().cloned().unwrap_or_default(),
        scopes: key.scopes,
        expires_at: key.expires_at.map(timestamp),
        masked_secret: masked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_secrets_show_only_the_hint_tail() {
        assert_eq!(masked_secret("kw_…a1B2"), "****a1B2");
    }

    #[test]
    fn timestamps_keep_nanoseconds() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        assert_eq!(
            timestamp(at),
            Timestamp {
                seconds: 1_700_000_000,
                nanos: 123_456_789
            }
        );
    }
}
