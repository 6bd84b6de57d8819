//! The server's command-line flags. Each reads its `KEYWARD_*` variable when the flag is absent
//! (clap's `env`), so one `Option` here is "flag, else environment, else not set" and
//! [`Config::resolve`](super::Config::resolve) puts the file and the defaults underneath.
//!
//! The pepper and the master key have no flag on purpose: a flag's value shows in `ps` to every
//! user of the machine. Each comes from its variable (`KEYWARD_PEPPER`, `KEYWARD_MASTER_KEY`) or
//! from a file (`--pepper-file`, `--master-key-file`, or their `*_FILE` variables).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

use keyward_compat::spaceone::Generation;

use super::duration::parse_duration;
use super::{LogFormat, VerificationLog};

/// Settings of `serve`, `init` and `migrate`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServerArgs {
    /// TOML configuration file (lowest layer above the defaults).
    #[arg(long, env = "KEYWARD_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Address to listen on; port 0 picks a free one [default: 127.0.0.1:8080].
    #[arg(long, env = "KEYWARD_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,

    /// Database URL: sqlite://path or postgres://user:pass@host/db [default: sqlite://keyward.db].
    // hide_env_values: the URL may hold a password, and `--help` would print it.
    #[arg(
        long = "database",
        env = "KEYWARD_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,

    /// File holding the database URL (it may carry a password; a final newline is not part of
    /// it). Not with --database/KEYWARD_DATABASE_URL.
    #[arg(long, env = "KEYWARD_DATABASE_URL_FILE", value_name = "PATH")]
    pub database_url_file: Option<PathBuf>,

    /// Largest database connection pool [default: the store's].
    #[arg(long, env = "KEYWARD_DATABASE_MAX_CONNECTIONS", value_name = "N")]
    pub database_max_connections: Option<u32>,

    /// File holding the pepper (the HMAC key for secret hashes; at least 16 bytes). Or set
    /// KEYWARD_PEPPER. Without one, secrets are stored as plain SHA-256.
    #[arg(long, env = "KEYWARD_PEPPER_FILE", value_name = "PATH")]
    pub pepper_file: Option<PathBuf>,

    /// File holding the master key that seals access keys' secret keys (NCP signature v2; at
    /// least 16 bytes). Or set KEYWARD_MASTER_KEY. Without one, access keys cannot be created.
    #[arg(long, env = "KEYWARD_MASTER_KEY_FILE", value_name = "PATH")]
    pub master_key_file: Option<PathBuf>,

    /// Proxy network whose X-Forwarded-For is believed (repeatable; env: comma-separated).
    #[arg(
        long = "trusted-proxy",
        env = "KEYWARD_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ',',
        value_parser = parse_cidr
    )]
    pub trusted_proxies: Option<Vec<IpNet>>,

    /// On first start, write the root key to this new file (mode 0600) instead of printing it.
    #[arg(long, env = "KEYWARD_ROOT_KEY_FILE", value_name = "PATH")]
    pub root_key_file: Option<PathBuf>,

    /// Largest accepted request body in bytes [default: 262144].
    #[arg(long, env = "KEYWARD_BODY_LIMIT_BYTES", value_name = "BYTES")]
    pub body_limit_bytes: Option<usize>,

    /// Most connections open at once; above it new connections are closed at once (lowered to
    /// fit the open-file limit) [default: 4096].
    #[arg(
        long,
        env = "KEYWARD_MAX_CONNECTIONS",
        value_name = "N",
        help_heading = "Connections"
    )]
    pub max_connections: Option<usize>,

    /// How long a client may take to send a request head [default: 10s].
    #[arg(long, env = "KEYWARD_HEADER_READ_TIMEOUT", value_name = "DURATION",
          value_parser = parse_duration, help_heading = "Connections")]
    pub header_read_timeout: Option<Duration>,

    /// How long a request body may take to arrive whole [default: 30s].
    #[arg(long, env = "KEYWARD_BODY_READ_TIMEOUT", value_name = "DURATION",
          value_parser = parse_duration, help_heading = "Connections")]
    pub body_read_timeout: Option<Duration>,

    /// How long a connection may sit with no request in progress and nothing moving [default: 75s].
    #[arg(long, env = "KEYWARD_IDLE_TIMEOUT", value_name = "DURATION",
          value_parser = parse_duration, help_heading = "Connections")]
    pub idle_timeout: Option<Duration>,

    /// At shutdown, how long open connections may take to finish [default: 30s].
    #[arg(long, env = "KEYWARD_DRAIN_TIMEOUT", value_name = "DURATION",
          value_parser = parse_duration, help_heading = "Connections")]
    pub drain_timeout: Option<Duration>,

    /// How often "last used" times are written to the database [default: 1s].
    #[arg(long, env = "KEYWARD_FLUSH_INTERVAL", value_name = "DURATION", value_parser = parse_duration)]
    pub flush_interval: Option<Duration>,

    /// How far behind the latest use a stored "last used" time may be: a key in constant use is
    /// written once per this, not at every flush; a first use is written at the next flush
    /// [default: 60s].
    #[arg(long, env = "KEYWARD_LAST_USED_RESOLUTION", value_name = "DURATION", value_parser = parse_duration)]
    pub last_used_resolution: Option<Duration>,

    /// How long usage counts (verifications per key per hour) are kept; older hours are deleted
    /// about once an hour. At least 1h [default: 90d].
    #[arg(long, env = "KEYWARD_USAGE_RETENTION", value_name = "DURATION", value_parser = parse_duration)]
    pub usage_retention: Option<Duration>,

    /// Most credits of one key this node leases from the stored balance at a time: what a crash
    /// of the node can lose at most, and how many requests one store write serves [default: 100].
    #[arg(long, env = "KEYWARD_CREDIT_LEASE", value_name = "CREDITS", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub credit_lease: Option<u64>,

    /// Most keys held by the verification cache [default: 1000000].
    #[arg(
        long,
        env = "KEYWARD_CACHE_MAX_ENTRIES",
        value_name = "N",
        help_heading = "Cache"
    )]
    pub cache_max_entries: Option<u64>,

    /// How long a found key is served from the cache before it is read again (changes on any node
    /// drop it at once; while the database is away it is served on, within the stale window)
    /// [default: 60s].
    #[arg(long, env = "KEYWARD_CACHE_POSITIVE_TTL", value_name = "DURATION",
          value_parser = parse_duration, help_heading = "Cache")]
    pub cache_positive_ttl: Option<Duration>,

    /// How long an unknown secret stays cached as unknown (creating a key on any node drops its
    /// entry at once; this is the backstop) [default: 30s].
    #[arg(long, env = "KEYWARD_CACHE_NEGATIVE_TTL", value_name = "DURATION",
          value_parser = parse_duration, help_heading = "Cache")]
    pub cache_negative_ttl: Option<Duration>,

    /// How long cached verifications are still served after the database's change feed broke
    /// (PostgreSQL); after that every verification needs the database [default: 5m].
    #[arg(long, env = "KEYWARD_CACHE_STALE_WINDOW", value_name = "DURATION",
          value_parser = parse_duration, help_heading = "Cache")]
    pub cache_stale_window: Option<Duration>,

    /// Redis holding the rate limits and quotas shared by many nodes, e.g.
    /// `redis://127.0.0.1:6379` [default: none: counted in each node's memory].
    // hide_env_values: the URL may hold a password, and `--help` would print it.
    #[arg(
        long = "redis-url",
        env = "KEYWARD_REDIS_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub redis_url: Option<String>,

    /// The wire generation the SpaceONE gRPC service speaks: `1.5` (spaceone-api 1.2.2-1.5.1) or
    /// `1.12` (spaceone-api 1.12.x-2.0.x); the REST paths of both are always served
    /// [default: 1.5].
    #[arg(long, env = "KEYWARD_SPACEONE_GENERATION", value_name = "GENERATION",
          value_parser = parse_spaceone_generation)]
    pub spaceone_generation: Option<Generation>,
    /// File holding the Redis URL (it may carry a password). Not with --redis-url/KEYWARD_REDIS_URL.
    #[arg(long, env = "KEYWARD_REDIS_URL_FILE", value_name = "PATH")]
    pub redis_url_file: Option<PathBuf>,

    /// Log filter, e.g. `info` or `keyward=debug,tower_http=info` (or RUST_LOG) [default: info].
    #[arg(long = "log", env = "KEYWARD_LOG", value_name = "FILTER")]
    pub log_filter: Option<String>,

    /// Log lines as `text` (for people) or `json` (one object a line, for log shippers)
    /// [default: text].
    #[arg(long, env = "KEYWARD_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,

    /// Log verifications at INFO: `off`, `refusals` or `all` (they are always counted in the
    /// metrics) [default: off].
    #[arg(long, env = "KEYWARD_LOG_VERIFICATIONS", value_name = "WHICH")]
    pub log_verifications: Option<VerificationLog>,

    /// Serve Prometheus metrics at GET /metrics [default: true].
    #[arg(
        long,
        env = "KEYWARD_METRICS",
        value_name = "BOOL",
        help_heading = "Metrics"
    )]
    pub metrics: Option<bool>,

    /// Serve /metrics on this address instead of the main one [default: the main address].
    #[arg(
        long,
        env = "KEYWARD_METRICS_LISTEN",
        value_name = "ADDR",
        help_heading = "Metrics"
    )]
    pub metrics_listen: Option<SocketAddr>,

    /// File holding a bearer token /metrics requires (`Authorization: Bearer <token>`)
    /// [default: none: open].
    #[arg(
        long,
        env = "KEYWARD_METRICS_TOKEN_FILE",
        value_name = "PATH",
        help_heading = "Metrics"
    )]
    pub metrics_token_file: Option<PathBuf>,
}

/// `10.0.0.0/8`, `2001:db8::/32`, or a bare address meaning that one host.
pub fn parse_cidr(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<std::net::IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("`{text}` is not a CIDR such as 10.0.0.0/8 or an IP address"))
}

/// `1.5` or `1.12`.
fn parse_spaceone_generation(text: &str) -> Result<Generation, String> {
    text.parse()
}
