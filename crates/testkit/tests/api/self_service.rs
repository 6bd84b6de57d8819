//! `keyward:self`: a key that manages the keys of its own principal through the native API
//! (read, create, rotate, disable, enable, delete), never another principal's, and never giving
//! or reaching more than it holds itself.

use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, unique, CreatedKey};
use serde_json::{json, Value};

/// A domain admin, a service account `ci` holding a `keyward:self` key with a scope and a rate
/// limit, and a second account `other` with a key of its own.
struct Setup {
    admin: String,
    ci: String,
    own: CreatedKey,
    other: String,
    others_key: CreatedKey,
}

async fn setup(app: &TestApp) -> Setup {
    let (_, admin) = app.new_domain_admin(&unique("d")).await;
    let ci = id_of(&app.create_service_account(&admin, "ci").await);
    let own = app
        .create_key(
            &admin,
            &ci,
            json!({"name": "ci-self", "roles": ["keyward:self", "deploy"], "scopes": ["read"],
                   "rate_limits": [{"name": "r", "limit": 1000, "period": "1h"}]}),
        )
        .await;
    let other = id_of(&app.create_service_account(&admin, "other").await);
    let others_key = app.create_named_key(&admin, &other, "theirs").await;
    Setup {
        admin,
        ci,
        own,
        other,
        others_key,
    }
}

fn names(page: &Value) -> Vec<String> {
    let mut names: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|k| k["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_self_key_manages_its_own_principals_keys() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let me = &s.own.secret;

    let made = app
        .create_key(
            me,
            &s.ci,
            json!({"name": "made-by-itself", "roles": ["deploy"], "scopes": ["read"]}),
        )
        .await;
    assert_eq!(made.key["roles"], json!(["deploy"]));
    assert_eq!(
        made.key["rate_limits"], s.own.key["rate_limits"],
        "a self-made key carries its maker's limits"
    );
    assert_eq!(app.verify_code(&made.secret).await, "VALID");

    let listed = app
        .get(me, &format!("/v1/keys?owner={}", s.ci))
        .await
        .expect_status(200);
    assert_eq!(names(&listed), ["ci-self", "made-by-itself"]);
    // Unfiltered, it still sees only its own principal's keys.
    let all = app.get(me, "/v1/keys").await.expect_status(200);
    assert_eq!(names(&all), ["ci-self", "made-by-itself"]);
    app.get(me, &format!("/v1/keys/{}", made.id))
        .await
        .expect_status(200);

    let rotated = app
        .post(me, &format!("/v1/keys/{}/rotate", made.id), json!({}))
        .await
        .expect_status(200);
    let new_secret = CreatedKey::from_response(&rotated).secret;
    assert_eq!(app.verify_code(&made.secret).await, "NOT_FOUND");
    assert_eq!(app.verify_code(&new_secret).await, "VALID");

    app.post_empty(me, &format!("/v1/keys/{}/disable", made.id))
        .await
        .expect_status(200);
    assert_eq!(app.verify_code(&new_secret).await, "DISABLED");
    app.post_empty(me, &format!("/v1/keys/{}/enable", made.id))
        .await
        .expect_status(200);
    let renamed = app
        .patch(
            me,
            &format!("/v1/keys/{}", made.id),
            json!({"name": "renamed", "description": "mine"}),
        )
        .await
        .expect_status(200);
    assert_eq!(renamed["name"], "renamed");
    app.delete(me, &format!("/v1/keys/{}", made.id))
        .await
        .expect_status(204);
    assert_eq!(app.verify_code(&new_secret).await, "NOT_FOUND");
    // It can rotate itself, as CI rotating its own credential does.
    let itself = app
        .post(me, &format!("/v1/keys/{}/rotate", s.own.id), json!({}))
        .await
        .expect_status(200);
    let me = CreatedKey::from_response(&itself).secret;
    app.get(&me, &format!("/v1/keys/{}", s.own.id))
        .await
        .expect_status(200);
}

#[tokio::test]
async fn a_self_key_never_reaches_another_principal() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let me = &s.own.secret;
    let theirs = &s.others_key.id;

    for path in [
        format!("/v1/keys/{theirs}"),
        format!("/v1/principals/{}", s.other),
    ] {
        app.get(me, &path).await.expect_error(404, "NOT_FOUND");
    }
    app.post(me, &format!("/v1/keys/{theirs}/rotate"), json!({}))
        .await
        .expect_error(404, "NOT_FOUND");
    app.post_empty(me, &format!("/v1/keys/{theirs}/disable"))
        .await
        .expect_error(404, "NOT_FOUND");
    app.delete(me, &format!("/v1/keys/{theirs}"))
        .await
        .expect_error(404, "NOT_FOUND");
    app.post(
        me,
        "/v1/keys",
        json!({"owner_id": s.other, "name": "planted"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let listed = app
        .get(me, &format!("/v1/keys?owner={}", s.other))
        .await
        .expect_status(200);
    assert_eq!(
        listed["items"],
        json!([]),
        "another principal's keys match nothing"
    );
    assert_eq!(app.verify_code(&s.others_key.secret).await, "VALID");

    // Of the principals it sees only its own; nothing else of the domain.
    let principals = app.get(me, "/v1/principals").await.expect_status(200);
    assert_eq!(principals["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(principals["items"][0]["id"], json!(s.ci));
    for path in ["/v1/products", "/v1/operations", "/v1/usage-plans"] {
        app.get(me, path).await.expect_error(403, "FORBIDDEN");
    }
    app.post(me, "/v1/principals", json!({"kind": "user", "name": "u"}))
        .await
        .expect_error(403, "FORBIDDEN");
    // Its own principal it may read, not change.
    app.get(me, &format!("/v1/principals/{}", s.ci))
        .await
        .expect_status(200);
    app.patch(
        me,
        &format!("/v1/principals/{}", s.ci),
        json!({"description": "x"}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn a_self_key_gives_no_more_than_it_holds() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let me = &s.own.secret;
    let create = |body: Value| {
        let mut body = body;
        body["owner_id"] = json!(s.ci);
        app.post(me, "/v1/keys", body)
    };
    for body in [
        json!({"name": "a", "roles": ["keyward:admin"]}),
        json!({"name": "r", "roles": ["keyward:root"]}),
        json!({"name": "b", "roles": ["billing"]}),
        json!({"name": "w", "scopes": ["write"]}),
        json!({"name": "l", "rate_limits": [{"name": "r", "limit": 5, "period": "1h"}]}),
        json!({"name": "c", "credits": {"remaining": 10}}),
    ] {
        create(body).await.expect_error(403, "FORBIDDEN");
    }
    // A key of its principal that holds more (an admin key) is out of its reach.
    let admin_of_ci = app
        .create_key(
            &s.admin,
            &s.ci,
            json!({"name": "ci-admin", "roles": ["keyward:admin"]}),
        )
        .await;
    app.post(
        me,
        &format!("/v1/keys/{}/rotate", admin_of_ci.id),
        json!({}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    app.delete(me, &format!("/v1/keys/{}", admin_of_ci.id))
        .await
        .expect_error(403, "FORBIDDEN");
    assert_eq!(app.verify_code(&admin_of_ci.secret).await, "VALID");
    // Nor may it widen its own key, or set what an administrator sets.
    for patch in [
        json!({"roles": ["keyward:self", "deploy", "keyward:admin"]}),
        json!({"scopes": ["read", "write"]}),
        json!({"rate_limits": []}),
        json!({"allowed_cidrs": []}),
    ] {
        app.patch(me, &format!("/v1/keys/{}", s.own.id), patch)
            .await
            .expect_error(403, "FORBIDDEN");
    }
    app.post(
        me,
        &format!("/v1/keys/{}/credits", s.own.id),
        json!({"op": "set", "amount": 10}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    let stored = app.stored_key(&s.own.id).await;
    assert_eq!(stored["roles"], json!(["keyward:self", "deploy"]));
}
