//! How keys look on the console: a `label: value` block, a table, and the create/rotate answer
//! with its secret labelled and printed once.

use serde_json::Value;

use crate::cli::output::{self, Table};

/// create/rotate: the key, then its secret, labelled and said to be shown only once.
pub fn render_created(created: &Value, json: bool, verb: &str) -> String {
    if json {
        return output::json(created);
    }
    let key = created.get("key").unwrap_or(&Value::Null);
    let secret = created.get("secret").and_then(Value::as_str).unwrap_or("-");
    let mut out = format!(
        "{verb} key {} ({}).\n\n",
        output::text(key, "id"),
        output::text(key, "name")
    );
    out.push_str(&key_fields(key));
    out.push_str(&format!(
        "\nSecret (shown only this once, store it now):\n\n    {secret}\n\n"
    ));
    out
}

pub fn render_key(key: &Value, json: bool) -> String {
    if json {
        output::json(key)
    } else {
        key_fields(key)
    }
}

fn key_fields(key: &Value) -> String {
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
        ("owner", text("owner_id")),
        ("domain", text("domain_id")),
        ("type", text("type")),
        ("state", text("state")),
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

pub fn key_table(keys: &[Value]) -> String {
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
            output::text(key, "owner_id"),
            output::text(key, "type"),
            output::text(key, "state"),
            output::text(key, "roles"),
            output::time_or(key, "expires_at", "never"),
            output::time_or(key, "last_used_at", "never"),
        ]);
    }
    table.render()
}
