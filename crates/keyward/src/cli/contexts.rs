//! The CLI's own config file: named contexts, each a server URL and its token, like kubectl's
//! kubeconfig. It lives at `$XDG_CONFIG_HOME/keyward/config.toml` (`~/.config/keyward/…` when
//! that is unset); `KEYWARD_CLI_CONFIG` names another file. It holds tokens, so it is written
//! with mode 0600 in a 0700 directory, and no command prints a token from it.
//!
//! ```toml
//! current_context = "prod"
//!
//! [contexts.prod]
//! url = "https://keys.example.com"
//! token = "kw_…"
//! ```
//!
//! [`resolve`] weighs, field by field: `--url`/`--token` > the context named by `--context` >
//! `KEYWARD_URL`/`KEYWARD_TOKEN` > the current context > the default URL.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};

use super::client::{ClientArgs, Target, Token, DEFAULT_URL};

/// The file, as stored.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, ServerContext>,
}

/// One named server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerContext {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Token>,
}

/// Where the config file is: `KEYWARD_CLI_CONFIG`, else the XDG config directory.
pub fn config_path(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<PathBuf> {
    let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    if let Some(path) = set("KEYWARD_CLI_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    // The XDG spec: a relative XDG_CONFIG_HOME is invalid and to be ignored.
    let base = match set("XDG_CONFIG_HOME").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => match set("HOME") {
            Some(home) => Path::new(&home).join(".config"),
            None => {
                bail!("cannot find the CLI config: set HOME, XDG_CONFIG_HOME or KEYWARD_CLI_CONFIG")
            }
        },
    };
    Ok(base.join("keyward").join("config.toml"))
}

/// Checks a context name: 1–64 characters of letters, digits, `.`, `_`, `-`, `:`.
pub fn parse_context_name(name: &str) -> Result<String, String> {
    let fine = |c: char| c.is_ascii_alphanumeric() || "._-:".contains(c);
    if name.is_empty() || name.len() > 64 || !name.chars().all(fine) {
        return Err(format!(
            "`{name}` is not a context name: use 1-64 letters, digits, `.`, `_`, `-` or `:`"
        ));
    }
    Ok(name.to_string())
}

impl CliConfig {
    /// Reads the file; a missing file is an empty config.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        warn_if_others_can_read(path);
        // The parser's own message quotes the offending line, which may hold a token: say only
        // what is wrong and on which line.
        toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            let at = line.map(|n| format!(" (line {n})")).unwrap_or_default();
            anyhow::anyhow!("{}{at}: {}", path.display(), e.message())
        })
    }

    /// Writes the file with mode 0600 (through a temporary file and a rename, so a crash leaves
    /// the old file or the new one, never half of one).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let text = toml::to_string_pretty(self).context("cannot encode the CLI config")?;
        let dir = path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("config");
        let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let written = write_private(&temporary, text.as_bytes())
            .and_then(|()| std::fs::rename(&temporary, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written.with_context(|| format!("cannot write {}", path.display()))
    }

    /// The context called `name`, or an error listing the known ones.
    pub fn get(&self, name: &str) -> anyhow::Result<&ServerContext> {
        self.contexts.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.contexts.keys().map(String::as_str).collect();
            if known.is_empty() {
                anyhow::anyhow!(
                    "no context named `{name}`: there are none yet (see `keyward login`)"
                )
            } else {
                anyhow::anyhow!(
                    "no context named `{name}`; known contexts: {}",
                    known.join(", ")
                )
            }
        })
    }
}

/// The server and token for a client command; see the module doc for the order.
pub fn resolve(
    args: &ClientArgs,
    env: &dyn Fn(&str) -> Option<String>,
    config: &CliConfig,
) -> anyhow::Result<Target> {
    let named = match &args.context {
        Some(name) => Some(config.get(name)?),
        None => None,
    };
    // A current context that was deleted by hand is ignored, as if none were set.
    let current = config
        .current_context
        .as_deref()
        .and_then(|name| config.contexts.get(name));
    let env_set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let url = args
        .url
        .clone()
        .or_else(|| named.map(|c| c.url.clone()))
        .or_else(|| env_set("KEYWARD_URL"))
        .or_else(|| current.map(|c| c.url.clone()))
        .unwrap_or_else(|| DEFAULT_URL.to_string());
    let env_token = match env_set("KEYWARD_TOKEN") {
        Some(text) => Some(Token::parse(&text).map_err(|e| anyhow::anyhow!("KEYWARD_TOKEN: {e}"))?),
        None => None,
    };
    let token = args
        .token
        .clone()
        .or_else(|| named.and_then(|c| c.token.clone()))
        .or(env_token)
        .or_else(|| current.and_then(|c| c.token.clone()));
    Ok(Target { url, token })
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// A config file others can read exposes its tokens: say so (once, on stderr).
fn warn_if_others_can_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                eprintln!(
                    "warning: {} holds tokens and is readable by others: chmod 600 it",
                    path.display()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    fn config() -> CliConfig {
        let mut config = CliConfig {
            current_context: Some("prod".into()),
            ..CliConfig::default()
        };
        for (name, url, token) in [
            ("prod", "https://prod", "kw_prod"),
            ("dev", "http://dev", "kw_dev"),
        ] {
            config.contexts.insert(
                name.into(),
                ServerContext {
                    url: url.into(),
                    token: Some(Token::parse(token).expect("token")),
                },
            );
        }
        config
    }

    fn pick(args: &ClientArgs, env: &'static [(&'static str, &'static str)]) -> (String, String) {
        let target = resolve(args, &env_of(env), &config()).expect("resolves");
        let token = target
            .token
            .map(|t| t.expose().to_string())
            .unwrap_or_default();
        (target.url, token)
    }

    #[test]
    fn flags_beat_the_environment_which_beats_the_current_context() {
        let none = ClientArgs::default();
        assert_eq!(pick(&none, &[]), ("https://prod".into(), "kw_prod".into()));
        let env = &[("KEYWARD_URL", "http://env"), ("KEYWARD_TOKEN", "kw_env")];
        assert_eq!(pick(&none, env), ("http://env".into(), "kw_env".into()));
        let flags = ClientArgs {
            url: Some("http://flag".into()),
            token: Some(Token::parse("kw_flag").expect("token")),
            ..ClientArgs::default()
        };
        assert_eq!(pick(&flags, env), ("http://flag".into(), "kw_flag".into()));
        let named = ClientArgs {
            context: Some("dev".into()),
            ..ClientArgs::default()
        };
        assert_eq!(pick(&named, env), ("http://dev".into(), "kw_dev".into()));
        let unknown = ClientArgs {
            context: Some("nope".into()),
            ..ClientArgs::default()
        };
        let error = resolve(&unknown, &env_of(&[]), &config()).expect_err("unknown");
        assert!(error.to_string().contains("dev, prod"), "{error}");
        let empty = resolve(&none, &env_of(&[]), &CliConfig::default()).expect("resolves");
        assert_eq!(empty.url, DEFAULT_URL);
        assert!(empty.token.is_none());
    }

    #[test]
    fn the_path_follows_xdg_and_the_override() {
        let path = |env| config_path(&env_of(env)).expect("a path");
        assert_eq!(
            path(&[("HOME", "/h")]),
            PathBuf::from("/h/.config/keyward/config.toml")
        );
        assert_eq!(
            path(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")]),
            PathBuf::from("/x/keyward/config.toml")
        );
        assert_eq!(
            path(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel")]),
            PathBuf::from("/h/.config/keyward/config.toml")
        );
        assert_eq!(
            path(&[("HOME", "/h"), ("KEYWARD_CLI_CONFIG", "/c.toml")]),
            PathBuf::from("/c.toml")
        );
        assert!(config_path(&env_of(&[])).is_err());
    }

    #[test]
    fn the_file_round_trips_privately_and_errors_hide_tokens() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("sub").join("config.toml");
        config().save(&path).expect("saved");
        let back = CliConfig::load(&path).expect("loaded");
        assert_eq!(back.current_context.as_deref(), Some("prod"));
        assert_eq!(back.get("dev").expect("dev").url, "http://dev");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(
            &path,
            "[contexts.x]\nurl = \"u\"\ntoken = \"kw_leak\" oops\n",
        )
        .expect("w");
        let error = CliConfig::load(&path).expect_err("broken");
        assert!(!format!("{error:#}").contains("kw_leak"), "{error:#}");
        assert!(format!("{error:#}").contains("line 3"), "{error:#}");
        assert!(CliConfig::load(&dir.path().join("missing")).is_ok());
        assert!(parse_context_name("prod-1.eu:8080").is_ok());
        assert!(parse_context_name("a b").is_err());
        assert!(parse_context_name("").is_err());
    }
}
