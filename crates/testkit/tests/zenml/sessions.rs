//! Access tokens from `POST /api/v1/login`: they work as `Authorization: Bearer` for exactly as
//! long as the secret they were minted from (and at most an hour), and carry exactly the
//! authority of its key.

use keyward_testkit::app::{spawn_app, Reply, TestApp};
use keyward_testkit::fixtures::{id_of, unknown_secret};
use reqwest::Method;
use serde_json::json;
use time::Duration;

use super::helpers::{expect_detail, key_path, keys_path, login, login_form, secret_of, Zen};

/// An admin key made through the ZenML face itself: a key of an account, given `keyward:admin`
/// through the native API (ZenML has no roles).
async fn admin_key_of(app: &TestApp, zen: &Zen) -> (String, String, String) {
    let sa = zen.account(app, "ops").await;
    let created = zen.key(app, &sa, "ops-key", "").await;
    let key_id = id_of(&created);
    app.patch(
        &zen.admin_key,
        &format!("/v1/keys/{key_id}"),
        json!({"roles": ["keyward:admin"]}),
    )
    .await
    .expect_status(200);
    (sa, key_id, secret_of(&created))
}

/// The reply to a login with `key`, whatever it is.
async fn login_reply(app: &TestApp, key: &str) -> Reply {
    login_form(app, &[("grant_type", "zenml-api-key"), ("password", key)]).await
}

async fn works(app: &TestApp, token: &str, sa: &str) -> u16 {
    app.get(token, &keys_path(sa)).await.status.as_u16()
}

#[tokio::test]
async fn a_token_lives_through_the_retain_period_and_not_a_moment_longer() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let (sa, _, secret) = admin_key_of(&app, &zen).await;
    let token = login(&app, &secret).await;
    assert_eq!(works(&app, &token, &sa).await, 200);

    let rotated = zen
        .put(
            &app,
            &format!("{}/rotate", key_path(&sa, "ops-key")),
            json!({"retain_period_minutes": 5}),
        )
        .await
        .expect_status(200);
    let new_token = login(&app, &secret_of(&rotated)).await;
    app.clock
        .advance(Duration::minutes(5) - Duration::microseconds(1));
    assert_eq!(
        works(&app, &token, &sa).await,
        200,
        "inside the retain period"
    );
    login(&app, &secret).await;
    app.clock.advance(Duration::microseconds(1));
    let reply = app.get(&token, &keys_path(&sa)).await;
    expect_detail(&reply, 401, "CredentialsNotValid");
    let reply = login_form(&app, &[("password", secret.as_str())]).await;
    expect_detail(&reply, 401, "CredentialsNotValid");
    assert_eq!(
        works(&app, &new_token, &sa).await,
        200,
        "the new key's token lives"
    );

    // A rotation without a retain period ends the previous secret's tokens at once.
    zen.put(
        &app,
        &format!("{}/rotate", key_path(&sa, "ops-key")),
        json!({}),
    )
    .await
    .expect_status(200);
    assert_eq!(works(&app, &new_token, &sa).await, 401);
}

#[tokio::test]
async fn disabling_expiring_or_deleting_the_key_ends_its_tokens() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let (sa, key_id, secret) = admin_key_of(&app, &zen).await;
    let token = login(&app, &secret).await;

    zen.put(&app, &key_path(&sa, "ops-key"), json!({"active": false}))
        .await
        .expect_status(200);
    assert_eq!(works(&app, &token, &sa).await, 401, "disabled");
    zen.put(&app, &key_path(&sa, "ops-key"), json!({"active": true}))
        .await
        .expect_status(200);
    assert_eq!(works(&app, &token, &sa).await, 200, "enabled again");

    let soon = app.clock.now() + Duration::minutes(10);
    app.patch(
        &zen.admin_key,
        &format!("/v1/keys/{key_id}"),
        json!({"expires_at": keyward_testkit::fixtures::rfc3339(soon)}),
    )
    .await
    .expect_status(200);
    app.clock.advance(Duration::minutes(10));
    assert_eq!(works(&app, &token, &sa).await, 401, "expired");
    app.patch(
        &zen.admin_key,
        &format!("/v1/keys/{key_id}"),
        json!({"expires_at": null}),
    )
    .await
    .expect_status(200);
    assert_eq!(works(&app, &token, &sa).await, 200, "no expiry any more");

    zen.delete(&app, &key_path(&sa, "ops-key"))
        .await
        .expect_status(200);
    let reply = app.get(&token, &keys_path(&sa)).await;
    expect_detail(&reply, 401, "CredentialsNotValid");
}

#[tokio::test]
async fn tokens_expire_after_an_hour_and_cannot_be_forged() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let sa = zen.account(&app, "a").await;
    assert_eq!(works(&app, &zen.token, &sa).await, 200);
    let mut forged = zen.token.clone();
    let last = forged.pop().expect("not empty");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [forged.as_str(), "garbage", "a.b", &"x".repeat(10_000)] {
        let reply = app.get(bad, &keys_path(&sa)).await;
        expect_detail(&reply, 401, "CredentialsNotValid");
    }
    app.clock.advance(Duration::hours(1));
    assert_eq!(works(&app, &zen.token, &sa).await, 401, "after the TTL");
    let fresh = login(&app, &zen.admin_key).await;
    assert_eq!(works(&app, &fresh, &sa).await, 200);
}

#[tokio::test]
async fn a_token_carries_exactly_its_keys_authority() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let sa = zen.account(&app, "worker").await;
    let plain = secret_of(&zen.key(&app, &sa, "plain", "").await);
    let token = login(&app, &plain).await;
    // A key made through ZenML holds `keyward:self`: it may ask who it is and manage its own
    // account's keys, and nothing else.
    let me = app
        .get(&token, "/api/v1/current-user")
        .await
        .expect_status(200);
    assert_eq!(me["body"]["is_admin"], false);
    assert_eq!(works(&app, &token, &sa).await, 200);
    let neighbour = zen.account(&app, "neighbour").await;
    let reply = app.get(&token, &keys_path(&neighbour)).await;
    expect_detail(&reply, 404, "KeyError");
    let listed = app
        .get(&token, "/api/v1/service_accounts")
        .await
        .expect_status(200);
    assert_eq!(listed["total"], 1, "only its own account: {listed}");
    assert_eq!(listed["items"][0]["id"], json!(sa));
    let reply = zen_post_account(&app, &token).await;
    expect_detail(&reply, 403, "IllegalOperationError");
    // Another domain's admin sees nothing of this one.
    let other = Zen::new(&app).await;
    let reply = other.get(&app, &keys_path(&sa)).await;
    expect_detail(&reply, 404, "KeyError");
    // The raw admin key works as a bearer too.
    assert_eq!(works(&app, &zen.admin_key, &sa).await, 200);
}

/// A login checks the key exactly as management authentication does (one check in the core): a
/// key refused for its address is 403 on both doors, anything else that does not verify is 401,
/// and no reply repeats the key.
#[tokio::test]
async fn a_login_checks_the_key_as_authentication_does() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let sa = zen.account(&app, "fenced").await;
    let created = zen.key(&app, &sa, "fenced-key", "").await;
    let fenced = secret_of(&created);
    app.patch(
        &zen.admin_key,
        &format!("/v1/keys/{}", id_of(&created)),
        json!({"roles": ["keyward:admin"], "allowed_cidrs": [{"cidr": "203.0.113.0/24"}]}),
    )
    .await
    .expect_status(200);

    let refused = login_reply(&app, &fenced).await;
    expect_detail(&refused, 403, "IllegalOperationError");
    assert!(!refused.text.contains(&fenced), "{}", refused.text);
    let direct = app.get(&fenced, &keys_path(&sa)).await;
    expect_detail(&direct, 403, "IllegalOperationError");
    let native = app.get(&fenced, "/v1/keys").await;
    native.expect_error(403, "FORBIDDEN");

    for key in [unknown_secret(), "kw_not-a-key".to_owned()] {
        let refused = login_reply(&app, &key).await;
        expect_detail(&refused, 401, "CredentialsNotValid");
        assert!(!refused.text.contains(&key), "{}", refused.text);
        let direct = app.get(&key, &keys_path(&sa)).await;
        expect_detail(&direct, 401, "CredentialsNotValid");
    }
}

#[tokio::test]
async fn login_refuses_other_grants_and_empty_keys() {
    let app = spawn_app().await;
    for form in [
        vec![
            ("grant_type", "password"),
            ("username", "admin"),
            ("password", "x"),
        ],
        vec![("username", "admin"), ("password", "x")],
        vec![("grant_type", "device_code")],
        vec![("grant_type", "zenml-api-key")],
        vec![],
    ] {
        let reply = login_form(&app, &form).await;
        assert_eq!(reply.status.as_u16(), 400, "{form:?}: {}", reply.text);
        assert!(reply.body["detail"].is_string(), "{}", reply.text);
    }
    let huge = "k".repeat(5000);
    let reply = login_form(&app, &[("password", huge.as_str())]).await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.text);
}

#[tokio::test]
async fn external_accounts_refuse_key_management() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let external = app
        .create_principal(
            &zen.admin_key,
            json!({"kind": "service_account", "name": "ext", "external": true}),
        )
        .await;
    let sa = id_of(&external);
    let account = zen
        .get(&app, &format!("/api/v1/service_accounts/{sa}"))
        .await
        .expect_status(200);
    assert_eq!(account["metadata"]["external_user_id"], sa.as_str());
    let reply = zen.post(&app, &keys_path(&sa), json!({"name": "k"})).await;
    expect_detail(&reply, 403, "IllegalOperationError");
    // Listing is allowed (and empty).
    let page = zen.get(&app, &keys_path(&sa)).await.expect_status(200);
    assert_eq!(page["total"], 0);
    let reply = app.send(app.request(Method::GET, &keys_path(&sa))).await;
    assert_eq!(reply.status.as_u16(), 401);
}

#[tokio::test]
async fn every_node_sharing_the_pepper_accepts_a_token_and_a_restart_keeps_it() {
    let mut app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let sa = zen.account(&app, "cluster").await;
    let peer = app.spawn_peer().await;
    assert_eq!(works(&peer, &zen.token, &sa).await, 200, "another node");
    // A revocation on one node ends the token on the other: tokens read the store every time.
    let key = zen.key(&app, &sa, "k", "").await;
    let (key_id, secret) = (id_of(&key), secret_of(&key));
    app.patch(
        &zen.admin_key,
        &format!("/v1/keys/{key_id}"),
        json!({"roles": ["keyward:admin"]}),
    )
    .await
    .expect_status(200);
    let token = login(&app, &secret).await;
    assert_eq!(works(&peer, &token, &sa).await, 200);
    zen.delete(&app, &key_path(&sa, "k"))
        .await
        .expect_status(200);
    assert_eq!(
        works(&peer, &token, &sa).await,
        401,
        "deleted on the first node"
    );
    app.restart().await;
    assert_eq!(works(&app, &zen.token, &sa).await, 200, "after a restart");
}

#[tokio::test]
async fn an_over_limit_login_form_is_413_in_the_faces_json_error() {
    let app = spawn_app().await;
    let big = "x".repeat(300 * 1024);
    let reply = login_form(&app, &[("grant_type", "zenml-api-key"), ("password", &big)]).await;
    assert_eq!(reply.status.as_u16(), 413, "{}", reply.text);
    let body: serde_json::Value = serde_json::from_str(&reply.text).expect("a JSON body");
    assert!(body["detail"].is_string(), "{body}");
}

/// `POST /api/v1/service_accounts` with `token`.
async fn zen_post_account(app: &TestApp, token: &str) -> Reply {
    app.send(
        app.authed(Method::POST, "/api/v1/service_accounts", token)
            .json(&json!({"name": "made-by-a-key", "active": true})),
    )
    .await
}
