//! The `zenml` command line (zenml 0.98.0 from PyPI) against keyward, as a user types it:
//! `zenml login <url> --api-key` (the key typed at the prompt), then every
//! `zenml service-account api-key <account> create | list | describe | rotate | update --active
//! false | delete`, checked by what keyward then verifies; and a service account logged in with
//! its own key rotating its own key, refused another account's. Each CLI keeps its
//! configuration in its own temporary `ZENML_CONFIG_PATH`; keys go through `--output-file`, so
//! no key is ever printed.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::unique;
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;

use super::venv::{unavailable, zenml_python};

/// One user's `zenml`, with its own configuration directory.
struct Cli {
    zenml: PathBuf,
    home: TempDir,
    url: String,
}

impl Cli {
    fn new(zenml: &Path, app: &TestApp) -> Self {
        Self {
            zenml: zenml.to_path_buf(),
            home: tempfile::tempdir().expect("a temporary directory"),
            url: app.base_url.clone(),
        }
    }

    /// Runs `zenml <args>`, typing `input` at its prompt; the whole output, whatever the exit.
    async fn run(&self, args: &[&str], input: Option<&str>) -> Output {
        let mut command = Command::new(&self.zenml);
        command
            .args(args)
            .env("ZENML_CONFIG_PATH", self.home.path().join("config"))
            .env("ZENML_ANALYTICS_OPT_IN", "false")
            .env("ZENML_LOGGING_VERBOSITY", "INFO")
            .env("ZENML_ENABLE_RICH_TRACEBACK", "false")
            .env("ZENML_DISABLE_CLIENT_SERVER_MISMATCH_WARNING", "true")
            .env("COLUMNS", "200")
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("zenml starts");
        let mut stdin = child.stdin.take().expect("stdin");
        if let Some(input) = input {
            stdin
                .write_all(format!("{input}\n").as_bytes())
                .await
                .expect("typed");
        }
        drop(stdin);
        tokio::time::timeout(Duration::from_secs(180), child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("`zenml {}` finishes within 3 minutes", args.join(" ")))
            .expect("zenml runs")
    }

    /// `run`, which must succeed; what it printed (standard output, then standard error: the
    /// CLI writes its tables and messages to either).
    async fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args, None).await;
        assert!(
            output.status.success(),
            "`zenml {}` failed ({}):\n{}\n{}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }

    /// `zenml login <url> --api-key`, typing `key` at the prompt.
    async fn login(&self, key: &str) {
        let output = self
            .run(&["login", self.url.as_str(), "--api-key"], Some(key))
            .await;
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!all.contains(key), "zenml login never echoes the key");
        assert!(
            output.status.success(),
            "zenml login failed ({}):\n{all}",
            output.status
        );
    }

    /// The path of a file in this CLI's directory, for `--output-file`.
    fn file(&self, name: &str) -> String {
        self.home.path().join(name).display().to_string()
    }

    fn read_key(&self, name: &str) -> String {
        std::fs::read_to_string(self.home.path().join(name))
            .expect("the CLI wrote the key file")
            .trim()
            .to_owned()
    }

    /// `service-account api-key <account> list -o json`: the key names.
    async fn key_names(&self, account: &str) -> Vec<String> {
        let out = self
            .ok(&["service-account", "api-key", account, "list", "-o", "json"])
            .await;
        // The JSON document, whatever the CLI logged around it.
        let json_text = &out[out.find('{').unwrap_or(0)..=out.rfind('}').unwrap_or(0)];
        let json: Value = serde_json::from_str(json_text).unwrap_or_else(|e| {
            panic!("`list -o json` prints JSON ({e}):\n{out}");
        });
        let mut names: Vec<String> = json["items"]
            .as_array()
            .unwrap_or_else(|| panic!("items in {json}"))
            .iter()
            .map(|k| k["name"].as_str().expect("name").to_owned())
            .collect();
        names.sort();
        names
    }
}

async fn zenml_cli() -> Option<PathBuf> {
    match tokio::task::spawn_blocking(zenml_python)
        .await
        .expect("the installer does not panic")
    {
        Ok(python) => Some(python.with_file_name("zenml")),
        Err(why) => {
            unavailable(&why);
            None
        }
    }
}

#[tokio::test]
async fn the_zenml_cli_manages_a_service_accounts_keys() {
    let Some(zenml) = zenml_cli().await else {
        return;
    };
    let app = spawn_app().await;
    let (_, admin_key) = app.new_domain_admin(&unique("zenml-cli")).await;
    app.create_service_account(&admin_key, "ci-bot").await;
    let cli = Cli::new(&zenml, &app);
    cli.login(&admin_key).await;

    let sa = ["service-account", "api-key", "ci-bot"];
    let with =
        |rest: &[&str]| -> Vec<String> { sa.iter().chain(rest).map(|s| (*s).to_owned()).collect() };
    let run = |args: Vec<String>| {
        let cli = &cli;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cli.ok(&args).await
        }
    };

    let deploy_file = cli.file("deploy.key");
    run(with(&[
        "create",
        "deploy",
        "-d",
        "CI deploys",
        "--output-file",
        &deploy_file,
    ]))
    .await;
    let deploy = cli.read_key("deploy.key");
    assert!(deploy.starts_with("kw_"), "a keyward key");
    assert_eq!(app.verify_code(&deploy).await, "VALID");
    let spare_file = cli.file("spare.key");
    run(with(&["create", "spare", "--output-file", &spare_file])).await;
    assert_eq!(cli.key_names("ci-bot").await, ["deploy", "spare"]);

    let described = run(with(&["describe", "deploy"])).await;
    assert!(
        described.contains("deploy") && described.contains("CI deploys"),
        "{described}"
    );
    assert!(!described.contains(&deploy), "describe never shows the key");

    let rotated_file = cli.file("rotated.key");
    run(with(&["rotate", "deploy", "--output-file", &rotated_file])).await;
    let rotated = cli.read_key("rotated.key");
    assert_eq!(app.verify_code(&deploy).await, "NOT_FOUND");
    assert_eq!(app.verify_code(&rotated).await, "VALID");
    let retained_file = cli.file("retained.key");
    run(with(&[
        "rotate",
        "deploy",
        "--retain",
        "5",
        "--output-file",
        &retained_file,
    ]))
    .await;
    assert_eq!(
        app.verify_code(&rotated).await,
        "VALID",
        "retained for 5 minutes"
    );

    run(with(&["update", "deploy", "--active", "false"])).await;
    let latest = cli.read_key("retained.key");
    assert_eq!(app.verify_code(&latest).await, "DISABLED");
    run(with(&[
        "update",
        "deploy",
        "--active",
        "true",
        "--description",
        "re-enabled",
    ]))
    .await;
    assert_eq!(app.verify_code(&latest).await, "VALID");

    run(with(&["delete", "spare", "-y"])).await;
    assert_eq!(
        app.verify_code(&cli.read_key("spare.key")).await,
        "NOT_FOUND"
    );
    assert_eq!(cli.key_names("ci-bot").await, ["deploy"]);

    // The client's own view of the server it logged in to: the one default project and stack.
    let status = cli.ok(&["status"]).await;
    assert!(status.contains("default"), "{status}");
}

#[tokio::test]
async fn a_service_account_rotates_its_own_key_with_the_cli() {
    let Some(zenml) = zenml_cli().await else {
        return;
    };
    let app = spawn_app().await;
    let (_, admin_key) = app.new_domain_admin(&unique("zenml-self")).await;
    app.create_service_account(&admin_key, "pipeline").await;
    app.create_service_account(&admin_key, "neighbour").await;
    let admin = Cli::new(&zenml, &app);
    admin.login(&admin_key).await;
    let own_file = admin.file("own.key");
    admin
        .ok(&[
            "service-account",
            "api-key",
            "pipeline",
            "create",
            "own",
            "--output-file",
            &own_file,
        ])
        .await;
    admin
        .ok(&[
            "service-account",
            "api-key",
            "neighbour",
            "create",
            "theirs",
        ])
        .await;

    // The pipeline logs in with its own key and rotates it, as CI rotating its credential does.
    let pipeline = Cli::new(&zenml, &app);
    let own = admin.read_key("own.key");
    pipeline.login(&own).await;
    assert_eq!(pipeline.key_names("pipeline").await, ["own"]);
    let next_file = pipeline.file("next.key");
    pipeline
        .ok(&[
            "service-account",
            "api-key",
            "pipeline",
            "create",
            "next",
            "--output-file",
            &next_file,
        ])
        .await;
    let rotated_file = pipeline.file("rotated.key");
    pipeline
        .ok(&[
            "service-account",
            "api-key",
            "pipeline",
            "rotate",
            "own",
            "--retain",
            "1",
            "--output-file",
            &rotated_file,
        ])
        .await;
    assert_eq!(
        app.verify_code(&pipeline.read_key("rotated.key")).await,
        "VALID"
    );
    assert_eq!(
        app.verify_code(&pipeline.read_key("next.key")).await,
        "VALID"
    );
    assert_eq!(pipeline.key_names("pipeline").await, ["next", "own"]);

    // Another account's keys are not its to see or touch.
    for args in [
        vec!["service-account", "api-key", "neighbour", "list"],
        vec![
            "service-account",
            "api-key",
            "neighbour",
            "rotate",
            "theirs",
        ],
        vec![
            "service-account",
            "api-key",
            "neighbour",
            "delete",
            "theirs",
            "-y",
        ],
    ] {
        let output = pipeline.run(&args, None).await;
        assert!(
            !output.status.success(),
            "`zenml {}` is refused",
            args.join(" ")
        );
    }
    assert_eq!(admin.key_names("neighbour").await, ["theirs"]);
}
