//! How a node reaches Redis and counts there.

use std::fmt;
use std::time::Duration;

use keyward_core::usage::LimitMode;

/// The default key prefix: every key keyward writes starts with it.
pub const DEFAULT_PREFIX: &str = "keyward:";
/// How long a Redis call may take before the node counts alone (fallback).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(150);
/// How often a node heartbeats, reconciles its `local` counters and, in fallback, retries Redis.
pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(250);
/// The most counters each in-memory limiter (local mode, fallback) holds.
pub const DEFAULT_MAX_COUNTERS: u64 = 1_000_000;

#[derive(Clone)]
pub struct RedisConfig {
    /// `redis://[user:password@]host:port[/db]`; printed only through [`redact_url`].
    pub url: String,
    pub prefix: String,
    /// The mode of a limit that names none.
    pub default_mode: LimitMode,
    pub timeout: Duration,
    pub interval: Duration,
    pub max_counters: u64,
}

impl RedisConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: DEFAULT_PREFIX.into(),
            default_mode: LimitMode::Exact,
            timeout: DEFAULT_TIMEOUT,
            interval: DEFAULT_INTERVAL,
            max_counters: DEFAULT_MAX_COUNTERS,
        }
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &redact_url(&self.url))
            .field("prefix", &self.prefix)
            .field("default_mode", &self.default_mode)
            .field("timeout", &self.timeout)
            .field("interval", &self.interval)
            .field("max_counters", &self.max_counters)
            .finish()
    }
}

/// The URL with its password replaced by `***` (`redis://:***@host:6379`), fit for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The last `@` ends the user info, even when a careless password holds `@` or `/`.
    match rest.rfind('@') {
        Some(at) => {
            let (userinfo, host) = rest.split_at(at);
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_password_never_prints() {
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(
            redact_url("redis://:s3cret@cache:6379/2"),
            "redis://:***@cache:6379/2"
        );
        assert_eq!(
            redact_url("rediss://app:p@ss/w@rd@cache:6380"),
            "rediss://app:***@cache:6380"
        );
        assert_eq!(redact_url("redis://app@cache"), "redis://app@cache");
    }
}
