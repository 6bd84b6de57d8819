//! `POST /v1/keys/verify`: every reason code, the shape of valid and invalid answers, expiry by
//! the clock, IP allow-lists (v4, v6, mapped, none given) and required scopes.

use keyward_testkit::app::{code_of, spawn_app, TestApp};
use keyward_testkit::fixtures::CreatedKey;
use keyward_testkit::fixtures::{id_of, rfc3339, typo_of, unique, unknown_secret};
use reqwest::Method;
use serde_json::{json, Value};

/// A domain admin and an owner in a fresh domain: `(admin_token, owner_id)`.
async fn setup(app: &TestApp) -> (String, String) {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    (token, owner)
}

async fn key_with(app: &TestApp, body: Value) -> CreatedKey {
    let (token, owner) = setup(app).await;
    app.create_key(&token, &owner, body).await
}

#[track_caller]
fn assert_refused(answer: &Value, code: &str) {
    assert_eq!(
        answer,
        &json!({"valid": false, "code": code}),
        "an invalid answer carries only `valid` and `code`"
    );
}

#[tokio::test]
async fn a_valid_key_answers_its_identity() {
    let app = spawn_app().await;
    let (token, owner) = setup(&app).await;
    let expires = app.clock.now() + time::Duration::days(7);
    let key = app
        .create_key(
            &token,
            &owner,
            json!({
                "name": "svc", "roles": ["reader"], "scopes": ["billing:read", "billing:write"],
                "expires_at": rfc3339(expires)
            }),
        )
        .await;
    let answer = app.verify(json!({"key": key.secret})).await;
    assert_eq!(answer["valid"], json!(true));
    assert_eq!(answer["code"], json!("VALID"));
    assert_eq!(answer["key_id"], json!(key.id));
    assert_eq!(answer["owner"], json!(owner));
    assert_eq!(answer["domain"], key.key["domain_id"]);
    assert_eq!(answer["roles"], json!(["reader"]));
    assert_eq!(answer["scopes"], json!(["billing:read", "billing:write"]));
    assert_eq!(
        keyward_testkit::fixtures::time_of(&answer["expires_at"]),
        expires
    );

    let no_expiry = key_with(&app, json!({"name": "forever"})).await;
    let answer = app.verify(json!({"key": no_expiry.secret})).await;
    assert_eq!(answer["valid"], json!(true));
    assert_eq!(answer["expires_at"], Value::Null);
}

#[tokio::test]
async fn verify_needs_no_token() {
    let app = spawn_app().await;
    let key = key_with(&app, json!({"name": "k"})).await;
    let reply = app
        .send(
            app.request(Method::POST, "/v1/keys/verify")
                .json(&json!({"key": key.secret})),
        )
        .await;
    assert_eq!(code_of(&reply.expect_status(200)), "VALID");
}

#[tokio::test]
async fn malformed_secrets_are_refused_before_any_lookup() {
    let app = spawn_app().await;
    let key = key_with(&app, json!({"name": "k"})).await;
    let truncated = key.secret[..key.secret.len() - 1].to_owned();
    let longer = format!("{}x", key.secret);
    let other_prefix = format!("xx_{}", &key.secret[3..]);
    for bad in [
        String::new(),
        "hello".to_owned(),
        "kw_".to_owned(),
        typo_of(&key.secret),
        truncated,
        longer,
        other_prefix,
        key.secret.to_uppercase(),
        format!(" {}", key.secret),
    ] {
        let answer = app.verify(json!({"key": bad})).await;
        assert_refused(&answer, "MALFORMED");
    }
}

#[tokio::test]
async fn a_well_formed_unknown_secret_is_not_found() {
    let app = spawn_app().await;
    assert_refused(
        &app.verify(json!({"key": unknown_secret()})).await,
        "NOT_FOUND",
    );
    // Asked twice: the negative cache must answer the same.
    let secret = unknown_secret();
    for _ in 0..2 {
        assert_refused(&app.verify(json!({"key": secret})).await, "NOT_FOUND");
    }
}

#[tokio::test]
async fn a_disabled_key_is_disabled() {
    let app = spawn_app().await;
    let key = key_with(&app, json!({"name": "off", "state": "disabled"})).await;
    assert_refused(&app.verify(json!({"key": key.secret})).await, "DISABLED");
}

#[tokio::test]
async fn a_key_expires_exactly_at_its_expiry() {
    let app = spawn_app().await;
    let expires = app.clock.now() + time::Duration::hours(1);
    let key = key_with(
        &app,
        json!({"name": "short", "expires_at": rfc3339(expires)}),
    )
    .await;
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    app.clock
        .advance(time::Duration::hours(1) - time::Duration::microseconds(1));
    assert_eq!(app.verify_code(&key.secret).await, "VALID", "one µs before");
    app.clock.advance(time::Duration::microseconds(1));
    assert_refused(&app.verify(json!({"key": key.secret})).await, "EXPIRED");
    app.clock.advance(time::Duration::days(400));
    assert_refused(&app.verify(json!({"key": key.secret})).await, "EXPIRED");
}

#[tokio::test]
async fn moving_the_expiry_later_revives_an_expired_key() {
    let app = spawn_app().await;
    let (token, owner) = setup(&app).await;
    let expires = app.clock.now() + time::Duration::minutes(10);
    let key = app
        .create_key(
            &token,
            &owner,
            json!({"name": "k", "expires_at": rfc3339(expires)}),
        )
        .await;
    app.clock.advance(time::Duration::minutes(10));
    assert_eq!(app.verify_code(&key.secret).await, "EXPIRED");
    app.patch(
        &token,
        &format!("/v1/keys/{}", key.id),
        json!({"expires_at": rfc3339(app.clock.now() + time::Duration::minutes(10))}),
    )
    .await
    .expect_status(200);
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
}

#[tokio::test]
async fn a_disabled_and_expired_key_reports_disabled_first() {
    let app = spawn_app().await;
    let expires = app.clock.now() + time::Duration::minutes(1);
    let key = key_with(
        &app,
        json!({"name": "k", "state": "disabled", "expires_at": rfc3339(expires)}),
    )
    .await;
    app.clock.advance(time::Duration::minutes(2));
    assert_eq!(app.verify_code(&key.secret).await, "DISABLED");
}

#[tokio::test]
async fn ipv4_allow_lists() {
    let app = spawn_app().await;
    let key = key_with(
        &app,
        json!({"name": "v4", "allowed_cidrs": [{"name": "office", "cidr": "192.0.2.0/24"}, {"cidr": "198.51.100.7"}]}),
    )
    .await;
    for (ip, code) in [
        ("192.0.2.1", "VALID"),
        ("192.0.2.255", "VALID"),
        ("198.51.100.7", "VALID"),
        ("::ffff:192.0.2.9", "VALID"),
        ("192.0.3.1", "IP_NOT_ALLOWED"),
        ("198.51.100.8", "IP_NOT_ALLOWED"),
        ("2001:db8::1", "IP_NOT_ALLOWED"),
    ] {
        let answer = app.verify(json!({"key": key.secret, "ip": ip})).await;
        assert_eq!(code_of(&answer), code, "ip {ip}");
        if code != "VALID" {
            assert_refused(&answer, code);
        }
    }
}

#[tokio::test]
async fn ipv6_allow_lists() {
    let app = spawn_app().await;
    let key = key_with(
        &app,
        json!({"name": "v6", "allowed_cidrs": [{"cidr": "2001:db8:1::/48"}]}),
    )
    .await;
    for (ip, code) in [
        ("2001:db8:1::1", "VALID"),
        ("2001:db8:1:ffff::2", "VALID"),
        ("2001:db8:2::1", "IP_NOT_ALLOWED"),
        ("::1", "IP_NOT_ALLOWED"),
        ("192.0.2.1", "IP_NOT_ALLOWED"),
    ] {
        let answer = app.verify(json!({"key": key.secret, "ip": ip})).await;
        assert_eq!(code_of(&answer), code, "ip {ip}");
    }
}

#[tokio::test]
async fn an_allow_list_refuses_a_request_without_an_ip() {
    let app = spawn_app().await;
    let key = key_with(
        &app,
        json!({"name": "k", "allowed_cidrs": [{"cidr": "0.0.0.0/0"}]}),
    )
    .await;
    assert_refused(
        &app.verify(json!({"key": key.secret})).await,
        "IP_NOT_ALLOWED",
    );
    assert_eq!(
        code_of(
            &app.verify(json!({"key": key.secret, "ip": "203.0.113.9"}))
                .await
        ),
        "VALID"
    );
}

#[tokio::test]
async fn no_allow_list_means_any_address_or_none() {
    let app = spawn_app().await;
    let key = key_with(&app, json!({"name": "open"})).await;
    for body in [
        json!({"key": key.secret}),
        json!({"key": key.secret, "ip": "203.0.113.9"}),
        json!({"key": key.secret, "ip": "2001:db8::9"}),
    ] {
        assert_eq!(code_of(&app.verify(body).await), "VALID");
    }
}

#[tokio::test]
async fn changing_the_allow_list_takes_effect_at_once() {
    let app = spawn_app().await;
    let (token, owner) = setup(&app).await;
    let key = app.create_named_key(&token, &owner, "k").await;
    let ask = json!({"key": key.secret, "ip": "203.0.113.9"});
    assert_eq!(code_of(&app.verify(ask.clone()).await), "VALID");
    app.patch(
        &token,
        &format!("/v1/keys/{}", key.id),
        json!({"allowed_cidrs": [{"cidr": "10.0.0.0/8"}]}),
    )
    .await
    .expect_status(200);
    assert_eq!(code_of(&app.verify(ask).await), "IP_NOT_ALLOWED");
}

#[tokio::test]
async fn required_scopes_must_all_be_held() {
    let app = spawn_app().await;
    let key = key_with(
        &app,
        json!({"name": "scoped", "scopes": ["billing:read", "billing:write"]}),
    )
    .await;
    for (scopes, code) in [
        (json!([]), "VALID"),
        (json!(["billing:read"]), "VALID"),
        (json!(["billing:write", "billing:read"]), "VALID"),
        (json!(["billing:admin"]), "INSUFFICIENT_SCOPE"),
        (
            json!(["billing:read", "billing:admin"]),
            "INSUFFICIENT_SCOPE",
        ),
        (json!(["BILLING:READ"]), "INSUFFICIENT_SCOPE"),
        (json!(["billing"]), "INSUFFICIENT_SCOPE"),
    ] {
        let answer = app
            .verify(json!({"key": key.secret, "scopes": scopes}))
            .await;
        assert_eq!(code_of(&answer), code, "scopes {scopes}");
        if code != "VALID" {
            assert_refused(&answer, code);
        }
    }
    let unscoped = key_with(&app, json!({"name": "bare"})).await;
    assert_eq!(
        code_of(
            &app.verify(json!({"key": unscoped.secret, "scopes": ["x"]}))
                .await
        ),
        "INSUFFICIENT_SCOPE"
    );
}

#[tokio::test]
async fn the_ip_check_comes_before_the_scope_check() {
    let app = spawn_app().await;
    let key = key_with(
        &app,
        json!({"name": "k", "allowed_cidrs": [{"cidr": "10.0.0.0/8"}]}),
    )
    .await;
    let answer = app
        .verify(json!({"key": key.secret, "ip": "192.0.2.1", "scopes": ["missing"]}))
        .await;
    assert_refused(&answer, "IP_NOT_ALLOWED");
}

#[tokio::test]
async fn a_bad_verify_request_is_a_client_error() {
    let app = spawn_app().await;
    let key = key_with(&app, json!({"name": "k"})).await;
    app.send(
        app.request(Method::POST, "/v1/keys/verify")
            .json(&json!({})),
    )
    .await
    .expect_invalid("key");
    app.send(
        app.request(Method::POST, "/v1/keys/verify")
            .json(&json!({"key": key.secret, "ip": "not-an-ip"})),
    )
    .await
    .expect_invalid("ip");
    app.send(
        app.request(Method::POST, "/v1/keys/verify")
            .json(&json!({"key": key.secret, "extra": 1})),
    )
    .await
    .expect_error(422, "UNKNOWN_FIELD");
}
