//! The real binary's commands that need no server: `config example` round-trips through
//! `config check`, a bad file or environment is refused with status 1 and the reason,
//! `--version` names the commit and the build date, and completions and man pages are generated.
//!
//! Each run starts from an environment without `KEYWARD_*` or `RUST_LOG`, so the machine's own
//! settings cannot change what is checked.

use std::path::Path;
use std::process::{Command, Output};

fn keyward(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward"));
    for (name, _) in std::env::vars() {
        if name.starts_with("KEYWARD_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command.args(args).envs(env.iter().copied());
    command.output().expect("the keyward binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 output")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a file");
    path.display().to_string()
}

#[test]
fn config_example_round_trips_through_config_check() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let example = keyward(&["config", "example"], &[]);
    assert!(example.status.success(), "{}", stderr(&example));
    let text = stdout(&example);
    assert!(text.contains("#listen = \"127.0.0.1:8080\""), "{text}");
    assert!(text.contains("KEYWARD_MASTER_KEY_FILE"), "{text}");
    let file = write(dir.path(), "keyward.toml", &text);

    let check = keyward(&["config", "check", &file], &[]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let summary = stdout(&check);
    assert!(summary.starts_with("ok: "), "{summary}");
    assert!(summary.contains("127.0.0.1:8080"), "{summary}");
    assert!(summary.contains("sqlite://keyward.db"), "{summary}");

    // The same file with every setting changed the way an operator would: uncommented.
    let pepper = write(dir.path(), "pepper", "a-pepper-of-more-than-16-bytes\n");
    let edited = text
        .replace("#listen = \"127.0.0.1:8080\"", "listen = \"0.0.0.0:9090\"")
        .replace(
            "#pepper_file = \"/etc/keyward/pepper\"",
            &format!("pepper_file = {pepper:?}"),
        )
        .replace("#stale_window = \"5m\"", "stale_window = \"2m\"");
    let file = write(dir.path(), "edited.toml", &edited);
    let check = keyward(&["config", "check", &file], &[]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let summary = stdout(&check);
    assert!(summary.contains("0.0.0.0:9090"), "{summary}");
    assert!(summary.contains("pepper      set"), "{summary}");
    assert!(
        !summary.contains("a-pepper-of"),
        "the pepper is never shown"
    );
}

#[test]
fn config_check_refuses_a_bad_file_or_environment_with_status_1() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let typo = write(dir.path(), "typo.toml", "listn = \"0.0.0.0:8080\"\n");
    let check = keyward(&["config", "check", &typo], &[]);
    assert_eq!(check.status.code(), Some(1));
    assert!(stderr(&check).contains("listn"), "{}", stderr(&check));
    assert!(stdout(&check).is_empty());

    let fine = write(dir.path(), "fine.toml", "usage_retention = \"30d\"\n");
    let check = keyward(
        &["config", "check", &fine],
        &[("KEYWARD_FLUSH_INTERVAL", "0")],
    );
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stderr(&check).contains("flush_interval"),
        "{}",
        stderr(&check)
    );

    let missing = dir.path().join("absent.key").display().to_string();
    let check = keyward(
        &["config", "check", &fine],
        &[("KEYWARD_MASTER_KEY_FILE", &missing)],
    );
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stderr(&check).contains("master key file"),
        "{}",
        stderr(&check)
    );
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let output = keyward(&["--version"], &[]);
    assert!(output.status.success());
    let line = stdout(&output);
    let expected = format!("keyward {} (commit ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected), "{line}");
    let (_, date) = line.trim_end().rsplit_once("built ").expect("a build date");
    let date = date.trim_end_matches(')');
    let parts: Vec<&str> = date.split('-').collect();
    assert_eq!(parts.len(), 3, "{date}");
    assert!(parts[0].parse::<u32>().expect("a year") >= 2024, "{date}");
}

#[test]
fn completions_and_man_pages_are_generated() {
    let bash = keyward(&["completions", "bash"], &[]);
    assert!(bash.status.success(), "{}", stderr(&bash));
    let script = stdout(&bash);
    assert!(script.contains("keyward"), "{script}");
    assert!(
        script.contains("principals"),
        "the subcommands are completed"
    );
    let unknown = keyward(&["completions", "tcsh"], &[]);
    assert_eq!(unknown.status.code(), Some(2));

    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().join("man");
    let man = keyward(&["man", &out.display().to_string()], &[]);
    assert!(man.status.success(), "{}", stderr(&man));
    let main = std::fs::read_to_string(out.join("keyward.1")).expect("keyward.1");
    assert!(main.contains(".TH keyward"), "{main}");
    let create = std::fs::read_to_string(out.join("keyward-keys-create.1")).expect("a subpage");
    assert!(create.contains("\\-\\-owner"), "{create}");
    assert!(
        !out.join("keyward-man.1").exists(),
        "the hidden command has no page"
    );
}
