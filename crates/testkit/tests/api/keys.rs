//! `/v1/keys`: create with defaults and with every field, read, partial update, enable/disable,
//! delete, and the rule that a secret is shown only by create and rotate.

use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, rfc3339, strings, time_of, unique, SECRET_LEN};
use serde_json::{json, Value};

async fn owner(app: &TestApp, token: &str) -> String {
    id_of(&app.create_service_account(token, &unique("owner")).await)
}

#[tokio::test]
async fn create_fills_the_documented_defaults() {
    let app = spawn_app().await;
    let (domain, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let created = app.create_named_key(&token, &owner, "ci-deploy").await;

    assert!(created.secret.starts_with("kw_"));
    assert_eq!(created.secret.len(), SECRET_LEN);
    let key = &created.key;
    assert_eq!(key["domain_id"], json!(domain));
    assert_eq!(key["owner_id"], json!(owner));
    assert_eq!(key["name"], json!("ci-deploy"));
    assert_eq!(key["description"], json!(""));
    assert_eq!(key["type"], json!("user"));
    assert_eq!(key["state"], json!("enabled"));
    assert_eq!(key["roles"], json!([]));
    assert_eq!(key["scopes"], json!([]));
    assert_eq!(key["allowed_cidrs"], json!([]));
    assert_eq!(key["expires_at"], Value::Null);
    assert_eq!(key["metadata"], json!({}));
    assert_eq!(key["last_used_at"], Value::Null);
    assert_eq!(key["last_rotated_at"], Value::Null);
    assert_eq!(time_of(&key["created_at"]), app.clock.now());
    assert_eq!(key["updated_at"], key["created_at"]);

    let secrets = key["secrets"].as_array().expect("secrets");
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["slot"], json!("primary"));
    assert_eq!(secrets[0]["expires_at"], Value::Null);
    assert_eq!(secrets[0]["created_at"], key["created_at"]);
    let tail = &created.secret[created.secret.len() - 4..];
    assert_eq!(secrets[0]["hint"], json!(format!("kw_…{tail}")));
    for hidden in ["version", "hash", "secret"] {
        assert!(
            key.get(hidden).is_none(),
            "a key never shows `{hidden}`: {key}"
        );
    }
}

#[tokio::test]
async fn create_takes_every_field_and_stores_it() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let expires = app.clock.now() + time::Duration::days(30);
    let created = app
        .create_key(
            &token,
            &owner,
            json!({
                "name": "full",
                "description": "every field",
                "type": "system",
                "state": "disabled",
                "roles": ["reader", "writer"],
                "scopes": ["billing:read", "yc.ydb.topics.manage"],
                "allowed_cidrs": [
                    {"name": "office", "cidr": "192.0.2.0/24"},
                    {"cidr": "10.1.2.3/8"},
                    {"cidr": "2001:db8::/32"},
                    {"cidr": "198.51.100.7"}
                ],
                "expires_at": rfc3339(expires),
                "metadata": {"team": "platform", "cost_center": 42, "tags": ["a", "b"]}
            }),
        )
        .await;
    let key = &created.key;
    assert_eq!(key["description"], json!("every field"));
    assert_eq!(key["type"], json!("system"));
    assert_eq!(key["state"], json!("disabled"));
    assert_eq!(strings(&key["roles"]), ["reader", "writer"]);
    assert_eq!(
        strings(&key["scopes"]),
        ["billing:read", "yc.ydb.topics.manage"]
    );
    let cidrs: Vec<&str> = key["allowed_cidrs"]
        .as_array()
        .expect("cidrs")
        .iter()
        .map(|c| c["cidr"].as_str().expect("cidr"))
        .collect();
    assert_eq!(
        cidrs,
        [
            "192.0.2.0/24",
            "10.0.0.0/8",
            "2001:db8::/32",
            "198.51.100.7/32"
        ],
        "host bits are cleared; a bare address is one host"
    );
    assert_eq!(key["allowed_cidrs"][0]["name"], json!("office"));
    assert_eq!(time_of(&key["expires_at"]), expires);
    assert_eq!(
        key["metadata"],
        json!({"team": "platform", "cost_center": 42, "tags": ["a", "b"]})
    );

    let stored = app
        .get(&token, &format!("/v1/keys/{}", created.id))
        .await
        .expect_status(200);
    assert_eq!(&stored, key, "what GET shows is what create answered");
}

#[tokio::test]
async fn the_secret_appears_only_in_the_create_response() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let created = app.create_named_key(&token, &owner, "hidden").await;
    let body = &created.secret[3..];
    let one = app.get(&token, &format!("/v1/keys/{}", created.id)).await;
    let list = app.get(&token, "/v1/keys?limit=1000").await;
    let ops = app
        .get(&token, &format!("/v1/keys/{}/operations", created.id))
        .await;
    let all_ops = app.get(&token, "/v1/operations?limit=1000").await;
    for reply in [one, list, ops, all_ops] {
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert!(
            !reply.text.contains(body),
            "a read leaked the secret: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn patch_changes_only_the_named_fields() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let expires = app.clock.now() + time::Duration::days(1);
    let created = app
        .create_key(
            &token,
            &owner,
            json!({
                "name": "before", "description": "desc", "roles": ["r"], "scopes": ["s"],
                "allowed_cidrs": [{"cidr": "10.0.0.0/8"}], "expires_at": rfc3339(expires),
                "metadata": {"k": "v"}
            }),
        )
        .await;
    let path = format!("/v1/keys/{}", created.id);
    app.clock.advance(time::Duration::minutes(5));

    let renamed = app
        .patch(&token, &path, json!({"name": "after"}))
        .await
        .expect_status(200);
    let mut expected = created.key.clone();
    expected["name"] = json!("after");
    expected["updated_at"] = renamed["updated_at"].clone();
    assert_eq!(renamed, expected, "only name and updated_at changed");
    assert_eq!(time_of(&renamed["updated_at"]), app.clock.now());
    assert_eq!(app.get(&token, &path).await.expect_status(200), renamed);

    let changed = app
        .patch(
            &token,
            &path,
            json!({
                "description": "", "type": "delegation", "roles": [], "scopes": ["a", "b"],
                "allowed_cidrs": [], "metadata": {"other": true}
            }),
        )
        .await
        .expect_status(200);
    assert_eq!(changed["name"], json!("after"));
    assert_eq!(changed["description"], json!(""));
    assert_eq!(changed["type"], json!("delegation"));
    assert_eq!(changed["roles"], json!([]));
    assert_eq!(changed["scopes"], json!(["a", "b"]));
    assert_eq!(changed["allowed_cidrs"], json!([]));
    assert_eq!(changed["metadata"], json!({"other": true}));
    assert_eq!(time_of(&changed["expires_at"]), expires, "untouched");
    assert_eq!(changed["state"], json!("enabled"));
    assert_eq!(
        changed["secrets"], created.key["secrets"],
        "secrets untouched"
    );
    assert_eq!(app.get(&token, &path).await.expect_status(200), changed);
}

#[tokio::test]
async fn patch_with_null_expires_at_removes_the_expiry() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let expires = app.clock.now() + time::Duration::hours(1);
    let created = app
        .create_key(
            &token,
            &owner,
            json!({"name": "temp", "expires_at": rfc3339(expires)}),
        )
        .await;
    let path = format!("/v1/keys/{}", created.id);

    let later = expires + time::Duration::hours(1);
    let moved = app
        .patch(&token, &path, json!({"expires_at": rfc3339(later)}))
        .await
        .expect_status(200);
    assert_eq!(time_of(&moved["expires_at"]), later);

    let cleared = app
        .patch(&token, &path, json!({"expires_at": null}))
        .await
        .expect_status(200);
    assert_eq!(cleared["expires_at"], Value::Null);
    assert_eq!(cleared["name"], json!("temp"));
    let stored = app.get(&token, &path).await.expect_status(200);
    assert_eq!(stored["expires_at"], Value::Null);

    app.clock.advance(time::Duration::days(3650));
    assert_eq!(app.verify_code(&created.secret).await, "VALID");
}

#[tokio::test]
async fn an_expiry_in_the_past_is_refused() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let past = rfc3339(app.clock.now() - time::Duration::seconds(1));
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": owner, "name": "late", "expires_at": past}),
    )
    .await
    .expect_invalid("expires_at");
    let key = app.create_named_key(&token, &owner, "k").await;
    app.patch(
        &token,
        &format!("/v1/keys/{}", key.id),
        json!({"expires_at": rfc3339(app.clock.now())}),
    )
    .await
    .expect_invalid("expires_at");
}

#[tokio::test]
async fn key_names_are_unique_per_owner() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let first = owner(&app, &token).await;
    let second = owner(&app, &token).await;
    app.create_named_key(&token, &first, "deploy").await;
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": first, "name": "deploy"}),
    )
    .await
    .expect_error(409, "CONFLICT");
    app.create_named_key(&token, &second, "deploy").await;

    let other = app.create_named_key(&token, &first, "other").await;
    app.patch(
        &token,
        &format!("/v1/keys/{}", other.id),
        json!({"name": "deploy"}),
    )
    .await
    .expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn disable_and_enable_switch_the_state_and_verification() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let key = app.create_named_key(&token, &owner, "switch").await;
    assert_eq!(app.verify_code(&key.secret).await, "VALID");

    let disabled = app
        .post_empty(&token, &format!("/v1/keys/{}/disable", key.id))
        .await
        .expect_status(200);
    assert_eq!(disabled["state"], json!("disabled"));
    assert_eq!(app.stored_key(&key.id).await["state"], json!("disabled"));
    assert_eq!(app.verify_code(&key.secret).await, "DISABLED");

    let again = app
        .post_empty(&token, &format!("/v1/keys/{}/disable", key.id))
        .await
        .expect_status(200);
    assert_eq!(
        again["state"],
        json!("disabled"),
        "disabling twice is not an error"
    );

    let enabled = app
        .post_empty(&token, &format!("/v1/keys/{}/enable", key.id))
        .await
        .expect_status(200);
    assert_eq!(enabled["state"], json!("enabled"));
    assert_eq!(app.stored_key(&key.id).await["state"], json!("enabled"));
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
}

#[tokio::test]
async fn a_key_created_disabled_does_not_verify() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let key = app
        .create_key(&token, &owner, json!({"name": "off", "state": "disabled"}))
        .await;
    assert_eq!(app.verify_code(&key.secret).await, "DISABLED");
}

#[tokio::test]
async fn a_deleted_key_is_gone_and_stops_verifying() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let key = app.create_named_key(&token, &owner, "bye").await;
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    let path = format!("/v1/keys/{}", key.id);
    let reply = app.delete(&token, &path).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty());
    app.get(&token, &path).await.expect_error(404, "NOT_FOUND");
    assert_eq!(app.verify_code(&key.secret).await, "NOT_FOUND");
    app.delete(&token, &path)
        .await
        .expect_error(404, "NOT_FOUND");
    for action in ["enable", "disable", "rotate"] {
        app.post_empty(&token, &format!("{path}/{action}"))
            .await
            .expect_error(404, "NOT_FOUND");
    }
    app.patch(&token, &path, json!({"name": "x"}))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn an_admin_may_create_admin_keys_in_its_own_domain() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let second = app
        .create_key(
            &token,
            &owner,
            json!({"name": "deputy", "roles": ["keyward:admin"]}),
        )
        .await;
    app.get(&second.secret, "/v1/keys").await.expect_status(200);
}

#[tokio::test]
async fn times_come_back_in_utc_at_microsecond_precision() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let created = app
        .create_key(
            &token,
            &owner,
            json!({"name": "tz", "expires_at": "2099-01-01T12:00:00.123456789+02:00"}),
        )
        .await;
    // What create answers is what is stored: the store keeps microseconds, so must the answer.
    let stored = app.stored_key(&created.id).await;
    assert_eq!(
        stored["expires_at"], created.key["expires_at"],
        "stored as answered"
    );
    let expires = created.key["expires_at"].as_str().expect("a time");
    assert!(expires.ends_with('Z'), "UTC: {expires}");
    assert_eq!(
        time_of(&created.key["expires_at"]),
        time::macros::datetime!(2099-01-01 10:00:00.123456 UTC),
        "converted to UTC and cut to microseconds"
    );
    for field in ["created_at", "updated_at"] {
        assert!(created.key[field]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')));
    }
    let patched = app
        .patch(
            &token,
            &format!("/v1/keys/{}", created.id),
            json!({"expires_at": "2098-06-01T00:00:00.000000999Z"}),
        )
        .await
        .expect_status(200);
    assert_eq!(
        app.stored_key(&created.id).await["expires_at"],
        patched["expires_at"],
        "a PATCH answers what it stored"
    );
}

#[tokio::test]
async fn names_count_characters_not_bytes() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = owner(&app, &token).await;
    let wide = "🔑".repeat(255);
    let key = app.create_named_key(&token, &owner, &wide).await;
    assert_eq!(key.key["name"], json!(wide));
    assert_eq!(app.stored_key(&key.id).await["name"], json!(wide));
    let unicode = app.create_named_key(&token, &owner, "ключ für Zoë").await;
    let found = app
        .get(&token, "/v1/keys?name=starts_with:%D0%BA%D0%BB%D1%8E%D1%87")
        .await
        .items();
    assert_eq!(found.len(), 1);
    assert_eq!(id_of(&found[0]), unicode.id);
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": owner, "name": "🔑".repeat(256)}),
    )
    .await
    .expect_invalid("name");
}
