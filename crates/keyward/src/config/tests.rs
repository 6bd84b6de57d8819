//! Layering: defaults → file → environment → flags, each layer beating the ones below it.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use clap::Parser;

use super::*;

/// clap reads the process environment, which every test thread shares: tests that parse take
/// this lock, and the guard clears keyward's variables before and after.
static ENV_LOCK: Mutex<()> = Mutex::new(());

const VARS: &[&str] = &[
    "KEYWARD_CONFIG",
    "KEYWARD_LISTEN",
    "KEYWARD_DATABASE_URL",
    "KEYWARD_DATABASE_MAX_CONNECTIONS",
    "KEYWARD_PEPPER_FILE",
    "KEYWARD_MASTER_KEY_FILE",
    "KEYWARD_TRUSTED_PROXIES",
    "KEYWARD_ROOT_KEY_FILE",
    "KEYWARD_BODY_LIMIT_BYTES",
    "KEYWARD_FLUSH_INTERVAL",
    "KEYWARD_LAST_USED_RESOLUTION",
    "KEYWARD_CACHE_MAX_ENTRIES",
    "KEYWARD_CACHE_POSITIVE_TTL",
    "KEYWARD_CACHE_NEGATIVE_TTL",
    "KEYWARD_CACHE_STALE_WINDOW",
    "KEYWARD_LOG",
    "KEYWARD_REDIS_URL",
    "KEYWARD_SPACEONE_GENERATION",
    "KEYWARD_DATABASE_URL_FILE",
    "KEYWARD_REDIS_URL_FILE",
    "KEYWARD_LOG_FORMAT",
    "KEYWARD_LOG_VERIFICATIONS",
    "KEYWARD_METRICS",
    "KEYWARD_METRICS_LISTEN",
    "KEYWARD_METRICS_TOKEN_FILE",
];

struct Env(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Env {
    fn lock(vars: &[(&str, &str)]) -> Self {
        let guard = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        clear();
        for (name, value) in vars {
            std::env::set_var(name, value);
        }
        Env(guard)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        clear();
    }
}

fn clear() {
    for name in VARS {
        std::env::remove_var(name);
    }
}

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: ServerArgs,
}

fn parse(flags: &[&str]) -> ServerArgs {
    let argv = std::iter::once("keyward").chain(flags.iter().copied());
    Cli::try_parse_from(argv).expect("flags parse").args
}

const FILE: &str = r#"
listen = "127.0.0.2:9000"
database_url = "sqlite:///tmp/from-file.db"
trusted_proxies = ["10.0.0.0/8", "192.0.2.7"]
body_limit_bytes = 1000
flush_interval = "5s"
last_used_resolution = "10m"
usage_retention = "30d"
log = "debug"
max_connections = 50
header_read_timeout = "2s"
idle_timeout = "3m"

[cache]
max_entries = 10
positive_ttl = "2m"
stale_window = "30s"
"#;

fn resolve(file: &str, args: &ServerArgs, env: &EnvOnly) -> anyhow::Result<Config> {
    Config::resolve(FileConfig::parse(file)?, args, env)
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let config = resolve("", &ServerArgs::default(), &EnvOnly::default()).expect("valid");
    assert_eq!(config.listen, "127.0.0.1:8080".parse().expect("addr"));
    assert_eq!(config.database_url, "sqlite://keyward.db");
    assert!(config.pepper.is_none());
    assert!(config.trusted_proxies.is_empty());
    assert_eq!(config.body_limit_bytes, 256 * 1024);
    assert_eq!(config.flush_interval, Duration::from_secs(1));
    assert_eq!(config.cache.positive_ttl, Duration::from_secs(60));
    assert_eq!(config.cache.last_used_resolution, Duration::from_secs(60));
    assert_eq!(config.usage_retention, Duration::from_secs(90 * 86_400));
    assert_eq!(config.log_filter, "info");
    assert_eq!(
        config.connections,
        keyward_edge::ConnectionLimits::default()
    );
    assert_eq!(
        config.connections.header_read_timeout,
        Duration::from_secs(10)
    );
}

#[test]
fn the_file_overrides_defaults() {
    let config = resolve(FILE, &ServerArgs::default(), &EnvOnly::default()).expect("valid");
    assert_eq!(config.listen, "127.0.0.2:9000".parse().expect("addr"));
    assert_eq!(config.database_url, "sqlite:///tmp/from-file.db");
    assert_eq!(
        config.trusted_proxies,
        vec![
            "10.0.0.0/8".parse::<IpNet>().expect("net"),
            "192.0.2.7/32".parse().expect("net")
        ]
    );
    assert_eq!(config.body_limit_bytes, 1000);
    assert_eq!(config.flush_interval, Duration::from_secs(5));
    assert_eq!(config.cache.last_used_resolution, Duration::from_secs(600));
    assert_eq!(config.usage_retention, Duration::from_secs(30 * 86_400));
    assert_eq!(config.cache.max_entries, 10);
    assert_eq!(config.cache.positive_ttl, Duration::from_secs(120));
    assert_eq!(config.cache.stale_window, Duration::from_secs(30));
    // Not in the file: still the default.
    assert_eq!(config.cache.negative_ttl, Duration::from_secs(30));
    assert_eq!(config.log_filter, "debug");
    assert_eq!(config.connections.max_connections, 50);
    assert_eq!(
        config.connections.header_read_timeout,
        Duration::from_secs(2)
    );
    assert_eq!(config.connections.idle_timeout, Duration::from_secs(180));
    assert_eq!(
        config.connections.body_read_timeout,
        Duration::from_secs(30)
    );
}

#[test]
fn connection_limits_come_from_flags_and_must_be_above_zero() {
    let args = parse(&["--max-connections", "7", "--body-read-timeout", "5s"]);
    let config = resolve(FILE, &args, &EnvOnly::default()).expect("valid");
    assert_eq!(config.connections.max_connections, 7);
    assert_eq!(config.connections.body_read_timeout, Duration::from_secs(5));
    for flags in [
        ["--max-connections", "0"],
        ["--idle-timeout", "0s"],
        ["--header-read-timeout", "0s"],
    ] {
        let error = resolve("", &parse(&flags), &EnvOnly::default())
            .expect_err("zero is refused")
            .to_string();
        assert!(error.contains("must be"), "{flags:?}: {error}");
    }
}

#[test]
fn the_environment_overrides_the_file() {
    let _env = Env::lock(&[
        ("KEYWARD_LISTEN", "127.0.0.3:7000"),
        ("KEYWARD_TRUSTED_PROXIES", "172.16.0.0/12, 10.1.0.0/16"),
        ("KEYWARD_FLUSH_INTERVAL", "250ms"),
        ("KEYWARD_LAST_USED_RESOLUTION", "1s"),
        ("KEYWARD_LOG", "warn"),
    ]);
    let env = EnvOnly {
        rust_log: Some("trace".into()),
        ..EnvOnly::default()
    };
    let config = resolve(FILE, &parse(&[]), &env).expect("valid");
    assert_eq!(config.listen, "127.0.0.3:7000".parse().expect("addr"));
    assert_eq!(config.trusted_proxies.len(), 2);
    assert_eq!(config.flush_interval, Duration::from_millis(250));
    assert_eq!(config.cache.last_used_resolution, Duration::from_secs(1));
    // KEYWARD_LOG beats RUST_LOG, which beats the file.
    assert_eq!(config.log_filter, "warn");
    // Set only in the file: the file's value survives.
    assert_eq!(config.database_url, "sqlite:///tmp/from-file.db");
    assert_eq!(config.body_limit_bytes, 1000);
}

#[test]
fn rust_log_sits_between_the_file_and_keyward_log() {
    let env = EnvOnly {
        rust_log: Some("trace".into()),
        ..EnvOnly::default()
    };
    let config = resolve(FILE, &ServerArgs::default(), &env).expect("valid");
    assert_eq!(config.log_filter, "trace");
}

#[test]
fn flags_override_the_environment() {
    let _env = Env::lock(&[
        ("KEYWARD_LISTEN", "127.0.0.3:7000"),
        ("KEYWARD_DATABASE_URL", "sqlite:///tmp/from-env.db"),
        ("KEYWARD_TRUSTED_PROXIES", "172.16.0.0/12"),
    ]);
    let args = parse(&[
        "--listen",
        "127.0.0.4:0",
        "--trusted-proxy",
        "10.9.0.0/16",
        "--trusted-proxy",
        "::1",
        "--cache-max-entries",
        "7",
    ]);
    let config = resolve(FILE, &args, &EnvOnly::default()).expect("valid");
    assert_eq!(config.listen, "127.0.0.4:0".parse().expect("addr"));
    assert_eq!(
        config.trusted_proxies,
        vec![
            "10.9.0.0/16".parse::<IpNet>().expect("net"),
            "::1/128".parse().expect("net")
        ]
    );
    assert_eq!(config.cache.max_entries, 7);
    // Env but no flag: env wins over the file.
    assert_eq!(config.database_url, "sqlite:///tmp/from-env.db");
}

#[test]
fn bad_values_are_errors_not_panics() {
    let _env = Env::lock(&[]);
    let bad_flags: &[&[&str]] = &[
        &["--listen", "nowhere"],
        &["--trusted-proxy", "10.0.0.0/33"],
        &["--flush-interval", "5"],
    ];
    for flags in bad_flags {
        let argv = std::iter::once("keyward").chain(flags.iter().copied());
        assert!(Cli::try_parse_from(argv).is_err(), "{flags:?}");
    }
    let none = ServerArgs::default();
    let env = EnvOnly::default();
    let err = resolve("listn = \"x\"", &none, &env).expect_err("typo");
    assert!(format!("{err:#}").contains("listn"), "{err:#}");
    let err = resolve("flush_interval = \"soon\"", &none, &env).expect_err("duration");
    assert!(format!("{err:#}").contains("soon"), "{err:#}");
    let err = resolve("flush_interval = \"0\"", &none, &env).expect_err("zero");
    assert!(format!("{err:#}").contains("flush_interval"), "{err:#}");
    let err = resolve("database_url = \"\"", &none, &env).expect_err("empty");
    assert!(format!("{err:#}").contains("empty"), "{err:#}");
    let err = resolve("log = \"keyward=loud\"", &none, &env).expect_err("filter");
    assert!(format!("{err:#}").contains("log filter"), "{err:#}");
}

#[test]
fn the_pepper_comes_from_the_environment_or_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pepper");
    std::fs::write(&path, "0123456789abcdef-from-file\n").expect("write");
    let file = format!("pepper_file = {:?}", path.display().to_string());
    let env = EnvOnly {
        pepper: Some("0123456789abcdef-from-env".into()),
        ..EnvOnly::default()
    };
    let none = ServerArgs::default();

    let from_file = resolve(&file, &none, &EnvOnly::default()).expect("file pepper");
    assert!(from_file.pepper.is_some());
    // The environment beats the configuration file's pepper_file.
    let from_env = resolve(&file, &none, &env).expect("env pepper");
    assert!(from_env.pepper.is_some());
    // The same layer twice is ambiguous.
    let both = ServerArgs {
        pepper_file: Some(path.clone()),
        ..ServerArgs::default()
    };
    let err = resolve("", &both, &env).expect_err("ambiguous");
    assert!(err.to_string().contains("keep one"), "{err}");
    // Too short, and never echoed back.
    let short = EnvOnly {
        pepper: Some("tiny-pepper".into()),
        ..EnvOnly::default()
    };
    let err = resolve("", &none, &short).expect_err("short");
    assert!(err.to_string().contains("at least 16 bytes"), "{err}");
    assert!(!err.to_string().contains("tiny-pepper"));
    let missing = ServerArgs {
        pepper_file: Some(dir.path().join("absent")),
        ..ServerArgs::default()
    };
    assert!(resolve("", &missing, &EnvOnly::default()).is_err());
}

#[test]
fn debug_hides_the_password_and_the_pepper() {
    let config = Config {
        database_url: "postgres://keyward:hunter2-secret@db:5432/keyward".into(),
        pepper: Some(Pepper::new(b"pepper-pepper-pepper".to_vec()).expect("pepper")),
        ..Config::default()
    };
    let printed = format!("{config:?}");
    assert!(!printed.contains("hunter2-secret"), "{printed}");
    assert!(!printed.contains("pepper-pepper"), "{printed}");
    assert!(printed.contains("db:5432"), "{printed}");
}

#[test]
fn the_master_key_comes_from_the_environment_or_its_file_and_never_prints() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("master.key");
    std::fs::write(&path, "0123456789abcdef-master-from-file\n").expect("write");
    let file = format!("master_key_file = {:?}", path.display().to_string());
    let none = ServerArgs::default();
    assert!(resolve("", &none, &EnvOnly::default())
        .expect("no master key")
        .master_key
        .is_none());
    let from_file = resolve(&file, &none, &EnvOnly::default()).expect("file master key");
    assert!(from_file.master_key.is_some());
    let env = EnvOnly {
        master_key: Some("0123456789abcdef-master-from-env".into()),
        ..EnvOnly::default()
    };
    let from_env = resolve("", &none, &env).expect("env master key");
    let printed = format!("{from_env:?}");
    assert!(!printed.contains("master-from-env"), "{printed}");
    let short = EnvOnly {
        master_key: Some("tiny".into()),
        ..EnvOnly::default()
    };
    let err = resolve("", &none, &short).expect_err("too short");
    assert!(!err.to_string().contains("tiny"), "{err}");
    // The *_FILE form: KEYWARD_MASTER_KEY_FILE (or --master-key-file), not with the value too.
    let path_text = path.display().to_string();
    let from_var = {
        let _env = Env::lock(&[("KEYWARD_MASTER_KEY_FILE", &path_text)]);
        parse(&[])
    };
    assert_eq!(from_var.master_key_file.as_deref(), Some(path.as_path()));
    let from_flag = resolve("", &from_var, &EnvOnly::default()).expect("flag master key");
    assert!(from_flag.master_key.is_some());
    let err = resolve("", &from_var, &env).expect_err("both forms at once");
    assert!(err.to_string().contains("keep one"), "{err}");
}

#[test]
fn usage_retention_comes_from_a_flag_and_is_at_least_an_hour() {
    let config = resolve(
        FILE,
        &parse(&["--usage-retention", "7d"]),
        &EnvOnly::default(),
    )
    .expect("valid");
    assert_eq!(config.usage_retention, Duration::from_secs(7 * 86_400));
    for short in ["0", "59m"] {
        let error = resolve(
            "",
            &parse(&["--usage-retention", short]),
            &EnvOnly::default(),
        )
        .expect_err("under an hour is refused");
        assert!(
            format!("{error:#}").contains("usage_retention"),
            "{short}: {error:#}"
        );
    }
}

#[test]
fn the_redis_url_is_layered_checked_and_never_prints_its_password() {
    let file = r#"redis_url = "redis://:file-secret@cache-file:6379""#;
    let none = {
        let _env = Env::lock(&[]);
        resolve("", &parse(&[]), &EnvOnly::default()).expect("valid")
    };
    assert_eq!(none.redis_url, None, "no Redis unless asked");
    let from_file = {
        let _env = Env::lock(&[]);
        resolve(file, &parse(&[]), &EnvOnly::default()).expect("valid")
    };
    assert_eq!(
        from_file.redis_url.as_deref(),
        Some("redis://:file-secret@cache-file:6379")
    );
    let from_env = {
        let _env = Env::lock(&[("KEYWARD_REDIS_URL", "redis://cache-env:6379")]);
        resolve(file, &parse(&[]), &EnvOnly::default()).expect("valid")
    };
    assert_eq!(
        from_env.redis_url.as_deref(),
        Some("redis://cache-env:6379")
    );
    let from_flag = {
        let _env = Env::lock(&[("KEYWARD_REDIS_URL", "redis://cache-env:6379")]);
        resolve(
            file,
            &parse(&["--redis-url", "rediss://cache-flag:6380/1"]),
            &EnvOnly::default(),
        )
        .expect("valid")
    };
    assert_eq!(
        from_flag.redis_url.as_deref(),
        Some("rediss://cache-flag:6380/1")
    );
    let printed = format!("{from_file:?}");
    assert!(!printed.contains("file-secret"), "{printed}");
    assert!(printed.contains("cache-file:6379"), "{printed}");
    let _env = Env::lock(&[]);
    let error = resolve(
        "",
        &parse(&["--redis-url", "http://:oops-secret@cache:6379"]),
        &EnvOnly::default(),
    )
    .expect_err("not a Redis URL");
    let message = format!("{error:#}");
    assert!(message.contains("redis://"), "{message}");
    assert!(!message.contains("oops-secret"), "{message}");
}

#[test]
fn the_gateway_section_is_read_and_checked() {
    let none = ServerArgs::default();
    let env = EnvOnly::default();
    let defaults = resolve("", &none, &env).expect("valid");
    assert_eq!(
        defaults.gateway.key_sources,
        keyward_edge::key_sources::KeySources::default()
    );
    assert!(defaults.gateway.routes.is_empty());
    assert!(defaults.gateway.allow_preflight);

    let file = r#"
[gateway]
key_sources = ["header:X-Token", "bearer"]
query_parameter = "api_key"
allow_preflight = false

[[gateway.routes]]
path = "/billing/**"
methods = ["POST", "put"]
scopes = ["billing:write"]

[[gateway.routes]]
host = "*.example.com"
path = "/public/**"
public = true
"#;
    let config = resolve(file, &none, &env).expect("valid");
    let sources = &config.gateway.key_sources;
    assert_eq!(sources.headers().len(), 2);
    assert_eq!(sources.query_parameter(), Some("api_key"));
    assert!(!config.gateway.allow_preflight);
    assert_eq!(config.gateway.routes.len(), 2);
    // A query parameter alone keeps the default header list beside it.
    let query_only = resolve("[gateway]\nquery_parameter = \"k\"\n", &none, &env).expect("valid");
    assert_eq!(query_only.gateway.key_sources.headers().len(), 4);
}

#[test]
fn a_bad_gateway_section_names_what_is_wrong() {
    let none = ServerArgs::default();
    let env = EnvOnly::default();
    let cases = [
        ("[gateway]\nkey_sources = [\"cookie\"]\n", "gateway.key_sources[0]: `cookie`"),
        ("[gateway]\nkey_sources = []\n", "at least one"),
        ("[gateway]\nquery_parameter = \"a b\"\n", "gateway.query_parameter"),
        ("[gateway]\nallow_prefligth = true\n", "allow_prefligth"),
        (
            "[[gateway.routes]]\npath = \"/a\"\n[[gateway.routes]]\npath = \"/b/**\"\nmethods = [\"FETCH\"]\n",
            "gateway.routes[1] (path \"/b/**\"): methods: `FETCH` is not one of",
        ),
        (
            "[[gateway.routes]]\npath = \"b\"\n",
            "gateway.routes[0] (path \"b\"): path: must start with `/`",
        ),
        (
            "[[gateway.routes]]\npath = \"/p\"\npublic = true\nscopes = [\"x\"]\n",
            "gateway.routes[0] (path \"/p\"): scopes: a public route",
        ),
        ("[[gateway.routes]]\npath = \"/p\"\nproduct = \"nope\"\n", "product: must be a UUID"),
        ("[[gateway.routes]]\npath = \"/p\"\nhost = \"a:80\"\n", "host: must be a host name"),
        ("[[gateway.routes]]\npath = \"/p\"\nscope = [\"x\"]\n", "unknown field `scope`"),
    ];
    for (file, words) in cases {
        let error = resolve(file, &none, &env).expect_err(file);
        let message = format!("{error:#}");
        assert!(message.contains(words), "{file}: {message}");
    }
}

#[test]
fn the_gateway_strips_the_key_unless_the_file_says_not_to() {
    let none = ServerArgs::default();
    let env = EnvOnly::default();
    assert!(resolve("", &none, &env).expect("valid").gateway.strip_key);
    let file = "[gateway]\nstrip_key = false\n";
    assert!(!resolve(file, &none, &env).expect("valid").gateway.strip_key);
    assert!(FileConfig::parse("[gateway]\nstrip_keys = true\n").is_err());
}

#[test]
fn the_spaceone_generation_comes_from_the_file_the_environment_or_a_flag() {
    use keyward_compat::spaceone::Generation;
    let none = ServerArgs::default();
    let env = EnvOnly::default();
    let default = resolve("", &none, &env).expect("valid");
    assert_eq!(default.spaceone_generation, Generation::V1_5);
    let file = "[spaceone]\ngeneration = \"1.12\"\n";
    let from_file = resolve(file, &none, &env).expect("valid");
    assert_eq!(from_file.spaceone_generation, Generation::V1_12);
    let error = resolve("[spaceone]\ngeneration = \"2.0\"\n", &none, &env).expect_err("2.0");
    let message = format!("{error:#}");
    assert!(
        message.contains("spaceone.generation") && message.contains("\"1.12\""),
        "{message}"
    );
    assert!(resolve("[spaceone]\ngenration = \"1.12\"\n", &none, &env).is_err());

    let _env = Env::lock(&[("KEYWARD_SPACEONE_GENERATION", "1.12")]);
    let from_env = resolve("", &parse(&[]), &env).expect("valid");
    assert_eq!(from_env.spaceone_generation, Generation::V1_12);
    let flag = parse(&["--spaceone-generation", "1.5"]);
    assert_eq!(
        resolve(file, &flag, &env)
            .expect("valid")
            .spaceone_generation,
        Generation::V1_5
    );
    let argv = ["keyward", "--spaceone-generation", "1.11"];
    assert!(Cli::try_parse_from(argv).is_err());
}

#[test]
fn the_database_and_redis_urls_come_from_their_files_too() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = dir.path().join("database.url");
    std::fs::write(&database, "postgres://keyward:db-pass-in-file@db/keyward\n").expect("write");
    let redis = dir.path().join("redis.url");
    std::fs::write(&redis, "redis://:redis-pass-in-file@cache:6379\n").expect("write");
    let (database_text, redis_text) = (database.display().to_string(), redis.display().to_string());
    let args = {
        let _env = Env::lock(&[
            ("KEYWARD_DATABASE_URL_FILE", &database_text),
            ("KEYWARD_REDIS_URL_FILE", &redis_text),
        ]);
        parse(&[])
    };
    let config = resolve("", &args, &EnvOnly::default()).expect("URLs from files");
    assert_eq!(
        config.database_url,
        "postgres://keyward:db-pass-in-file@db/keyward"
    );
    assert_eq!(
        config.redis_url.as_deref(),
        Some("redis://:redis-pass-in-file@cache:6379")
    );
    let printed = format!("{config:?}");
    assert!(!printed.contains("pass-in-file"), "{printed}");

    // The flags, and the configuration file's keys, name the same files.
    let flags = parse(&["--database-url-file", &database_text]);
    let config = resolve("", &flags, &EnvOnly::default()).expect("flag");
    assert!(config.database_url.starts_with("postgres://"));
    let file = format!("redis_url_file = {redis_text:?}");
    let config = resolve(&file, &ServerArgs::default(), &EnvOnly::default()).expect("file key");
    assert!(config.redis_url.is_some());
    // A flag's URL beats the file's URL file.
    let file = format!("database_url_file = {database_text:?}");
    let config = resolve(
        &file,
        &parse(&["--database", "sqlite://x.db"]),
        &EnvOnly::default(),
    )
    .expect("flag over file");
    assert_eq!(config.database_url, "sqlite://x.db");

    // The URL and its file at the same layer: an error, not a choice.
    let both = parse(&[
        "--database",
        "sqlite://x.db",
        "--database-url-file",
        &database_text,
    ]);
    let err = resolve("", &both, &EnvOnly::default()).expect_err("both at once");
    assert!(err.to_string().contains("keep one"), "{err}");
    let missing = dir.path().join("absent.url").display().to_string();
    let err = resolve(
        "",
        &parse(&["--redis-url-file", &missing]),
        &EnvOnly::default(),
    )
    .expect_err("a missing file");
    assert!(format!("{err:#}").contains("redis URL file"), "{err:#}");
}

#[test]
fn log_format_verifications_and_metrics_are_layered() {
    let defaults = resolve("", &ServerArgs::default(), &EnvOnly::default()).expect("defaults");
    assert_eq!(defaults.log_format, LogFormat::Text);
    assert_eq!(defaults.log_verifications, VerificationLog::Off);
    assert!(defaults.metrics.enabled);
    assert!(defaults.metrics.listen.is_none() && defaults.metrics.token.is_none());

    let dir = tempfile::tempdir().expect("a temporary directory");
    let token = dir.path().join("metrics.token");
    std::fs::write(&token, "scrape-token-1234\n").expect("write");
    let file = format!(
        "log_format = \"json\"\nlog_verifications = \"all\"\nmetrics = false\n\
         metrics_listen = \"127.0.0.1:9100\"\nmetrics_token_file = {:?}\n",
        token.display().to_string()
    );
    let config = resolve(&file, &ServerArgs::default(), &EnvOnly::default()).expect("file");
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.log_verifications, VerificationLog::All);
    assert!(!config.metrics.enabled);
    assert_eq!(
        config.metrics.listen,
        Some("127.0.0.1:9100".parse().expect("addr"))
    );
    let token = config.metrics.token.as_ref().expect("a token");
    assert!(token.matches("scrape-token-1234"));
    assert!(!format!("{config:?}").contains("scrape-token"));

    let args = {
        let _env = Env::lock(&[
            ("KEYWARD_LOG_FORMAT", "text"),
            ("KEYWARD_LOG_VERIFICATIONS", "refusals"),
            ("KEYWARD_METRICS", "true"),
        ]);
        parse(&[])
    };
    let config = resolve(&file, &args, &EnvOnly::default()).expect("env over file");
    assert_eq!(config.log_format, LogFormat::Text);
    assert_eq!(config.log_verifications, VerificationLog::Refusals);
    assert!(config.metrics.enabled);

    assert!(resolve(
        "log_format = \"xml\"",
        &ServerArgs::default(),
        &EnvOnly::default()
    )
    .is_err());
    let same = parse(&[
        "--listen",
        "127.0.0.1:9100",
        "--metrics-listen",
        "127.0.0.1:9100",
    ]);
    let err = resolve("", &same, &EnvOnly::default()).expect_err("one address for both");
    assert!(err.to_string().contains("metrics_listen"), "{err}");
}
