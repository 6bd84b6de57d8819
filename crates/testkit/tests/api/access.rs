//! Who may call the management API: a verifying bearer key with `keyward:admin` or
//! `keyward:root`. Everything else is 401 (no usable key) or 403 (a real key without the right).

use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, rfc3339, typo_of, unique, unknown_secret};
use reqwest::Method;
use serde_json::{json, Value};

/// A few management calls that every non-admin must be refused on.
async fn management_calls(app: &TestApp, token: &str, key_id: &str) -> Vec<(String, u16, Value)> {
    let mut out = Vec::new();
    for (method, path, body) in [
        (Method::GET, "/v1/keys".to_owned(), None),
        (Method::GET, format!("/v1/keys/{key_id}"), None),
        (Method::GET, "/v1/principals".to_owned(), None),
        (Method::GET, "/v1/domains".to_owned(), None),
        (Method::GET, "/v1/operations".to_owned(), None),
        (
            Method::POST,
            "/v1/principals".to_owned(),
            Some(json!({"kind": "user", "name": "x"})),
        ),
        (
            Method::PATCH,
            format!("/v1/keys/{key_id}"),
            Some(json!({"name": "renamed"})),
        ),
        (Method::POST, format!("/v1/keys/{key_id}/rotate"), None),
        (Method::DELETE, format!("/v1/keys/{key_id}"), None),
    ] {
        let mut request = app.authed(method.clone(), &path, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply = app.send(request).await;
        out.push((
            format!("{method} {path}"),
            reply.status.as_u16(),
            reply.body,
        ));
    }
    out
}

#[tokio::test]
async fn no_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    for path in [
        "/v1/keys",
        "/v1/principals",
        "/v1/domains",
        "/v1/operations",
    ] {
        let reply = app.send(app.request(Method::GET, path)).await;
        reply.expect_error(401, "UNAUTHENTICATED");
        let challenge = reply.header("www-authenticate").unwrap_or_default();
        assert!(challenge.starts_with("Bearer"), "{path}: `{challenge}`");
    }
    app.send(
        app.request(Method::POST, "/v1/principals")
            .json(&json!({"kind": "user", "name": "x"})),
    )
    .await
    .expect_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_token_that_does_not_verify_is_401() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    for bad in [
        unknown_secret(),
        typo_of(&token),
        "nonsense".to_owned(),
        typo_of(&app.root_token),
    ] {
        let reply = app.get(&bad, "/v1/keys").await;
        reply.expect_error(401, "UNAUTHENTICATED");
        assert!(reply
            .header("www-authenticate")
            .unwrap_or_default()
            .starts_with("Bearer"));
    }
    let basic = app
        .send(
            app.request(Method::GET, "/v1/keys")
                .basic_auth("root", Some(&app.root_token)),
        )
        .await;
    basic.expect_error(401, "UNAUTHENTICATED");
    let raw = app
        .send(
            app.request(Method::GET, "/v1/keys")
                .header("authorization", app.root_token.clone()),
        )
        .await;
    raw.expect_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_disabled_or_expired_admin_key_is_401() {
    let app = spawn_app().await;
    let (_, admin) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&admin, "admins").await);
    let expiring = app
        .create_key(
            &admin,
            &owner,
            json!({"name": "e", "roles": ["keyward:admin"],
                   "expires_at": rfc3339(app.clock.now() + time::Duration::minutes(5))}),
        )
        .await;
    let disabled = app
        .create_key(
            &admin,
            &owner,
            json!({"name": "d", "roles": ["keyward:admin"]}),
        )
        .await;
    app.get(&disabled.secret, "/v1/keys")
        .await
        .expect_status(200);
    app.post_empty(&admin, &format!("/v1/keys/{}/disable", disabled.id))
        .await
        .expect_status(200);
    app.get(&disabled.secret, "/v1/keys")
        .await
        .expect_error(401, "UNAUTHENTICATED");

    app.get(&expiring.secret, "/v1/keys")
        .await
        .expect_status(200);
    app.clock.advance(time::Duration::minutes(5));
    app.get(&expiring.secret, "/v1/keys")
        .await
        .expect_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_key_without_a_management_role_is_403_everywhere() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    let plain = app
        .create_key(
            &token,
            &owner,
            json!({"name": "p", "roles": ["reader", "admin", "keyward"]}),
        )
        .await;
    for (call, status, body) in management_calls(&app, &plain.secret, &plain.id).await {
        assert_eq!(status, 403, "{call}: {body}");
        assert_eq!(body["error"]["code"], json!("FORBIDDEN"), "{call}");
    }
    // Its refused management calls still count as uses (written behind), so compare the rest.
    let mut stored = app.stored_key(&plain.id).await;
    let mut expected = plain.key.clone();
    for key in [&mut stored, &mut expected] {
        key.as_object_mut().expect("object").remove("last_used_at");
    }
    assert_eq!(stored, expected, "nothing changed");
    assert_eq!(
        app.verify_code(&plain.secret).await,
        "VALID",
        "still a good data-plane key"
    );
}

#[tokio::test]
async fn a_domain_admin_is_not_root() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    app.get(&token, "/v1/operations?all_domains=true")
        .await
        .expect_error(403, "FORBIDDEN");
    app.post(&token, "/v1/domains", json!({"name": unique("x")}))
        .await
        .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn an_admin_key_used_from_outside_its_allow_list_is_refused() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "admins").await);
    let fenced = app
        .create_key(
            &token,
            &owner,
            json!({"name": "f", "roles": ["keyward:admin"], "allowed_cidrs": [{"cidr": "203.0.113.0/24"}]}),
        )
        .await;
    let reply = app.get(&fenced.secret, "/v1/keys").await;
    // A real key used from the wrong place: 403, as documented (the gateway says IP_NOT_ALLOWED).
    reply.expect_error(403, "FORBIDDEN");
    let local = app
        .create_key(
            &token,
            &owner,
            json!({"name": "l", "roles": ["keyward:admin"], "allowed_cidrs": [{"cidr": "127.0.0.0/8"}]}),
        )
        .await;
    app.get(&local.secret, "/v1/keys").await.expect_status(200);
}

#[tokio::test]
async fn keys_of_external_principals_are_refused() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let external = app
        .create_principal(
            &token,
            json!({"kind": "user", "name": "ldap-user", "external": true}),
        )
        .await;
    assert_eq!(external["external"], json!(true));
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": id_of(&external), "name": "k"}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    let keys = app
        .get(&token, &format!("/v1/keys?owner={}", id_of(&external)))
        .await
        .items();
    assert!(keys.is_empty(), "no key was created: {keys:?}");
    app.post(
        &app.root_token,
        "/v1/keys",
        json!({"owner_id": id_of(&external), "name": "k"}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn the_root_key_administers_everything() {
    let app = spawn_app().await;
    let (domain, _) = app.new_domain_admin(&unique("d")).await;
    for path in [
        "/v1/keys".to_owned(),
        "/v1/principals".to_owned(),
        "/v1/domains".to_owned(),
        "/v1/operations".to_owned(),
        format!("/v1/keys?domain_id={domain}"),
        format!("/v1/principals?domain_id={domain}"),
        format!("/v1/operations?domain_id={domain}"),
        "/v1/operations?all_domains=true".to_owned(),
    ] {
        app.get(&app.root_token, &path).await.expect_status(200);
    }
    let root_keys = app.get(&app.root_token, "/v1/keys").await.items();
    assert_eq!(
        root_keys.len(),
        1,
        "the root domain holds the bootstrap key"
    );
    assert_eq!(root_keys[0]["roles"], json!(["keyward:root"]));
    assert_eq!(root_keys[0]["type"], json!("system"));
}

#[tokio::test]
async fn an_admin_that_rotates_its_own_key_must_use_the_new_one() {
    let app = spawn_app().await;
    let admin = app.new_domain_admin_full(&unique("d")).await;
    app.get(&admin.token, "/v1/keys").await.expect_status(200);
    let rotated = app
        .post_empty(&admin.token, &format!("/v1/keys/{}/rotate", admin.key_id))
        .await
        .expect_status(200);
    let new = rotated["secret"].as_str().expect("a secret");
    app.get(&admin.token, "/v1/keys")
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.get(new, "/v1/keys").await.expect_status(200);
    let ops = app
        .get(new, &format!("/v1/keys/{}/operations", admin.key_id))
        .await
        .items();
    assert_eq!(ops[0]["action"], json!("key.rotate"));
    assert_eq!(
        ops[0]["actor"]["key_id"],
        json!(admin.key_id),
        "it rotated itself"
    );
}
