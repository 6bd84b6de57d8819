//! What the tests of the real binary share: `keyward serve` started on port 0 against a SQLite
//! file in a temp dir ([`Site`], [`Server`]), its output captured, and a few API calls.
// Each test binary uses a part of this module; the rest is dead code in that binary.
#![allow(dead_code)]

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
pub const PEPPER: &str = "process-test-pepper-0123456789abcdef";
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `keyward serve` and everything it has printed so far.
pub struct Server {
    child: Child,
    pub base_url: String,
    output: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    pub client: reqwest::Client,
}

/// Where one test's server keeps its files.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub root_key_file: PathBuf,
}

impl Site {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let database_url = format!("sqlite://{}", dir.path().join("keyward.db").display());
        let root_key_file = dir.path().join("root.key");
        Self {
            dir,
            database_url,
            root_key_file,
        }
    }

    /// The root key the first start wrote to its file.
    pub fn root_secret(&self) -> String {
        let text = std::fs::read_to_string(&self.root_key_file).expect("the root key file");
        let secret = text.trim().to_owned();
        assert!(secret.starts_with("kw_"), "the root key file holds a key");
        secret
    }
}

/// Removes ANSI colour sequences, so a log is searched as a person would read it.
pub fn strip_ansi(text: &str) -> String {
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

pub fn listening_addr(line: &str) -> Option<String> {
    let line = strip_ansi(line);
    let rest = &line[line.find("listening on http://")? + "listening on http://".len()..];
    let addr: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ".:[]".contains(*c))
        .collect();
    (!addr.is_empty()).then_some(addr)
}

pub fn collect(
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
    pub async fn start(site: &Site) -> Self {
        Self::start_limited(site, None, &[]).await
    }

    /// `keyward serve` with `extra` flags, under an open-file limit (soft and hard) of
    /// `open_files` when given.
    pub async fn start_limited(site: &Site, open_files: Option<u64>, extra: &[&str]) -> Self {
        Self::start_with(site, open_files, extra, &[("KEYWARD_LOG", "debug")], true).await
    }

    /// `keyward serve` with `extra` flags and `env` variables, under an open-file limit of
    /// `open_files` when given, and with `--database` unless `database_flag` is false (the URL
    /// then comes from `extra` or `env`).
    pub async fn start_with(
        site: &Site,
        open_files: Option<u64>,
        extra: &[&str],
        env: &[(&str, &str)],
        database_flag: bool,
    ) -> Self {
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
        command.arg("serve").args(extra);
        if database_flag {
            command.args(["--database", &site.database_url]);
        }
        let mut child = command
            .args(["--listen", "127.0.0.1:0"])
            .arg("--root-key-file")
            .arg(&site.root_key_file)
            .envs(env.iter().copied())
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn call(
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
    pub async fn expect(
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

    pub async fn verify_code(&self, secret: &str) -> String {
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
    pub async fn stop(mut self) -> String {
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
    pub async fn kill_9(mut self) -> String {
        self.child.start_kill().expect("SIGKILL is sent");
        let status = self.child.wait().await.expect("the process is reaped");
        assert!(!status.success(), "a killed process does not exit cleanly");
        self.drain().await
    }

    pub async fn drain(self) -> String {
        for reader in self.readers {
            let _ = tokio::time::timeout(Duration::from_secs(10), reader).await;
        }
        let output = self.output.lock().expect("output lock").clone();
        output
    }
}

/// Creates a service account in the caller's domain; returns its id.
pub async fn service_account(server: &Server, token: &str, name: &str) -> String {
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
pub async fn create_key(
    server: &Server,
    token: &str,
    owner: &str,
    body: Value,
) -> (String, String) {
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
