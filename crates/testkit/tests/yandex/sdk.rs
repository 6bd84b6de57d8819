//! The vendor's own client against keyward: `sdk_probe.py` drives every rpc through the stubs
//! the `yandexcloud` package generated from Yandex's protos (`ApiKeyServiceStub`,
//! `OperationServiceStub` over `grpc.insecure_channel`, and once through `yandexcloud.SDK`).
//!
//! The package is installed once into a virtual environment under `target/yandex-venv` (pip,
//! from PyPI). Without Python or PyPI this test says so loudly and is skipped, except under
//! `CI=true`, where it fails: CI must not pass without the vendor's client having run.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

use keyward_testkit::fixtures::id_of;

use crate::support::setup;

/// The version the wire contract (`shared/reference/yandex_api_key.txt`) was taken from.
const PACKAGE: &str = "yandexcloud==0.413.0";

/// Every check the probe must report, so a probe that skipped one cannot pass.
const CHECKS: &[&str] = &[
    "sdk_client",
    "create_every_field",
    "verify_and_last_used",
    "list_pages",
    "update_masks",
    "list_operations",
    "list_scopes",
    "delete",
    "validation_errors",
    "auth_errors",
    "not_found",
];

fn venv_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("yandex-venv")
}

/// Runs `command` (described as `what`: never its Debug form, which shows the environment and so
/// the secrets passed in it) to completion within `limit`.
async fn run(what: &str, command: &mut Command, limit: Duration) -> Result<Output, String> {
    let shown = what;
    match tokio::time::timeout(limit, command.kill_on_drop(true).output()).await {
        Err(_) => Err(format!("`{shown}` did not finish within {limit:?}")),
        Ok(Err(error)) => Err(format!("`{shown}` could not start: {error}")),
        Ok(Ok(output)) if output.status.success() => Ok(output),
        Ok(Ok(output)) => Err(format!(
            "`{shown}` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )),
    }
}

/// The venv's Python with `yandexcloud` importable, making the venv the first time.
async fn python_with_sdk() -> Result<PathBuf, String> {
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    let ready = || {
        let mut probe = Command::new(&python);
        probe.args(["-c", "import yandexcloud, grpc"]);
        probe
    };
    let check = "import yandexcloud";
    if run(check, &mut ready(), Duration::from_secs(60))
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
        &format!("pip install {PACKAGE}"),
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", PACKAGE])
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
        Duration::from_secs(600),
    )
    .await?;
    run(check, &mut ready(), Duration::from_secs(60)).await?;
    Ok(python)
}

/// Says loudly, past the test harness's capture, that the vendor's client did not run.
fn unavailable(reason: &str) {
    let bar = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!! keyward-testkit: the yandexcloud SDK probe did NOT run: Python or PyPI is\n!! unavailable here. The Yandex face was tested with keyward's own clients only.\n!! {reason}\n{bar}\n"
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the yandexcloud SDK probe must run in CI ({reason})"
    );
}

#[tokio::test]
async fn the_vendors_own_stubs_drive_every_rpc() {
    let python = match python_with_sdk().await {
        Ok(python) => python,
        Err(reason) => return unavailable(&reason),
    };
    let y = setup().await;
    // A key without a management role, owned elsewhere so the probe's lists stay its own.
    let holder = id_of(
        &y.app
            .create_service_account(&y.admin.token, "data-plane")
            .await,
    );
    let data_key = y
        .app
        .create_named_key(&y.admin.token, &holder, "data-plane")
        .await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/yandex/sdk_probe.py");
    let output = run(
        "sdk_probe.py",
        Command::new(&python)
            .arg(&script)
            .args(["--endpoint", &y.app.addr.to_string()])
            .args(["--service-account", &y.sa])
            .args(["--admin-principal", &y.admin.principal_id])
            // Secrets through the environment, not argv (which any local user can read).
            .env("KEYWARD_ADMIN_TOKEN", &y.admin.token)
            .env("KEYWARD_DATA_KEY", &data_key.secret)
            // The server is on loopback: never through a configured proxy.
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost"),
        Duration::from_secs(180),
    )
    .await
    .unwrap_or_else(|failure| panic!("the yandexcloud probe failed:\n{failure}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Shown with --nocapture (or on failure); the probe prints check names, never a secret.
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
