//! `spawn_app()`: the whole keyward server, as `main` builds it, on `127.0.0.1:0` against a fresh
//! database, with a `ManualClock` the test moves. Tests talk HTTP to it like any client would and
//! assert on status, body and what a re-read shows is stored.
//!
//! The database is SQLite by default and PostgreSQL when `KEYWARD_TEST_DATABASE_URL` is set; the
//! whole suite runs unchanged on both. `restart()` stops the server and builds a new one on the
//! same database, for persistence tests; `spawn_peer()` starts a second node beside the first on
//! the same database, with a cache of its own, for multi-node tests.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration as StdDuration;

use ipnet::IpNet;
use keyward::{Application, Config};
use keyward_core::clock::{Clock, ManualClock};
use keyward_core::secret::Pepper;
use keyward_core::verify::CacheSettings;
use keyward_core::Keyward;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::db::POSTGRES_URL_VAR;
use crate::db::{postgres_url, TestDatabase};
pub use crate::fixtures::CreatedKey;
use crate::fixtures::{id_of, service_account, unique};
pub use reply::Reply;

mod reply;

/// How long a test waits for write-behind work (last-used flushes) before failing.
pub const EVENTUALLY: StdDuration = StdDuration::from_secs(10);

/// What a test may change about the server it spawns.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Reach the database through this address (a relay the test can cut) instead of directly.
    /// PostgreSQL only: the URL's host and port are replaced by it.
    pub database_via: Option<SocketAddr>,
    /// The verification cache's settings (the stale window, for outage tests); `None` keeps the
    /// defaults.
    pub cache: Option<CacheSettings>,
    /// The connection cap and timeouts; `None` keeps the defaults.
    pub connections: Option<keyward::ConnectionLimits>,
    /// Share rate limits and quotas through this Redis (`crate::redis::redis_or_skip`); peers
    /// share it too.
    pub redis_url: Option<String>,
    /// A configuration file's text (TOML, as `keyward serve --config` reads it), laid under the
    /// settings above: for what has no field here, e.g. `[[gateway.routes]]`. See
    /// [`file_config`] to find out whether this build knows a setting.
    pub config_file: Option<String>,
}

/// The configuration a file with `text` resolves to (no flags, no environment), or why it is
/// refused: what `AppOptions::config_file` starts from.
pub fn file_config(text: &str) -> anyhow::Result<Config> {
    let file = keyward::config::FileConfig::parse(text)?;
    Config::resolve(
        file,
        &keyward::config::ServerArgs::default(),
        &keyward::config::EnvOnly::default(),
    )
}

impl AppOptions {
    /// Default options with a `[gateway]` section given as configuration-file TOML.
    pub fn with_gateway(toml: &str) -> Self {
        Self {
            config_file: Some(toml.to_owned()),
            ..Self::default()
        }
    }

    /// Trust `127.0.0.1/32`: the test client itself acts as the proxy.
    pub fn behind_local_proxy() -> Self {
        Self {
            trusted_proxies: vec!["127.0.0.1/32".parse().expect("a CIDR")],
            ..Self::default()
        }
    }
}

/// The server's clock, shared with the test: a `ManualClock` with `now` callable without
/// importing the `Clock` trait.
#[derive(Debug, Clone)]
pub struct TestClock(ManualClock);

impl TestClock {
    pub fn now(&self) -> OffsetDateTime {
        Clock::now(&self.0)
    }

    pub fn advance(&self, by: time::Duration) {
        self.0.advance(by);
    }

    pub fn set(&self, to: OffsetDateTime) {
        self.0.set(to);
    }
}

/// A running keyward and everything a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub base_url: String,
    /// The bootstrap key (`keyward:root`), shown once by the first start.
    pub root_token: String,
    /// Moves the server's time: `app.clock.advance(time::Duration::minutes(5))`.
    pub clock: TestClock,
    pub client: reqwest::Client,
    config: Config,
    running: Option<Running>,
    /// Dropped last: the database outlives every server built on it. Shared with the peers
    /// `spawn_peer` starts, and dropped with the last of them.
    db: Arc<TestDatabase>,
}

struct Running {
    core: Arc<Keyward>,
    /// Where `/metrics` is served when `metrics_listen` is set.
    metrics_addr: Option<SocketAddr>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// A fresh server on a fresh database with default options.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default()).await
}

/// A fresh server on a fresh database.
pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    let db = fresh_database().await;
    let pepper = Pepper::new(rand::random::<[u8; 32]>().to_vec()).expect("32 bytes is enough");
    let base = match &options.config_file {
        Some(text) => file_config(text).expect("the test's configuration file is valid"),
        None => Config::default(),
    };
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("an address"),
        database_url: match options.database_via {
            Some(via) => through(db.url(), via),
            None => db.url().to_owned(),
        },
        pepper: Some(pepper),
        master_key: Some(
            keyward_core::signing::MasterKey::new(b"keyward-testkit-master-key")
                .expect("a master key"),
        ),
        trusted_proxies: options.trusted_proxies,
        root_key_file: None,
        flush_interval: StdDuration::from_millis(50),
        cache: options.cache.unwrap_or(base.cache),
        connections: options.connections.unwrap_or(base.connections),
        redis_url: options.redis_url,
        ..base
    };
    let clock = TestClock(ManualClock::starting_now());
    let (running, addr, root) = start(config.clone(), clock.0.clone()).await;
    let root_token = root.expect("a fresh database bootstraps and hands out the root key");
    TestApp {
        addr,
        base_url: format!("http://{addr}"),
        root_token,
        clock,
        client: reqwest::Client::builder()
            .timeout(StdDuration::from_secs(30))
            .build()
            .expect("a client"),
        config,
        running: Some(running),
        db: Arc::new(db),
    }
}

/// `url` with its host and port replaced by `via`: `postgres://u@h:5432/db` → `postgres://u@via/db`.
fn through(url: &str, via: SocketAddr) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let host_start = url[start..].find('@').map_or(start, |i| start + i + 1);
    let host_end = url[host_start..]
        .find(['/', '?'])
        .map_or(url.len(), |i| host_start + i);
    format!("{}{via}{}", &url[..host_start], &url[host_end..])
}

/// SQLite, or PostgreSQL when asked for. Announces the choice once per process, loudly.
async fn fresh_database() -> TestDatabase {
    static ANNOUNCE: Once = Once::new();
    let postgres = postgres_url().is_some();
    ANNOUNCE.call_once(|| announce_backend(postgres));
    if postgres {
        TestDatabase::postgres()
            .await
            .expect("KEYWARD_TEST_DATABASE_URL is set, so a PostgreSQL database is made")
    } else {
        TestDatabase::sqlite().await
    }
}

fn announce_backend(postgres: bool) {
    // Written straight to stderr, past the test harness's capture, so a skipped backend is seen.
    let mut err = std::io::stderr();
    if postgres {
        let _ = writeln!(
            err,
            "keyward-testkit: HTTP suite running against PostgreSQL"
        );
        return;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {POSTGRES_URL_VAR} is unset: the PostgreSQL suite must not be skipped in CI"
    );
    let _ = writeln!(
        err,
        "\n{bar}\n!! keyward-testkit: PostgreSQL SKIPPED — {POSTGRES_URL_VAR} is unset.\n!! The HTTP suite ran against SQLite only. Set it (e.g. postgres://postgres@127.0.0.1:5432/test)\n!! to run the same suite against PostgreSQL.\n{bar}\n",
        bar = "!".repeat(78)
    );
}

async fn start(config: Config, clock: ManualClock) -> (Running, SocketAddr, Option<String>) {
    let mut app = Application::build_with_clock(config, Arc::new(clock))
        .await
        .expect("the application builds");
    let root = app.take_root_secret().map(|s| s.expose().to_owned());
    let addr = app.local_addr();
    let metrics_addr = app.metrics_addr();
    let core = app.core();
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async move {
        let _ = stop.await;
    }));
    (
        Running {
            core,
            metrics_addr,
            shutdown,
            task,
        },
        addr,
        root,
    )
}

impl TestApp {
    /// The running server's core, for the few checks HTTP cannot express.
    pub fn core(&self) -> Arc<Keyward> {
        Arc::clone(&self.running.as_ref().expect("the app is running").core)
    }

    /// `/metrics` on the address `metrics_listen` gave it, if set.
    pub fn metrics_url(&self) -> Option<String> {
        let running = self.running.as_ref().expect("the app is running");
        running
            .metrics_addr
            .map(|addr| format!("http://{addr}/metrics"))
    }

    /// The database URL the server uses.
    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    /// Stops the server gracefully (it flushes write-behind state on the way out).
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
            let result = tokio::time::timeout(StdDuration::from_secs(30), running.task)
                .await
                .expect("the server stops within 30 s")
                .expect("the server task does not panic");
            result.expect("the server shuts down cleanly");
        }
    }

    /// Another node on this app's database: a server of its own, with its own cache, built from
    /// the same configuration (same pepper, same clock, same cache settings) on a new port.
    /// Changes made through either node must be seen by the other.
    pub async fn spawn_peer(&self) -> TestApp {
        self.spawn_peer_with(self.config.clone()).await
    }

    /// `spawn_peer`, reaching the database through `via` (a relay the test can break) while
    /// this node keeps its own way there. PostgreSQL only.
    pub async fn spawn_peer_via(&self, via: SocketAddr) -> TestApp {
        let mut config = self.config.clone();
        config.database_url = through(self.db.url(), via);
        self.spawn_peer_with(config).await
    }

    async fn spawn_peer_with(&self, config: Config) -> TestApp {
        let (running, addr, root) = start(config.clone(), self.clock.0.clone()).await;
        assert!(
            root.is_none(),
            "a peer joins a database that is already set up"
        );
        TestApp {
            addr,
            base_url: format!("http://{addr}"),
            root_token: self.root_token.clone(),
            clock: self.clock.clone(),
            client: self.client.clone(),
            config,
            running: Some(running),
            db: Arc::clone(&self.db),
        }
    }

    /// Stops the server and builds a new one on the same database (same pepper, same clock).
    pub async fn restart(&mut self) {
        self.stop().await;
        let (running, addr, root) = start(self.config.clone(), self.clock.0.clone()).await;
        assert!(
            root.is_none(),
            "a restart on an existing database must not bootstrap again"
        );
        self.addr = addr;
        self.base_url = format!("http://{addr}");
        self.running = Some(running);
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request without credentials, for tests that build unusual requests by hand.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request with `Authorization: Bearer <token>`.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    pub async fn send(&self, request: RequestBuilder) -> Reply {
        Reply::from_response(request.send().await.expect("the request is sent")).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.send(self.authed(Method::GET, path, token)).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.send(self.authed(Method::POST, path, token).json(&body))
            .await
    }

    /// A POST without a body (enable, disable, rotate with defaults).
    pub async fn post_empty(&self, token: &str, path: &str) -> Reply {
        self.send(self.authed(Method::POST, path, token)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Reply {
        self.send(self.authed(Method::PATCH, path, token).json(&body))
            .await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Reply {
        self.send(self.authed(Method::DELETE, path, token)).await
    }

    /// `POST /v1/domains` as root; the created domain.
    pub async fn create_domain(&self, name: &str) -> Value {
        self.post(&self.root_token, "/v1/domains", json!({"name": name}))
            .await
            .expect_status(201)
    }

    /// `POST /v1/principals`; the created principal.
    pub async fn create_principal(&self, token: &str, body: Value) -> Value {
        self.post(token, "/v1/principals", body)
            .await
            .expect_status(201)
    }

    /// A service account in the caller's home domain; the created principal.
    pub async fn create_service_account(&self, token: &str, name: &str) -> Value {
        self.create_principal(token, service_account(name)).await
    }

    /// `POST /v1/keys` for `owner` with `body` (an object; `owner_id` is added).
    pub async fn create_key(&self, token: &str, owner: &str, body: Value) -> CreatedKey {
        let reply = self.post(token, "/v1/keys", with_owner(owner, body)).await;
        CreatedKey::from_response(&reply.expect_status(201))
    }

    /// A plain key named `name` for `owner`.
    pub async fn create_named_key(&self, token: &str, owner: &str, name: &str) -> CreatedKey {
        self.create_key(token, owner, json!({"name": name})).await
    }

    /// As root: a new domain, a principal in it, and a `keyward:admin` key for it.
    /// Returns `(domain_id, admin_token)`.
    pub async fn new_domain_admin(&self, name: &str) -> (String, String) {
        let admin = self.new_domain_admin_full(name).await;
        (admin.domain_id, admin.token)
    }

    /// Like `new_domain_admin`, with the ids operations and tenancy tests need.
    pub async fn new_domain_admin_full(&self, name: &str) -> DomainAdmin {
        let domain = self.create_domain(name).await;
        let domain_id = id_of(&domain);
        let principal = self
            .create_principal(
                &self.root_token,
                json!({"kind": "service_account", "name": unique("admin"), "domain_id": domain_id}),
            )
            .await;
        let principal_id = id_of(&principal);
        let key = self
            .create_key(
                &self.root_token,
                &principal_id,
                json!({"name": "admin", "roles": ["keyward:admin"]}),
            )
            .await;
        DomainAdmin {
            domain_id,
            principal_id,
            key_id: key.id,
            token: key.secret,
        }
    }

    /// The bootstrap domain's id.
    pub async fn root_domain_id(&self) -> String {
        let domains = self
            .get(&self.root_token, "/v1/domains?limit=1000")
            .await
            .expect_status(200);
        let root = domains["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|d| d["is_root"] == json!(true))
            .expect("the root domain is listed");
        id_of(root)
    }

    /// `GET /v1/keys/{id}` as root; the stored key.
    pub async fn stored_key(&self, id: &str) -> Value {
        self.get(&self.root_token, &format!("/v1/keys/{id}"))
            .await
            .expect_status(200)
    }

    /// `POST /v1/keys/verify` with `body`; asserts the documented "always 200".
    pub async fn verify(&self, body: Value) -> Value {
        self.send(self.request(Method::POST, "/v1/keys/verify").json(&body))
            .await
            .expect_status(200)
    }

    /// The reason code of verifying `secret` with no IP and no scopes.
    pub async fn verify_code(&self, secret: &str) -> String {
        code_of(&self.verify(json!({"key": secret})).await)
    }

    /// A request to the gateway verifier at `path` (`/v1/auth` or below it).
    pub fn gateway(&self, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path)
    }

    /// Follows `next_cursor` from `path` (which must already carry `?` with its parameters) and
    /// returns every item of every page, asserting no page repeats an item.
    pub async fn walk_pages(&self, token: &str, path: &str) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut items: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let page_path = match &cursor {
                Some(c) => format!("{path}{sep}cursor={c}"),
                None => path.to_owned(),
            };
            let page = self.get(token, &page_path).await.expect_status(200);
            for item in page["items"].as_array().expect("items") {
                assert!(
                    !items.iter().any(|seen| seen["id"] == item["id"]),
                    "{} appeared on two pages of {path}",
                    item["id"]
                );
                items.push(item.clone());
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => {
                    assert_eq!(
                        page["next_cursor"],
                        Value::Null,
                        "next_cursor is null at the end"
                    );
                    return items;
                }
            }
        }
        panic!("{path} did not end after 10,000 pages");
    }
}

/// A domain administrator made by `new_domain_admin_full`.
#[derive(Debug, Clone)]
pub struct DomainAdmin {
    pub domain_id: String,
    pub principal_id: String,
    pub key_id: String,
    pub token: String,
}

/// The `code` of a verification answer.
pub fn code_of(answer: &Value) -> String {
    answer["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no `code` in {answer}"))
        .to_owned()
}

fn with_owner(owner: &str, body: Value) -> Value {
    let mut body = body;
    body.as_object_mut()
        .expect("a key body is an object")
        .insert("owner_id".into(), json!(owner));
    body
}

/// Polls `check` until it returns `Some`, or fails after `EVENTUALLY`. For write-behind state only;
/// never for expiry, which the clock decides.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {EVENTUALLY:?} waiting for {what}"
        );
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
}
