//! `keyward keys …`: create, list, get, update, enable, disable, rotate, delete, verify.

mod lookup;
mod usage;
mod verify;
mod view;

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use self::lookup::{key_ref, owner_names};
use self::view::{key_table, render_created, render_key, Owners};
use super::client::ApiClient;
use super::list::{self, parse_id, ListArgs};
use super::output::{self, Format};
use super::prompt;
use crate::config::parse_duration;

#[derive(Debug, Args)]
pub struct KeysCommand {
    #[command(subcommand)]
    action: KeysAction,
}

#[derive(Debug, Subcommand)]
enum KeysAction {
    /// Create a key; its secret is printed this once.
    Create(CreateArgs),
    /// List keys.
    List(ListArgs),
    /// Show one key, by id or by name (names are looked up in the token's domain).
    Get {
        /// The key's id or name.
        key: String,
    },
    /// Change a key's fields (only those given).
    Update(UpdateArgs),
    /// Let a disabled key verify again.
    Enable {
        #[arg(value_parser = parse_id)]
        id: String,
    },
    /// Stop a key from verifying (reversible).
    Disable {
        #[arg(value_parser = parse_id)]
        id: String,
    },
    /// Issue a new secret; the old one keeps working for --grace. The new secret is printed once.
    Rotate {
        #[arg(value_parser = parse_id)]
        id: String,
        /// How long the old secret stays valid, e.g. 10m, 3600s, 0 (default: 0, stops at once).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        grace: Option<std::time::Duration>,
    },
    /// Delete a key for good (asks first on a terminal; elsewhere needs --yes).
    Delete {
        /// The key's id or name.
        key: String,
        /// Do not ask for confirmation.
        #[arg(short, long)]
        yes: bool,
    },
    /// Check a key as a gateway would. Exit status: 0 valid, 3 not valid.
    Verify(verify::VerifyArgs),
    /// Add to or set a key's credit balance.
    #[command(subcommand)]
    Credits(usage::CreditsAction),
}

/// Fields both `create` and `update` set.
#[derive(Debug, Args)]
struct KeyFields {
    #[arg(long)]
    description: Option<String>,
    /// user, system, delegation or domain.
    #[arg(long = "type", value_name = "TYPE")]
    key_type: Option<String>,
    /// Role to grant (repeatable), e.g. keyward:admin.
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
    /// Scope to grant (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// Allowed client network, `CIDR` or `name=CIDR` (repeatable; none means any address).
    #[arg(long = "allow-cidr", value_name = "[NAME=]CIDR", value_parser = parse_allowed_cidr)]
    allowed_cidrs: Vec<Value>,
    /// Expiry as RFC 3339, e.g. 2027-01-01T00:00:00Z.
    #[arg(long, value_name = "TIME", value_parser = parse_time, conflicts_with = "expires_in")]
    expires_at: Option<OffsetDateTime>,
    /// Expiry from now, e.g. 30d or 12h.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    expires_in: Option<std::time::Duration>,
    /// A JSON object of your own, e.g. '{"team":"billing"}'.
    #[arg(long, value_name = "JSON", value_parser = parse_metadata)]
    metadata: Option<Value>,
    #[command(flatten)]
    usage: usage::UsageFields,
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The principal that owns the key.
    #[arg(long = "owner", value_name = "ID", value_parser = parse_id)]
    owner_id: String,
    #[arg(long)]
    name: String,
    /// Create it disabled.
    #[arg(long)]
    disabled: bool,
    #[command(flatten)]
    fields: KeyFields,
}

#[derive(Debug, Args)]
struct UpdateArgs {
    #[arg(value_parser = parse_id)]
    id: String,
    #[arg(long)]
    name: Option<String>,
    #[command(flatten)]
    fields: KeyFields,
    /// Remove the expiry.
    #[arg(long, conflicts_with_all = ["expires_at", "expires_in"])]
    no_expiry: bool,
    /// Remove every role.
    #[arg(long, conflicts_with = "roles")]
    no_roles: bool,
    /// Remove every scope.
    #[arg(long, conflicts_with = "scopes")]
    no_scopes: bool,
    /// Remove the network allow-list (any address may use the key).
    #[arg(long, conflicts_with = "allowed_cidrs")]
    no_cidrs: bool,
}

impl KeysCommand {
    pub async fn run(self, client: &ApiClient, format: Format) -> anyhow::Result<ExitCode> {
        let none = Owners::new();
        let text = match self.action {
            KeysAction::Create(args) => {
                let mut body = args.fields.into_body()?;
                body.insert("owner_id".into(), json!(args.owner_id));
                body.insert("name".into(), json!(args.name));
                if args.disabled {
                    body.insert("state".into(), json!("disabled"));
                }
                let created = client.post(&["v1", "keys"], &Value::Object(body)).await?;
                render_created(&created, format, "Created")
            }
            KeysAction::List(args) => {
                let list = list::fetch(client, &["v1", "keys"], args.query(), &args.page).await?;
                match format.structured(&list) {
                    Some(text) => text,
                    None => {
                        list::hint_next_page(&list);
                        let keys = list::items(&list);
                        let owners = owner_names(client, keys, args.domain_id.as_deref()).await;
                        key_table(keys, &owners)
                    }
                }
            }
            KeysAction::Get { key } => {
                let id = key_ref(client, &key).await?.id;
                let key = client.get(&["v1", "keys", &id], &[]).await?;
                let owners = match format {
                    Format::Table => owner_names(client, std::slice::from_ref(&key), None).await,
                    _ => none,
                };
                render_key(&key, format, &owners)
            }
            KeysAction::Update(args) => {
                let id = args.id.clone();
                let key = client
                    .patch(&["v1", "keys", &id], &args.into_body()?)
                    .await?;
                render_key(&key, format, &none)
            }
            KeysAction::Enable { id } => {
                let key = client
                    .post(&["v1", "keys", &id, "enable"], &json!({}))
                    .await?;
                render_key(&key, format, &none)
            }
            KeysAction::Disable { id } => {
                let key = client
                    .post(&["v1", "keys", &id, "disable"], &json!({}))
                    .await?;
                render_key(&key, format, &none)
            }
            KeysAction::Rotate { id, grace } => {
                let body = match grace {
                    Some(grace) if grace.subsec_nanos() != 0 => {
                        bail!("--grace must be whole seconds")
                    }
                    Some(grace) => json!({"grace_seconds": grace.as_secs()}),
                    None => json!({}),
                };
                let rotated = client.post(&["v1", "keys", &id, "rotate"], &body).await?;
                render_created(&rotated, format, "Rotated")
            }
            KeysAction::Delete { key, yes } => {
                let key = key_ref(client, &key).await?;
                prompt::confirm(&format!("Delete key {} for good?", key.label), yes)?;
                client.delete(&["v1", "keys", &key.id]).await?;
                match format {
                    Format::Table => format!("Deleted key {}.\n", key.label),
                    _ => String::new(),
                }
            }
            KeysAction::Verify(args) => return verify::verify(client, args, format).await,
            KeysAction::Credits(action) => {
                let (id, body) = action.request();
                let key = client.post(&["v1", "keys", &id, "credits"], &body).await?;
                render_key(&key, format, &none)
            }
        };
        output::print(&text)?;
        Ok(ExitCode::SUCCESS)
    }
}

impl KeyFields {
    /// The JSON fields this set of flags asks for; absent flags are absent keys.
    fn into_body(self) -> anyhow::Result<Map<String, Value>> {
        let mut body = Map::new();
        if let Some(description) = self.description {
            body.insert("description".into(), json!(description));
        }
        if let Some(key_type) = self.key_type {
            body.insert("type".into(), json!(key_type));
        }
        if !self.roles.is_empty() {
            body.insert("roles".into(), json!(self.roles));
        }
        if !self.scopes.is_empty() {
            body.insert("scopes".into(), json!(self.scopes));
        }
        if !self.allowed_cidrs.is_empty() {
            body.insert("allowed_cidrs".into(), Value::Array(self.allowed_cidrs));
        }
        let expires_at = match (self.expires_at, self.expires_in) {
            (Some(at), _) => Some(at),
            (None, Some(after)) => {
                let after = time::Duration::try_from(after).context("--expires-in is too long")?;
                Some(
                    OffsetDateTime::now_utc()
                        .checked_add(after)
                        .context("--expires-in is too long")?,
                )
            }
            (None, None) => None,
        };
        if let Some(at) = expires_at {
            body.insert("expires_at".into(), json!(at.format(&Rfc3339)?));
        }
        if let Some(metadata) = self.metadata {
            body.insert("metadata".into(), metadata);
        }
        self.usage.add_to(&mut body);
        Ok(body)
    }
}

impl UpdateArgs {
    fn into_body(self) -> anyhow::Result<Value> {
        let (no_expiry, no_roles, no_scopes, no_cidrs) =
            (self.no_expiry, self.no_roles, self.no_scopes, self.no_cidrs);
        let mut body = self.fields.into_body()?;
        if let Some(name) = self.name {
            body.insert("name".into(), json!(name));
        }
        if no_expiry {
            body.insert("expires_at".into(), Value::Null);
        }
        for (cleared, field) in [
            (no_roles, "roles"),
            (no_scopes, "scopes"),
            (no_cidrs, "allowed_cidrs"),
        ] {
            if cleared {
                body.insert(field.into(), json!([]));
            }
        }
        if body.is_empty() {
            bail!("nothing to update: give at least one field to change (see --help)");
        }
        Ok(Value::Object(body))
    }
}

fn parse_allowed_cidr(text: &str) -> Result<Value, String> {
    let (name, cidr) = match text.split_once('=') {
        Some((name, cidr)) => (Some(name.trim()), cidr.trim()),
        None => (None, text.trim()),
    };
    crate::config::parse_cidr(cidr)?;
    Ok(match name {
        Some(name) if !name.is_empty() => json!({"name": name, "cidr": cidr}),
        _ => json!({"cidr": cidr}),
    })
}

fn parse_time(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map_err(|_| format!("`{text}` is not an RFC 3339 time such as 2027-01-01T00:00:00Z"))
}

fn parse_metadata(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(_) => Err("--metadata must be a JSON object, e.g. '{\"team\":\"billing\"}'".into()),
        Err(e) => Err(format!("--metadata is not valid JSON: {e}")),
    }
}
