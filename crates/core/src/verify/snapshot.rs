//! The immutable view of one secret's key that the verify path needs, shared through the cache.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use ipnet::IpNet;
use time::OffsetDateTime;

use crate::ids::{DomainId, KeyId, PrincipalId};
use crate::model::{cidr::canonical, ApiKey, KeyState, SecretInfo, TokenSet};

/// Everything verification checks, for one secret of one key. Built once per cache fill.
#[derive(Debug)]
pub struct KeySnapshot {
    pub key_id: KeyId,
    pub domain: DomainId,
    pub owner: PrincipalId,
    pub name: String,
    pub enabled: bool,
    pub expires_at: Option<OffsetDateTime>,
    /// The earlier of the key's expiry and this secret's grace expiry.
    pub secret_expires_at: Option<OffsetDateTime>,
    pub allowed: Vec<IpNet>,
    pub roles: TokenSet,
    pub scopes: TokenSet,
    /// Unix micros of the latest successful use not yet flushed; see `LastUsed`.
    pub(crate) last_used_micros: AtomicI64,
    pub(crate) pending: AtomicBool,
}

impl KeySnapshot {
    pub fn new(key: &ApiKey, secret: &SecretInfo) -> Self {
        Self {
            key_id: key.id,
            domain: key.domain,
            owner: key.owner,
            name: key.name.as_str().to_owned(),
            enabled: key.state == KeyState::Enabled,
            expires_at: key.expires_at,
            secret_expires_at: secret.expires_at,
            allowed: key.allowed_cidrs.iter().map(|c| c.cidr).collect(),
            roles: key.roles.clone(),
            scopes: key.scopes.clone(),
            last_used_micros: AtomicI64::new(0),
            pending: AtomicBool::new(false),
        }
    }

    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
            || self.secret_expires_at.is_some_and(|at| now >= at)
    }

    /// Empty allow-list means any address. A key with an allow-list refuses unknown addresses.
    pub fn allows_ip(&self, ip: Option<IpAddr>) -> bool {
        if self.allowed.is_empty() {
            return true;
        }
        match ip {
            Some(ip) => {
                let ip = canonical(ip);
                self.allowed.iter().any(|net| net.contains(&ip))
            }
            None => false,
        }
    }

    pub fn has_scopes<'a>(&self, required: impl IntoIterator<Item = &'a str>) -> bool {
        required.into_iter().all(|s| self.scopes.contains(s))
    }

    pub(crate) fn mark_used(&self, now: OffsetDateTime) -> bool {
        let micros = (now.unix_timestamp_nanos() / 1_000) as i64;
        self.last_used_micros.fetch_max(micros, Ordering::Relaxed);
        !self.pending.swap(true, Ordering::AcqRel)
    }
}
