//! The vendor's CLI against keyward: `spacectl` (PyPI) discovers the APIKey service through gRPC
//! server reflection and drives list (with filters and keyword), get, create, disable and delete
//! (`stat`: see the note in the test). Installed once into `target/spacectl-venv` with the seed
//! generation's `spaceone-api`; without Python or PyPI the test says so loudly and is skipped,
//! except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;

use crate::stubs::{run, unavailable, venv_dir};
use crate::support::setup;

/// spacectl imports spaceone-core, which imports `spaceone-api` without declaring it: the seed generation.
const PACKAGES: &[&str] = &["spacectl==2.0.10", "spaceone-api==1.5.1"];

async fn spacectl() -> Result<PathBuf, String> {
    let venv = venv_dir("spacectl-venv");
    let bin = venv.join("bin").join("spacectl");
    let python = venv.join("bin").join("python");
    let import = "import spacectl.main";
    if run(
        import,
        Command::new(&python)
            .args(["-c", import])
            .env("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python"),
        Duration::from_secs(60),
    )
    .await
    .is_ok()
    {
        return Ok(bin);
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
        Command::new(venv.join("bin").join("python"))
            .args(["-m", "pip", "install", "--quiet"])
            .args(PACKAGES)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
        Duration::from_secs(900),
    )
    .await?;
    run(
        import,
        Command::new(&python)
            .args(["-c", import])
            .env("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python"),
        Duration::from_secs(60),
    )
    .await?;
    Ok(bin)
}

struct Cli {
    bin: PathBuf,
    home: tempfile::TempDir,
    domain: String,
}

impl Cli {
    /// Runs `spacectl <args> -p domain_id=<domain> -o json`; its stdout.
    async fn run(&self, args: &[&str]) -> String {
        let domain = format!("domain_id={}", self.domain);
        let output = run(
            &format!("spacectl {}", args.join(" ")),
            Command::new(&self.bin)
                .args(args)
                .args(["-p", &domain, "-o", "json"])
                .env("HOME", self.home.path())
                .env("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
                .env("NO_PROXY", "127.0.0.1,localhost")
                .env("no_proxy", "127.0.0.1,localhost"),
            Duration::from_secs(120),
        )
        .await
        .unwrap_or_else(|failure| panic!("spacectl failed:\n{failure}"));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        // spacectl reports a refused call on stdout and still exits 0.
        assert!(!stdout.contains("ERROR"), "spacectl {args:?}:\n{stdout}");
        stdout
    }
}

fn configure(home: &Path, token: &str, port: u16) {
    let dir = home.join(".spaceone").join("environments");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(
        home.join(".spaceone/environment.yml"),
        "environment: local\n",
    )
    .expect("environment.yml");
    let config = format!("api_key: {token}\nendpoints:\n  identity: grpc://127.0.0.1:{port}\n");
    std::fs::write(dir.join("local.yml"), config).expect("local.yml");
}

#[tokio::test]
async fn spacectl_manages_keys_through_reflection() {
    let bin = match spacectl().await {
        Ok(bin) => bin,
        Err(reason) => return unavailable("spacectl", &reason),
    };
    let so = setup().await;
    let user = so.user().await;
    let home = tempfile::tempdir().expect("a temp HOME");
    configure(home.path(), &so.admin.token, so.app.port());
    let cli = Cli {
        bin,
        home,
        domain: so.admin.domain_id.clone(),
    };
    let user_arg = format!("user_id={user}");
    let created = cli
        .run(&[
            "exec",
            "create",
            "api_key",
            "-p",
            &user_arg,
            "-p",
            "api_key_type=SYSTEM",
        ])
        .await;
    let created: serde_json::Value = serde_json::from_str(&created)
        .unwrap_or_else(|e| panic!("spacectl's answer is not JSON ({e}):\n{created}"));
    let id = created["api_key_id"].as_str().expect("an id").to_owned();
    assert!(created["api_key"]
        .as_str()
        .is_some_and(|s| s.starts_with("kw_")));

    let id_arg = format!("api_key_id={id}");
    let got = cli.run(&["get", "api_key", "-p", &id_arg]).await;
    assert!(got.contains(&id) && got.contains("ENABLED"), "{got}");

    let filter = format!(
        r#"{{"query":{{"filter":[{{"k":"user_id","v":"{user}","o":"eq"}}],"keyword":"{id}"}}}}"#
    );
    let listed = cli.run(&["list", "api_key", "-j", &filter]).await;
    assert!(listed.contains(&id), "{listed}");

    let disabled = cli
        .run(&["exec", "disable", "api_key", "-p", &id_arg])
        .await;
    assert!(disabled.contains("DISABLED"), "{disabled}");

    // `spacectl stat` is not driven: with the seed generation's singular
    // `StatisticsQuery.aggregate`, spacectl 2.0.10 fails in Python ("string indices must be
    // integers") for the object form and refuses the list form client-side; stat is covered by
    // the spaceone-api stubs probe and `stat.rs`.

    cli.run(&["exec", "delete", "api_key", "-p", &id_arg]).await;
    let listed = cli.run(&["list", "api_key", "-p", &user_arg]).await;
    assert!(!listed.contains(&id), "{listed}");
}
