//! Keys named by id or by name, and the names of the principals that own a page of keys, so
//! tables show `billing-svc` rather than a UUID.

use std::collections::HashMap;

use serde_json::Value;

use crate::cli::client::{ApiClient, ClientError};
use crate::cli::list::{items, parse_id};
use crate::cli::output::{self, Table};

/// Longest name looked up; the server's own limit on key names is lower.
const MAX_NAME_LEN: usize = 512;
/// Owners asked for in one `id=in:…` query: keeps the URL short.
const OWNERS_PER_CALL: usize = 100;

/// A key the user named: its id, and how to speak of it.
pub struct KeyRef {
    pub id: String,
    pub label: String,
}

/// `text` as a key id, or the id of the one key in the token's domain with that name.
/// No match is [`ClientError::NotFound`]; several (names are unique per owner) is an error
/// listing them with their owners.
pub async fn key_ref(client: &ApiClient, text: &str) -> anyhow::Result<KeyRef> {
    if let Ok(id) = parse_id(text) {
        return Ok(KeyRef {
            label: id.clone(),
            id,
        });
    }
    let name = text.trim();
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        anyhow::bail!("`{text}` is neither a key id nor a key name");
    }
    let query = [
        ("name".to_string(), format!("eq:{name}")),
        ("limit".to_string(), "20".to_string()),
    ];
    let list = client.get(&["v1", "keys"], &query).await?;
    match items(&list) {
        [] => {
            Err(ClientError::NotFound(format!("no key named `{name}` (nor with that id)")).into())
        }
        [key] => Ok(KeyRef {
            id: output::text(key, "id"),
            label: format!("`{name}` ({})", output::text(key, "id")),
        }),
        several => {
            let owners = owner_names(client, several, None).await;
            let mut table = Table::new(&["ID", "OWNER"]);
            for key in several {
                table.row(vec![output::text(key, "id"), owner(key, &owners)]);
            }
            anyhow::bail!(
                "{} keys are named `{name}` (one per owner); give the id of one:\n{}",
                several.len(),
                table.render().trim_end()
            )
        }
    }
}

/// Owner id → principal name for `keys`, one call per hundred distinct owners. A failed call
/// leaves its owners out: the table then shows their ids.
pub async fn owner_names(
    client: &ApiClient,
    keys: &[Value],
    domain: Option<&str>,
) -> HashMap<String, String> {
    let mut ids: Vec<&str> = keys
        .iter()
        .filter_map(|key| key.get("owner_id").and_then(Value::as_str))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut names = HashMap::new();
    for chunk in ids.chunks(OWNERS_PER_CALL) {
        let mut query = vec![
            ("id".to_string(), format!("in:{}", chunk.join(","))),
            ("limit".to_string(), OWNERS_PER_CALL.to_string()),
        ];
        if let Some(domain) = domain {
            query.push(("domain_id".to_string(), domain.to_string()));
        }
        match client.get(&["v1", "principals"], &query).await {
            Ok(list) => {
                for principal in items(&list) {
                    let id = principal.get("id").and_then(Value::as_str);
                    let name = principal.get("name").and_then(Value::as_str);
                    if let (Some(id), Some(name)) = (id, name) {
                        names.insert(id.to_string(), name.to_string());
                    }
                }
            }
            Err(error) => tracing::debug!(%error, "owner names not resolved"),
        }
    }
    names
}

/// The owner's name when known, else its id.
pub fn owner(key: &Value, owners: &HashMap<String, String>) -> String {
    let id = output::text(key, "owner_id");
    owners.get(&id).cloned().unwrap_or(id)
}
