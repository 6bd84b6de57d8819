//! `GET /metrics`: after known traffic, the counts by face and reason are what was sent — on the
//! gateway's fast path (`/v1/auth`, answered before the router), on the native verify and on a
//! vendor face; HTTP requests are counted under their route pattern, never the raw path; the
//! metrics move to `metrics_listen` when it is set, require the token when one is set, and are
//! gone when `metrics = false`.

use std::collections::HashMap;

use keyward_testkit::app::{spawn_app_with, AppOptions, TestApp};
use keyward_testkit::fixtures::{id_of, typo_of, unique, unknown_secret};
use reqwest::Method;
use serde_json::json;

/// The samples of a text exposition: `name{labels}` (labels sorted) → value.
fn parse(exposition: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in exposition.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        let value: f64 = value.parse().expect("a number");
        let key = match series.split_once('{') {
            Some((name, labels)) => {
                let mut labels: Vec<&str> = labels.trim_end_matches('}').split(',').collect();
                labels.sort_unstable();
                format!("{name}{{{}}}", labels.join(","))
            }
            None => series.to_owned(),
        };
        samples.insert(key, value);
    }
    samples
}

fn verifications(samples: &HashMap<String, f64>, face: &str, reason: &str) -> f64 {
    let key = format!("keyward_verifications_total{{face=\"{face}\",reason=\"{reason}\"}}");
    *samples
        .get(&key)
        .unwrap_or_else(|| panic!("{key} is exposed (every face and reason is, from the start)"))
}

async fn scrape(app: &TestApp, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server answers")
}

async fn samples(app: &TestApp) -> HashMap<String, f64> {
    let response = scrape(app, &app.url("/metrics"), None).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().expect("ascii");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    parse(&response.text().await.expect("a body"))
}

#[tokio::test]
async fn verifications_are_counted_by_face_and_reason() {
    let app = spawn_app_with(AppOptions::default()).await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    let key = app.create_key(&token, &owner, json!({"name": "k"})).await;
    let before = samples(&app).await;

    // The gateway's fast path: 3 valid, 2 without a key, 1 unknown.
    for _ in 0..3 {
        let answer = app
            .send(
                app.gateway(Method::GET, "/v1/auth")
                    .bearer_auth(&key.secret),
            )
            .await;
        assert_eq!(answer.status, 200);
    }
    for _ in 0..2 {
        assert_eq!(
            app.send(app.gateway(Method::GET, "/v1/auth")).await.status,
            401
        );
    }
    let unknown = unknown_secret();
    let answer = app
        .send(
            app.gateway(Method::GET, "/v1/auth/orders/7")
                .bearer_auth(&unknown),
        )
        .await;
    assert_eq!(answer.status, 401);
    // The native verify: 1 valid, 2 mistyped.
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    for _ in 0..2 {
        assert_eq!(app.verify_code(&typo_of(&key.secret)).await, "MALFORMED");
    }
    // A vendor face: Yandex's REST, with an unknown key.
    let refused = app
        .get(&unknown, "/iam/v1/apiKeys?serviceAccountId=x")
        .await;
    assert_eq!(refused.status, 401);

    let after = samples(&app).await;
    let sent = |face: &str, reason: &str| {
        verifications(&after, face, reason) - verifications(&before, face, reason)
    };
    assert_eq!(sent("gateway", "VALID"), 3.0);
    assert_eq!(sent("gateway", "MALFORMED"), 2.0);
    assert_eq!(sent("gateway", "NOT_FOUND"), 1.0);
    assert_eq!(sent("native_verify", "VALID"), 1.0);
    assert_eq!(sent("native_verify", "MALFORMED"), 2.0);
    assert_eq!(sent("yandex", "NOT_FOUND"), 1.0);
    assert_eq!(sent("grpc_check", "VALID"), 0.0);
    // The management calls above authenticated through the native API.
    assert!(verifications(&after, "native_api", "VALID") >= 3.0);

    // HTTP requests by route pattern and status: the gateway's sub-path is not a label.
    let gateway_401 = "keyward_http_requests_total{route=\"/v1/auth\",status=\"401\"}";
    assert_eq!(
        after[gateway_401] - before.get(gateway_401).copied().unwrap_or(0.0),
        3.0
    );
    let stored = format!("/v1/keys/{}", key.id);
    app.stored_key(&key.id).await;
    let later = samples(&app).await;
    assert!(
        later.contains_key("keyward_http_requests_total{route=\"/v1/keys/{id}\",status=\"200\"}"),
        "counted under the route's pattern"
    );
    assert!(
        later
            .keys()
            .all(|series| !series.contains(&stored) && !series.contains("orders/7")),
        "no raw path is a label"
    );
    assert!(later["keyward_cache_hits_total"] >= 3.0);
    assert!(later["keyward_cache_entries"] >= 1.0);
    assert_eq!(later["keyward_change_feed_up"], 1.0);
    assert!(later["process_resident_memory_bytes"] > 0.0);
    assert!(later["process_open_fds"] > 0.0);
    assert!(later.contains_key("keyward_verification_duration_seconds_count"));
    let lookups =
        "keyward_store_operation_duration_seconds_count{operation=\"key_by_secret_hash\"}";
    assert!(
        later[lookups] >= 1.0,
        "the unknown key was looked up in the store"
    );
    assert!(later.contains_key("keyward_db_pool_connections{state=\"idle\"}"));
}

#[tokio::test]
async fn metrics_listen_serves_them_apart_from_the_main_port() {
    let app = spawn_app_with(AppOptions {
        config_file: Some("metrics_listen = \"127.0.0.1:0\"\n".into()),
        ..AppOptions::default()
    })
    .await;
    let apart = app.metrics_url().expect("a metrics address");
    let response = scrape(&app, &apart, None).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("a body");
    assert!(text.contains("keyward_verifications_total"), "{text}");
    let main = scrape(&app, &app.url("/metrics"), None).await;
    assert_eq!(main.status(), 404, "not on the main port too");
}

#[tokio::test]
async fn a_token_is_required_when_one_is_set() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("metrics.token");
    std::fs::write(&path, "scrape-me-7f3a\n").expect("write the token");
    let app = spawn_app_with(AppOptions {
        config_file: Some(format!(
            "metrics_token_file = {:?}\n",
            path.display().to_string()
        )),
        ..AppOptions::default()
    })
    .await;
    let url = app.url("/metrics");
    let without = scrape(&app, &url, None).await;
    assert_eq!(without.status(), 401);
    assert!(without.headers().contains_key("www-authenticate"));
    assert_eq!(
        scrape(&app, &url, Some("scrape-me-7f3b")).await.status(),
        401
    );
    assert_eq!(
        scrape(&app, &url, Some(&app.root_token)).await.status(),
        401
    );
    assert_eq!(
        scrape(&app, &url, Some("scrape-me-7f3a")).await.status(),
        200
    );
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let app = spawn_app_with(AppOptions {
        config_file: Some("metrics = false\n".into()),
        ..AppOptions::default()
    })
    .await;
    assert_eq!(scrape(&app, &app.url("/metrics"), None).await.status(), 404);
    // Verifications still work, uncounted.
    assert_eq!(app.verify_code(&unknown_secret()).await, "NOT_FOUND");
}
