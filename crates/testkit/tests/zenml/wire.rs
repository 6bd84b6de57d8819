//! The transcript of a real ZenML 0.98 server, replayed against keyward: the same requests must
//! answer the same status codes and the same JSON shapes (field names, nesting, types).

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::id_of;
use reqwest::Method;
use serde_json::{json, Value};

use super::helpers::{expect_detail, key_path, keys_path, login_form, secret_of, shape, Zen};

/// The transcript's service account, as embedded in a key (`metadata: null`).
fn transcript_account() -> Value {
    json!({
        "body": {"created": "2026-11-22T08:35:26.269252", "updated": "2026-11-22T08:35:26.269284",
                 "full_name": "", "active": true, "avatar_url": null},
        "metadata": null, "resources": null,
        "id": "de0812e8-669f-4b53-92b6-26bbdafe6f73", "permission_denied": false,
        "name": "sa-probe-1795336526"
    })
}

/// The transcript's "create API key" answer.
fn transcript_created_key() -> Value {
    json!({
        "body": {"created": "2026-11-22T08:35:26.537809", "updated": "2026-11-22T08:35:26.537809",
                 "key": "ZENKEY_…", "active": true, "service_account": transcript_account()},
        "metadata": {"description": "first key", "retain_period_minutes": 0,
                     "last_login": null, "last_rotated": null},
        "resources": null, "id": "1ed9dce0-5cee-46ba-a9a3-39a1bbba9b55",
        "permission_denied": false, "name": "key1"
    })
}

/// Whether `text` is a naive ISO 8601 time with optional microseconds, as ZenML renders them.
fn is_naive_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    (bytes.len() == 19 || bytes.len() == 26)
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && (bytes.len() == 19 || (bytes[19] == b'.' && digits(20..26)))
}

#[test]
fn the_time_checker_knows_zenml_times() {
    assert!(is_naive_time("2026-11-22T08:35:26.269252"));
    assert!(is_naive_time("2026-11-22T08:35:26"));
    assert!(!is_naive_time("2026-11-22T08:35:26Z"));
    assert!(!is_naive_time("2026-11-22T08:35:26.269252+00:00"));
}

#[tokio::test]
async fn a_session_replays_the_transcript_with_the_same_statuses_and_shapes() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;

    // Service account.
    let account = zen
        .post(
            &app,
            "/api/v1/service_accounts",
            json!({"name": "sa-probe", "description": "probe SA", "active": true}),
        )
        .await
        .expect_status(200);
    assert_eq!(
        shape(&account),
        shape(&json!({
            "body": {"created": "t", "updated": "t", "full_name": "", "active": true,
                     "avatar_url": null},
            "metadata": {"description": "probe SA", "external_user_id": null},
            "resources": null, "id": "x", "permission_denied": false, "name": "sa-probe"
        }))
    );
    assert_eq!(account["metadata"]["description"], "probe SA");
    let sa = id_of(&account);

    // Create: the plaintext key only here, and it is a keyward key.
    let created = zen.key(&app, &sa, "key1", "first key").await;
    assert_eq!(shape(&created), shape(&transcript_created_key()));
    assert!(secret_of(&created).starts_with("kw_"));
    for time in [&created["body"]["created"], &created["body"]["updated"]] {
        assert!(is_naive_time(time.as_str().expect("a time")), "{time}");
    }
    assert_eq!(created["body"]["service_account"]["id"], json!(sa));
    let key_id = id_of(&created);

    // Duplicate name: 409 EntityExistsError, worded like ZenML.
    let reply = zen
        .post(&app, &keys_path(&sa), json!({"name": "key1"}))
        .await;
    let message = expect_detail(&reply, 409, "EntityExistsError");
    assert!(
        message.starts_with("Unable to register API key with name 'key1': Found an existing"),
        "{message}"
    );

    // Missing name: FastAPI's bare 422 array.
    let reply = zen.post(&app, &keys_path(&sa), json!({})).await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.text);
    assert_eq!(reply.body[0], "ValueError", "{}", reply.text);
    assert!(
        reply.body[1]
            .as_str()
            .is_some_and(|m| m.contains("'loc': ('body', 'name'), 'msg': 'Field required'")),
        "{}",
        reply.text
    );

    // Login with the key, with and without grant_type: a bearer token, no cookie.
    let secret = secret_of(&created);
    for form in [
        vec![
            ("grant_type", "zenml-api-key"),
            ("password", secret.as_str()),
        ],
        vec![("password", secret.as_str())],
    ] {
        let reply = login_form(&app, &form).await;
        assert!(reply.header("set-cookie").is_none());
        let token = reply.expect_status(200);
        assert_eq!(
            shape(&token),
            shape(
                &json!({"access_token": "t", "token_type": "bearer", "expires_in": 3600,
                          "refresh_token": null, "csrf_token": null, "scope": null,
                          "device_id": null, "device_metadata": null})
            )
        );
        assert_eq!(token["token_type"], "bearer");
    }

    // A bad key: 401 CredentialsNotValid.
    let reply = login_form(
        &app,
        &[
            ("grant_type", "zenml-api-key"),
            ("password", "ZENKEY_bogus"),
        ],
    )
    .await;
    let message = expect_detail(&reply, 401, "CredentialsNotValid");
    assert!(message.starts_with("Authentication error: "), "{message}");

    // Get by name (hydrated by default) and by id with hydrate=false.
    let by_name = zen
        .get(&app, &key_path(&sa, "key1"))
        .await
        .expect_status(200);
    assert_eq!(
        by_name["body"]["key"],
        Value::Null,
        "the key is never shown again"
    );
    assert_eq!(by_name["metadata"]["description"], "first key");
    assert_eq!(by_name["metadata"]["retain_period_minutes"], 0);
    let by_id = zen
        .get(&app, &format!("{}?hydrate=false", key_path(&sa, &key_id)))
        .await
        .expect_status(200);
    assert_eq!(by_id["metadata"], Value::Null);
    assert_eq!(by_id["id"], by_name["id"]);

    // Deactivate: hydrated answer, active false.
    let off = zen
        .put(&app, &key_path(&sa, "key1"), json!({"active": false}))
        .await
        .expect_status(200);
    assert_eq!(off["body"]["active"], false);
    assert_eq!(off["metadata"]["description"], "first key");
    let reply = login_form(&app, &[("password", secret.as_str())]).await;
    expect_detail(&reply, 401, "CredentialsNotValid");
    zen.put(&app, &key_path(&sa, "key1"), json!({"active": true}))
        .await
        .expect_status(200);

    // Rotate with a retain period: a new key in body.key, metadata null.
    let rotated = zen
        .put(
            &app,
            &format!("{}/rotate", key_path(&sa, "key1")),
            json!({"retain_period_minutes": 5}),
        )
        .await
        .expect_status(200);
    assert_eq!(rotated["metadata"], Value::Null);
    assert_ne!(secret_of(&rotated), secret);
    let after = zen
        .get(&app, &key_path(&sa, "key1"))
        .await
        .expect_status(200);
    assert_eq!(after["metadata"]["retain_period_minutes"], 5);
    assert!(after["metadata"]["last_rotated"].is_string());

    // Delete: 200 null; then 404 KeyError in ZenML's words.
    let reply = zen.delete(&app, &key_path(&sa, "key1")).await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(reply.text, "null");
    let reply = zen.get(&app, &key_path(&sa, "key1")).await;
    let message = expect_detail(&reply, 404, "KeyError");
    assert_eq!(
        message,
        format!(
            "\"An API key with ID or name 'key1' is not configured for service account with ID \
             '{sa}'.\""
        )
    );

    // No credentials: FastAPI's 401 with its challenge.
    let reply = app.send(app.request(Method::GET, &keys_path(&sa))).await;
    assert_eq!(reply.status.as_u16(), 401);
    assert_eq!(reply.body, json!({"detail": "Not authenticated"}));
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn info_health_and_current_user_answer_what_the_client_reads() {
    let app = spawn_app().await;
    let info = app
        .send(app.request(Method::GET, "/api/v1/info"))
        .await
        .expect_status(200);
    assert_eq!(info["auth_scheme"], "OAUTH2_PASSWORD_BEARER");
    assert_eq!(info["version"], "0.98.0");
    assert_ne!(info["deployment_type"], "cloud", "not ZenML Pro");
    assert!(info["id"].as_str().is_some_and(|id| id.len() == 36));

    let head = app.send(app.request(Method::HEAD, "/health")).await;
    assert_eq!(head.status.as_u16(), 200);
    let get = app.send(app.request(Method::GET, "/health")).await;
    assert_eq!(get.body, json!("OK"));

    let zen = Zen::new(&app).await;
    let sa = zen.account(&app, "robot").await;
    let key = zen.key(&app, &sa, "k", "").await;
    let sa_token = super::helpers::login(&app, &secret_of(&key)).await;
    let me = app
        .get(&sa_token, "/api/v1/current-user")
        .await
        .expect_status(200);
    assert_eq!(me["id"], json!(sa));
    assert_eq!(me["name"], "robot");
    assert_eq!(me["body"]["is_service_account"], true);
    assert_eq!(me["body"]["is_admin"], false);
    assert_eq!(
        shape(&me),
        shape(&json!({
            "body": {"created": "t", "updated": "t", "active": true, "activation_token": null,
                     "full_name": "", "email_opted_in": false, "is_service_account": true,
                     "is_admin": false, "default_project_id": null, "avatar_url": null},
            "metadata": {"password_changed_at": null, "email": null, "external_user_id": null,
                         "user_metadata": {}, "oidc_claims": {}},
            "resources": null, "id": "x", "permission_denied": false, "name": "robot"
        }))
    );
    let admin = app
        .get(&zen.token, "/api/v1/current-user?hydrate=False")
        .await
        .expect_status(200);
    assert_eq!(admin["body"]["is_admin"], true);
    assert_eq!(admin["metadata"], Value::Null);

    // Unknown ZenML routes answer like FastAPI; the native API is untouched.
    let reply = app.get(&zen.token, "/api/v1/no-such-thing").await;
    assert_eq!(reply.status.as_u16(), 404);
    assert_eq!(reply.body, json!({"detail": "Not Found"}));
    app.get(&zen.admin_key, "/v1/keys").await.expect_status(200);
}

#[tokio::test]
async fn bodies_and_paths_are_validated_like_fastapi() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let sa = zen.account(&app, "v").await;
    let bad = |reply: &keyward_testkit::app::Reply, loc: &str| {
        assert_eq!(reply.status.as_u16(), 422, "{}", reply.text);
        assert_eq!(reply.body[0], "ValueError", "{}", reply.text);
        assert!(
            reply.body[1].as_str().is_some_and(|m| m.contains(loc)),
            "expected {loc} in {}",
            reply.text
        );
    };
    let long = "x".repeat(256);
    bad(
        &zen.post(&app, &keys_path(&sa), json!({"name": long})).await,
        "('body', 'name')",
    );
    zen.post(&app, &keys_path(&sa), json!({"name": "x".repeat(255)}))
        .await
        .expect_status(200);
    bad(
        &zen.post(
            &app,
            &keys_path(&sa),
            json!({"name": "d", "description": "y".repeat(65_536)}),
        )
        .await,
        "('body', 'description')",
    );
    zen.post(
        &app,
        &keys_path(&sa),
        json!({"name": "d", "description": "y".repeat(65_535)}),
    )
    .await
    .expect_status(200);
    bad(
        &zen.get(&app, &keys_path("not-a-uuid")).await,
        "('path', 'service_account_id')",
    );
    bad(
        &zen.put(
            &app,
            &format!("{}/rotate", key_path(&sa, "d")),
            json!({"retain_period_minutes": -1}),
        )
        .await,
        "retain_period_minutes",
    );
    bad(
        &zen.put(
            &app,
            &format!("{}/rotate", key_path(&sa, "d")),
            json!({"retain_period_minutes": i64::MAX}),
        )
        .await,
        "retain_period_minutes",
    );
    bad(
        &zen.get(&app, &format!("{}?hydrate=maybe", key_path(&sa, "d")))
            .await,
        "hydrate",
    );
    let reply = app
        .send(
            app.authed(Method::POST, &keys_path(&sa), &zen.token)
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    bad(&reply, "JSON decode error");

    // Another service account's key, by id, is not this account's.
    let other = zen.account(&app, "w").await;
    let theirs = id_of(&zen.key(&app, &other, "theirs", "").await);
    let reply = zen.get(&app, &key_path(&sa, &theirs)).await;
    expect_detail(&reply, 404, "KeyError");
    let reply = zen
        .get(&app, &keys_path(&uuid::Uuid::now_v7().to_string()))
        .await;
    expect_detail(&reply, 404, "KeyError");
}
