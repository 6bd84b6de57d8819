//! ZenML's own client against keyward: `client_probe.py` drives `RestZenStore` from PyPI's
//! `zenml==0.98.0` (installed once into `target/zenml-client-venv`) through create, list with
//! filters and paging, get by name and id, update, rotate with and without a retain period,
//! a service account managing its own keys with its own key (and refused another's), delete;
//! this test starts keyward, hands the script an admin key and checks what it reports.
//!
//! Without Python or the package this test says so loudly and, under `CI=true`, fails.

use std::time::Duration as StdDuration;

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::unique;
use serde_json::{json, Value};

use super::venv::{unavailable, zenml_python};

const PROBE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/zenml/client_probe.py");

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

    let made = report.step("self_create");
    assert_eq!(made["name"], "ci-key");
    assert_eq!(made["listed"], json!(["ci-key", "key1-renamed", "key2"]));
    assert_eq!(made["login"], "ok");
    let rotated = report.step("self_rotate");
    assert_eq!(rotated["old_login"], "CredentialsNotValid");
    assert_eq!(rotated["new_login"], "ok");
    let deactivated = report.step("self_deactivate");
    assert_eq!(deactivated["active"], false);
    assert_eq!(deactivated["login"], "CredentialsNotValid");
    assert_eq!(report.step("self_delete")["get"], "KeyError");
    let others = report.step("self_others");
    for refused in ["list", "get", "rotate", "create"] {
        assert_eq!(others[refused], "KeyError", "{refused} on another account");
    }
    assert_eq!(
        others["accounts"],
        json!(["probe-sa"]),
        "only its own account"
    );
    assert_eq!(others["theirs_login"], "ok");
    assert_eq!(report.step("deleted")["get"], "KeyError");
    assert_eq!(report.step("remaining")["names"], json!(["key2"]));
    report.step("done");
}
