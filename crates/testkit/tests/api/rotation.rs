//! `POST /v1/keys/{id}/rotate`: a new primary secret; the old one lives on as the secondary for
//! the grace period (never past the key's expiry), replacing any earlier secondary. Time moves
//! by the clock, never by sleeping.

use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, rfc3339, time_of, unique, CreatedKey};
use reqwest::Method;
use serde_json::{json, Value};
use time::Duration;

async fn setup(app: &TestApp, body: Value) -> (String, CreatedKey) {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    let key = app.create_key(&token, &owner, body).await;
    (token, key)
}

async fn rotate(app: &TestApp, token: &str, id: &str, body: Option<Value>) -> CreatedKey {
    let path = format!("/v1/keys/{id}/rotate");
    let reply = match body {
        Some(body) => app.post(token, &path, body).await,
        None => app.post_empty(token, &path).await,
    };
    CreatedKey::from_response(&reply.expect_status(200))
}

fn slots(key: &Value) -> Vec<String> {
    key["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .map(|s| s["slot"].as_str().expect("slot").to_owned())
        .collect()
}

async fn gateway_status(app: &TestApp, secret: &str) -> u16 {
    app.send(app.gateway(Method::GET, "/v1/auth").bearer_auth(secret))
        .await
        .status
        .as_u16()
}

#[tokio::test]
async fn rotation_with_grace_keeps_the_old_secret_until_the_grace_ends() {
    let app = spawn_app().await;
    let (token, old) = setup(&app, json!({"name": "k"})).await;
    app.clock.advance(Duration::minutes(1));
    let rotated_at = app.clock.now();
    let new = rotate(&app, &token, &old.id, Some(json!({"grace_seconds": 300}))).await;

    assert_ne!(new.secret, old.secret);
    assert_eq!(new.id, old.id);
    assert_eq!(time_of(&new.key["last_rotated_at"]), rotated_at);
    assert_eq!(slots(&new.key), ["primary", "secondary"]);
    let primary = &new.key["secrets"][0];
    let secondary = &new.key["secrets"][1];
    assert_eq!(
        primary["hint"],
        json!(format!("kw_…{}", &new.secret[new.secret.len() - 4..]))
    );
    assert_eq!(primary["expires_at"], Value::Null);
    assert_eq!(secondary["hint"], old.key["secrets"][0]["hint"]);
    assert_eq!(
        time_of(&secondary["expires_at"]),
        rotated_at + Duration::seconds(300)
    );
    let stored = app.stored_key(&old.id).await;
    assert_eq!(stored, new.key, "the rotation is stored as answered");

    assert_eq!(app.verify_code(&new.secret).await, "VALID");
    assert_eq!(app.verify_code(&old.secret).await, "VALID");
    assert_eq!(gateway_status(&app, &old.secret).await, 200);

    app.clock
        .advance(Duration::seconds(300) - Duration::microseconds(1));
    assert_eq!(
        app.verify_code(&old.secret).await,
        "VALID",
        "inside the grace"
    );
    app.clock.advance(Duration::microseconds(1));
    assert_eq!(
        app.verify_code(&old.secret).await,
        "EXPIRED",
        "the grace is over"
    );
    assert_eq!(gateway_status(&app, &old.secret).await, 401);
    assert_eq!(app.verify_code(&new.secret).await, "VALID");
    assert_eq!(gateway_status(&app, &new.secret).await, 200);
}

#[tokio::test]
async fn rotation_without_a_body_or_with_zero_grace_ends_the_old_secret_at_once() {
    let app = spawn_app().await;
    let (token, first) = setup(&app, json!({"name": "k"})).await;
    assert_eq!(app.verify_code(&first.secret).await, "VALID", "now cached");
    let second = rotate(&app, &token, &first.id, None).await;
    assert_eq!(slots(&second.key), ["primary"]);
    assert_ne!(app.verify_code(&first.secret).await, "VALID");
    assert_eq!(gateway_status(&app, &first.secret).await, 401);
    assert_eq!(app.verify_code(&second.secret).await, "VALID");

    let third = rotate(&app, &token, &first.id, Some(json!({"grace_seconds": 0}))).await;
    assert_eq!(slots(&third.key), ["primary"]);
    assert_eq!(slots(&app.stored_key(&first.id).await), ["primary"]);
    assert_ne!(app.verify_code(&second.secret).await, "VALID");
    assert_eq!(app.verify_code(&third.secret).await, "VALID");

    let fourth = rotate(&app, &token, &first.id, Some(json!({}))).await;
    assert_eq!(
        slots(&fourth.key),
        ["primary"],
        "{{}} means the default grace of 0"
    );
    assert_ne!(app.verify_code(&third.secret).await, "VALID");
}

#[tokio::test]
async fn the_grace_never_outlives_the_key() {
    let app = spawn_app().await;
    let key_end = app.clock.now() + Duration::seconds(100);
    let (token, old) = setup(&app, json!({"name": "k", "expires_at": rfc3339(key_end)})).await;
    let new = rotate(&app, &token, &old.id, Some(json!({"grace_seconds": 3600}))).await;
    assert_eq!(time_of(&new.key["secrets"][1]["expires_at"]), key_end);
    assert_eq!(
        time_of(&new.key["expires_at"]),
        key_end,
        "rotation keeps the key's expiry"
    );

    assert_eq!(app.verify_code(&old.secret).await, "VALID");
    app.clock.advance(Duration::seconds(100));
    assert_eq!(app.verify_code(&old.secret).await, "EXPIRED");
    assert_eq!(app.verify_code(&new.secret).await, "EXPIRED");
}

#[tokio::test]
async fn a_new_rotation_replaces_the_earlier_secondary() {
    let app = spawn_app().await;
    let (token, first) = setup(&app, json!({"name": "k"})).await;
    let second = rotate(&app, &token, &first.id, Some(json!({"grace_seconds": 600}))).await;
    app.clock.advance(Duration::seconds(10));
    let third = rotate(&app, &token, &first.id, Some(json!({"grace_seconds": 60}))).await;

    assert_eq!(slots(&third.key), ["primary", "secondary"]);
    assert_eq!(
        third.key["secrets"][1]["hint"],
        second.key["secrets"][0]["hint"]
    );
    assert_eq!(
        time_of(&third.key["secrets"][1]["expires_at"]),
        app.clock.now() + Duration::seconds(60)
    );
    assert_ne!(app.verify_code(&first.secret).await, "VALID", "replaced");
    assert_eq!(app.verify_code(&second.secret).await, "VALID");
    assert_eq!(app.verify_code(&third.secret).await, "VALID");
    app.clock.advance(Duration::seconds(60));
    assert_eq!(app.verify_code(&second.secret).await, "EXPIRED");
    assert_eq!(app.verify_code(&third.secret).await, "VALID");
}

#[tokio::test]
async fn the_old_secret_keeps_the_keys_rules_during_the_grace() {
    let app = spawn_app().await;
    let (token, old) = setup(
        &app,
        json!({"name": "k", "scopes": ["a"], "allowed_cidrs": [{"cidr": "10.0.0.0/8"}]}),
    )
    .await;
    rotate(&app, &token, &old.id, Some(json!({"grace_seconds": 300}))).await;
    let ask = |scopes: Value, ip: &str| json!({"key": old.secret, "scopes": scopes, "ip": ip});
    assert_eq!(
        keyward_testkit::app::code_of(&app.verify(ask(json!(["a"]), "10.1.1.1")).await),
        "VALID"
    );
    assert_eq!(
        keyward_testkit::app::code_of(&app.verify(ask(json!(["b"]), "10.1.1.1")).await),
        "INSUFFICIENT_SCOPE"
    );
    assert_eq!(
        keyward_testkit::app::code_of(&app.verify(ask(json!([]), "192.0.2.1")).await),
        "IP_NOT_ALLOWED"
    );
    app.post_empty(&token, &format!("/v1/keys/{}/disable", old.id))
        .await
        .expect_status(200);
    assert_eq!(app.verify_code(&old.secret).await, "DISABLED");
}

#[tokio::test]
async fn the_grace_must_be_within_a_year() {
    let app = spawn_app().await;
    let (token, key) = setup(&app, json!({"name": "k"})).await;
    let path = format!("/v1/keys/{}/rotate", key.id);
    for grace in [json!(-1), json!(31_536_001)] {
        app.post(&token, &path, json!({"grace_seconds": grace}))
            .await
            .expect_invalid("grace_seconds");
    }
    assert_eq!(
        app.verify_code(&key.secret).await,
        "VALID",
        "a refused rotation changes nothing"
    );
    assert_eq!(
        app.stored_key(&key.id).await["last_rotated_at"],
        Value::Null
    );

    let year = rotate(
        &app,
        &token,
        &key.id,
        Some(json!({"grace_seconds": 31_536_000})),
    )
    .await;
    assert_eq!(
        time_of(&year.key["secrets"][1]["expires_at"]),
        app.clock.now() + Duration::days(365)
    );
}

#[tokio::test]
async fn rotation_is_recorded_without_the_secret() {
    let app = spawn_app().await;
    let (token, key) = setup(&app, json!({"name": "k"})).await;
    let new = rotate(&app, &token, &key.id, Some(json!({"grace_seconds": 300}))).await;
    let ops = app
        .get(&token, &format!("/v1/keys/{}/operations", key.id))
        .await;
    assert!(!ops.text.contains(&new.secret[3..]) && !ops.text.contains(&key.secret[3..]));
    let newest = &ops.items()[0];
    assert_eq!(newest["action"], json!("key.rotate"));
    assert_eq!(newest["metadata"], json!({"grace_seconds": 300}));
    let hints = |key: &Value| -> Vec<Value> {
        key["secrets"]
            .as_array()
            .expect("secrets")
            .iter()
            .map(|s| s["hint"].clone())
            .collect()
    };
    assert_eq!(
        hints(&newest["result"]),
        hints(&new.key),
        "the result is the rotated key"
    );
}

#[tokio::test]
async fn rotating_with_the_method_in_the_wrong_place_is_405() {
    let app = spawn_app().await;
    let (token, key) = setup(&app, json!({"name": "k"})).await;
    let reply = app
        .send(app.authed(Method::GET, &format!("/v1/keys/{}/rotate", key.id), &token))
        .await;
    reply.expect_error(405, "METHOD_NOT_ALLOWED");
}
