//! The OpenAPI document against the live server: schemathesis (PyPI, pinned below) reads
//! `/v1/openapi.json` from a server spawned on port 0 and runs every check (`--checks all`): no 5xx,
//! every status and body as documented, every schema-valid request accepted and every
//! schema-invalid one refused, undeclared methods answered 405. Any failure fails the test.
//!
//! Installed once into `target/schemathesis-venv`. Without Python or PyPI this test says so
//! loudly and is skipped, except under `CI=true`, where it fails. `schemathesis_hooks.py` leaves
//! out `cursor`, which only the server can make (see there).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use keyward_testkit::app::spawn_app;
use tokio::process::Command;

/// The version this document was made exact against.
const PACKAGE: &str = "schemathesis==4.32.5";

/// Examples per operation and phase: enough to find every disagreement seen so far, small enough
/// to finish in about a minute.
const MAX_EXAMPLES: &str = "25";

fn venv_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("schemathesis-venv")
}

/// Runs `command` (described as `what`, never its Debug form, which would show the token in its
/// environment) to completion within `limit`; its output whatever its exit status.
async fn run(what: &str, command: &mut Command, limit: Duration) -> Result<Output, String> {
    match tokio::time::timeout(limit, command.kill_on_drop(true).output()).await {
        Err(_) => Err(format!("`{what}` did not finish within {limit:?}")),
        Ok(Err(error)) => Err(format!("`{what}` could not start: {error}")),
        Ok(Ok(output)) => Ok(output),
    }
}

async fn succeeded(what: &str, command: &mut Command, limit: Duration) -> Result<(), String> {
    let output = run(what, command, limit).await?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{what}` failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// The venv's `st`, making the venv the first time.
async fn schemathesis() -> Result<PathBuf, String> {
    let venv = venv_dir();
    let st = venv.join("bin").join("st");
    let version = || {
        let mut probe = Command::new(&st);
        probe.arg("--version");
        probe
    };
    if let Ok(output) = run("st --version", &mut version(), Duration::from_secs(60)).await {
        if String::from_utf8_lossy(&output.stdout).contains("4.32.5") {
            return Ok(st);
        }
    }
    let system = std::env::var("KEYWARD_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    succeeded(
        &format!("{system} -m venv {}", venv.display()),
        Command::new(&system).arg("-m").arg("venv").arg(&venv),
        Duration::from_secs(120),
    )
    .await?;
    succeeded(
        &format!("pip install {PACKAGE}"),
        Command::new(venv.join("bin").join("python"))
            .args(["-m", "pip", "install", "--quiet", PACKAGE])
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
        Duration::from_secs(600),
    )
    .await?;
    succeeded("st --version", &mut version(), Duration::from_secs(60)).await?;
    Ok(st)
}

/// Says loudly, past the test harness's capture, that schemathesis did not run.
fn unavailable(reason: &str) {
    let bar = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!! keyward-testkit: schemathesis did NOT run: Python or PyPI is unavailable.\n!! {reason}\n{bar}\n"
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: schemathesis must run in CI ({reason})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_disagreement_between_the_document_and_the_server() {
    let st = match schemathesis().await {
        Ok(st) => st,
        Err(reason) => return unavailable(&reason),
    };
    let app = spawn_app().await;
    let hooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api");
    let output = run(
        "st run",
        Command::new(&st)
            .arg("run")
            .arg(app.url("/v1/openapi.json"))
            .args(["--url", &app.base_url])
            .args(["--checks", "all", "--max-examples", MAX_EXAMPLES])
            .args(["--seed", "1", "--no-color", "--request-timeout", "10"])
            .arg("--header")
            .arg(format!("Authorization: Bearer {}", app.root_token))
            .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
            .env("PYTHONPATH", &hooks)
            .env("NO_COLOR", "1")
            // Its example cache (`.schemathesis/`) goes under target/, not into the source tree.
            .current_dir(venv_dir()),
        Duration::from_secs(240),
    )
    .await
    .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let summary: Vec<&str> = report
        .lines()
        .filter(|l| l.contains(" generated, ") || l.contains("ST") && l.contains('❌'))
        .collect();
    let _ = writeln!(std::io::stderr(), "schemathesis: {}", summary.join(" | "));
    assert!(
        output.status.success(),
        "schemathesis found disagreements ({}):\n{report}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        summary.iter().any(|l| l.contains(" passed")),
        "schemathesis ran no case:\n{report}"
    );
}
