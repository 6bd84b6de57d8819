//! The vendor's own stubs against keyward: `stubs_probe.py` drives the nine rpcs through the
//! `APIKeyStub` that the `spaceone-api==1.5.1` package (the seed's generation) generated, over
//! `grpc.insecure_channel` with `token` metadata.
//!
//! The package is installed once into a virtual environment under `target/spaceone-venv` (pip,
//! from PyPI; it declares no dependencies, so grpcio, protobuf and googleapis-common-protos are
//! named here). Its old generated code imports only with the pure-Python protobuf runtime. Without
//! Python or PyPI this test says so loudly and is skipped, except under `CI=true`, where it fails.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

use crate::support::setup;

const PACKAGES: &[&str] = &[
    "spaceone-api==1.5.1",
    "grpcio==1.85.1",
    "protobuf==7.36.2",
    "googleapis-common-protos==1.76.0",
];

/// Every check the probe must report, so a probe that skipped one cannot pass.
const CHECKS: &[&str] = &[
    "create",
    "get_only",
    "enable_disable",
    "update_role",
    "update_allowed_hosts",
    "list_query",
    "stat",
    "delete",
    "errors",
];

/// `target/<name>` (or under `CARGO_TARGET_DIR`).
pub fn venv_dir(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join(name)
}

/// Runs `command` (described as `what`, never its Debug form, which would show the token in its
/// environment) to completion within `limit`.
pub async fn run(what: &str, command: &mut Command, limit: Duration) -> Result<Output, String> {
    match tokio::time::timeout(limit, command.kill_on_drop(true).output()).await {
        Err(_) => Err(format!("`{what}` did not finish within {limit:?}")),
        Ok(Err(error)) => Err(format!("`{what}` could not start: {error}")),
        Ok(Ok(output)) if output.status.success() => Ok(output),
        Ok(Ok(output)) => Err(format!(
            "`{what}` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

fn python_command(python: &Path) -> Command {
    let mut command = Command::new(python);
    command.env("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python");
    command
}

/// The venv's Python with the stubs importable, making the venv the first time.
async fn python_with_stubs() -> Result<PathBuf, String> {
    let venv = venv_dir("spaceone-venv");
    let python = venv.join("bin").join("python");
    let import = "from spaceone.api.identity.v1 import api_key_pb2_grpc";
    let ready = || {
        let mut probe = python_command(&python);
        probe.args(["-c", import]);
        probe
    };
    if run(import, &mut ready(), Duration::from_secs(60))
        .await
        .is_ok()
    {
        return Ok(python);
    }
    let system = std::env::var("KEYWARD_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    run(
        &format!("{system} -m venv {}", venv.display()),
        Command::new(&system).arg("-m").arg("venv").arg(&venv),
        Duration::from_secs(120),
    )
    .await?;
    run(
        &format!("pip install {}", PACKAGES.join(" ")),
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(PACKAGES)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
        Duration::from_secs(600),
    )
    .await?;
    run(import, &mut ready(), Duration::from_secs(60)).await?;
    Ok(python)
}

/// Says loudly, past the test harness's capture, that the vendor's `client` did not run.
pub fn unavailable(client: &str, reason: &str) {
    let bar = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!! keyward-testkit: {client} did NOT run: Python or PyPI is unavailable here.\n!! The SpaceONE face was tested without it.\n!! {reason}\n{bar}\n"
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: {client} must run in CI ({reason})"
    );
}

#[tokio::test]
async fn the_vendors_own_stubs_drive_every_rpc() {
    let python = match python_with_stubs().await {
        Ok(python) => python,
        Err(reason) => return unavailable("the spaceone-api stubs probe", &reason),
    };
    let so = setup().await;
    let alice = so.user().await;
    let bob = so.user().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spaceone/stubs_probe.py");
    let output = run(
        "stubs_probe.py",
        python_command(&python)
            .arg(&script)
            .args(["--endpoint", &so.app.addr.to_string()])
            .args(["--domain", &so.admin.domain_id])
            .args(["--alice", &alice, "--bob", &bob])
            // The token through the environment, not argv (which any local user can read).
            .env("KEYWARD_TOKEN", &so.admin.token)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost"),
        Duration::from_secs(180),
    )
    .await
    .unwrap_or_else(|failure| panic!("the spaceone-api probe failed:\n{failure}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    for check in CHECKS {
        assert!(
            stdout.lines().any(|line| line == format!("ok {check}")),
            "the probe did not report `{check}`:\n{stdout}"
        );
    }
    let summary = format!("probe passed: {} checks", CHECKS.len());
    assert!(stdout.contains(&summary), "{stdout}");
}
