//! `keyward config example`: the commented TOML file of every setting with its default.
//!
//! [`SETTINGS`] has one line per setting: its file key, its flag, and its default read from
//! [`Config::default()`]. Everything else a reader needs (what the setting does, its
//! environment variable, its value's form) comes from the flag's clap definition, so the example
//! says what `--help` says. Adding a setting is one line here, and cannot be forgotten: the tests
//! below fail while a flag of [`ServerArgs`] or a key of [`FileConfig`] has no line, and while
//! the example with every default uncommented does not parse back to `Config::default()`.

use std::fmt::Write as _;
use std::time::Duration;

use clap::{Arg, Args, Command};

use super::{format_duration, Config, ServerArgs};

/// What the example shows for one setting.
pub enum Shown {
    /// The setting's default, as a TOML value.
    Default(String),
    /// No default (the setting is off unless given): a TOML value to show as an example.
    Example(&'static str),
}

/// One setting of the file, and the flag that sets it too.
pub struct Setting {
    /// The file key; `table.key` for a key inside a table (`cache.max_entries`).
    pub key: &'static str,
    /// The long flag, without its dashes; empty for a setting of the file only, whose help is
    /// then `file_help`.
    pub flag: &'static str,
    pub file_help: &'static str,
    /// Its default, from the defaults given.
    pub shown: fn(&Config) -> Shown,
}

/// Every setting, in the order of the example file. Keys of a table come after all the top-level
/// keys (TOML puts what follows a `[table]` header in that table).
pub const SETTINGS: &[Setting] = &[
    set("listen", "listen", |c| quoted(c.listen)),
    set("database_url", "database", |c| quoted(&c.database_url)),
    set("database_url_file", "database-url-file", |_| {
        Shown::Example("\"/etc/keyward/database.url\"")
    }),
    set(
        "database_max_connections",
        "database-max-connections",
        |_| Shown::Example("10"),
    ),
    set("pepper_file", "pepper-file", |_| {
        Shown::Example("\"/etc/keyward/pepper\"")
    }),
    set("master_key_file", "master-key-file", |_| {
        Shown::Example("\"/etc/keyward/master.key\"")
    }),
    set("trusted_proxies", "trusted-proxy", |c| {
        let nets: Vec<String> = c
            .trusted_proxies
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect();
        Shown::Default(format!("[{}]", nets.join(", ")))
    }),
    set("root_key_file", "root-key-file", |_| {
        Shown::Example("\"/var/lib/keyward/root.key\"")
    }),
    set("body_limit_bytes", "body-limit-bytes", |c| {
        plain(c.body_limit_bytes)
    }),
    set("max_connections", "max-connections", |c| {
        plain(c.connections.max_connections)
    }),
    set("header_read_timeout", "header-read-timeout", |c| {
        duration(c.connections.header_read_timeout)
    }),
    set("body_read_timeout", "body-read-timeout", |c| {
        duration(c.connections.body_read_timeout)
    }),
    set("idle_timeout", "idle-timeout", |c| {
        duration(c.connections.idle_timeout)
    }),
    set("drain_timeout", "drain-timeout", |c| {
        duration(c.connections.drain_timeout)
    }),
    set("flush_interval", "flush-interval", |c| {
        duration(c.flush_interval)
    }),
    set("last_used_resolution", "last-used-resolution", |c| {
        duration(c.cache.last_used_resolution)
    }),
    set("usage_retention", "usage-retention", |c| {
        duration(c.usage_retention)
    }),
    set("credit_lease", "credit-lease", |c| {
        plain(c.cache.credit_lease_max)
    }),
    set("log", "log", |c| quoted(&c.log_filter)),
    set("log_format", "log-format", |c| quoted(c.log_format.as_str())),
    set("log_verifications", "log-verifications", |c| {
        quoted(c.log_verifications.as_str())
    }),
    set("metrics", "metrics", |c| plain(c.metrics.enabled)),
    set("metrics_listen", "metrics-listen", |_| {
        Shown::Example("\"127.0.0.1:9090\"")
    }),
    set("metrics_token_file", "metrics-token-file", |_| {
        Shown::Example("\"/etc/keyward/metrics.token\"")
    }),
    set("redis_url", "redis-url", |_| {
        Shown::Example("\"redis://127.0.0.1:6379\"")
    }),
    set("redis_url_file", "redis-url-file", |_| {
        Shown::Example("\"/etc/keyward/redis.url\"")
    }),
    set("cache.max_entries", "cache-max-entries", |c| {
        plain(c.cache.max_entries)
    }),
    set("cache.positive_ttl", "cache-positive-ttl", |c| {
        duration(c.cache.positive_ttl)
    }),
    set("cache.negative_ttl", "cache-negative-ttl", |c| {
        duration(c.cache.negative_ttl)
    }),
    set("cache.stale_window", "cache-stale-window", |c| {
        duration(c.cache.stale_window)
    }),
    file_only(
        "gateway.key_sources",
        "Where a gateway check finds the key, in order: `bearer`, `api-key` (Authorization: Api-Key), `header:<name>` (docs/gateways.md).",
        |_| Shown::Default("[\"bearer\", \"api-key\", \"header:x-api-key\", \"header:x-ncp-apigw-api-key\"]".into()),
    ),
    file_only(
        "gateway.query_parameter",
        "A query parameter a key may also come in. Off unless set: keys in URLs end up in logs.",
        |_| Shown::Example("\"api_key\""),
    ),
    file_only(
        "gateway.allow_preflight",
        "Answer a CORS preflight without a key (200, no identity).",
        |c| plain(c.gateway.allow_preflight),
    ),
    file_only(
        "gateway.strip_key",
        "Envoy's gRPC Check removes the key's header before the request reaches the application.",
        |c| plain(c.gateway.strip_key),
    ),
    file_only(
        "gateway.routes",
        "Route policies, first match wins (also written as [[gateway.routes]] tables; docs/gateways.md).",
        |_| Shown::Example("[{ path = \"/billing/**\", methods = [\"POST\"], scopes = [\"billing:write\"] }, { path = \"/public/**\", public = true }]"),
    ),
    set("spaceone.generation", "spaceone-generation", |c| {
        quoted(c.spaceone_generation)
    }),
];

const fn set(key: &'static str, flag: &'static str, shown: fn(&Config) -> Shown) -> Setting {
    Setting {
        key,
        flag,
        file_help: "",
        shown,
    }
}

/// A setting of the file only (no flag, no environment variable).
const fn file_only(key: &'static str, help: &'static str, shown: fn(&Config) -> Shown) -> Setting {
    Setting {
        key,
        flag: "",
        file_help: help,
        shown,
    }
}

fn quoted(value: impl ToString) -> Shown {
    Shown::Default(format!("{:?}", value.to_string()))
}

fn plain(value: impl ToString) -> Shown {
    Shown::Default(value.to_string())
}

fn duration(value: Duration) -> Shown {
    quoted(format_duration(value))
}

const HEADER: &str = "\
# keyward configuration file (TOML), as printed by `keyward config example`.
#
# Every setting is here with its default, commented out: uncomment a line to change it.
# Layers, lowest first: the defaults, this file (--config or KEYWARD_CONFIG), the KEYWARD_*
# environment variables, the flags. Durations are written 500ms, 10s, 5m, 1h30m, 90d.
# Secrets are never written in this file: the pepper and the master key live in files of their
# own (pepper_file, master_key_file) or in KEYWARD_PEPPER and KEYWARD_MASTER_KEY.
# Check a file with `keyward config check FILE`.
";

/// Width the help text is wrapped to, `# ` included.
const WIDTH: usize = 96;

/// The example file, from [`SETTINGS`], the flags' definitions and the defaults.
pub fn example() -> String {
    let command = ServerArgs::augment_args(Command::new("serve"));
    let defaults = Config::default();
    let mut out = String::from(HEADER);
    let mut table = "";
    for setting in SETTINGS {
        let (setting_table, name) = setting.key.split_once('.').unwrap_or(("", setting.key));
        if setting_table != table {
            table = setting_table;
            let _ = write!(out, "\n[{table}]\n");
        }
        let (help, sources) = if setting.flag.is_empty() {
            (setting.file_help.to_owned(), "file only".to_owned())
        } else {
            let arg = command
                .get_arguments()
                .find(|arg| arg.get_long() == Some(setting.flag))
                .unwrap_or_else(|| panic!("SETTINGS names --{}, not a flag", setting.flag));
            let mut sources = format!("--{}", setting.flag);
            if let Some(env) = arg.get_env() {
                let _ = write!(sources, ", {}", env.to_string_lossy());
            }
            (help_of(arg), sources)
        };
        out.push('\n');
        for line in wrap(&help) {
            let _ = writeln!(out, "# {line}");
        }
        match (setting.shown)(&defaults) {
            Shown::Default(value) => {
                let _ = writeln!(out, "# ({sources})\n#{name} = {value}");
            }
            Shown::Example(value) => {
                let _ = writeln!(out, "# ({sources}; not set by default)\n#{name} = {value}");
            }
        }
    }
    out
}

/// A flag's whole help, less its `[default: …]` (the example shows the default itself).
fn help_of(arg: &Arg) -> String {
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut text = help.as_str();
    let mut out = String::new();
    while let Some(start) = text.find("[default:") {
        out.push_str(&text[..start]);
        text = text[start..].split_once(']').map_or("", |(_, rest)| rest);
    }
    out.push_str(text);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn wrap(text: &str) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() + 2 > WIDTH {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

#[cfg(test)]
mod tests;
