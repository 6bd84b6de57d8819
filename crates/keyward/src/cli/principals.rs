//! `keyward principals …`: the users and service accounts that own keys.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::client::ApiClient;
use super::list::{self, parse_id, ListArgs};
use super::output::{self, Format, Table};
use super::prompt;

#[derive(Debug, Args)]
pub struct PrincipalsCommand {
    #[command(subcommand)]
    action: PrincipalsAction,
}

#[derive(Debug, Subcommand)]
enum PrincipalsAction {
    /// Create a user or service account.
    Create {
        #[arg(long, value_parser = ["user", "service_account"])]
        kind: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Managed by an external system: its keys cannot be managed through the API.
        #[arg(long)]
        external: bool,
        /// Domain to create it in (default: the token's domain).
        #[arg(long = "domain", value_name = "ID", value_parser = parse_id)]
        domain_id: Option<String>,
    },
    /// List principals.
    List(ListArgs),
    /// Show one principal.
    Get {
        #[arg(value_parser = parse_id)]
        id: String,
    },
    /// Rename or re-describe a principal.
    Update {
        #[arg(value_parser = parse_id)]
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a principal that owns no keys (asks first on a terminal; elsewhere needs --yes).
    Delete {
        #[arg(value_parser = parse_id)]
        id: String,
        /// Do not ask for confirmation (needed when stdin is not a terminal).
        #[arg(short, long)]
        yes: bool,
    },
}

impl PrincipalsCommand {
    pub async fn run(self, client: &ApiClient, format: Format) -> anyhow::Result<()> {
        let text = match self.action {
            PrincipalsAction::Create {
                kind,
                name,
                description,
                external,
                domain_id,
            } => {
                let mut body = json!({"kind": kind, "name": name});
                if let Some(description) = description {
                    body["description"] = json!(description);
                }
                if external {
                    body["external"] = json!(true);
                }
                if let Some(domain_id) = domain_id {
                    body["domain_id"] = json!(domain_id);
                }
                render(&client.post(&["v1", "principals"], &body).await?, format)
            }
            PrincipalsAction::List(args) => {
                let list =
                    list::fetch(client, &["v1", "principals"], args.query(), &args.page).await?;
                format.structured(&list).unwrap_or_else(|| {
                    list::hint_next_page(&list);
                    table(list::items(&list))
                })
            }
            PrincipalsAction::Get { id } => {
                render(&client.get(&["v1", "principals", &id], &[]).await?, format)
            }
            PrincipalsAction::Update {
                id,
                name,
                description,
            } => {
                let mut body = json!({});
                if let Some(name) = name {
                    body["name"] = json!(name);
                }
                if let Some(description) = description {
                    body["description"] = json!(description);
                }
                if body.as_object().is_some_and(|b| b.is_empty()) {
                    anyhow::bail!("nothing to update: give --name and/or --description");
                }
                let principal = client.patch(&["v1", "principals", &id], &body).await?;
                render(&principal, format)
            }
            PrincipalsAction::Delete { id, yes } => {
                prompt::confirm(&format!("Delete principal {id} for good?"), yes)?;
                client.delete(&["v1", "principals", &id]).await?;
                if format != Format::Table {
                    String::new()
                } else {
                    format!("Deleted principal {id}.\n")
                }
            }
        };
        output::print(&text)
    }
}

fn render(principal: &Value, format: Format) -> String {
    if let Some(text) = format.structured(principal) {
        return text;
    }
    let text = |field: &str| output::text(principal, field);
    output::fields(&[
        ("id", text("id")),
        ("kind", text("kind")),
        ("name", text("name")),
        ("description", text("description")),
        ("external", text("external")),
        ("domain", text("domain_id")),
        ("created", text("created_at")),
        ("updated", text("updated_at")),
    ])
}

fn table(principals: &[Value]) -> String {
    let mut table = Table::new(&["ID", "KIND", "NAME", "EXTERNAL", "DOMAIN", "CREATED"]);
    for p in principals {
        table.row(vec![
            output::text(p, "id"),
            output::text(p, "kind"),
            output::text(p, "name"),
            output::text(p, "external"),
            output::text(p, "domain_id"),
            output::text(p, "created_at"),
        ]);
    }
    table.render()
}
