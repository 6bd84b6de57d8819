//! `/v1/auth`: the verifier gateways call (nginx `auth_request`, Traefik `forwardAuth`, Envoy
//! `ext_authz`). 200 with identity headers, 401 with `WWW-Authenticate`, 403 with the reason;
//! `X-Forwarded-For` believed only from trusted proxies.

use keyward_testkit::app::{spawn_app, spawn_app_with, AppOptions, Reply, TestApp};
use keyward_testkit::fixtures::{id_of, rfc3339, typo_of, unique, unknown_secret, CreatedKey};
use reqwest::Method;
use serde_json::{json, Value};

async fn key_with(app: &TestApp, body: Value) -> (String, CreatedKey) {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    let key = app.create_key(&token, &owner, body).await;
    (token, key)
}

async fn bearer(app: &TestApp, path: &str, secret: &str) -> Reply {
    app.send(app.gateway(Method::GET, path).bearer_auth(secret))
        .await
}

#[track_caller]
fn assert_unauthenticated(reply: &Reply, reason: Option<&str>) {
    assert_eq!(reply.status, 401, "{}", reply.text);
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer"),
        "401 carries WWW-Authenticate: Bearer, got `{challenge}`"
    );
    if let Some(reason) = reason {
        assert_eq!(reply.header("x-keyward-reason"), Some(reason));
        assert_eq!(reply.body, json!({"valid": false, "code": reason}));
    }
    assert!(reply.header("x-keyward-key-id").is_none());
}

#[track_caller]
fn assert_forbidden(reply: &Reply, reason: &str) {
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(reply.header("x-keyward-reason"), Some(reason));
    assert_eq!(reply.body, json!({"valid": false, "code": reason}));
    assert!(reply.header("x-keyward-key-id").is_none());
}

#[tokio::test]
async fn a_valid_bearer_key_gets_200_and_identity_headers() {
    let app = spawn_app().await;
    let (_, key) = key_with(
        &app,
        json!({"name": "gw", "roles": ["reader", "auditor"], "scopes": ["a:read", "b:write"]}),
    )
    .await;
    let reply = bearer(&app, "/v1/auth", &key.secret).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(reply.text.is_empty(), "200 has an empty body");
    assert_eq!(reply.header("x-keyward-key-id"), Some(key.id.as_str()));
    assert_eq!(
        reply.header("x-keyward-owner"),
        key.key["owner_id"].as_str()
    );
    assert_eq!(
        reply.header("x-keyward-domain"),
        key.key["domain_id"].as_str()
    );
    assert_eq!(reply.header("x-keyward-roles"), Some("reader,auditor"));
    assert_eq!(reply.header("x-keyward-scopes"), Some("a:read,b:write"));
}

#[tokio::test]
async fn x_api_key_works_like_bearer() {
    let app = spawn_app().await;
    let (_, key) = key_with(&app, json!({"name": "gw"})).await;
    let reply = app
        .send(
            app.gateway(Method::GET, "/v1/auth")
                .header("x-api-key", &key.secret),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("x-keyward-key-id"), Some(key.id.as_str()));
}

#[tokio::test]
async fn any_method_and_any_sub_path_is_verified() {
    let app = spawn_app().await;
    let (_, key) = key_with(&app, json!({"name": "gw"})).await;
    for method in [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        for path in ["/v1/auth", "/v1/auth/some/path", "/v1/auth/x?y=z"] {
            let reply = app
                .send(app.gateway(method.clone(), path).bearer_auth(&key.secret))
                .await;
            assert_eq!(reply.status, 200, "{method} {path}: {}", reply.text);
        }
    }
}

#[tokio::test]
async fn envoy_style_post_with_a_foreign_body_is_verified() {
    let app = spawn_app().await;
    let (_, key) = key_with(&app, json!({"name": "gw"})).await;
    let reply = app
        .send(
            app.gateway(Method::POST, "/v1/auth/api/orders/42")
                .header("x-api-key", &key.secret)
                .header("content-type", "text/plain")
                .body("the original request body, not JSON"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let unknown = app
        .send(
            app.gateway(Method::POST, "/v1/auth/api/orders/42")
                .header("x-api-key", unknown_secret())
                .body("{not json"),
        )
        .await;
    assert_unauthenticated(&unknown, Some("NOT_FOUND"));
}

#[tokio::test]
async fn no_key_at_all_is_401() {
    let app = spawn_app().await;
    assert_unauthenticated(&app.send(app.gateway(Method::GET, "/v1/auth")).await, None);
    let basic = app
        .send(
            app.gateway(Method::GET, "/v1/auth")
                .basic_auth("user", Some("pw")),
        )
        .await;
    assert_unauthenticated(&basic, None);
}

#[tokio::test]
async fn unusable_keys_are_401_with_the_reason() {
    let app = spawn_app().await;
    let expires = app.clock.now() + time::Duration::minutes(1);
    let (_, expiring) = key_with(&app, json!({"name": "e", "expires_at": rfc3339(expires)})).await;
    let (_, disabled) = key_with(&app, json!({"name": "d", "state": "disabled"})).await;
    app.clock.advance(time::Duration::minutes(1));

    let cases = [
        ("hello".to_owned(), "MALFORMED"),
        (typo_of(&expiring.secret), "MALFORMED"),
        (unknown_secret(), "NOT_FOUND"),
        (disabled.secret.clone(), "DISABLED"),
        (expiring.secret.clone(), "EXPIRED"),
    ];
    for (secret, reason) in cases {
        assert_unauthenticated(&bearer(&app, "/v1/auth", &secret).await, Some(reason));
        let via_header = app
            .send(
                app.gateway(Method::POST, "/v1/auth/p")
                    .header("x-api-key", &secret),
            )
            .await;
        assert_unauthenticated(&via_header, Some(reason));
    }
}

/// keyward's own query is read on the exact path only; under a sub-path it is the application's
/// (`gateway_routes.rs`), so `/v1/auth/x?scopes=b` asks for nothing.
#[tokio::test]
async fn required_scopes_come_from_the_query_or_a_header() {
    let app = spawn_app().await;
    let (_, key) = key_with(&app, json!({"name": "s", "scopes": ["a", "b"]})).await;
    for path in [
        "/v1/auth?scopes=a",
        "/v1/auth?scopes=a,b",
        "/v1/auth/x?scopes=b",
    ] {
        assert_eq!(bearer(&app, path, &key.secret).await.status, 200, "{path}");
    }
    for path in ["/v1/auth?scopes=c", "/v1/auth?scopes=a,c"] {
        assert_forbidden(&bearer(&app, path, &key.secret).await, "INSUFFICIENT_SCOPE");
    }
    let with_header = |scopes: &str| {
        app.gateway(Method::GET, "/v1/auth")
            .bearer_auth(&key.secret)
            .header("x-keyward-scopes", scopes.to_owned())
    };
    assert_eq!(app.send(with_header("a,b")).await.status, 200);
    assert_eq!(app.send(with_header("b")).await.status, 200);
    assert_forbidden(&app.send(with_header("a,z")).await, "INSUFFICIENT_SCOPE");
}

#[tokio::test]
async fn an_address_outside_the_allow_list_is_403() {
    let app = spawn_app().await;
    let (_, outside) = key_with(
        &app,
        json!({"name": "o", "allowed_cidrs": [{"cidr": "203.0.113.0/24"}]}),
    )
    .await;
    let (_, local) = key_with(
        &app,
        json!({"name": "l", "allowed_cidrs": [{"cidr": "127.0.0.1"}]}),
    )
    .await;
    assert_forbidden(
        &bearer(&app, "/v1/auth", &outside.secret).await,
        "IP_NOT_ALLOWED",
    );
    assert_eq!(bearer(&app, "/v1/auth", &local.secret).await.status, 200);
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_from_an_untrusted_peer() {
    let app = spawn_app().await;
    let (_, remote) = key_with(
        &app,
        json!({"name": "r", "allowed_cidrs": [{"cidr": "203.0.113.0/24"}]}),
    )
    .await;
    let (_, local) = key_with(
        &app,
        json!({"name": "l", "allowed_cidrs": [{"cidr": "127.0.0.1"}]}),
    )
    .await;
    let forwarded = |secret: &str| {
        app.gateway(Method::GET, "/v1/auth")
            .bearer_auth(secret)
            .header("x-forwarded-for", "203.0.113.9")
    };
    assert_forbidden(&app.send(forwarded(&remote.secret)).await, "IP_NOT_ALLOWED");
    assert_eq!(
        app.send(forwarded(&local.secret)).await.status,
        200,
        "the TCP peer is used"
    );
}

#[tokio::test]
async fn x_forwarded_for_is_believed_from_a_trusted_proxy() {
    let app = spawn_app_with(AppOptions::behind_local_proxy()).await;
    let (_, remote) = key_with(
        &app,
        json!({"name": "r", "allowed_cidrs": [{"cidr": "203.0.113.0/24"}]}),
    )
    .await;
    let (_, local) = key_with(
        &app,
        json!({"name": "l", "allowed_cidrs": [{"cidr": "127.0.0.1"}]}),
    )
    .await;
    let forwarded = |secret: &str, xff: &str| {
        app.gateway(Method::GET, "/v1/auth")
            .bearer_auth(secret)
            .header("x-forwarded-for", xff.to_owned())
    };
    for xff in [
        "203.0.113.9",
        "198.51.100.1, 203.0.113.9",
        "203.0.113.9, 127.0.0.1",
        "10.9.9.9,203.0.113.9 , 127.0.0.1",
    ] {
        let reply = app.send(forwarded(&remote.secret, xff)).await;
        assert_eq!(reply.status, 200, "X-Forwarded-For: {xff}: {}", reply.text);
        assert_forbidden(
            &app.send(forwarded(&local.secret, xff)).await,
            "IP_NOT_ALLOWED",
        );
    }
    // The right-most untrusted address decides, not a spoofed left-most one.
    let spoofed = app
        .send(forwarded(&remote.secret, "203.0.113.9, 198.51.100.1"))
        .await;
    assert_forbidden(&spoofed, "IP_NOT_ALLOWED");
    // Without the header the peer itself is the client.
    let direct = app
        .send(
            app.gateway(Method::GET, "/v1/auth")
                .bearer_auth(&local.secret),
        )
        .await;
    assert_eq!(direct.status, 200, "{}", direct.text);
}

#[tokio::test]
async fn the_gateway_sees_changes_at_once() {
    let app = spawn_app().await;
    let (token, key) = key_with(&app, json!({"name": "k"})).await;
    assert_eq!(bearer(&app, "/v1/auth", &key.secret).await.status, 200);
    app.post_empty(&token, &format!("/v1/keys/{}/disable", key.id))
        .await
        .expect_status(200);
    assert_unauthenticated(
        &bearer(&app, "/v1/auth", &key.secret).await,
        Some("DISABLED"),
    );
    app.delete(&token, &format!("/v1/keys/{}", key.id))
        .await
        .expect_status(204);
    assert_unauthenticated(
        &bearer(&app, "/v1/auth", &key.secret).await,
        Some("NOT_FOUND"),
    );
}

/// Both doors keep the request-id promise alike: a gateway check (answered before the router,
/// from the cache or the store, or refused) and a routed request echo the client's own
/// `x-request-id`, and give a fresh UUID to a request that sent none.
#[tokio::test]
async fn every_door_echoes_or_makes_the_request_id() {
    let app = spawn_app().await;
    let (token, key) = key_with(&app, json!({"name": "rid"})).await;
    let mine = "client-chosen-id-1";
    let doors = [
        app.gateway(Method::GET, "/v1/auth")
            .bearer_auth(&key.secret),
        app.gateway(Method::POST, "/v1/auth/api/orders")
            .bearer_auth(&key.secret),
        app.gateway(Method::GET, "/v1/auth")
            .bearer_auth(unknown_secret()),
        app.gateway(Method::GET, "/v1/auth?product=nope")
            .bearer_auth(&key.secret),
        app.authed(Method::GET, "/v1/keys", &token),
        app.request(Method::GET, "/v1/no-such-route"),
    ];
    for door in doors {
        let cloned = door.try_clone().expect("a body-less request clones");
        let echoed = app.send(door.header("x-request-id", mine)).await;
        assert_eq!(echoed.header("x-request-id"), Some(mine), "{}", echoed.text);
        let made = app.send(cloned).await;
        let id = made.header("x-request-id").expect("an id is made");
        let id = uuid::Uuid::parse_str(id).expect("a made id is a UUID");
        assert_eq!(id.get_version_num(), 4);
    }
}
