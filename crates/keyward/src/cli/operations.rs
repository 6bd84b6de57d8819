//! `keyward operations …`: the audit log, newest first.

use clap::{Args, Subcommand};
use serde_json::Value;

use super::client::ApiClient;
use super::list::{self, parse_id, PageArgs};
use super::output::{self, Format, Table};

#[derive(Debug, Args)]
pub struct OperationsCommand {
    #[command(subcommand)]
    action: OperationsAction,
}

#[derive(Debug, Subcommand)]
enum OperationsAction {
    /// List operations, newest first.
    List {
        /// Only operations on this key (or any object: the target id).
        #[arg(long = "key", value_name = "ID", value_parser = parse_id)]
        target_id: Option<String>,
        /// Domain to list (default: the token's domain).
        #[arg(long = "domain", value_name = "ID", value_parser = parse_id, conflicts_with = "all_domains")]
        domain_id: Option<String>,
        /// Only this action, e.g. key.rotate.
        #[arg(long)]
        action: Option<String>,
        /// Every domain (root only).
        #[arg(long)]
        all_domains: bool,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one operation with its metadata and result.
    Get {
        #[arg(value_parser = parse_id)]
        id: String,
    },
}

impl OperationsCommand {
    pub async fn run(self, client: &ApiClient, format: Format) -> anyhow::Result<()> {
        let text = match self.action {
            OperationsAction::List {
                target_id,
                domain_id,
                action,
                all_domains,
                page,
            } => {
                // A key's own history is reachable whatever its domain; the general list is
                // scoped to one domain, so use it only when filtering further.
                let key_only = target_id.is_some() && domain_id.is_none() && action.is_none();
                let key_only = key_only && !all_domains;
                let (segments, target_id) = match target_id {
                    Some(id) if key_only => (
                        vec!["v1".to_string(), "keys".into(), id, "operations".into()],
                        None,
                    ),
                    other => (vec!["v1".to_string(), "operations".into()], other),
                };
                let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
                let mut query = Vec::new();
                let params = [
                    ("target_id", target_id),
                    ("domain_id", domain_id),
                    ("action", action),
                    ("all_domains", all_domains.then(|| "true".to_string())),
                ];
                for (name, value) in params {
                    if let Some(value) = value {
                        query.push((name.to_string(), value));
                    }
                }
                let list = list::fetch(client, &segments, query, &page).await?;
                format.structured(&list).unwrap_or_else(|| {
                    list::hint_next_page(&list);
                    table(list::items(&list))
                })
            }
            OperationsAction::Get { id } => {
                let operation = client.get(&["v1", "operations", &id], &[]).await?;
                format
                    .structured(&operation)
                    .unwrap_or_else(|| render(&operation))
            }
        };
        output::print(&text)
    }
}

/// `system`, or `key <id>` for changes made with a key.
fn actor(operation: &Value) -> String {
    let actor = operation.get("actor").unwrap_or(&Value::Null);
    match actor.get("kind").and_then(Value::as_str) {
        Some("key") => format!("key {}", output::text(actor, "key_id")),
        Some(kind) => kind.to_string(),
        None => "-".into(),
    }
}

fn render(operation: &Value) -> String {
    let text = |field: &str| output::text(operation, field);
    let pretty = |field: &str| {
        operation
            .get(field)
            .and_then(|v| serde_json::to_string_pretty(v).ok())
            .unwrap_or_else(|| "-".into())
    };
    output::fields(&[
        ("id", text("id")),
        ("at", text("at")),
        ("action", text("action")),
        ("actor", actor(operation)),
        ("domain", text("domain_id")),
        (
            "target",
            format!("{} {}", text("target_kind"), text("target_id")),
        ),
        ("metadata", pretty("metadata")),
        ("result", pretty("result")),
    ])
}

fn table(operations: &[Value]) -> String {
    let mut table = Table::new(&["ID", "AT", "ACTION", "TARGET", "ACTOR"]);
    for op in operations {
        table.row(vec![
            output::text(op, "id"),
            output::text(op, "at"),
            output::text(op, "action"),
            format!(
                "{} {}",
                output::text(op, "target_kind"),
                output::text(op, "target_id")
            ),
            actor(op),
        ]);
    }
    table.render()
}
