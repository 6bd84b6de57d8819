//! Request bodies: not JSON, the wrong JSON, unknown or missing fields, values that break a
//! rule, too large, or not declared as JSON.

use keyward_testkit::app::spawn_app;
use reqwest::Method;
use serde_json::{json, Value};

use super::{keys_named, raw, setup, token_for};

#[tokio::test]
async fn malformed_json_is_400() {
    let app = spawn_app().await;
    let (token, _, key) = setup(&app).await;
    let key_path = format!("/v1/keys/{key}");
    for (method, path) in [
        (Method::POST, "/v1/principals"),
        (Method::POST, "/v1/keys"),
        (Method::PATCH, key_path.as_str()),
        (Method::POST, "/v1/domains"),
    ] {
        for body in [
            "{\"name\":",
            "not json",
            "",
            "[]",
            "\"a string\"",
            "42",
            "null",
            "{,}",
        ] {
            let reply = raw(
                &app,
                method.clone(),
                path,
                &token_for(&app, path, &token),
                body,
            )
            .await;
            assert_eq!(
                reply.status, 400,
                "{method} {path} with `{body}`: {}",
                reply.text
            );
            reply.expect_error(400, "MALFORMED_JSON");
        }
    }
    let verify = app
        .send(
            app.request(Method::POST, "/v1/keys/verify")
                .header("content-type", "application/json")
                .body("{oops"),
        )
        .await;
    verify.expect_error(400, "MALFORMED_JSON");
}

#[tokio::test]
async fn trailing_garbage_makes_a_body_malformed_whatever_it_lacks() {
    let app = spawn_app().await;
    let (token, owner, _) = setup(&app).await;
    // Complete objects followed by garbage.
    for (path, body) in [
        (
            "/v1/principals",
            r#"{"kind": "user", "name": "x"} trailing"#.to_owned(),
        ),
        (
            "/v1/keys",
            format!(r#"{{"owner_id": "{owner}", "name": "x"}} {{}}"#),
        ),
    ] {
        raw(&app, Method::POST, path, &token, &body)
            .await
            .expect_error(400, "MALFORMED_JSON");
    }
    // Incomplete objects followed by garbage: still not JSON, so 400, not a 422 about a field.
    for (path, body) in [
        ("/v1/principals", r#"{"name": "x"} trailing"#),
        ("/v1/keys", r#"{"name": "x"} trailing"#),
    ] {
        raw(&app, Method::POST, path, &token, body)
            .await
            .expect_error(400, "MALFORMED_JSON");
    }
    assert_eq!(keys_named(&app, &token, "x").await, 0);
}

#[tokio::test]
async fn a_field_of_the_wrong_json_type_is_refused() {
    let app = spawn_app().await;
    let (token, owner, key) = setup(&app).await;
    for body in [
        json!({"owner_id": owner, "name": 5}),
        json!({"owner_id": owner, "name": "x", "roles": "admin"}),
        json!({"owner_id": owner, "name": "x", "scopes": [1]}),
        json!({"owner_id": owner, "name": "x", "allowed_cidrs": "10.0.0.0/8"}),
        json!({"owner_id": 7, "name": "x"}),
    ] {
        let reply = app.post(&token, "/v1/keys", body.clone()).await;
        let code = reply.body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match reply.status.as_u16() {
            400 => assert_eq!(code, "MALFORMED_JSON", "{body}"),
            422 => assert_eq!(code, "VALIDATION_FAILED", "{body}"),
            other => panic!("{body}: expected 400 or 422, got {other}: {}", reply.text),
        }
    }
    let reply = app
        .post(
            &token,
            &format!("/v1/keys/{key}/rotate"),
            json!({"grace_seconds": "300"}),
        )
        .await;
    assert!(
        matches!(reply.status.as_u16(), 400 | 422),
        "a string grace is a client error: {}",
        reply.text
    );
    assert_eq!(keys_named(&app, &token, "x").await, 0);
}

#[tokio::test]
async fn unknown_fields_are_422_unknown_field() {
    let app = spawn_app().await;
    let (token, owner, key) = setup(&app).await;
    let cases = [
        (
            Method::POST,
            "/v1/principals".to_owned(),
            json!({"kind": "user", "name": "x", "admin": true}),
        ),
        (
            Method::POST,
            "/v1/keys".to_owned(),
            json!({"owner_id": owner, "name": "x", "secret": "kw_mine"}),
        ),
        (
            Method::POST,
            "/v1/keys".to_owned(),
            json!({"owner_id": owner, "name": "x", "Name": "y"}),
        ),
        (
            Method::PATCH,
            format!("/v1/keys/{key}"),
            json!({"state": "disabled"}),
        ),
        (
            Method::PATCH,
            format!("/v1/keys/{key}"),
            json!({"owner_id": owner}),
        ),
        (
            Method::PATCH,
            format!("/v1/principals/{owner}"),
            json!({"kind": "user"}),
        ),
        (
            Method::POST,
            format!("/v1/keys/{key}/rotate"),
            json!({"grace": 5}),
        ),
    ];
    for (method, path, body) in cases {
        let reply = app
            .send(app.authed(method.clone(), &path, &token).json(&body))
            .await;
        assert_eq!(reply.status, 422, "{method} {path} {body}: {}", reply.text);
        reply.expect_error(422, "UNKNOWN_FIELD");
    }
    app.post(
        &app.root_token,
        "/v1/domains",
        json!({"name": "x", "is_root": true}),
    )
    .await
    .expect_error(422, "UNKNOWN_FIELD");
    let stored = app.stored_key(&key).await;
    assert_eq!(stored["state"], json!("enabled"));
    assert_eq!(keys_named(&app, &token, "x").await, 0);
}

#[tokio::test]
async fn missing_required_fields_are_422() {
    let app = spawn_app().await;
    let (token, owner, _) = setup(&app).await;
    app.post(&token, "/v1/principals", json!({"kind": "user"}))
        .await
        .expect_invalid("name");
    app.post(&token, "/v1/principals", json!({"name": "x"}))
        .await
        .expect_invalid("kind");
    app.post(&token, "/v1/keys", json!({"owner_id": owner}))
        .await
        .expect_invalid("name");
    app.post(&token, "/v1/keys", json!({"name": "x"}))
        .await
        .expect_invalid("owner_id");
    app.post(&app.root_token, "/v1/domains", json!({}))
        .await
        .expect_invalid("name");
}

#[tokio::test]
async fn field_values_that_break_a_rule_are_422_naming_the_field() {
    let app = spawn_app().await;
    let (token, owner, key) = setup(&app).await;
    let long = "x".repeat(256);
    let big_metadata = json!({"blob": "y".repeat(17 * 1024)});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"name": long}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": " padded"}), "name"),
        (json!({"name": "bell\u{7}"}), "name"),
        (json!({"name": "x", "type": "admin"}), "type"),
        (json!({"name": "x", "state": "paused"}), "state"),
        (json!({"name": "x", "scopes": ["has space"]}), "scopes"),
        (json!({"name": "x", "scopes": [""]}), "scopes"),
        (json!({"name": "x", "scopes": ["a", "a"]}), "scopes"),
        (json!({"name": "x", "scopes": ["s".repeat(257)]}), "scopes"),
        (json!({"name": "x", "roles": ["tab\there"]}), "roles"),
        (
            json!({"name": "x", "roles": (0..101).map(|i| i.to_string()).collect::<Vec<_>>()}),
            "roles",
        ),
        (
            json!({"name": "x", "allowed_cidrs": [{"cidr": "10.0.0.0/33"}]}),
            "allowed_cidrs",
        ),
        (
            json!({"name": "x", "allowed_cidrs": [{"cidr": "nonsense"}]}),
            "allowed_cidrs",
        ),
        (
            json!({"name": "x", "allowed_cidrs": [{"cidr": "::g/64"}]}),
            "allowed_cidrs",
        ),
        (json!({"name": "x", "metadata": [1, 2]}), "metadata"),
        (json!({"name": "x", "metadata": "text"}), "metadata"),
        (json!({"name": "x", "metadata": big_metadata}), "metadata"),
        (json!({"name": "x", "expires_at": "tomorrow"}), "expires_at"),
        (
            json!({"name": "x", "description": "d".repeat(65_536)}),
            "description",
        ),
    ];
    for (fields, field) in cases {
        let mut body = fields.clone();
        body["owner_id"] = json!(owner);
        let reply = app.post(&token, "/v1/keys", body).await;
        assert_eq!(reply.status, 422, "{field}: {}", reply.text);
        reply.expect_invalid(field);
    }
    let path = format!("/v1/keys/{key}");
    for (body, field) in [
        (json!({"name": "x".repeat(256)}), "name"),
        (json!({"scopes": ["a b"]}), "scopes"),
        (
            json!({"allowed_cidrs": [{"cidr": "300.1.1.1"}]}),
            "allowed_cidrs",
        ),
        (json!({"metadata": 5}), "metadata"),
    ] {
        app.patch(&token, &path, body).await.expect_invalid(field);
    }
    app.patch(&token, &path, json!({}))
        .await
        .expect_error(422, "VALIDATION_FAILED");
    app.post(
        &token,
        "/v1/principals",
        json!({"kind": "robot", "name": "r"}),
    )
    .await
    .expect_invalid("kind");
    app.post(
        &token,
        "/v1/principals",
        json!({"kind": "user", "name": "n".repeat(256)}),
    )
    .await
    .expect_invalid("name");
    app.post(&app.root_token, "/v1/domains", json!({"name": ""}))
        .await
        .expect_invalid("name");
    assert_eq!(
        app.get(&token, "/v1/keys?limit=1000").await.items().len(),
        2,
        "nothing stored"
    );
}

#[tokio::test]
async fn a_body_over_256_kib_is_413() {
    let app = spawn_app().await;
    let (token, owner, key) = setup(&app).await;
    let huge = "d".repeat(257 * 1024);
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": owner, "name": "big", "description": huge}),
    )
    .await
    .expect_error(413, "PAYLOAD_TOO_LARGE");
    app.patch(
        &token,
        &format!("/v1/keys/{key}"),
        json!({"description": huge}),
    )
    .await
    .expect_error(413, "PAYLOAD_TOO_LARGE");
    app.send(
        app.request(Method::POST, "/v1/keys/verify")
            .json(&json!({"key": huge})),
    )
    .await
    .expect_error(413, "PAYLOAD_TOO_LARGE");
    // Just under the limit is parsed (and refused for its content, not its size).
    let under = "d".repeat(200 * 1024);
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": owner, "name": "big", "description": under}),
    )
    .await
    .expect_invalid("description");
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_415() {
    let app = spawn_app().await;
    let (token, owner, key) = setup(&app).await;
    let body = json!({"owner_id": owner, "name": "x"}).to_string();
    let no_type = app
        .send(
            app.authed(Method::POST, "/v1/keys", &token)
                .body(body.clone()),
        )
        .await;
    no_type.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let reply = app
            .send(
                app.authed(Method::POST, "/v1/keys", &token)
                    .header("content-type", content_type)
                    .body(body.clone()),
            )
            .await;
        reply.expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    }
    app.send(
        app.authed(Method::PATCH, &format!("/v1/keys/{key}"), &token)
            .body(r#"{"name":"y"}"#),
    )
    .await
    .expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    app.send(
        app.request(Method::POST, "/v1/keys/verify")
            .header("content-type", "text/plain")
            .body(r#"{"key":"kw_x"}"#),
    )
    .await
    .expect_error(415, "UNSUPPORTED_MEDIA_TYPE");
    let with_charset = app
        .send(
            app.authed(Method::POST, "/v1/keys", &token)
                .header("content-type", "application/json; charset=utf-8")
                .body(body),
        )
        .await;
    with_charset.expect_status(201);
}
