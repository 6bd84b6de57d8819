//! Lists: every filter operator kind on keys and principals, ANDed parameters, sorts, and cursor
//! pagination that visits every row exactly once in the order of a single big page.

mod filters;
mod pages;

use std::collections::BTreeSet;

use keyward_testkit::app::TestApp;
use keyward_testkit::fixtures::{id_of, rfc3339, unique};
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// A domain with no admin key in it, so its lists hold only what the test made.
pub struct Fixture {
    pub domain: String,
    pub p1: String,
    pub p2: String,
    /// Key ids by name.
    pub ids: Vec<(String, String)>,
    /// `created_at` of the i-th key.
    pub times: Vec<OffsetDateTime>,
    pub rotated_at: OffsetDateTime,
}

impl Fixture {
    pub fn id(&self, name: &str) -> &str {
        &self
            .ids
            .iter()
            .find(|(n, _)| n == name)
            .expect("a fixture key")
            .1
    }
}

pub async fn fixture(app: &TestApp) -> Fixture {
    let root = &app.root_token;
    let domain = id_of(&app.create_domain(&unique("lists")).await);
    let principal =
        |kind: &str, name: &str| json!({"kind": kind, "name": name, "domain_id": domain});
    let p1 = id_of(
        &app.create_principal(root, principal("service_account", "svc-one"))
            .await,
    );
    let p2 = id_of(&app.create_principal(root, principal("user", "Alice")).await);
    let now = app.clock.now();
    let specs = [
        (
            &p1,
            json!({"name": "ci-alpha", "roles": ["reader"], "scopes": ["a"],
                     "expires_at": rfc3339(now + Duration::days(10))}),
        ),
        (
            &p1,
            json!({"name": "ci-beta", "type": "system", "state": "disabled",
                     "roles": ["reader", "writer"], "scopes": ["b"]}),
        ),
        (
            &p2,
            json!({"name": "deploy:prod", "type": "delegation", "description": "Production"}),
        ),
        (
            &p2,
            json!({"name": "Deploy-staging", "type": "domain", "roles": ["writer"],
                     "expires_at": rfc3339(now + Duration::days(1))}),
        ),
        (&p2, json!({"name": "a:b"})),
    ];
    let mut ids = Vec::new();
    let mut times = Vec::new();
    for (owner, body) in specs {
        app.clock.advance(Duration::minutes(1));
        times.push(app.clock.now());
        let key = app.create_key(root, owner, body).await;
        ids.push((key.key["name"].as_str().expect("name").to_owned(), key.id));
    }
    app.clock.advance(Duration::minutes(1));
    let rotated_at = app.clock.now();
    let a_b = ids.last().expect("a:b").1.clone();
    app.post_empty(root, &format!("/v1/keys/{a_b}/rotate"))
        .await
        .expect_status(200);
    Fixture {
        domain,
        p1,
        p2,
        ids,
        times,
        rotated_at,
    }
}

pub async fn key_names(app: &TestApp, f: &Fixture, query: &str) -> BTreeSet<String> {
    let path = format!("/v1/keys?domain_id={}&limit=1000&{query}", f.domain);
    let items = app.get(&app.root_token, &path).await;
    assert_eq!(items.status, 200, "{query}: {}", items.text);
    items
        .items()
        .iter()
        .map(|k| k["name"].as_str().expect("name").to_owned())
        .collect()
}

pub fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

pub const ALL: [&str; 5] = [
    "ci-alpha",
    "ci-beta",
    "deploy:prod",
    "Deploy-staging",
    "a:b",
];

pub fn all_but(excluded: &[&str]) -> BTreeSet<String> {
    ALL.iter()
        .filter(|n| !excluded.contains(n))
        .map(|n| (*n).to_owned())
        .collect()
}

pub fn enc(time: OffsetDateTime) -> String {
    rfc3339(time).replace('+', "%2B")
}
