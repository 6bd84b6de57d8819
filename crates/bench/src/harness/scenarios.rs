//! What the harness measures: each scenario is one wrk request template, run against keyward and
//! (unchanged) against the ceiling server.

use std::path::Path;

use super::limits::{EXACT_LIMIT, LOCAL_LIMIT};
use super::nginx::NGINX_GATEWAY;
use super::wrk::Template;

/// The filtered list page the harness asks for: the bench domain's disabled keys (100,000 of the
/// million), newest first, 50 to a page.
pub const LIST_QUERY: &str = "/v1/keys?state=disabled&limit=50";

/// The verify load whose database writes the harness counts.
pub const VALID_KEYS: &str = "GET /v1/auth, valid keys";

/// The key files a scenario reads (one value per line), in the harness's work directory.
pub struct Files<'a> {
    /// Valid keys without limits.
    pub valid: &'a Path,
    /// Valid keys with a `local` rate limit, and with an `exact` one (disjoint from `valid`).
    pub limited_local: &'a Path,
    pub limited_exact: &'a Path,
    pub unknown: &'a Path,
    pub bad_checksum: &'a Path,
    pub key_ids: &'a Path,
    pub owners: &'a Path,
}

/// One measured request stream.
pub struct Scenario {
    pub name: &'static str,
    pub template: Template,
    /// Whether keyward should answer 2xx (else 4xx, for refused keys).
    pub expect_success: bool,
    /// Connections for this scenario instead of the run's (`Some(1)`: service time, no queue).
    pub connections: Option<u32>,
    /// The keyward that serves it.
    pub node: Node,
    /// Also reported as a ratio to `GET /v1/auth, valid keys` of the same round.
    pub vs_plain: bool,
}

/// Which keyward a scenario runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// `keyward serve` without Redis: limits are counted in its memory.
    Plain,
    /// `keyward serve --redis-url`: `exact` limits are counted in Redis.
    Redis,
    /// nginx with the README's snippet in front of the plain keyward and the ceiling server,
    /// compared with nginx alone in front of the ceiling (`nginx.rs`).
    Nginx,
}

pub fn all(files: &Files<'_>, admin_secret: &str, run_tag: &str) -> Vec<Scenario> {
    let admin = || {
        vec![
            ("Authorization".to_owned(), format!("Bearer {admin_secret}")),
            ("Content-Type".to_owned(), "application/json".to_owned()),
        ]
    };
    let gateway = |keys: &Path| Template {
        method: "GET",
        path: "/v1/auth".into(),
        headers: vec![("X-API-Key".into(), "{key}".into())],
        body: None,
        keys: Some(keys.to_path_buf()),
        count_statuses: false,
    };
    vec![
        Scenario {
            name: VALID_KEYS,
            template: gateway(files.valid),
            expect_success: true,
            connections: None,
            node: Node::Plain,
            vs_plain: false,
        },
        Scenario {
            name: LOCAL_LIMIT,
            template: gateway(files.limited_local),
            expect_success: true,
            connections: None,
            node: Node::Plain,
            vs_plain: true,
        },
        Scenario {
            name: EXACT_LIMIT,
            template: gateway(files.limited_exact),
            expect_success: true,
            connections: None,
            node: Node::Redis,
            vs_plain: true,
        },
        Scenario {
            name: NGINX_GATEWAY,
            template: Template {
                path: super::nginx::PATH.into(),
                ..gateway(files.valid)
            },
            expect_success: true,
            connections: None,
            node: Node::Nginx,
            vs_plain: false,
        },
        Scenario {
            name: "GET /v1/auth, unknown keys",
            template: gateway(files.unknown),
            expect_success: false,
            connections: None,
            node: Node::Plain,
            vs_plain: false,
        },
        Scenario {
            name: "GET /v1/auth, bad checksum",
            template: gateway(files.bad_checksum),
            expect_success: false,
            connections: None,
            node: Node::Plain,
            vs_plain: false,
        },
        Scenario {
            name: "POST /v1/keys/verify",
            template: verify_post(files.valid),
            expect_success: true,
            connections: None,
            node: Node::Plain,
            vs_plain: false,
        },
        Scenario {
            name: "POST /v1/keys (create)",
            template: Template {
                method: "POST",
                path: "/v1/keys".into(),
                headers: admin(),
                body: Some(format!(
                    r#"{{"owner_id":"{{key}}","name":"lt-{run_tag}-{{t}}-{{id}}-{{n}}"}}"#
                )),
                keys: Some(files.owners.to_path_buf()),
                count_statuses: true,
            },
            expect_success: true,
            connections: None,
            node: Node::Plain,
            vs_plain: false,
        },
        Scenario {
            name: "GET /v1/keys (filtered page of 50)",
            template: Template {
                method: "GET",
                path: LIST_QUERY.into(),
                headers: admin(),
                body: None,
                keys: None,
                count_statuses: true,
            },
            expect_success: true,
            connections: None,
            node: Node::Plain,
            vs_plain: false,
        },
        Scenario {
            name: "GET /v1/keys (page of 50), 1 connection",
            template: Template {
                method: "GET",
                path: LIST_QUERY.into(),
                headers: admin(),
                body: None,
                keys: None,
                count_statuses: true,
            },
            expect_success: true,
            connections: Some(1),
            node: Node::Plain,
            vs_plain: false,
        },
        Scenario {
            name: "GET /v1/keys/{id}",
            template: Template {
                method: "GET",
                path: "/v1/keys/{key}".into(),
                headers: admin(),
                body: None,
                keys: Some(files.key_ids.to_path_buf()),
                count_statuses: true,
            },
            expect_success: true,
            connections: None,
            node: Node::Plain,
            vs_plain: false,
        },
    ]
}

/// `POST /v1/keys/verify` with each key in turn.
pub fn verify_post(keys: &Path) -> Template {
    Template {
        method: "POST",
        path: "/v1/keys/verify".into(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Some(r#"{"key":"{key}"}"#.into()),
        keys: Some(keys.to_path_buf()),
        count_statuses: false,
    }
}
