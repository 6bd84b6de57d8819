//! Who is calling: the TCP peer, unless the peer is a trusted proxy, in which case the right-most
//! `X-Forwarded-For` address that is not itself a trusted proxy.
//!
//! Why right-most: each proxy appends the address it received the request from, so the entries to
//! the right were written by proxies we trust and everything to the left of the first untrusted
//! entry may have been written by the client. Reading from the left would let any client choose
//! its own address and walk past a key's IP allow-list.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use ipnet::IpNet;
use keyward_core::model::cidr::canonical;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client address for a request that arrived from `peer`. Allocation-free: it runs on the
/// gateway's hot path.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = canonical(peer);
    if !is_trusted(peer, trusted) {
        return peer;
    }
    // The nearest hop we have seen so far; it is what we answer when the chain ends or breaks.
    let mut nearest = peer;
    // Several header lines form one list, in order; walk it from the right.
    for value in headers.get_all(X_FORWARDED_FOR).iter().rev() {
        let Ok(text) = value.to_str() else {
            return nearest;
        };
        for item in text.rsplit(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let Some(ip) = parse_hop(item) else {
                // A trusted proxy wrote something we cannot read: stop at the hop that sent it.
                return nearest;
            };
            let ip = canonical(ip);
            if !is_trusted(ip, trusted) {
                return ip;
            }
            nearest = ip;
        }
    }
    nearest
}

/// Whether `ip` is one of the `trusted` proxies (whose word on the client address is believed).
pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = canonical(ip);
    trusted.iter().any(|net| net.contains(&ip))
}

/// Accepts `203.0.113.9`, `2001:db8::1`, `[2001:db8::1]`, and either with a port.
fn parse_hop(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().expect("test net")).collect()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(v).expect("ascii"));
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = nets(&["10.0.0.0/8"]);
        let got = resolve(ip("198.51.100.7"), &xff(&["1.2.3.4"]), &trusted);
        assert_eq!(got, ip("198.51.100.7"));
        assert_eq!(
            resolve(ip("198.51.100.7"), &xff(&[]), &[]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_trusted_peer_hands_over_the_right_most_untrusted_hop() {
        let trusted = nets(&["10.0.0.0/8"]);
        let headers = xff(&["6.6.6.6, 203.0.113.9, 10.0.0.2"]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &headers, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn several_header_lines_are_one_list() {
        let trusted = nets(&["10.0.0.0/8"]);
        let headers = xff(&["6.6.6.6", "203.0.113.9", "10.0.0.3"]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &headers, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_spoofed_left_entry_cannot_win() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client sent "X-Forwarded-For: 10.9.9.9"; the proxy appended the real address.
        let headers = xff(&["10.9.9.9, 198.51.100.7"]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &headers, &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn without_a_header_or_with_only_proxies_the_furthest_proxy_answers() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(resolve(ip("10.0.0.1"), &xff(&[]), &trusted), ip("10.0.0.1"));
        let headers = xff(&["10.0.0.5, 10.0.0.2"]);
        assert_eq!(resolve(ip("10.0.0.1"), &headers, &trusted), ip("10.0.0.5"));
    }

    #[test]
    fn garbage_stops_the_walk_at_the_hop_that_wrote_it() {
        let trusted = nets(&["10.0.0.0/8"]);
        let headers = xff(&["203.0.113.9, unknown, 10.0.0.2"]);
        assert_eq!(resolve(ip("10.0.0.1"), &headers, &trusted), ip("10.0.0.2"));
    }

    #[test]
    fn ports_brackets_ipv6_and_mapped_addresses_are_understood() {
        let trusted = nets(&["10.0.0.0/8", "fd00::/8"]);
        let headers = xff(&["[2001:db8::1]:443"]);
        assert_eq!(
            resolve(ip("fd00::1"), &headers, &trusted),
            ip("2001:db8::1")
        );
        let headers = xff(&["203.0.113.9:5555 , "]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &headers, &trusted),
            ip("203.0.113.9")
        );
        let headers = xff(&["[2001:db8::2]"]);
        assert_eq!(
            resolve(ip("10.0.0.1"), &headers, &trusted),
            ip("2001:db8::2")
        );
        // An IPv4 proxy seen over a dual-stack socket is still the trusted proxy.
        let headers = xff(&["203.0.113.9"]);
        assert_eq!(
            resolve(ip("::ffff:10.0.0.1"), &headers, &trusted),
            ip("203.0.113.9")
        );
    }
}
