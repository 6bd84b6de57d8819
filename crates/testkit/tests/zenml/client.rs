//! ZenML's own client against keyward: `client_probe.py` drives `RestZenStore` from PyPI's
//! `zenml==0.98.0` (installed once into `target/zenml-client-venv`) through create, list with
//! filters and paging, get by name and id, update, rotate with and without a retain period,
//! delete; this test starts keyward, hands the script an admin key and checks what it reports.
//!
//! Without Python or the package this test says so loudly and, under `CI=true`, fails.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration as StdDuration;

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::unique;
use serde_json::{json, Value};

const ZENML: &str = "zenml==0.98.0";
const PROBE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/zenml/client_probe.py");

/// `target/zenml-client-venv` (or under `CARGO_TARGET_DIR`).
fn venv_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("zenml-client-venv")
}

fn has_zenml(python: &Path) -> bool {
    Command::new(python)
        .args([
            "-c",
            "import zenml, sys; sys.exit(zenml.__version__ != '0.98.0')",
        ])
        .status()
        .is_ok_and(|s| s.success())
}

/// The venv's Python with ZenML installed, installing it on first use (a big install: once).
fn zenml_python() -> Result<PathBuf, String> {
    let venv = venv_dir();
    let python = venv.join("bin/python");
    if python.exists() && has_zenml(&python) {
        return Ok(python);
    }
    let run = |command: &mut Command, what: &str| -> Result<(), String> {
        let output = command
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .output()
            .map_err(|e| format!("{what}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    };
    if !python.exists() {
        run(
            Command::new("python3").arg("-m").arg("venv").arg(&venv),
            "python3 -m venv",
        )?;
    }
    run(
        Command::new(venv.join("bin/pip")).args(["install", "-q", ZENML]),
        "pip install zenml==0.98.0",
    )?;
    if has_zenml(&python) {
        Ok(python)
    } else {
        Err("zenml 0.98.0 is not importable after installing it".into())
    }
}

/// Says loudly that the real client did not run; fails under CI.
fn unavailable(why: &str) {
    let bar = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!! ZenML REAL-CLIENT TEST SKIPPED: {why}\n!! Needs python3 with venv and \
         access to PyPI ({ZENML} into {}).\n{bar}\n",
        venv_dir().display()
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the ZenML real-client test must not be skipped ({why})"
    );
}

/// The JSON lines the probe printed, by step.
struct Report(Vec<Value>);

impl Report {
    fn step(&self, name: &str) -> &Value {
        self.0
            .iter()
            .find(|v| v["step"] == name)
            .unwrap_or_else(|| panic!("the probe reported no `{name}` step: {:?}", self.0))
    }

    fn list(&self, label: &str) -> &Value {
        self.0
            .iter()
            .find(|v| v["step"] == "list" && v["label"] == label)
            .unwrap_or_else(|| panic!("no list `{label}`"))
    }
}

#[tokio::test]
async fn zenmls_own_client_manages_api_keys_through_keyward() {
    let python = match tokio::task::spawn_blocking(zenml_python)
        .await
        .expect("the installer does not panic")
    {
        Ok(python) => python,
        Err(why) => return unavailable(&why),
    };
    let app = spawn_app().await;
    let (_, admin_key) = app.new_domain_admin(&unique("zenml-client")).await;
    let run = tokio::process::Command::new(&python)
        .arg(PROBE)
        .arg(&app.base_url)
        .arg(&admin_key)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(StdDuration::from_secs(300), run)
        .await
        .expect("the probe finishes within 5 minutes")
        .expect("the probe starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the probe failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(!stdout.contains(&admin_key), "the probe never prints a key");
    let report = Report(
        stdout
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect(),
    );

    let info = report.step("info");
    assert_eq!(info["version"], "0.98.0");
    assert_eq!(info["pro"], false);
    assert_eq!(report.step("create_account")["name"], "probe-sa");
    assert_eq!(report.step("list_accounts")["names"], json!(["probe-sa"]));

    let created = report.step("create_keys");
    assert_eq!(created["names"], json!(["key1", "key2"]));
    assert_eq!(created["keyward_format"], json!([true, true]));
    assert_eq!(created["described"], "first key");
    assert_eq!(created["retain"], 0);
    assert_eq!(report.step("duplicate")["error"], "EntityExistsError");

    let paged = report.step("list_paged");
    assert_eq!(paged["totals"], json!([2, 2]));
    assert_eq!(paged["total_pages"], json!([2, 2]));
    assert_eq!(paged["names"], json!([["key2"], ["key1"]]));
    assert_eq!(report.list("oneof")["names"], json!(["key1"]));
    assert_eq!(report.list("or")["names"], json!(["key1", "key2"]));
    assert_eq!(report.list("created_and_active")["total"], 2);
    assert_eq!(
        report.list("sorted_by_name_desc")["names"],
        json!(["key2", "key1"])
    );
    assert_eq!(report.step("bad_sort")["error"], "ValueError");

    let got = report.step("get");
    assert_eq!(
        (&got["same"], &got["description"], &got["key_hidden"]),
        (&json!(true), &json!("first key"), &json!(true))
    );

    assert_eq!(report.step("login_key1")["result"], "ok");
    let updated = report.step("update");
    assert_eq!(updated["name"], "key1-renamed");
    assert_eq!(updated["description"], "updated");
    assert_eq!(updated["active"], false);
    assert_eq!(
        report.step("login_inactive")["result"],
        "CredentialsNotValid"
    );
    assert_eq!(report.step("login_reactivated")["result"], "ok");
    assert_eq!(report.step("last_login")["present"], true);

    let retained = report.step("rotate_retain");
    assert_eq!(retained["new_key"], true);
    assert_eq!(retained["old_login"], "ok", "inside the retain period");
    assert_eq!(retained["new_login"], "ok");
    assert_eq!(retained["retain"], 5);
    assert_eq!(retained["rotated"], true);
    let ended = report.step("rotate_no_retain");
    assert_eq!(ended["previous_login"], "CredentialsNotValid");
    assert_eq!(ended["oldest_login"], "CredentialsNotValid");
    assert_eq!(ended["new_login"], "ok");
    assert_eq!(ended["retain"], 0);

    assert_eq!(
        report.step("non_admin_list")["error"],
        "IllegalOperationError"
    );
    assert_eq!(report.step("deleted")["get"], "KeyError");
    assert_eq!(report.step("remaining")["names"], json!(["key2"]));
    report.step("done");
}
