//! `envoy_probe.py`: a client that is not keyward's. It generates grpcio stubs with grpcio-tools
//! from Envoy's protos as the `envoy-types` crate ships them (found with `cargo metadata`),
//! asks keyward the questions a test writes as JSON, and prints Envoy's view of each answer.
//!
//! The venv (`target/envoy-venv`) is made once per run of this test binary, shared by its tests.
//! Without Python or PyPI the tests skip loudly, and fail under `CI=true`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use keyward_testkit::app::TestApp;
use keyward_testkit::python::{self, Venv};
use serde_json::Value;
use tokio::io::AsyncWriteExt as _;
use tokio::process::Command;
use tokio::sync::OnceCell;

const PACKAGES: &[&str] = &[
    "grpcio==1.85.1",
    "grpcio-tools==1.85.1",
    "googleapis-common-protos==1.76.0",
];

/// The probe's answers, by question name; `None` when the probe could not run here (said
/// loudly; under `CI=true` a failure).
pub async fn ask(app: &TestApp, questions: Value) -> Option<HashMap<String, Value>> {
    static VENV: OnceCell<Result<Venv, String>> = OnceCell::const_new();
    let venv = VENV
        .get_or_init(|| {
            python::venv(
                "envoy-venv",
                PACKAGES,
                "import grpc, grpc_tools, google.rpc.status_pb2",
            )
        })
        .await;
    let venv = match venv {
        Ok(venv) => venv,
        Err(reason) => {
            python::unavailable("the grpcio Envoy probe", reason);
            return None;
        }
    };
    let protos = envoy_protos().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/envoy/envoy_probe.py");
    let mut command = Command::new(&venv.python);
    command
        .arg(&script)
        .args(["--endpoint", &app.addr.to_string()])
        .arg("--protos")
        .arg(&protos)
        .arg("--stubs")
        .arg(venv.dir.join("envoy-stubs"))
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("the probe starts");
    // The questions hold secrets: through stdin, never argv.
    let mut stdin = child.stdin.take().expect("a stdin");
    stdin
        .write_all(questions.to_string().as_bytes())
        .await
        .expect("the questions are written");
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
        .await
        .expect("the probe finishes within 300 s")
        .expect("the probe runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "envoy_probe.py failed ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: HashMap<String, Value> = stdout
        .lines()
        .map(|line| {
            let answer: Value = serde_json::from_str(line).expect("the probe prints JSON lines");
            (answer["name"].as_str().expect("named").to_owned(), answer)
        })
        .collect();
    let asked = questions["checks"].as_array().map_or(0, Vec::len)
        + questions["rls"].as_array().map_or(0, Vec::len);
    assert_eq!(answers.len(), asked, "one answer per question:\n{stdout}");
    Some(answers)
}

/// `proto/` of the `envoy-types` package keyward is built with.
async fn envoy_protos() -> PathBuf {
    static PROTOS: OnceCell<PathBuf> = OnceCell::const_new();
    PROTOS
        .get_or_init(|| async {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let output = python::run(
                "cargo metadata",
                Command::new(cargo)
                    .args(["metadata", "--format-version", "1"])
                    .current_dir(env!("CARGO_MANIFEST_DIR")),
                Duration::from_secs(300),
            )
            .await
            .unwrap_or_else(|failure| panic!("{failure}"));
            let metadata: Value =
                serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
            let manifest = metadata["packages"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|package| package["name"] == "envoy-types")
                .and_then(|package| package["manifest_path"].as_str())
                .expect("envoy-types is a dependency");
            Path::new(manifest)
                .parent()
                .expect("a manifest's directory")
                .join("proto")
        })
        .await
        .clone()
}
