//! The settings of what keyward tells its operators: the log's format, which verifications are
//! logged, and Prometheus metrics (`/metrics`, where, and behind which token).

use std::fmt;
use std::net::SocketAddr;

use serde::Deserialize;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people: one line per event, the span's fields in front.
    #[default]
    Text,
    /// For log shippers: one JSON object per line.
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// Which verifications are logged at INFO (all are counted in the metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum VerificationLog {
    #[default]
    Off,
    Refusals,
    All,
}

impl VerificationLog {
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationLog::Off => "off",
            VerificationLog::Refusals => "refusals",
            VerificationLog::All => "all",
        }
    }

    /// The core's setting.
    pub fn to_core(self) -> keyward_core::verify::LogVerifications {
        use keyward_core::verify::LogVerifications;
        match self {
            VerificationLog::Off => LogVerifications::Off,
            VerificationLog::Refusals => LogVerifications::Refusals,
            VerificationLog::All => LogVerifications::All,
        }
    }
}

/// `GET /metrics`: whether it is served, where, and the token it requires.
#[derive(Debug, Clone)]
pub struct MetricsSettings {
    pub enabled: bool,
    /// A separate address for `/metrics` (then not served on the main one).
    pub listen: Option<SocketAddr>,
    pub token: Option<MetricsToken>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: None,
            token: None,
        }
    }
}

/// The bearer token `/metrics` requires. Never printed.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// Longest token accepted: a scrape presents it in a header line.
    const MAX_LEN: usize = 4096;

    pub fn new(token: String) -> Result<Self, &'static str> {
        if token.is_empty() {
            return Err("is empty");
        }
        if token.len() > Self::MAX_LEN {
            return Err("is longer than 4096 bytes");
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be printable ASCII without spaces");
        }
        Ok(Self(token))
    }

    /// Whether `presented` is this token, in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_only_itself_and_never_prints() {
        let token = MetricsToken::new("s3cr3t-token".into()).expect("a valid token");
        assert!(token.matches("s3cr3t-token"));
        assert!(!token.matches("s3cr3t-tokem"));
        assert!(!token.matches("s3cr3t"));
        assert!(!format!("{token:?}").contains("s3cr3t"));
        assert!(MetricsToken::new(String::new()).is_err());
        assert!(MetricsToken::new("has space".into()).is_err());
    }
}
