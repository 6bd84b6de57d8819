//! Allowed client networks of a key.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::error::ValidationError;
use crate::model::text::{Name, LIST_MAX};

/// One allowed network, optionally named (SpaceONE `Acls{name, cidr}`).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct AllowedCidr {
    pub name: Option<Name>,
    #[serde(serialize_with = "serialize_display")]
    pub cidr: IpNet,
}

fn serialize_display<S: serde::Serializer>(net: &IpNet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(net)
}

impl AllowedCidr {
    /// Accepts `10.0.0.0/8`, `2001:db8::/32`, or a bare address (meaning that one host).
    /// Host bits are cleared, so `10.1.2.3/8` is stored as `10.0.0.0/8`.
    pub fn parse(name: Option<String>, cidr: &str) -> Result<Self, ValidationError> {
        let name = name
            .filter(|n| !n.is_empty())
            .map(|n| Name::parse("allowed_cidrs.name", n))
            .transpose()?;
        let cidr = cidr.trim();
        let net = match cidr.parse::<IpNet>() {
            Ok(net) => net.trunc(),
            Err(_) => match cidr.parse::<IpAddr>() {
                Ok(addr) => IpNet::from(addr),
                Err(_) => {
                    return Err(ValidationError::new(
                        "allowed_cidrs.cidr",
                        "must be a CIDR such as 10.0.0.0/8 or an IP address",
                    ))
                }
            },
        };
        Ok(Self { name, cidr: net })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(&canonical(ip))
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are compared as the IPv4 address they carry.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

impl fmt::Debug for AllowedCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name}={}", self.cidr),
            None => write!(f, "{}", self.cidr),
        }
    }
}

/// At most 100 allowed networks. Empty means "any address".
pub fn check_cidr_count(cidrs: &[AllowedCidr]) -> Result<(), ValidationError> {
    if cidrs.len() > LIST_MAX {
        return Err(ValidationError::new(
            "allowed_cidrs",
            "must have at most 100 items",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_networks_and_hosts() {
        let net = AllowedCidr::parse(None, "10.1.2.3/8").expect("valid");
        assert_eq!(net.cidr.to_string(), "10.0.0.0/8");
        let host = AllowedCidr::parse(Some("office".into()), "192.0.2.7").expect("valid");
        assert_eq!(host.cidr.to_string(), "192.0.2.7/32");
        assert!(AllowedCidr::parse(None, "10.0.0.0/33").is_err());
        assert!(AllowedCidr::parse(None, "nonsense").is_err());
    }

    #[test]
    fn mapped_addresses_match_v4_networks() {
        let net = AllowedCidr::parse(None, "10.0.0.0/8").expect("valid");
        assert!(net.contains("::ffff:10.0.0.1".parse().expect("ip")));
        assert!(!net.contains("11.0.0.1".parse().expect("ip")));
    }
}
