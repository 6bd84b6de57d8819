//! The current vendor stubs against keyward set to generation C: `stubs_c_probe.py` drives the
//! seven rpcs of generation C through the `APIKeyStub` of `spaceone-api` 2.0.x (what
//! `pip install spaceone-api` gives today), and checks that the dropped `update_role` and
//! `update_allowed_hosts` answer `UNIMPLEMENTED`.
//!
//! The package conflicts with the seed's 1.5.1 (`stubs.rs`), so it has a virtual environment of
//! its own, made through `keyward_testkit::python`. Without Python or PyPI this test says so
//! loudly and is skipped, except under `CI=true`, where it fails.

use std::path::Path;
use std::time::Duration;

use keyward_testkit::python::{run, unavailable, venv};
use tokio::process::Command;

use crate::support::setup_generation_c;

const PACKAGES: &[&str] = &[
    "spaceone-api>=2,<2.1",
    "grpcio==1.85.1",
    "protobuf==7.36.2",
    "googleapis-common-protos==1.76.0",
];

/// Every check the probe must report, so a probe that skipped one cannot pass.
const CHECKS: &[&str] = &[
    "create",
    "get_only",
    "enable_disable",
    "list_query",
    "stat",
    "delete",
    "update_role_unimplemented",
    "errors",
];

#[tokio::test]
async fn the_current_vendor_stubs_drive_generation_c() {
    let import = "from spaceone.api.identity.v1 import api_key_pb2_grpc";
    let python = match venv("spaceone2-venv", PACKAGES, import).await {
        Ok(venv) => venv.python,
        Err(reason) => return unavailable("the spaceone-api 2.0.x stubs probe", &reason),
    };
    let so = setup_generation_c().await;
    let alice = so.user().await;
    let bob = so.user().await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spaceone/stubs_c_probe.py");
    let output = run(
        "stubs_c_probe.py",
        Command::new(&python)
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
    .unwrap_or_else(|failure| panic!("the spaceone-api 2.0.x probe failed:\n{failure}"));
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
