//! The example cannot fall behind the settings: every flag, every file key, every default.

use std::collections::BTreeSet;

use clap::{Args, Command};

use super::super::{EnvOnly, FileConfig};
use super::*;

fn server_flags() -> Vec<String> {
    ServerArgs::augment_args(Command::new("serve"))
        .get_arguments()
        .filter_map(|arg| arg.get_long().map(str::to_owned))
        // --config names the file itself.
        .filter(|long| long != "config")
        .collect()
}

/// The names in serde's "unknown field `x`, expected one of `a`, `b`" for a probe document.
fn expected_fields(probe: &str) -> Option<Vec<String>> {
    let error = toml::from_str::<FileConfig>(probe).err()?.to_string();
    let (_, expected) = error.split_once("expected")?;
    let names = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some(names)
}

#[test]
fn every_server_flag_has_a_setting_and_appears_in_the_example() {
    let example = example();
    for flag in server_flags() {
        assert!(
            SETTINGS.iter().any(|s| s.flag == flag),
            "--{flag} has no line in config::example::SETTINGS"
        );
        assert!(
            example.contains(&format!("(--{flag}")),
            "--{flag} is missing from the example"
        );
    }
}

#[test]
fn every_key_of_the_file_has_a_setting() {
    let keys: BTreeSet<&str> = SETTINGS.iter().map(|s| s.key).collect();
    let top = expected_fields("zz_probe = 1").expect("the file refuses unknown keys");
    assert!(top.len() > 10, "{top:?}");
    for field in top {
        if keys.contains(field.as_str()) {
            continue;
        }
        // Not a setting itself: a table, whose keys must all be settings.
        let nested = expected_fields(&format!("[{field}]\nzz_probe = 1"))
            .unwrap_or_else(|| panic!("file key `{field}` has no line in SETTINGS"));
        for name in nested {
            let key = format!("{field}.{name}");
            assert!(
                keys.contains(key.as_str()),
                "file key `{key}` has no line in SETTINGS"
            );
        }
    }
}

#[test]
fn the_example_parses_and_its_defaults_uncommented_are_the_defaults() {
    let example = example();
    let as_is = FileConfig::parse(&example).expect("the example parses");
    let config = Config::resolve(as_is, &ServerArgs::default(), &EnvOnly::default())
        .expect("the example resolves");
    assert_eq!(format!("{config:?}"), format!("{:?}", Config::default()));

    // Uncomment every default: the same configuration, so each key exists, each value is in
    // the syntax the file reads, and each default shown is the real one.
    let defaults = Config::default();
    let mut uncommented = example.clone();
    for setting in SETTINGS {
        let name = setting.key.rsplit('.').next().expect("a name");
        if let Shown::Default(value) = (setting.shown)(&defaults) {
            let line = format!("\n#{name} = {value}\n");
            assert!(uncommented.contains(&line), "{line}");
            uncommented = uncommented.replacen(&line, &format!("\n{name} = {value}\n"), 1);
        }
    }
    let file = FileConfig::parse(&uncommented).expect("the uncommented example parses");
    let config = Config::resolve(file, &ServerArgs::default(), &EnvOnly::default())
        .expect("the uncommented example resolves");
    assert_eq!(format!("{config:?}"), format!("{:?}", Config::default()));
}

#[test]
fn the_help_is_wrapped_and_keeps_no_default_brackets() {
    let example = example();
    for line in example.lines() {
        assert!(line.len() <= WIDTH + 40, "too long: {line}");
    }
    assert!(!example.contains("[default:"), "{example}");
    assert!(example.contains("KEYWARD_CACHE_STALE_WINDOW"));
    assert!(example.contains("\n[cache]\n"));
}
