//! `keyward domains …`: tenants. Creating, renaming and deleting need a root key.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::client::ApiClient;
use super::list::{self, parse_id, PageArgs};
use super::output::{self, Format, Table};
use super::prompt;

#[derive(Debug, Args)]
pub struct DomainsCommand {
    #[command(subcommand)]
    action: DomainsAction,
}

#[derive(Debug, Subcommand)]
enum DomainsAction {
    /// Create a domain (root only).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// List the domains this token administers.
    List(PageArgs),
    /// Show one domain.
    Get {
        #[arg(value_parser = parse_id)]
        id: String,
    },
    /// Rename or re-describe a domain (root only).
    Update {
        #[arg(value_parser = parse_id)]
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a domain that has no principals left (root only; asks first on a terminal,
    /// elsewhere needs --yes).
    Delete {
        #[arg(value_parser = parse_id)]
        id: String,
        /// Do not ask for confirmation (needed when stdin is not a terminal).
        #[arg(short, long)]
        yes: bool,
    },
}

impl DomainsCommand {
    pub async fn run(self, client: &ApiClient, format: Format) -> anyhow::Result<()> {
        let text = match self.action {
            DomainsAction::Create { name, description } => {
                let mut body = json!({"name": name});
                if let Some(description) = description {
                    body["description"] = json!(description);
                }
                render(&client.post(&["v1", "domains"], &body).await?, format)
            }
            DomainsAction::List(page) => {
                let list = list::fetch(client, &["v1", "domains"], Vec::new(), &page).await?;
                format.structured(&list).unwrap_or_else(|| {
                    list::hint_next_page(&list);
                    table(list::items(&list))
                })
            }
            DomainsAction::Get { id } => {
                render(&client.get(&["v1", "domains", &id], &[]).await?, format)
            }
            DomainsAction::Update {
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
                render(&client.patch(&["v1", "domains", &id], &body).await?, format)
            }
            DomainsAction::Delete { id, yes } => {
                prompt::confirm(&format!("Delete domain {id} for good?"), yes)?;
                client.delete(&["v1", "domains", &id]).await?;
                if format != Format::Table {
                    String::new()
                } else {
                    format!("Deleted domain {id}.\n")
                }
            }
        };
        output::print(&text)
    }
}

fn render(domain: &Value, format: Format) -> String {
    if let Some(text) = format.structured(domain) {
        return text;
    }
    let text = |field: &str| output::text(domain, field);
    output::fields(&[
        ("id", text("id")),
        ("name", text("name")),
        ("description", text("description")),
        ("root", text("is_root")),
        ("created", text("created_at")),
        ("updated", text("updated_at")),
    ])
}

fn table(domains: &[Value]) -> String {
    let mut table = Table::new(&["ID", "NAME", "ROOT", "DESCRIPTION", "CREATED"]);
    for d in domains {
        table.row(vec![
            output::text(d, "id"),
            output::text(d, "name"),
            output::text(d, "is_root"),
            output::text(d, "description"),
            output::text(d, "created_at"),
        ]);
    }
    table.render()
}
