//! The real binary, as an operator runs it: `keyward serve` on port 0 against a SQLite file in a
//! temp dir, the root key delivered in `--root-key-file`, logs at debug level.
//!
//! - No secret, created or presented, ever reaches the server's log output.
//! - A key acknowledged with 201 survives `kill -9` of the server right after the answer.
//! - A flood of idle connections beyond the open-file limit neither stops the process nor keeps
//!   other clients out for longer than the header timeout.
//!
//! `KEYWARD_PROCESS_TEST_DUMP=1 cargo test -p keyward --test process -- --nocapture` prints the
//! server's whole output, to see what the log check searched.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Long enough to be accepted, fixed so a restart hashes the same way.
const PEPPER: &str = "process-test-pepper-0123456789abcdef";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `keyward serve` and everything it has printed so far.
struct Server {
    child: Child,
    base_url: String,
    output: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    client: reqwest::Client,
}

/// Where one test's server keeps its files.
struct Site {
    _dir: tempfile::TempDir,
    database_url: String,
    root_key_file: PathBuf,
}

impl Site {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let database_url = format!("sqlite://{}", dir.path().join("keyward.db").display());
        let root_key_file = dir.path().join("root.key");
        Self {
            _dir: dir,
            database_url,
            root_key_file,
        }
    }

    /// The root key the first start wrote to its file.
    fn root_secret(&self) -> String {
        let text = std::fs::read_to_string(&self.root_key_file).expect("the root key file");
        let secret = text.trim().to_owned();
        assert!(secret.starts_with("kw_"), "the root key file holds a key");
        secret
    }
}

/// Removes ANSI colour sequences, so a log is searched as a person would read it.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn listening_addr(line: &str) -> Option<String> {
    let line = strip_ansi(line);
    let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
    let addr: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ".:[]".contains(*c))
        .collect();
    (!addr.is_empty()).then_some(addr)
}

fn collect(
    stream: impl AsyncRead + Unpin + Send + 'static,
    output: Arc<Mutex<String>>,
    addr: watch::Sender<Option<String>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(found) = listening_addr(&line) {
                addr.send_replace(Some(found));
            }
            let mut out = output.lock().expect("output lock");
            out.push_str(&line);
            out.push('\n');
        }
    })
}

impl Server {
    async fn start(site: &Site) -> Self {
        Self::start_limited(site, None, &[]).await
    }

    /// `keyward serve` with `extra` flags, under an open-file limit (soft and hard) of
    /// `open_files` when given.
    async fn start_limited(site: &Site, open_files: Option<u64>, extra: &[&str]) -> Self {
        let binary = env!("CARGO_BIN_EXE_keyward");
        let mut command = match open_files {
            Some(limit) => {
                let mut shell = Command::new("sh");
                shell
                    .arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(binary);
                shell
            }
            None => Command::new(binary),
        };
        let mut child = command
            .arg("serve")
            .args(extra)
            .args(["--listen", "127.0.0.1:0"])
            .args(["--database", &site.database_url])
            .arg("--root-key-file")
            .arg(&site.root_key_file)
            .env("KEYWARD_LOG", "debug")
            .env("RUST_LOG", "debug")
            .env("NO_COLOR", "1")
            .env("KEYWARD_PEPPER", PEPPER)
            .env_remove("KEYWARD_CONFIG")
            .env_remove("KEYWARD_DATABASE_URL")
            .env_remove("KEYWARD_PEPPER_FILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the keyward binary starts");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, mut rx) = watch::channel(None);
        let readers = vec![
            collect(
                child.stdout.take().expect("stdout"),
                Arc::clone(&output),
                tx.clone(),
            ),
            collect(
                child.stderr.take().expect("stderr"),
                Arc::clone(&output),
                tx,
            ),
        ];
        let addr = tokio::time::timeout(START_TIMEOUT, rx.wait_for(Option::is_some)).await;
        let addr = match addr {
            Ok(Ok(addr)) => addr.clone().expect("an address"),
            _ => {
                let status = child.try_wait().ok().flatten();
                panic!(
                    "keyward did not log `listening on http://…` (exit: {status:?}); output:\n{}",
                    output.lock().expect("output lock")
                );
            }
        };
        Self {
            child,
            base_url: format!("http://{addr}"),
            output,
            readers,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("a client"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.expect("a body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A call that must answer `expected`; returns the JSON body.
    async fn expect(
        &self,
        expected: u16,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let (status, body) = self.call(method.clone(), path, token, body).await;
        assert_eq!(status.as_u16(), expected, "{method} {path}: {body}");
        body
    }

    async fn verify_code(&self, secret: &str) -> String {
        let body = self
            .expect(
                200,
                reqwest::Method::POST,
                "/v1/keys/verify",
                None,
                Some(json!({"key": secret})),
            )
            .await;
        body["code"].as_str().expect("a code").to_owned()
    }

    /// SIGTERM, then waits for the process and for its output to end. Returns all output.
    async fn stop(mut self) -> String {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let exited = tokio::time::timeout(Duration::from_secs(40), self.child.wait()).await;
        if exited.is_err() {
            let _ = self.child.start_kill();
            let _ = self.child.wait().await;
            panic!(
                "keyward did not stop within 40 s of SIGTERM; output:\n{}",
                self.output.lock().expect("output lock")
            );
        }
        self.drain().await
    }

    /// `kill -9`: no shutdown code runs at all.
    async fn kill_9(mut self) -> String {
        self.child.start_kill().expect("SIGKILL is sent");
        let status = self.child.wait().await.expect("the process is reaped");
        assert!(!status.success(), "a killed process does not exit cleanly");
        self.drain().await
    }

    async fn drain(self) -> String {
        for reader in self.readers {
            let _ = tokio::time::timeout(Duration::from_secs(10), reader).await;
        }
        let output = self.output.lock().expect("output lock").clone();
        output
    }
}

/// Creates a service account in the caller's domain; returns its id.
async fn service_account(server: &Server, token: &str, name: &str) -> String {
    let body = server
        .expect(
            201,
            reqwest::Method::POST,
            "/v1/principals",
            Some(token),
            Some(json!({"kind": "service_account", "name": name})),
        )
        .await;
    body["id"].as_str().expect("an id").to_owned()
}

/// Creates a key; returns `(id, secret)`.
async fn create_key(server: &Server, token: &str, owner: &str, body: Value) -> (String, String) {
    let mut body = body;
    body["owner_id"] = json!(owner);
    let created = server
        .expect(
            201,
            reqwest::Method::POST,
            "/v1/keys",
            Some(token),
            Some(body),
        )
        .await;
    (
        created["key"]["id"].as_str().expect("an id").to_owned(),
        created["secret"].as_str().expect("a secret").to_owned(),
    )
}

/// Every 16-character window of the secret's random part: a log holding any of them holds a
/// recognisable piece of the secret. (Hints show only the last four characters.)
fn fragments(secret: &str) -> Vec<&str> {
    let body = secret.strip_prefix("kw_").unwrap_or(secret);
    (0..=body.len().saturating_sub(16))
        .map(|i| &body[i..i + 16])
        .collect()
}

fn assert_not_logged(log: &str, what: &str, secret: &str) {
    assert!(!log.contains(secret), "the log contains the {what} in full");
    for fragment in fragments(secret) {
        assert!(
            !log.contains(fragment),
            "the log contains a piece of the {what}: `{fragment}`"
        );
    }
}

#[tokio::test]
async fn secrets_never_appear_in_the_log() {
    use reqwest::Method;
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    let mut presented: Vec<(&str, String)> = vec![("root key", root.clone())];

    let owner = service_account(&server, &root, "svc").await;
    let (_, admin) = create_key(
        &server,
        &root,
        &owner,
        json!({"name": "admin", "roles": ["keyward:admin"]}),
    )
    .await;
    let (data_id, data) = create_key(
        &server,
        &admin,
        &owner,
        json!({"name": "data", "scopes": ["read"], "allowed_cidrs": [{"cidr": "127.0.0.0/8"}]}),
    )
    .await;
    let (gone_id, gone) = create_key(&server, &admin, &owner, json!({"name": "gone"})).await;
    presented.push(("admin key", admin.clone()));
    presented.push(("data key", data.clone()));
    presented.push(("deleted key", gone.clone()));

    // Good and bad verifications of every kind, through both doors.
    let unknown = keyward_core::secret::SecretToken::generate()
        .expose()
        .to_owned();
    let mut typo: Vec<char> = data.chars().collect();
    typo[12] = if typo[12] == 'x' { 'y' } else { 'x' };
    let typo: String = typo.into_iter().collect();
    presented.push(("unknown key", unknown.clone()));
    presented.push(("mistyped key", typo.clone()));
    for body in [
        json!({"key": data, "ip": "127.0.0.1", "scopes": ["read"]}),
        json!({"key": data, "ip": "127.0.0.1", "scopes": ["write"]}),
        json!({"key": data, "ip": "192.0.2.1"}),
        json!({"key": data}),
        json!({"key": unknown}),
        json!({"key": typo}),
    ] {
        server
            .expect(200, Method::POST, "/v1/keys/verify", None, Some(body))
            .await;
    }
    for secret in [&data, &unknown, &typo, &admin] {
        for path in [
            "/v1/auth",
            "/v1/auth/app/path?scopes=read",
            "/v1/auth?scopes=nope",
        ] {
            let by_bearer = server
                .client
                .get(server.url(path))
                .bearer_auth(secret)
                .send()
                .await
                .expect("an answer");
            assert!(by_bearer.status().as_u16() < 500);
            let by_header = server
                .client
                .post(server.url(path))
                .header("x-api-key", secret.as_str())
                .body("payload")
                .send()
                .await
                .expect("an answer");
            assert!(by_header.status().as_u16() < 500);
        }
    }

    // Failed management calls with real, unknown and mistyped keys.
    server
        .expect(403, Method::GET, "/v1/keys", Some(&data), None)
        .await;
    server
        .expect(401, Method::GET, "/v1/keys", Some(&unknown), None)
        .await;
    server
        .expect(401, Method::GET, "/v1/keys", Some(&typo), None)
        .await;
    // Bodies that carry a secret and are refused.
    let (status, _) = server
        .call(
            Method::POST,
            "/v1/keys/verify",
            None,
            Some(json!({"key": data, "extra": true})),
        )
        .await;
    assert_eq!(status, 422);
    let malformed = server
        .client
        .post(server.url("/v1/keys/verify"))
        .header("content-type", "application/json")
        .body(format!("{{\"key\": \"{data}\""))
        .send()
        .await
        .expect("an answer");
    assert_eq!(malformed.status(), 400);

    // Rotation, disable, delete, and the old secrets used afterwards.
    let rotated = server
        .expect(
            200,
            Method::POST,
            &format!("/v1/keys/{data_id}/rotate"),
            Some(&admin),
            Some(json!({"grace_seconds": 60})),
        )
        .await;
    let new_data = rotated["secret"].as_str().expect("a secret").to_owned();
    presented.push(("rotated key", new_data.clone()));
    server
        .expect(
            200,
            Method::POST,
            &format!("/v1/keys/{data_id}/disable"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(server.verify_code(&new_data).await, "DISABLED");
    server
        .expect(
            204,
            Method::DELETE,
            &format!("/v1/keys/{gone_id}"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(server.verify_code(&gone).await, "NOT_FOUND");

    let log = server.stop().await;
    assert!(
        log.contains("listening on http://"),
        "the output was captured: {log}"
    );
    assert!(log.lines().count() > 5, "debug logging was on:\n{log}");
    if std::env::var_os("KEYWARD_PROCESS_TEST_DUMP").is_some() {
        eprintln!("{log}");
    }
    let plain = strip_ansi(&log);
    for (what, secret) in &presented {
        assert_not_logged(&log, what, secret);
        assert_not_logged(&plain, what, secret);
    }
}

#[tokio::test]
async fn a_key_acknowledged_with_201_survives_kill_9() {
    use reqwest::Method;
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    let owner = service_account(&server, &root, "svc").await;
    let mut keys = Vec::new();
    for i in 0..5 {
        keys.push(create_key(&server, &root, &owner, json!({"name": format!("k{i}")})).await);
    }
    let (rotated_id, old_secret) = keys[0].clone();
    let rotated = server
        .expect(
            200,
            Method::POST,
            &format!("/v1/keys/{rotated_id}/rotate"),
            Some(&root),
            None,
        )
        .await;
    let new_secret = rotated["secret"].as_str().expect("a secret").to_owned();
    let last = create_key(&server, &root, &owner, json!({"name": "last"})).await;
    // No pause: the process dies the instant the 201 is read.
    server.kill_9().await;

    let server = Server::start(&site).await;
    for (id, secret) in keys.iter().skip(1).chain(std::iter::once(&last)) {
        server
            .expect(
                200,
                Method::GET,
                &format!("/v1/keys/{id}"),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(server.verify_code(secret).await, "VALID", "key {id}");
    }
    assert_eq!(server.verify_code(&new_secret).await, "VALID");
    assert_ne!(server.verify_code(&old_secret).await, "VALID");
    let ops = server
        .expect(
            200,
            Method::GET,
            &format!("/v1/keys/{}/operations", last.0),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(ops["items"][0]["action"], json!("key.create"));
    server.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_the_root_key_file_and_does_not_bootstrap_again() {
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    server.stop().await;
    let server = Server::start(&site).await;
    assert_eq!(site.root_secret(), root, "the file is left alone");
    let domains = server
        .expect(200, reqwest::Method::GET, "/v1/domains", Some(&root), None)
        .await;
    assert_eq!(domains["items"].as_array().map(Vec::len), Some(1));
    let log = server.stop().await;
    assert_not_logged(&log, "root key", &root);
}

#[tokio::test]
async fn a_flood_of_idle_connections_past_the_open_file_limit_is_shed() {
    // The attacker (this test) needs more descriptors than the server gets.
    let own_limit = keyward_edge::raise_fd_limit().unwrap_or(1024);
    let site = Site::new();
    let server = Server::start_limited(&site, Some(256), &["--header-read-timeout", "2s"]).await;
    let addr = server.base_url.trim_start_matches("http://").to_owned();
    let flood = usize::try_from(own_limit.saturating_sub(64))
        .unwrap_or(600)
        .min(600);
    let mut idle = Vec::with_capacity(flood);
    for _ in 0..flood {
        match tokio::net::TcpStream::connect(&addr).await {
            Ok(stream) => idle.push(stream),
            Err(error) => panic!("the listener stopped accepting during the flood: {error}"),
        }
    }
    // The attackers hold on to every socket; within a few header timeouts a client is served.
    let mut served = false;
    for _ in 0..30 {
        let answer = server
            .client
            .get(server.url("/healthz"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if answer.is_ok_and(|a| a.status() == StatusCode::OK) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        served,
        "no client was served while {flood} idle connections were held"
    );
    drop(idle);
    let log = server.stop().await;
    assert!(
        log.contains("connection limit reached"),
        "the server says it shed connections"
    );
}

/// Spends `secret` with `tasks` concurrent callers until `stop` says so or the credits run out;
/// answers how many verifications were admitted. Calls that fail (the server died) count nothing.
async fn spend_credits(
    base_url: String,
    secret: String,
    tasks: usize,
    admitted: Arc<std::sync::atomic::AtomicU64>,
    stop_at: u64,
) {
    use std::sync::atomic::Ordering;
    let client = reqwest::Client::new();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (client, url, secret, admitted) = (
            client.clone(),
            format!("{base_url}/v1/keys/verify"),
            secret.clone(),
            Arc::clone(&admitted),
        );
        handles.push(tokio::spawn(async move {
            while admitted.load(Ordering::SeqCst) < stop_at {
                let Ok(reply) = client.post(&url).json(&json!({"key": secret})).send().await else {
                    return;
                };
                let Ok(body) = reply.json::<Value>().await else {
                    return;
                };
                match body["code"].as_str() {
                    Some("VALID") => {
                        admitted.fetch_add(1, Ordering::SeqCst);
                    }
                    Some("USAGE_EXCEEDED") => return,
                    other => panic!("unexpected answer {other:?}: {body}"),
                }
            }
        }));
    }
    for handle in handles {
        handle.await.expect("a spender");
    }
}

/// Credits are never over-spent across `kill -9`: a node leases credits before spending them, so
/// the process dying mid-load loses at most its unspent lease and never grants more than the
/// balance.
#[tokio::test]
async fn credits_are_never_over_spent_across_kill_9() {
    use std::sync::atomic::{AtomicU64, Ordering};
    const BALANCE: u64 = 300;
    const LEASE: u64 = 40;
    let site = Site::new();
    let server = Server::start_limited(&site, None, &["--credit-lease", "40"]).await;
    let root = site.root_secret();
    let owner = service_account(&server, &root, "svc").await;
    let (id, secret) = create_key(
        &server,
        &root,
        &owner,
        json!({"name": "metered", "credits": {"remaining": BALANCE}}),
    )
    .await;

    let before_crash = Arc::new(AtomicU64::new(0));
    let load = tokio::spawn(spend_credits(
        server.base_url.clone(),
        secret.clone(),
        8,
        Arc::clone(&before_crash),
        u64::MAX,
    ));
    while before_crash.load(Ordering::SeqCst) < 100 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Mid-load: the spenders are still calling when the process dies.
    server.kill_9().await;
    load.await
        .expect("the spenders stop when the server is gone");
    let first = before_crash.load(Ordering::SeqCst);

    let server = Server::start_limited(&site, None, &["--credit-lease", "40"]).await;
    let after_restart = Arc::new(AtomicU64::new(0));
    spend_credits(
        server.base_url.clone(),
        secret.clone(),
        8,
        Arc::clone(&after_restart),
        u64::MAX,
    )
    .await;
    let second = after_restart.load(Ordering::SeqCst);
    let total = first + second;
    assert!(
        total <= BALANCE,
        "admitted {first} + {second} > {BALANCE}: over-spent"
    );
    // Lost: the unspent lease, and the answers in flight when the process died (one a spender).
    assert!(
        total >= BALANCE - LEASE - 8,
        "admitted {first} + {second}: the crash lost more than one lease of {LEASE}"
    );
    let key = server
        .expect(
            200,
            reqwest::Method::GET,
            &format!("/v1/keys/{id}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(key["credits"]["remaining"], json!(0));
    eprintln!("credits across kill -9: {first} before, {second} after, {total} of {BALANCE}");
    server.stop().await;
}
