//! ext_authz v3 `Check` through grpcio stubs built from Envoy's protos: the same verdicts as
//! `/v1/auth`, in Envoy's terms. OK carries the identity upstream (overwriting forged copies) and
//! removes the key's header; a refusal carries the HTTP status, reason, headers and JSON body.

use keyward_testkit::app::{spawn_app, spawn_app_with, AppOptions, TestApp};
use keyward_testkit::fixtures::{id_of, unique, unknown_secret, CreatedKey};
use serde_json::{json, Value};

use crate::probe::ask;

/// gRPC codes Envoy is told.
const OK: i64 = 0;
const PERMISSION_DENIED: i64 = 7;
const RESOURCE_EXHAUSTED: i64 = 8;
const UNAUTHENTICATED: i64 = 16;

async fn key_with(app: &TestApp, body: Value) -> CreatedKey {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    app.create_key(&token, &owner, body).await
}

/// A `Check` question for `GET shop.example/api/orders?...` with `headers`.
fn question(name: &str, headers: Value) -> Value {
    json!({
        "name": name,
        "method": "GET",
        "host": "shop.example",
        // The application's own query, which keyward must not read as its parameters.
        "path": "/api/orders?product=not-a-uuid&scopes=admin&cost=999",
        "headers": headers,
    })
}

fn bearer(secret: &str) -> Value {
    json!({"authorization": format!("Bearer {secret}"), "x-keyward-roles": "forged"})
}

#[track_caller]
fn header<'a>(headers: &'a Value, name: &str) -> &'a str {
    headers[name]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("no `{name}` in {headers}"))
}

#[track_caller]
fn assert_denied(answer: &Value, code: i64, status: i64, reason: &str) {
    assert_eq!(answer["code"], code, "{answer}");
    assert_eq!(answer["message"], reason, "{answer}");
    let denied = &answer["denied"];
    assert_eq!(denied["status"], status, "{answer}");
    assert_eq!(header(&denied["headers"], "x-keyward-reason"), reason);
    let body: Value = serde_json::from_str(denied["body"].as_str().expect("a body")).expect("JSON");
    assert_eq!(body["code"], reason, "{answer}");
    assert_eq!(body["valid"], false, "{answer}");
    assert!(answer.get("ok").is_none(), "{answer}");
}

#[tokio::test]
async fn a_valid_key_is_ok_with_identity_upstream_and_the_key_removed() {
    let app = spawn_app().await;
    let key = key_with(
        &app,
        json!({"name": "gw", "roles": [], "scopes": ["a:read", "b:write"]}),
    )
    .await;
    let questions = json!({"checks": [
        question("bearer", bearer(&key.secret)),
        question("x_api_key", json!({"x-api-key": key.secret})),
    ]});
    let Some(answers) = ask(&app, questions).await else {
        return;
    };
    let bearer = &answers["bearer"];
    assert_eq!(bearer["code"], OK, "{bearer}");
    let ok = &bearer["ok"];
    let headers = &ok["headers"];
    assert_eq!(header(headers, "x-keyward-key-id"), key.id);
    assert_eq!(
        header(headers, "x-keyward-owner"),
        key.key["owner_id"].as_str().expect("owner")
    );
    assert_eq!(
        header(headers, "x-keyward-domain"),
        key.key["domain_id"].as_str().expect("domain")
    );
    assert_eq!(header(headers, "x-keyward-scopes"), "a:read,b:write");
    // No roles: the empty value still replaces the client's forged `X-Keyward-Roles`.
    assert_eq!(header(headers, "x-keyward-roles"), "");
    for (name, option) in headers.as_object().expect("headers") {
        assert_eq!(option["overwrite"], true, "{name} overwrites");
        assert_eq!(option["keep_empty"], true, "{name} is kept when empty");
    }
    assert!(
        headers.get("x-request-id").is_none(),
        "keyward's request id stays home"
    );
    assert_eq!(ok["remove"], json!(["authorization"]));
    assert_eq!(answers["x_api_key"]["ok"]["remove"], json!(["x-api-key"]));
}

#[tokio::test]
async fn missing_unknown_and_disabled_keys_are_denied_401() {
    let app = spawn_app().await;
    let disabled = key_with(&app, json!({"name": "d", "state": "disabled"})).await;
    let questions = json!({"checks": [
        question("missing", json!({})),
        question("unknown", bearer(&unknown_secret())),
        question("disabled", json!({"x-api-key": disabled.secret})),
    ]});
    let Some(answers) = ask(&app, questions).await else {
        return;
    };
    for (name, reason) in [
        ("missing", "MALFORMED"),
        ("unknown", "NOT_FOUND"),
        ("disabled", "DISABLED"),
    ] {
        let answer = &answers[name];
        assert_denied(answer, UNAUTHENTICATED, 401, reason);
        assert_eq!(
            header(&answer["denied"]["headers"], "www-authenticate"),
            "Bearer"
        );
    }
}

#[tokio::test]
async fn a_missing_scope_is_denied_403_from_the_request_or_the_route() {
    let app = spawn_app().await;
    let key = key_with(&app, json!({"name": "s", "scopes": ["orders:read"]})).await;
    let mut from_route = question("route", bearer(&key.secret));
    from_route["context"] = json!({"scopes": "billing:write"});
    let questions = json!({"checks": [
        question("held", json!({"authorization": format!("Bearer {}", key.secret), "x-keyward-scopes": "orders:read"})),
        question("header", json!({"authorization": format!("Bearer {}", key.secret), "x-keyward-scopes": "orders:write"})),
        from_route,
    ]});
    let Some(answers) = ask(&app, questions).await else {
        return;
    };
    assert_eq!(answers["held"]["code"], OK, "{}", answers["held"]);
    assert_denied(
        &answers["header"],
        PERMISSION_DENIED,
        403,
        "INSUFFICIENT_SCOPE",
    );
    assert_denied(
        &answers["route"],
        PERMISSION_DENIED,
        403,
        "INSUFFICIENT_SCOPE",
    );
}

#[tokio::test]
async fn a_rate_limited_key_is_denied_429_with_the_limit_headers() {
    let app = spawn_app().await;
    let key = key_with(
        &app,
        json!({"name": "r", "rate_limits": [{"name": "burst", "limit": 2, "period": "1m"}]}),
    )
    .await;
    // The client's own `X-Keyward-Cost: 0` does not make its requests free.
    let headers = json!({"x-api-key": key.secret, "x-keyward-cost": "0"});
    let questions = json!({"checks": [
        question("first", headers.clone()),
        question("second", headers.clone()),
        question("third", headers),
    ]});
    let Some(answers) = ask(&app, questions).await else {
        return;
    };
    let first = &answers["first"]["ok"];
    assert_eq!(
        header(&first["to_client"], "ratelimit-remaining"),
        "1",
        "{first}"
    );
    assert_eq!(header(&first["headers"], "ratelimit-limit"), "2", "{first}");
    assert_eq!(answers["second"]["code"], OK);
    let third = &answers["third"];
    assert_denied(third, RESOURCE_EXHAUSTED, 429, "RATE_LIMITED");
    let headers = &third["denied"]["headers"];
    assert_eq!(header(headers, "ratelimit-remaining"), "0");
    assert_eq!(header(headers, "ratelimit-limit"), "2");
    assert!(
        header(headers, "retry-after")
            .parse::<u64>()
            .expect("seconds")
            >= 1
    );
}

#[tokio::test]
async fn the_route_names_the_cost_the_client_cannot() {
    let app = spawn_app().await;
    let key = key_with(
        &app,
        json!({"name": "c", "rate_limits": [{"name": "r", "limit": 10, "period": "1h"}]}),
    )
    .await;
    let mut costly = question("costly", json!({"x-api-key": key.secret}));
    costly["context"] = json!({"cost": "10"});
    let mut over = question("over", json!({"x-api-key": key.secret}));
    over["context"] = json!({"cost": "1"});
    let Some(answers) = ask(&app, json!({"checks": [costly, over]})).await else {
        return;
    };
    assert_eq!(
        header(&answers["costly"]["ok"]["headers"], "ratelimit-remaining"),
        "0"
    );
    assert_denied(&answers["over"], RESOURCE_EXHAUSTED, 429, "RATE_LIMITED");
}

#[tokio::test]
async fn the_client_address_is_envoys_word_only_when_envoy_is_trusted() {
    let allow = json!({"name": "ip", "allowed_cidrs": [{"cidr": "203.0.113.0/24"}]});
    let from = |name: &str, secret: &str, source: &str| {
        let mut q = question(name, json!({"x-api-key": secret}));
        q["source"] = json!(source);
        q
    };
    let trusting = spawn_app_with(AppOptions::behind_local_proxy()).await;
    let key = key_with(&trusting, allow.clone()).await;
    let questions = json!({"checks": [
        from("inside", &key.secret, "203.0.113.9"),
        from("outside", &key.secret, "198.51.100.1"),
    ]});
    let Some(answers) = ask(&trusting, questions).await else {
        return;
    };
    assert_eq!(answers["inside"]["code"], OK, "{}", answers["inside"]);
    assert_denied(
        &answers["outside"],
        PERMISSION_DENIED,
        403,
        "IP_NOT_ALLOWED",
    );

    // Not trusted: the gRPC peer (127.0.0.1) is the client, whatever the message claims.
    let wary = spawn_app().await;
    let key = key_with(&wary, allow).await;
    let questions = json!({"checks": [from("claimed", &key.secret, "203.0.113.9")]});
    let Some(answers) = ask(&wary, questions).await else {
        return;
    };
    assert_denied(
        &answers["claimed"],
        PERMISSION_DENIED,
        403,
        "IP_NOT_ALLOWED",
    );
}

#[tokio::test]
async fn the_key_header_stays_when_stripping_is_off() {
    let app = spawn_app_with(AppOptions::with_gateway("[gateway]\nstrip_key = false\n")).await;
    let key = key_with(&app, json!({"name": "k"})).await;
    let questions = json!({"checks": [question("kept", bearer(&key.secret))]});
    let Some(answers) = ask(&app, questions).await else {
        return;
    };
    assert_eq!(answers["kept"]["code"], OK);
    assert_eq!(answers["kept"]["ok"]["remove"], json!([]));
}
