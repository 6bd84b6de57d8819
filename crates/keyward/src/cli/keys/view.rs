//! How keys look on the console: a `label: value` block, a table (owners by name, a key past
//! its expiry as `expired`), and the create/rotate answer with its secret labelled and printed
//! once.

use std::collections::HashMap;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::lookup::owner;
use crate::cli::output::{self, Format, Table};

/// Owner id → name, for what has been resolved.
pub type Owners = HashMap<String, String>;

/// create/rotate: the key, then its secret, labelled and said to be shown only once.
pub fn render_created(created: &Value, format: Format, verb: &str) -> String {
    if let Some(text) = format.structured(created) {
        return text;
    }
    let key = created.get("key").unwrap_or(&Value::Null);
    let secret = created.get("secret").and_then(Value::as_str).unwrap_or("-");
    let mut out = format!(
        "{verb} key {} ({}).\n\n",
        output::text(key, "id"),
        output::text(key, "name")
    );
    out.push_str(&key_fields(key, &Owners::new()));
    out.push_str(&format!(
        "\nSecret (shown only this once, store it now):\n\n    {secret}\n\n"
    ));
    out
}

pub fn render_key(key: &Value, format: Format, owners: &Owners) -> String {
    format
        .structured(key)
        .unwrap_or_else(|| key_fields(key, owners))
}

/// The state as a person means it: an enabled key past its expiry does not verify, so it is
/// `expired`; a disabled one is `disabled, expired`.
pub fn state(key: &Value, now: OffsetDateTime) -> String {
    let state = output::text(key, "state");
    let expired = key
        .get("expires_at")
        .and_then(Value::as_str)
        .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
        .is_some_and(|at| at <= now);
    match (expired, state.as_str()) {
        (false, _) => state,
        (true, "enabled") => "expired".into(),
        (true, _) => format!("{state}, expired"),
    }
}

/// `name (id)` when the name is known.
fn owner_label(key: &Value, owners: &Owners) -> String {
    let id = output::text(key, "owner_id");
    match owners.get(&id) {
        Some(name) => format!("{name} ({id})"),
        None => id,
    }
}

fn key_fields(key: &Value, owners: &Owners) -> String {
    let text = |field: &str| output::text(key, field);
    let secrets = key
        .get("secrets")
        .and_then(Value::as_array)
        .map(|secrets| {
            secrets
                .iter()
                .map(|s| {
                    format!(
                        "{} {} (expires: {})",
                        output::text(s, "slot"),
                        output::text(s, "hint"),
                        output::time_or(s, "expires_at", "with the key")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_else(|| "-".into());
    output::fields(&[
        ("id", text("id")),
        ("name", text("name")),
        ("description", text("description")),
        ("owner", owner_label(key, owners)),
        ("domain", text("domain_id")),
        ("type", text("type")),
        ("state", state(key, OffsetDateTime::now_utc())),
        ("roles", text("roles")),
        ("scopes", text("scopes")),
        ("allowed cidrs", output::cidrs(key)),
        ("expires", output::time_or(key, "expires_at", "never")),
        ("metadata", text("metadata")),
        ("rate limits", limits(key, "rate_limits")),
        ("quotas", limits(key, "quotas")),
        ("credits", credits(key)),
        ("secrets", secrets),
        ("created", text("created_at")),
        ("updated", text("updated_at")),
        ("last used", output::time_or(key, "last_used_at", "never")),
        (
            "last rotated",
            output::time_or(key, "last_rotated_at", "never"),
        ),
    ])
}

/// `requests 100/1m, daily 10000/day`, or `-`.
fn limits(key: &Value, field: &str) -> String {
    let items = key.get(field).and_then(Value::as_array);
    let text: Vec<String> = items
        .into_iter()
        .flatten()
        .map(|limit| {
            let per = limit
                .get("period")
                .or_else(|| limit.get("per"))
                .and_then(Value::as_str)
                .unwrap_or("?");
            format!(
                "{} {}/{}",
                output::text(limit, "name"),
                output::text(limit, "limit"),
                per
            )
        })
        .collect();
    if text.is_empty() {
        "-".into()
    } else {
        text.join(", ")
    }
}

fn credits(key: &Value) -> String {
    match key.get("credits").filter(|c| !c.is_null()) {
        Some(credits) => output::text(credits, "remaining"),
        None => "unlimited".into(),
    }
}

pub fn key_table(keys: &[Value], owners: &Owners) -> String {
    let now = OffsetDateTime::now_utc();
    let mut table = Table::new(&[
        "ID",
        "NAME",
        "OWNER",
        "TYPE",
        "STATE",
        "ROLES",
        "EXPIRES",
        "LAST USED",
    ]);
    for key in keys {
        table.row(vec![
            output::text(key, "id"),
            output::text(key, "name"),
            owner(key, owners),
            output::text(key, "type"),
            state(key, now),
            output::text(key, "roles"),
            output::time_or(key, "expires_at", "never"),
            output::time_or(key, "last_used_at", "never"),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;

    #[test]
    fn a_key_past_its_expiry_reads_expired_and_owners_read_by_name() {
        let now = datetime!(2026-06-01 00:00 UTC);
        let key = |state: &str, expires: Value| json!({"state": state, "expires_at": expires});
        assert_eq!(
            state(&key("enabled", json!("2026-05-31T23:59:59Z")), now),
            "expired"
        );
        assert_eq!(
            state(&key("disabled", json!("2026-01-01T00:00:00Z")), now),
            "disabled, expired"
        );
        assert_eq!(
            state(&key("enabled", json!("2026-06-02T00:00:00Z")), now),
            "enabled"
        );
        assert_eq!(state(&key("enabled", Value::Null), now), "enabled");
        let owners = Owners::from([("o1".to_string(), "billing".to_string())]);
        let keys = [
            json!({"id": "k1", "name": "a", "owner_id": "o1", "state": "enabled"}),
            json!({"id": "k2", "name": "b", "owner_id": "o2", "state": "enabled"}),
        ];
        let table = key_table(&keys, &owners);
        assert!(table.contains("billing"), "{table}");
        assert!(
            table.contains("o2"),
            "an unresolved owner shows its id: {table}"
        );
    }
}
