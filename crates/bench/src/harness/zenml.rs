//! The peer: a real ZenML 0.98 server (`zenml[server]` from PyPI in `target/zenml-venv`), run as
//! `shared/reference/zenml_api_key.txt` describes: the FastAPI app under uvicorn, SQLite,
//! OAuth2 password-bearer auth, a default admin. The harness creates a service account and an
//! API key through its REST API, then measures API-key login, key creation, a list page and a
//! get next to keyward's equivalents (verify, `POST /v1/keys`, `GET /v1/keys`,
//! `GET /v1/keys/{id}`), alternating the two over the rounds.
//!
//! ZenML's server runs one uvicorn worker that answers one request at a time, and an API-key
//! login costs a bcrypt check (cost 12) of about a second; so both sides are driven with at most
//! 4 connections here, or ZenML's queue would only measure wrk's timeout.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use super::report::{self, Sample};
use super::servers::Server;
use super::wrk::{self, Load, Template};
use super::{run_wrk, scenarios, Args};
use crate::fixture::{workspace_root, Fixture};

const VERSION: &str = "0.98.0";
const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "AdminPass123";
/// Connections for the comparison, both sides (see the module comment).
const MAX_CONNECTIONS: u32 = 4;

/// A running ZenML server, logged in as its admin, with one service account and one API key.
pub struct Peer {
    server: Server,
    admin_token: String,
    service_account: String,
    api_key: String,
    api_key_id: String,
}

impl Peer {
    /// Installs (once) and starts ZenML, then makes the service account and its key.
    pub async fn start(work: &Path) -> anyhow::Result<Self> {
        let venv = workspace_root().join("target").join("zenml-venv");
        install(&venv)?;
        let home = work.join("zenml");
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(home.join("config"))?;
        let port = free_port()?;
        let mut command = Command::new(venv.join("bin").join("uvicorn"));
        command
            .args(["zenml.zen_server.zen_server_api:app", "--host", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--no-access-log"])
            .env("HOME", &home)
            .env("ZENML_CONFIG_PATH", home.join("config"))
            .env("ZENML_ANALYTICS_OPT_IN", "false")
            .env("ZENML_SERVER", "true")
            .env(
                "ZENML_STORE_URL",
                format!("sqlite:///{}", home.join("zenml.db").display()),
            )
            .env("ZENML_SERVER_AUTH_SCHEME", "OAUTH2_PASSWORD_BEARER")
            .env(
                "ZENML_SERVER_JWT_SECRET_KEY",
                format!("{:032x}", rand::random::<u128>()),
            )
            .env("ZENML_SERVER_AUTO_ACTIVATE", "true")
            .env("ZENML_DEFAULT_USER_NAME", ADMIN)
            .env("ZENML_DEFAULT_USER_PASSWORD", ADMIN_PASSWORD)
            .env("ZENML_SERVER_LOGIN_RATE_LIMIT_MINUTE", "100000")
            .env("ZENML_SERVER_LOGIN_RATE_LIMIT_DAY", "10000000");
        eprintln!("zenml: starting ZenML {VERSION} on 127.0.0.1:{port}");
        // ZenML configures its own logging, so its address is not read from a log line: the
        // harness chose the port and waits for the API to answer.
        let base = format!("http://127.0.0.1:{port}");
        let server = Server::spawn("zenml", command, base.clone())?;
        let client = reqwest::Client::new();
        wait_until_ready(&client, &base, Duration::from_secs(180)).await?;
        let login: Value = client
            .post(format!("{base}/api/v1/login"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form(&[("username", ADMIN), ("password", ADMIN_PASSWORD)]))
            .send()
            .await?
            .error_for_status()
            .context("ZenML admin login")?
            .json()
            .await?;
        let admin_token = text(&login, "/access_token")?;
        let account: Value = client
            .post(format!("{base}/api/v1/service_accounts"))
            .bearer_auth(&admin_token)
            .json(&json!({"name": "bench-sa", "description": "keyward bench", "active": true}))
            .send()
            .await?
            .error_for_status()
            .context("creating the ZenML service account")?
            .json()
            .await?;
        let service_account = text(&account, "/id")?;
        let key: Value = client
            .post(format!(
                "{base}/api/v1/service_accounts/{service_account}/api_keys"
            ))
            .bearer_auth(&admin_token)
            .json(&json!({"name": "bench-key"}))
            .send()
            .await?
            .error_for_status()
            .context("creating the ZenML API key")?
            .json()
            .await?;
        Ok(Self {
            api_key: text(&key, "/body/key")?,
            api_key_id: text(&key, "/id")?,
            server,
            admin_token,
            service_account,
        })
    }

    pub fn stop(self) {
        self.server.stop();
    }
}

/// Runs the comparison and prints its table.
pub async fn compare(
    peer: &Peer,
    wrk_path: &Path,
    keyward: &Server,
    files: &scenarios::Files<'_>,
    fixture: &Fixture,
    work: &Path,
    args: &Args,
) -> anyhow::Result<()> {
    let load = Load {
        connections: args.connections.min(MAX_CONNECTIONS),
        threads: 1,
        duration: args.duration,
    };
    let login_keys = work.join("zenml-login-keys.txt");
    std::fs::write(
        &login_keys,
        format!("{}\n", form(&[("password", &peer.api_key)])),
    )?;
    let ids = work.join("zenml-key-ids.txt");
    std::fs::write(&ids, format!("{}\n", peer.api_key_id))?;
    let zen_headers = || {
        vec![
            (
                "Authorization".to_owned(),
                format!("Bearer {}", peer.admin_token),
            ),
            ("Content-Type".to_owned(), "application/json".to_owned()),
        ]
    };
    let ours = scenarios::all(
        files,
        &fixture.admin_secret,
        &format!("z{:x}", std::process::id()),
    );
    let pick = |name: &str| -> anyhow::Result<Template> {
        ours.iter()
            .find(|s| s.name == name)
            .map(|s| s.template.clone())
            .with_context(|| format!("no scenario {name}"))
    };
    let sa = &peer.service_account;
    let pairs: Vec<(&str, Template, &str, Template)> = vec![
        (
            "API-key login (POST /api/v1/login)",
            Template {
                method: "POST",
                path: "/api/v1/login".into(),
                headers: vec![(
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                )],
                body: Some("grant_type=zenml-api-key&{key}".into()),
                keys: Some(login_keys),
                count_statuses: true,
            },
            "POST /v1/keys/verify",
            pick("POST /v1/keys/verify")?,
        ),
        (
            "create key",
            Template {
                method: "POST",
                path: format!("/api/v1/service_accounts/{sa}/api_keys"),
                headers: zen_headers(),
                body: Some(format!(
                    r#"{{"name":"z-{:x}-{{t}}-{{id}}-{{n}}"}}"#,
                    std::process::id()
                )),
                keys: None,
                count_statuses: true,
            },
            "POST /v1/keys (create)",
            pick("POST /v1/keys (create)")?,
        ),
        (
            "list page of 50",
            Template {
                method: "GET",
                path: format!(
                    "/api/v1/service_accounts/{sa}/api_keys?size=50&sort_by=desc:created"
                ),
                headers: zen_headers(),
                body: None,
                keys: None,
                count_statuses: true,
            },
            "GET /v1/keys (filtered page of 50)",
            pick("GET /v1/keys (filtered page of 50)")?,
        ),
        (
            "get key",
            Template {
                method: "GET",
                path: format!("/api/v1/service_accounts/{sa}/api_keys/{{key}}"),
                headers: zen_headers(),
                body: None,
                keys: Some(ids),
                count_statuses: true,
            },
            "GET /v1/keys/{id}",
            pick("GET /v1/keys/{id}")?,
        ),
    ];
    let mut rows = Vec::new();
    for (i, (zen_name, zen, our_name, our)) in pairs.into_iter().enumerate() {
        let zen_script = work.join(format!("zenml-{i}.lua"));
        let our_script = work.join(format!("zenml-keyward-{i}.lua"));
        wrk::write_script(&zen_script, &zen)?;
        wrk::write_script(&our_script, &our)?;
        let (mut z, mut k) = (Vec::new(), Vec::new());
        for round in 0..args.rounds {
            let runs: [(&PathBuf, &str, bool); 2] = if round % 2 == 0 {
                [
                    (&zen_script, &peer.server.base, true),
                    (&our_script, &keyward.base, false),
                ]
            } else {
                [
                    (&our_script, &keyward.base, false),
                    (&zen_script, &peer.server.base, true),
                ]
            };
            for (script, base, is_zen) in runs {
                let outcome = run_wrk(wrk_path, base, script, load).await?;
                if outcome.requests == 0 {
                    bail!("no request to {base} completed in {:?}", load.duration);
                }
                eprintln!(
                    "zenml round {} | {:<36} | {:<7} | {:>10} | p50 {:>9} | statuses {:?}",
                    round + 1,
                    if is_zen { zen_name } else { our_name },
                    if is_zen { "zenml" } else { "keyward" },
                    report::rate(outcome.per_second()),
                    report::latency(outcome.p50_us as f64),
                    outcome.statuses
                );
                let sample = Sample {
                    outcome,
                    peak_rss: None,
                };
                if is_zen {
                    z.push(sample)
                } else {
                    k.push(sample)
                }
            }
        }
        let (zs, ks) = (report::summarize(&z), report::summarize(&k));
        rows.push(vec![
            zen_name.to_owned(),
            report::rate(zs.per_second),
            report::latency(zs.p50_us),
            our_name.to_owned(),
            report::rate(ks.per_second),
            report::latency(ks.p50_us),
            format!("{:.0}×", report::paired_ratio(&k, &z)),
            format!("{:.0}×", zs.p50_us / ks.p50_us),
        ]);
    }
    println!(
        "\nkeyward vs ZenML {VERSION}: medians of {} rounds, {} connections, {:?} per run\n",
        args.rounds, load.connections, load.duration
    );
    print!(
        "{}",
        report::table(
            &[
                "ZenML operation",
                "ZenML",
                "p50",
                "keyward equivalent",
                "keyward",
                "p50",
                "throughput ×",
                "p50 ×"
            ],
            &rows
        )
    );
    Ok(())
}

/// Polls `GET /api/v1/info` until it answers 200.
async fn wait_until_ready(
    client: &reqwest::Client,
    base: &str,
    wait: Duration,
) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        let answer = client.get(format!("{base}/api/v1/info")).send().await;
        if answer.is_ok_and(|a| a.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    bail!("ZenML did not answer at {base} within {wait:?}")
}

/// Creates the virtual environment and installs `zenml[server]` unless it is already there.
fn install(venv: &Path) -> anyhow::Result<()> {
    let python = venv.join("bin").join("python");
    let installed = Command::new(&python)
        .args(["-c", "import zenml, uvicorn; print(zenml.__version__)"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == VERSION)
        .unwrap_or(false);
    if installed {
        return Ok(());
    }
    eprintln!(
        "zenml: installing zenml[server]=={VERSION} into {}",
        venv.display()
    );
    let status = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(venv)
        .status()?;
    if !status.success() {
        bail!("python3 -m venv {} failed", venv.display());
    }
    let status = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", &format!("zenml[server]=={VERSION}")])
        .status()?;
    if !status.success() {
        bail!("pip install zenml[server]=={VERSION} failed");
    }
    Ok(())
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn text(value: &Value, pointer: &str) -> anyhow::Result<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("ZenML's answer has no {pointer}: {value}"))
}
