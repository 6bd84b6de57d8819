//! `keyward keys verify`: checks a key as a gateway would. The key comes from the argument, or
//! from a prompt that does not echo it, or from piped stdin. Exit status 3 when not valid.

use std::process::ExitCode;

use clap::Args;
use serde_json::{json, Value};

use crate::cli::client::ApiClient;
use crate::cli::output::{self, Format};
use crate::cli::{exit, prompt};

#[derive(Debug, Args)]
pub(super) struct VerifyArgs {
    /// The key. Leave it out to read it from stdin, which keeps it out of shell history.
    key: Option<String>,
    /// Client address to check against the key's allow-list.
    #[arg(long)]
    ip: Option<std::net::IpAddr>,
    /// Scope the key must hold (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
}

pub(super) async fn verify(
    client: &ApiClient,
    args: VerifyArgs,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let key = match args.key {
        Some(key) => key,
        None => prompt::secret("Key to verify: ")?,
    };
    let key = key.trim();
    if key.is_empty() {
        anyhow::bail!("no key given: pass it as an argument or on stdin");
    }
    let mut body = json!({"key": key});
    if let Some(ip) = args.ip {
        body["ip"] = json!(ip.to_string());
    }
    if !args.scopes.is_empty() {
        body["scopes"] = json!(args.scopes);
    }
    let decision = client.verify(&body).await?;
    let valid = decision.get("valid").and_then(Value::as_bool) == Some(true);
    let text = if let Some(text) = format.structured(&decision) {
        text
    } else if valid {
        output::fields(&[
            ("valid", "yes".into()),
            ("code", output::text(&decision, "code")),
            ("key", output::text(&decision, "key_id")),
            ("owner", output::text(&decision, "owner")),
            ("domain", output::text(&decision, "domain")),
            ("roles", output::text(&decision, "roles")),
            ("scopes", output::text(&decision, "scopes")),
            ("expires", output::time_or(&decision, "expires_at", "never")),
        ])
    } else {
        output::fields(&[
            ("valid", "no".into()),
            ("code", output::text(&decision, "code")),
        ])
    };
    output::print(&text)?;
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::INVALID_KEY)
    })
}
