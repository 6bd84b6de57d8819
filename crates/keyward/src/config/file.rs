//! The TOML configuration file: every setting optional, unknown keys refused (a typo such as
//! `listn` should fail loudly, not be ignored).
//!
//! ```toml
//! listen = "0.0.0.0:8080"
//! database_url = "postgres://keyward:secret@db/keyward"
//! database_max_connections = 20
//! pepper_file = "/etc/keyward/pepper"
//! master_key_file = "/etc/keyward/master.key"
//! trusted_proxies = ["10.0.0.0/8"]
//! root_key_file = "/var/lib/keyward/root.key"
//! body_limit_bytes = 262144
//! max_connections = 4096
//! header_read_timeout = "10s"
//! body_read_timeout = "30s"
//! idle_timeout = "75s"
//! drain_timeout = "30s"
//! flush_interval = "1s"
//! last_used_resolution = "60s"
//! usage_retention = "90d"
//! credit_lease = 100
//! log = "info"
//! redis_url = "redis://:secret@cache.internal:6379"
//!
//! [gateway]
//! strip_key = true
//!
//! [cache]
//! max_entries = 1000000
//! positive_ttl = "60s"
//! negative_ttl = "30s"
//! stale_window = "5m"
//!
//! [gateway]            # see `config/gateway.rs` and docs/gateways.md
//! key_sources = ["bearer", "api-key", "header:x-api-key", "header:x-ncp-apigw-api-key"]
//!
//! [[gateway.routes]]
//! path = "/billing/**"
//! methods = ["POST", "PUT"]
//! scopes = ["billing:write"]
//!
//! [spaceone]
//! generation = "1.12"   # the gRPC wire generation: "1.5" (default) or "1.12"
//! ```
//!
//! Relative paths are relative to the working directory, as they are on the command line. The
//! pepper itself cannot be written here: keep it in its own file (`pepper_file`) whose
//! permissions can be tighter than the configuration's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use super::duration::serde_opt;

/// The file's contents. Absent keys leave the layer below in place.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub database_url: Option<String>,
    /// The database URL in a file of its own (it may carry a password).
    pub database_url_file: Option<PathBuf>,
    pub database_max_connections: Option<u32>,
    pub pepper_file: Option<PathBuf>,
    /// The master key sealing access keys' secret keys (NCP signature v2), in its own file.
    pub master_key_file: Option<PathBuf>,
    pub trusted_proxies: Option<Vec<String>>,
    pub root_key_file: Option<PathBuf>,
    pub body_limit_bytes: Option<usize>,
    pub max_connections: Option<usize>,
    #[serde(default, with = "serde_opt")]
    pub header_read_timeout: Option<Duration>,
    #[serde(default, with = "serde_opt")]
    pub body_read_timeout: Option<Duration>,
    #[serde(default, with = "serde_opt")]
    pub idle_timeout: Option<Duration>,
    #[serde(default, with = "serde_opt")]
    pub drain_timeout: Option<Duration>,
    #[serde(default, with = "serde_opt")]
    pub flush_interval: Option<Duration>,
    #[serde(default, with = "serde_opt")]
    pub last_used_resolution: Option<Duration>,
    #[serde(default, with = "serde_opt")]
    pub usage_retention: Option<Duration>,
    pub credit_lease: Option<u64>,
    pub log: Option<String>,
    /// Rate limits and quotas shared by many nodes through this Redis.
    pub redis_url: Option<String>,
    pub redis_url_file: Option<PathBuf>,
    pub log_format: Option<super::LogFormat>,
    pub log_verifications: Option<super::VerificationLog>,
    pub metrics: Option<bool>,
    pub metrics_listen: Option<SocketAddr>,
    pub metrics_token_file: Option<PathBuf>,
    #[serde(default)]
    pub cache: FileCache,
    /// How gateway checks read a request (`config/gateway.rs`).
    #[serde(default)]
    pub gateway: super::gateway::FileGateway,
    #[serde(default)]
    pub spaceone: FileSpaceone,
}

/// `[spaceone]`: the SpaceONE face.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpaceone {
    /// `"1.5"` or `"1.12"`, checked when the layers are resolved.
    pub generation: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCache {
    pub max_entries: Option<u64>,
    #[serde(default, with = "serde_opt")]
    pub positive_ttl: Option<Duration>,
    #[serde(default, with = "serde_opt")]
    pub negative_ttl: Option<Duration>,
    #[serde(default, with = "serde_opt")]
    pub stale_window: Option<Duration>,
}

impl FileConfig {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid configuration file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        // toml's message names the line, the column and the key; keep it whole.
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", e.to_string().trim_end()))
    }
}
