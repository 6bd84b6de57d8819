//! The CLI as a person or a script runs it: the real `keyward` binary against a real `keyward
//! serve`, with its own CLI config file (`KEYWARD_CLI_CONFIG`) and stdin that is not a terminal.
//!
//! - Client flags go anywhere on the line; `-o table|json|yaml` and `--json` print the same data.
//! - Exit statuses: 3 key not valid, 4 not authenticated, 5 not found.
//! - `login` stores a context only for a token the server accepts, never prints it; `context use`
//!   switches; flags > `--context` > environment > current context.
//! - `keys get` takes a name; `keys delete` refuses without a terminal unless `--yes`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use support::{create_key, service_account, Server, Site};

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }
}

/// One person's shell: a CLI config file, and the environment variables they have set.
struct Shell {
    config: PathBuf,
    env: Vec<(String, String)>,
}

impl Shell {
    fn new(site: &Site) -> Self {
        Self {
            config: site.dir.path().join("cli").join("config.toml"),
            env: Vec::new(),
        }
    }

    /// A shell with KEYWARD_URL and KEYWARD_TOKEN set.
    fn with_env(site: &Site, server: &Server, token: &str) -> Self {
        let mut shell = Self::new(site);
        shell
            .env
            .push(("KEYWARD_URL".into(), server.base_url.clone()));
        shell.env.push(("KEYWARD_TOKEN".into(), token.into()));
        shell
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None).await
    }

    async fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_keyward"));
        command
            .args(args)
            .env("KEYWARD_CLI_CONFIG", &self.config)
            .env("NO_COLOR", "1")
            .env_remove("KEYWARD_URL")
            .env_remove("KEYWARD_TOKEN")
            .env_remove("KEYWARD_LOG")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("the keyward binary starts");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(text.as_bytes())
                .await
                .expect("stdin written");
        }
        let output = child.wait_with_output().await.expect("the binary ends");
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// A run that must exit with `code`.
    async fn expect(&self, code: i32, args: &[&str]) -> Run {
        let run = self.run(args).await;
        assert_eq!(run.code, Some(code), "keyward {args:?}: {run:?}");
        run
    }
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("a file written");
    path
}

#[tokio::test]
async fn client_flags_go_anywhere_and_print_tables_json_or_yaml() {
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    let owner = service_account(&server, &root, "billing-svc").await;
    let (id, _) = create_key(&server, &root, &owner, json!({"name": "nightly"})).await;
    let shell = Shell::with_env(&site, &server, &root);

    let json = shell.expect(0, &["--json", "keys", "list"]).await.json();
    assert_eq!(json["items"][0]["id"], json!(id), "{json}");
    let yaml = shell.expect(0, &["keys", "-o", "yaml", "list"]).await;
    let yaml: Value = serde_norway::from_str(&yaml.stdout).expect("stdout is YAML");
    assert_eq!(yaml, json, "-o yaml is the same document as --json");
    let long = shell.expect(0, &["keys", "list", "--output", "json"]).await;
    assert_eq!(long.json(), json);

    let table = shell.expect(0, &["keys", "list"]).await.stdout;
    let row = table
        .lines()
        .find(|l| l.contains("nightly"))
        .expect("a row");
    assert!(row.contains("billing-svc"), "the owner by name: {table}");
    assert!(!row.contains(&owner), "not its id: {table}");

    let by_name = shell
        .expect(0, &["-o", "json", "keys", "get", "nightly"])
        .await;
    assert_eq!(by_name.json()["id"], json!(id));
    let fields = shell.expect(0, &["keys", "get", &id]).await.stdout;
    assert!(
        fields.contains(&format!("billing-svc ({owner})")),
        "{fields}"
    );

    let both = shell.run(&["--json", "keys", "list", "-o", "yaml"]).await;
    assert_eq!(both.code, Some(2), "--json and -o conflict: {both:?}");
    server.stop().await;
}

#[tokio::test]
async fn exit_statuses_tell_not_authenticated_not_found_and_not_valid_apart() {
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    let owner = service_account(&server, &root, "svc").await;
    let (_, secret) = create_key(&server, &root, &owner, json!({"name": "ci"})).await;
    let other = service_account(&server, &root, "other-svc").await;
    create_key(&server, &root, &other, json!({"name": "ci"})).await;
    create_key(&server, &root, &other, json!({"name": "solo"})).await;

    let url = server.base_url.as_str();
    let anonymous = Shell::new(&site);
    let no_token = anonymous.expect(4, &["keys", "list", "--url", url]).await;
    assert!(no_token.stderr.contains("keyward login"), "{no_token:?}");
    let unknown = keyward_core::secret::SecretToken::generate()
        .expose()
        .to_owned();
    let refused = anonymous
        .expect(4, &["keys", "list", "--url", url, "--token", &unknown])
        .await;
    assert!(
        !refused.stderr.contains(&unknown),
        "the token is not echoed"
    );

    let shell = Shell::with_env(&site, &server, &root);
    let missing = shell.expect(5, &["keys", "get", "no-such-key"]).await;
    assert!(missing.stderr.contains("no-such-key"), "{missing:?}");
    shell
        .expect(5, &["keys", "get", "0190a3c2-7e4b-7c3d-8a9b-0123456789ab"])
        .await;
    let ambiguous = shell.expect(1, &["keys", "get", "ci"]).await;
    assert!(
        ambiguous.stderr.contains("2 keys are named `ci`")
            && ambiguous.stderr.contains("svc")
            && ambiguous.stderr.contains("other-svc"),
        "the matches are listed with their owners: {ambiguous:?}"
    );
    shell.expect(0, &["keys", "get", "solo"]).await;

    // The secret from a pipe (no terminal, no prompt): 0 when valid, 3 when not.
    let valid = shell
        .run_with_stdin(&["keys", "verify"], Some(&format!("{secret}\n")))
        .await;
    assert_eq!(valid.code, Some(0), "{valid:?}");
    assert!(!valid.stdout.contains(&secret) && !valid.stderr.contains(&secret));
    let invalid = shell
        .run_with_stdin(&["-o", "json", "keys", "verify"], Some(&unknown))
        .await;
    assert_eq!(invalid.code, Some(3), "{invalid:?}");
    assert_eq!(invalid.json()["valid"], json!(false));
    server.stop().await;
}

#[tokio::test]
async fn login_saves_a_context_and_flags_beat_env_beat_the_current_context() {
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    let url = server.base_url.as_str();
    let shell = Shell::new(&site);
    let token_file = write_file(site.dir.path(), "token", &format!("{root}\n"));
    let token_file = token_file.to_str().expect("a UTF-8 path");

    // A token the server refuses is not saved.
    let unknown = keyward_core::secret::SecretToken::generate()
        .expose()
        .to_owned();
    let bad_file = write_file(site.dir.path(), "bad", &unknown);
    let bad_file = bad_file.to_str().expect("a UTF-8 path");
    shell
        .expect(4, &["login", "--url", url, "--token-file", bad_file])
        .await;
    assert!(!shell.config.exists(), "nothing was saved");

    let login = shell
        .expect(
            0,
            &[
                "login",
                "--url",
                url,
                "--token-file",
                token_file,
                "--context",
                "local",
            ],
        )
        .await;
    assert!(login.stdout.contains("`local`"), "{login:?}");
    let stored = std::fs::read_to_string(&shell.config).expect("the config file");
    assert!(stored.contains("current_context = \"local\""), "{stored}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&shell.config)
            .expect("meta")
            .permissions();
        assert_eq!(mode.mode() & 0o777, 0o600, "the token file is private");
    }
    // From stdin, and named after the host by default.
    let piped = shell
        .run_with_stdin(&["login", "--url", url, "--token-file", "-"], Some(&root))
        .await;
    assert_eq!(piped.code, Some(0), "{piped:?}");
    let host = url.trim_start_matches("http://");

    // The context just saved is current; `context use` switches back.
    let list = shell.expect(0, &["context", "list", "-o", "json"]).await;
    assert_eq!(list.json()["current_context"], json!(host));
    shell.expect(0, &["context", "use", "local"]).await;
    let list = shell.expect(0, &["context", "list"]).await;
    let current = list.stdout.lines().find(|l| l.starts_with('*'));
    assert!(current.is_some_and(|l| l.contains("local")), "{list:?}");
    for run in [&login, &piped, &list] {
        assert!(!run.stdout.contains(&root) && !run.stderr.contains(&root));
    }
    let unknown_context = shell.expect(1, &["context", "use", "nope"]).await;
    assert!(
        unknown_context.stderr.contains("local"),
        "{unknown_context:?}"
    );

    // No flag, no environment: the current context.
    shell.expect(0, &["keys", "list"]).await;
    // The environment beats the current context: a dead KEYWARD_URL is used, and fails.
    let mut env_shell = Shell::new(&site);
    env_shell
        .env
        .push(("KEYWARD_URL".into(), "http://127.0.0.1:1".into()));
    let dead = env_shell.expect(1, &["keys", "list"]).await;
    assert!(dead.stderr.contains("cannot reach"), "{dead:?}");
    // `--context` and `--url` (flags) beat the environment.
    env_shell
        .expect(0, &["keys", "list", "--context", "local"])
        .await;
    env_shell.expect(0, &["--url", url, "keys", "list"]).await;
    env_shell
        .expect(1, &["keys", "list", "--context", "nope"])
        .await;
    server.stop().await;
}

#[tokio::test]
async fn delete_needs_a_terminal_or_yes() {
    let site = Site::new();
    let server = Server::start(&site).await;
    let root = site.root_secret();
    let owner = service_account(&server, &root, "svc").await;
    let (id, _) = create_key(&server, &root, &owner, json!({"name": "doomed"})).await;
    let shell = Shell::with_env(&site, &server, &root);

    let refused = shell.expect(1, &["keys", "delete", "doomed"]).await;
    assert!(refused.stderr.contains("--yes"), "{refused:?}");
    let path = format!("/v1/keys/{id}");
    server
        .expect(200, reqwest::Method::GET, &path, Some(&root), None)
        .await;

    let deleted = shell
        .expect(0, &["keys", "delete", "doomed", "--yes"])
        .await;
    assert!(deleted.stdout.contains(&id), "{deleted:?}");
    server
        .expect(404, reqwest::Method::GET, &path, Some(&root), None)
        .await;
    shell.expect(5, &["keys", "delete", &id, "-y"]).await;
    server.stop().await;
}
