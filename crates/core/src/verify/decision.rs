//! The outcome of a verification: a stable reason code and, when valid, the key's identity.

use std::sync::Arc;

use serde::Serialize;

use super::snapshot::KeySnapshot;
use super::usage::UsageReport;

/// Why a verification succeeded or failed. The wire names are stable API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    Valid,
    /// Not keyward's format or a wrong checksum: refused before any lookup.
    Malformed,
    NotFound,
    Disabled,
    /// The key, or this secret's rotation grace period, has expired.
    Expired,
    IpNotAllowed,
    NotSubscribed,
    InsufficientScope,
    RateLimited,
    UsageExceeded,
}

impl Reason {
    pub const ALL: &'static [Reason] = &[
        Reason::Valid,
        Reason::Malformed,
        Reason::NotFound,
        Reason::Disabled,
        Reason::Expired,
        Reason::IpNotAllowed,
        Reason::NotSubscribed,
        Reason::InsufficientScope,
        Reason::RateLimited,
        Reason::UsageExceeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Valid => "VALID",
            Reason::Malformed => "MALFORMED",
            Reason::NotFound => "NOT_FOUND",
            Reason::Disabled => "DISABLED",
            Reason::Expired => "EXPIRED",
            Reason::IpNotAllowed => "IP_NOT_ALLOWED",
            Reason::NotSubscribed => "NOT_SUBSCRIBED",
            Reason::InsufficientScope => "INSUFFICIENT_SCOPE",
            Reason::RateLimited => "RATE_LIMITED",
            Reason::UsageExceeded => "USAGE_EXCEEDED",
        }
    }

    /// Its index in [`Reason::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Failures a gateway should answer 401 (no usable credential) rather than 403 (a real key
    /// that may not do this).
    pub fn is_unauthenticated(self) -> bool {
        matches!(
            self,
            Reason::Malformed | Reason::NotFound | Reason::Disabled | Reason::Expired
        )
    }
}

/// A verification decision. Holds the key's snapshot only when the key is valid.
#[derive(Debug, Clone)]
pub struct Decision {
    pub reason: Reason,
    pub key: Option<Arc<KeySnapshot>>,
    /// The key's limits and credits after the request, when it has any (valid, or refused as
    /// `RATE_LIMITED` / `USAGE_EXCEEDED`).
    pub usage: Option<Box<UsageReport>>,
}

impl Decision {
    pub fn is_valid(&self) -> bool {
        self.reason == Reason::Valid
    }

    pub(crate) fn deny(reason: Reason) -> Self {
        Self {
            reason,
            key: None,
            usage: None,
        }
    }
}
