//! Python clients for the tests that drive keyward with software that is not keyward's: a
//! virtual environment per client under the cargo target directory, made once with pip from
//! PyPI, a way to run a command with a time limit without printing its environment (which holds
//! the secrets handed to a probe), and the loud skip when Python or PyPI is missing — a failure
//! under `CI=true`, where every client must run.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

/// `target/<name>` (or under `CARGO_TARGET_DIR`).
pub fn target_path(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join(name)
}

/// Runs `command` (described as `what`: never its Debug form, which would show the
/// environment) to completion within `limit`; a non-zero exit is an error with its output.
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

/// A virtual environment with a client installed.
#[derive(Debug, Clone)]
pub struct Venv {
    /// Its directory, where a probe may keep what it generates.
    pub dir: PathBuf,
    /// Its interpreter.
    pub python: PathBuf,
}

/// The venv `target/<name>` in which `import` runs, made (with `python3 -m venv`, or
/// `$KEYWARD_PYTHON`) and filled with `packages` the first time. Callers running in parallel
/// should share one call (e.g. through a `tokio::sync::OnceCell`): two pips in one venv race.
pub async fn venv(name: &str, packages: &[&str], import: &str) -> Result<Venv, String> {
    let dir = target_path(name);
    let python = dir.join("bin").join("python");
    let ready = || {
        let mut probe = Command::new(&python);
        probe.args(["-c", import]);
        probe
    };
    if run(import, &mut ready(), Duration::from_secs(60))
        .await
        .is_ok()
    {
        return Ok(Venv { dir, python });
    }
    let system = std::env::var("KEYWARD_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    run(
        &format!("{system} -m venv {}", dir.display()),
        Command::new(&system).arg("-m").arg("venv").arg(&dir),
        Duration::from_secs(120),
    )
    .await?;
    run(
        &format!("pip install {}", packages.join(" ")),
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(packages)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
        Duration::from_secs(600),
    )
    .await?;
    run(import, &mut ready(), Duration::from_secs(60)).await?;
    Ok(Venv { dir, python })
}

/// Says loudly, past the test harness's capture, that `client` did not run and why; under
/// `CI=true` it fails instead.
pub fn unavailable(client: &str, reason: &str) {
    let bar = "!".repeat(78);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bar}\n!! keyward-testkit: SKIPPED: {client} did NOT run: Python or PyPI is unavailable here.\n!! {reason}\n{bar}\n"
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: {client} must run in CI ({reason})"
    );
}
