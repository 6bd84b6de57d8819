//! Layered, typed configuration: defaults → TOML file → `KEYWARD_*` environment → flags.
//!
//! clap reads each flag and, when it is absent, its environment variable, so the two top layers
//! arrive together in [`ServerArgs`]; [`Config::resolve`] lays them over the file and the
//! defaults. The result is validated once, here: a bad value is a clear error at startup, never a
//! panic later. Tests build a [`Config`] directly (`Config { listen: ..., ..Config::default() }`).
//! [`example`] prints the commented file of every setting (`keyward config example`).

mod args;
mod duration;
pub mod example;
mod file;
mod gateway;
mod observability;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use ipnet::IpNet;
use keyward_compat::spaceone::Generation;
use keyward_core::secret::Pepper;
use keyward_core::signing::MasterKey;
use keyward_core::verify::CacheSettings;
use keyward_edge::{ConnectionLimits, GatewaySettings};

pub use args::{parse_cidr, ServerArgs};
pub use duration::{format_duration, parse_duration};
pub use file::{FileCache, FileConfig};
pub use gateway::FileGateway;
pub use observability::{LogFormat, MetricsSettings, MetricsToken, VerificationLog};

/// Default listen address: loopback only, so a first try exposes nothing.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default database: `./keyward.db`, created when absent.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://keyward.db";
/// Default request body limit (256 KiB), as documented in docs/rest-api.md.
pub const DEFAULT_BODY_LIMIT_BYTES: usize = 256 * 1024;
/// Default interval between "last used" flushes.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Default time usage counts are kept (`usage_retention`).
pub const DEFAULT_USAGE_RETENTION: Duration = Duration::from_secs(90 * 24 * 3600);
/// Shortest `usage_retention`: less would delete the hour being counted.
pub const MIN_USAGE_RETENTION: Duration = Duration::from_secs(3600);
/// Default log filter.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// Everything the server needs to start. Secrets are wrapped: `Pepper` prints redacted, and
/// `Debug` shows the database URL without its password.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// `None` keeps the store's own default pool size.
    pub database_max_connections: Option<u32>,
    /// The HMAC key for secret hashes. `None` means plain SHA-256 (warned about at startup).
    pub pepper: Option<Pepper>,
    /// Seals access keys' secret keys (NCP signature v2). `None`: access keys cannot be made.
    pub master_key: Option<MasterKey>,
    /// Peers whose `X-Forwarded-For` is believed when finding the client address.
    pub trusted_proxies: Vec<IpNet>,
    /// Where a fresh database's root key is written instead of being printed.
    pub root_key_file: Option<PathBuf>,
    pub body_limit_bytes: usize,
    /// Connection cap and the timeouts that hold slow and idle clients in check.
    pub connections: ConnectionLimits,
    pub cache: CacheSettings,
    /// How often "last used" times gathered by the verifier are written. Must be above zero.
    pub flush_interval: Duration,
    /// How long usage counts (per key per hour) are kept; older ones are deleted about hourly.
    pub usage_retention: Duration,
    /// A `tracing_subscriber::EnvFilter` directive string.
    pub log_filter: String,
    pub log_format: LogFormat,
    /// Which verifications are logged at INFO.
    pub log_verifications: VerificationLog,
    /// `GET /metrics`.
    pub metrics: MetricsSettings,
    /// Where rate limits and quotas are shared by many nodes (`redis://…`). `None`: counted in
    /// this node's memory.
    pub redis_url: Option<String>,
    /// How gateway checks read a request: key sources, route policies, CORS preflights.
    pub gateway: GatewaySettings,
    /// The wire generation the SpaceONE gRPC service speaks (its REST paths are all served).
    pub spaceone_generation: Generation,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address parses"),
            database_url: DEFAULT_DATABASE_URL.into(),
            database_max_connections: None,
            pepper: None,
            master_key: None,
            trusted_proxies: Vec::new(),
            root_key_file: None,
            body_limit_bytes: DEFAULT_BODY_LIMIT_BYTES,
            connections: ConnectionLimits::default(),
            cache: CacheSettings::default(),
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            usage_retention: DEFAULT_USAGE_RETENTION,
            log_filter: DEFAULT_LOG_FILTER.into(),
            log_format: LogFormat::default(),
            log_verifications: VerificationLog::default(),
            metrics: MetricsSettings::default(),
            redis_url: None,
            gateway: GatewaySettings::default(),
            spaceone_generation: Generation::default(),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field(
                "database_url",
                &keyward_store::redact_url(&self.database_url),
            )
            .field("database_max_connections", &self.database_max_connections)
            .field("pepper", &self.pepper)
            .field("master_key", &self.master_key)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("root_key_file", &self.root_key_file)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("connections", &self.connections)
            .field("cache", &self.cache)
            .field("flush_interval", &self.flush_interval)
            .field("usage_retention", &self.usage_retention)
            .field("log_filter", &self.log_filter)
            .field("log_format", &self.log_format)
            .field("log_verifications", &self.log_verifications)
            .field("metrics", &self.metrics)
            .field(
                "redis_url",
                &self.redis_url.as_deref().map(keyward_redis::redact_url),
            )
            .field("gateway", &self.gateway)
            .field("spaceone_generation", &self.spaceone_generation)
            .finish()
    }
}

/// The variables that have no flag, read by hand: the pepper (a flag would show in `ps`) and
/// `RUST_LOG` (the conventional fallback under `KEYWARD_LOG`).
#[derive(Debug, Default, Clone)]
pub struct EnvOnly {
    pub pepper: Option<String>,
    pub master_key: Option<String>,
    pub rust_log: Option<String>,
}

impl EnvOnly {
    pub fn from_process() -> Self {
        let read = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            pepper: read("KEYWARD_PEPPER"),
            master_key: read("KEYWARD_MASTER_KEY"),
            rust_log: read("RUST_LOG"),
        }
    }
}

impl Config {
    /// Reads the file named by `--config`/`KEYWARD_CONFIG` (if any) and the process environment,
    /// and resolves every layer.
    pub fn load(args: &ServerArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        Self::resolve(file, args, &EnvOnly::from_process())
    }

    /// Lays `args` (flags over environment) over `file` over the defaults, then validates.
    pub fn resolve(file: FileConfig, args: &ServerArgs, env: &EnvOnly) -> anyhow::Result<Self> {
        let defaults = Config::default();
        let trusted_proxies = match (&args.trusted_proxies, file.trusted_proxies) {
            (Some(nets), _) => nets.clone(),
            (None, Some(texts)) => texts
                .iter()
                .map(|t| parse_cidr(t).map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<_>>()
                .context("trusted_proxies")?,
            (None, None) => defaults.trusted_proxies,
        };
        let gateway = file.gateway.resolve()?;
        let spaceone_generation = match (args.spaceone_generation, file.spaceone.generation) {
            (Some(generation), _) => generation,
            (None, Some(text)) => text
                .parse()
                .map_err(anyhow::Error::msg)
                .context("spaceone.generation")?,
            (None, None) => defaults.spaceone_generation,
        };
        let config = Config {
            listen: args.listen.or(file.listen).unwrap_or(defaults.listen),
            database_url: resolve_url(
                "database",
                (args.database_url.clone(), args.database_url_file.as_deref()),
                (file.database_url, file.database_url_file),
            )?
            .unwrap_or(defaults.database_url),
            database_max_connections: args
                .database_max_connections
                .or(file.database_max_connections),
            pepper: resolve_pepper(args.pepper_file.as_deref(), file.pepper_file, env)?,
            master_key: resolve_master_key(
                args.master_key_file.as_deref(),
                file.master_key_file,
                env,
            )?,
            trusted_proxies,
            root_key_file: args.root_key_file.clone().or(file.root_key_file),
            body_limit_bytes: args
                .body_limit_bytes
                .or(file.body_limit_bytes)
                .unwrap_or(defaults.body_limit_bytes),
            connections: ConnectionLimits {
                max_connections: args
                    .max_connections
                    .or(file.max_connections)
                    .unwrap_or(defaults.connections.max_connections),
                header_read_timeout: args
                    .header_read_timeout
                    .or(file.header_read_timeout)
                    .unwrap_or(defaults.connections.header_read_timeout),
                body_read_timeout: args
                    .body_read_timeout
                    .or(file.body_read_timeout)
                    .unwrap_or(defaults.connections.body_read_timeout),
                idle_timeout: args
                    .idle_timeout
                    .or(file.idle_timeout)
                    .unwrap_or(defaults.connections.idle_timeout),
                drain_timeout: args
                    .drain_timeout
                    .or(file.drain_timeout)
                    .unwrap_or(defaults.connections.drain_timeout),
            },
            cache: CacheSettings {
                max_entries: args
                    .cache_max_entries
                    .or(file.cache.max_entries)
                    .unwrap_or(defaults.cache.max_entries),
                positive_ttl: args
                    .cache_positive_ttl
                    .or(file.cache.positive_ttl)
                    .unwrap_or(defaults.cache.positive_ttl),
                negative_ttl: args
                    .cache_negative_ttl
                    .or(file.cache.negative_ttl)
                    .unwrap_or(defaults.cache.negative_ttl),
                stale_window: args
                    .cache_stale_window
                    .or(file.cache.stale_window)
                    .unwrap_or(defaults.cache.stale_window),
                last_used_resolution: args
                    .last_used_resolution
                    .or(file.last_used_resolution)
                    .unwrap_or(defaults.cache.last_used_resolution),
                credit_lease_max: args
                    .credit_lease
                    .or(file.credit_lease)
                    .unwrap_or(defaults.cache.credit_lease_max),
            },
            flush_interval: args
                .flush_interval
                .or(file.flush_interval)
                .unwrap_or(defaults.flush_interval),
            usage_retention: args
                .usage_retention
                .or(file.usage_retention)
                .unwrap_or(defaults.usage_retention),
            log_filter: args
                .log_filter
                .clone()
                .or_else(|| env.rust_log.clone())
                .or(file.log)
                .unwrap_or(defaults.log_filter),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(defaults.log_format),
            log_verifications: args
                .log_verifications
                .or(file.log_verifications)
                .unwrap_or(defaults.log_verifications),
            metrics: MetricsSettings {
                enabled: args
                    .metrics
                    .or(file.metrics)
                    .unwrap_or(defaults.metrics.enabled),
                listen: args.metrics_listen.or(file.metrics_listen),
                token: resolve_metrics_token(
                    args.metrics_token_file.clone().or(file.metrics_token_file),
                )?,
            },
            redis_url: resolve_url(
                "redis",
                (args.redis_url.clone(), args.redis_url_file.as_deref()),
                (file.redis_url, file.redis_url_file),
            )?,
            gateway,
            spaceone_generation,
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks what the types alone cannot. `Application::build` calls it too, for configs built
    /// in code.
    pub fn validate(&self) -> anyhow::Result<()> {
        // Which URLs name which backend is the store's fact (`keyward_store::connect` explains
        // an unsupported one); only emptiness is checked here.
        if self.database_url.trim().is_empty() {
            bail!("the database URL is empty");
        }
        if self.database_max_connections == Some(0) {
            bail!("database_max_connections must be at least 1");
        }
        if self.body_limit_bytes == 0 {
            bail!("body_limit_bytes must be greater than zero");
        }
        if self.flush_interval.is_zero() {
            bail!("flush_interval must be greater than zero");
        }
        if self.usage_retention < MIN_USAGE_RETENTION {
            bail!("usage_retention must be at least 1h");
        }
        if let Some(url) = &self.redis_url {
            let scheme = url.split_once("://").map(|(scheme, _)| scheme);
            if !matches!(scheme, Some("redis" | "rediss")) {
                bail!(
                    "redis_url must start with redis:// or rediss:// (got {})",
                    keyward_redis::redact_url(url)
                );
            }
        }
        if self
            .metrics
            .listen
            .is_some_and(|m| m == self.listen && m.port() != 0)
        {
            bail!(
                "metrics_listen must differ from listen (leave it unset to serve /metrics there)"
            );
        }
        self.connections.validate().map_err(anyhow::Error::msg)?;
        crate::telemetry::parse_filter(&self.log_filter)?;
        Ok(())
    }
}

/// `KEYWARD_PEPPER` and `--pepper-file`/`KEYWARD_PEPPER_FILE` are the same setting at the same
/// layer, so both at once is an error rather than a silent choice; either beats the file's
/// `pepper_file`.
fn resolve_pepper(
    arg_file: Option<&Path>,
    config_file: Option<PathBuf>,
    env: &EnvOnly,
) -> anyhow::Result<Option<Pepper>> {
    if let (Some(_), Some(path)) = (&env.pepper, arg_file) {
        bail!(
            "both KEYWARD_PEPPER and a pepper file ({}) are set: keep one",
            path.display()
        );
    }
    if let Some(text) = &env.pepper {
        return Pepper::new(text.as_bytes().to_vec())
            .map(Some)
            .map_err(|e| anyhow::anyhow!("KEYWARD_PEPPER: {}", e.reason));
    }
    let Some(path) = arg_file.map(Path::to_path_buf).or(config_file) else {
        return Ok(None);
    };
    let bytes = read_secret_file(&path, "pepper")?;
    Pepper::new(bytes)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("pepper file {}: {}", path.display(), e.reason))
}

/// Like the pepper: `KEYWARD_MASTER_KEY` and `--master-key-file`/`KEYWARD_MASTER_KEY_FILE` at
/// once is an error; either beats the file's `master_key_file`. The key itself is never written
/// in the configuration file, and a final newline in its file is not part of it.
fn resolve_master_key(
    arg_file: Option<&Path>,
    config_file: Option<PathBuf>,
    env: &EnvOnly,
) -> anyhow::Result<Option<MasterKey>> {
    if let (Some(_), Some(path)) = (&env.master_key, arg_file) {
        bail!(
            "both KEYWARD_MASTER_KEY and a master key file ({}) are set: keep one",
            path.display()
        );
    }
    if let Some(text) = &env.master_key {
        return MasterKey::new(text.as_bytes())
            .map(Some)
            .map_err(|e| anyhow::anyhow!("KEYWARD_MASTER_KEY: {}", e.reason));
    }
    let Some(path) = arg_file.map(Path::to_path_buf).or(config_file) else {
        return Ok(None);
    };
    let bytes = read_secret_file(&path, "master key")?;
    MasterKey::new(&bytes)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("master key file {}: {}", path.display(), e.reason))
}

/// A URL that may carry a password (`what`: `database`, `redis`), from the flag or environment
/// (`upper`: the URL and its file) over the configuration file (`lower`). The URL and its file
/// at the same layer is an error rather than a silent choice.
fn resolve_url(
    what: &str,
    upper: (Option<String>, Option<&Path>),
    lower: (Option<String>, Option<PathBuf>),
) -> anyhow::Result<Option<String>> {
    let pick = |url: Option<String>, file: Option<&Path>| -> anyhow::Result<Option<String>> {
        match (url, file) {
            (Some(_), Some(path)) => bail!(
                "both a {what} URL and a {what} URL file ({}) are set: keep one",
                path.display()
            ),
            (Some(url), None) => Ok(Some(url)),
            (None, Some(path)) => {
                let bytes = read_secret_file(path, &format!("{what} URL"))?;
                let url = String::from_utf8(bytes).map_err(|_| {
                    anyhow::anyhow!("the {what} URL file {} is not UTF-8", path.display())
                })?;
                if url.trim().is_empty() {
                    bail!("the {what} URL file {} is empty", path.display());
                }
                Ok(Some(url.trim().to_owned()))
            }
            (None, None) => Ok(None),
        }
    };
    match pick(upper.0, upper.1)? {
        Some(url) => Ok(Some(url)),
        None => pick(lower.0, lower.1.as_deref()),
    }
}

/// The token `/metrics` requires, from its file.
fn resolve_metrics_token(path: Option<PathBuf>) -> anyhow::Result<Option<MetricsToken>> {
    let Some(path) = path else { return Ok(None) };
    let bytes = read_secret_file(&path, "metrics token")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("metrics token file {}: not UTF-8", path.display()))?;
    MetricsToken::new(text)
        .map(Some)
        .map_err(|reason| anyhow::anyhow!("metrics token file {}: {reason}", path.display()))
}

/// A secret's file, less the final newline editors and `echo` add (it is not part of it).
fn read_secret_file(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        bytes.pop();
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
