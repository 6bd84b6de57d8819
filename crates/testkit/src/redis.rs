//! The Redis server for the multi-node usage tests, named by `KEYWARD_TEST_REDIS_URL` (e.g.
//! `redis://127.0.0.1:6379`). Redis is shared with whatever else runs there, so each test keeps
//! to a key prefix of its own ([`unique_prefix`]) and never flushes anything.
//!
//! Without the variable a test says loudly that it was skipped; under `CI=true` it fails instead,
//! as the PostgreSQL tests do.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Once;

/// The environment variable naming the Redis server for tests.
pub const REDIS_URL_VAR: &str = "KEYWARD_TEST_REDIS_URL";

/// The Redis URL for tests, when one is configured.
pub fn redis_url() -> Option<String> {
    std::env::var(REDIS_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// The Redis URL, or `None` after announcing that `test` is skipped. Panics under `CI=true`.
pub fn redis_or_skip(test: &str) -> Option<String> {
    if let Some(url) = redis_url() {
        return Some(url);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but {REDIS_URL_VAR} is unset: the Redis tests must not be skipped in CI"
    );
    static BANNER: Once = Once::new();
    // Straight to stderr, past the harness's capture, so the skip is seen.
    BANNER.call_once(|| {
        let bar = "!".repeat(78);
        let _ = writeln!(
            std::io::stderr(),
            "\n{bar}\n!! keyward-testkit: Redis (shared usage counters) tests SKIPPED: {REDIS_URL_VAR} not set\n\
             !! (e.g. {REDIS_URL_VAR}=redis://127.0.0.1:6379)\n{bar}\n"
        );
    });
    let _ = writeln!(std::io::stderr(), "keyward-testkit: SKIPPED {test}");
    None
}

/// A key prefix no other test (or run) uses.
pub fn unique_prefix() -> String {
    format!("keyward-test:{}:", uuid::Uuid::now_v7().simple())
}

/// The address of the Redis server a `redis://` URL names (port 6379 unless given).
pub async fn redis_addr(url: &str) -> SocketAddr {
    let rest = &url[url.find("://").map_or(0, |i| i + 3)..];
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = rest.split(['/', '?']).next().expect("a host");
    let host = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    };
    tokio::net::lookup_host(host)
        .await
        .expect("the Redis host resolves")
        .next()
        .expect("an address")
}

/// `url` with its host and port replaced by `addr` (to go through a relay).
pub fn redis_url_via(url: &str, addr: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    let (userinfo, host_and_path) = match rest.rsplit_once('@') {
        Some((userinfo, rest)) => (format!("{userinfo}@"), rest),
        None => (String::new(), rest),
    };
    let path = host_and_path
        .find(['/', '?'])
        .map_or("", |at| &host_and_path[at..]);
    format!("{scheme}://{userinfo}{addr}{path}")
}
