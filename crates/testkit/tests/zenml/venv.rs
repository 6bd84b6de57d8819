//! `zenml==0.98.0` from PyPI in `target/zenml-client-venv` (or under `CARGO_TARGET_DIR`),
//! installed once (a big install) and shared by the tests that drive ZenML's own code: the
//! Python client (`client.rs`) and the `zenml` CLI (`cli.rs`). Without Python or PyPI a test
//! says so loudly and, under `CI=true`, fails.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub const ZENML: &str = "zenml==0.98.0";

/// `target/zenml-client-venv` (or under `CARGO_TARGET_DIR`).
pub fn venv_dir() -> PathBuf {
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

fn install() -> Result<PathBuf, String> {
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

/// The venv's Python with ZenML installed. Blocking: call it from `spawn_blocking`. Tests
/// running in parallel share one install (two pips in one venv race).
pub fn zenml_python() -> Result<PathBuf, String> {
    static INSTALLED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    INSTALLED.get_or_init(install).clone()
}

/// Says loudly that a real ZenML client did not run; fails under CI.
pub fn unavailable(why: &str) {
    let bar = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!! ZenML REAL-CLIENT TEST SKIPPED: {why}\n!! Needs python3 with venv and \
         access to PyPI ({ZENML} into {}).\n{bar}\n",
        venv_dir().display()
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: the ZenML real-client tests must not be skipped ({why})"
    );
}
