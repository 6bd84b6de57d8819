//! Everything else a request can get wrong: ids, missing objects, conflicts; and no error ever
//! shows internals.

use keyward_testkit::app::spawn_app;
use reqwest::Method;
use serde_json::json;

use super::{raw, setup};

#[tokio::test]
async fn a_path_id_that_is_not_a_uuid_is_400_invalid_id() {
    let app = spawn_app().await;
    let (token, _, _) = setup(&app).await;
    for (method, path) in [
        (Method::GET, "/v1/keys/abc"),
        (Method::PATCH, "/v1/keys/abc"),
        (Method::DELETE, "/v1/keys/123"),
        (Method::POST, "/v1/keys/abc/enable"),
        (Method::POST, "/v1/keys/abc/disable"),
        (Method::POST, "/v1/keys/abc/rotate"),
        (Method::GET, "/v1/keys/abc/operations"),
        (Method::GET, "/v1/principals/not-a-uuid"),
        (Method::DELETE, "/v1/principals/not-a-uuid"),
        (Method::GET, "/v1/domains/xyz"),
        (Method::GET, "/v1/operations/xyz"),
        (Method::GET, "/v1/keys/0190c9e0-0000-7000-8000-00000000000"),
    ] {
        let mut request = app.authed(method.clone(), path, &token);
        if method == Method::PATCH {
            request = request.json(&json!({"name": "y"}));
        }
        let reply = app.send(request).await;
        assert_eq!(reply.status, 400, "{method} {path}: {}", reply.text);
        reply.expect_error(400, "INVALID_ID");
    }
}

#[tokio::test]
async fn well_formed_ids_of_nothing_are_404() {
    let app = spawn_app().await;
    let (token, _, _) = setup(&app).await;
    let nothing = uuid::Uuid::now_v7();
    for path in [
        format!("/v1/keys/{nothing}"),
        format!("/v1/principals/{nothing}"),
        format!("/v1/domains/{nothing}"),
        format!("/v1/operations/{nothing}"),
        format!("/v1/keys/{nothing}/operations"),
    ] {
        app.get(&app.root_token, &path)
            .await
            .expect_error(404, "NOT_FOUND");
        app.get(&token, &path).await.expect_error(404, "NOT_FOUND");
    }
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": nothing, "name": "x"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn conflicts_are_409() {
    let app = spawn_app().await;
    let (token, owner, _) = setup(&app).await;
    app.post(&token, "/v1/keys", json!({"owner_id": owner, "name": "k"}))
        .await
        .expect_error(409, "CONFLICT");
    app.post(
        &token,
        "/v1/principals",
        json!({"kind": "user", "name": "svc"}),
    )
    .await
    .expect_error(409, "CONFLICT");
    app.delete(&token, &format!("/v1/principals/{owner}"))
        .await
        .expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn errors_never_leak_internals() {
    let app = spawn_app().await;
    let (token, owner, _) = setup(&app).await;
    let replies = [
        app.post(&token, "/v1/keys", json!({"owner_id": owner, "name": "k"}))
            .await,
        app.delete(&token, &format!("/v1/principals/{owner}")).await,
        raw(&app, Method::POST, "/v1/keys", &token, "{\"name\":").await,
    ];
    for reply in replies {
        let text = reply.text.to_lowercase();
        for internal in [
            "sqlx",
            "sqlite",
            "postgres",
            "constraint",
            "panicked",
            "stack",
        ] {
            assert!(!text.contains(internal), "`{internal}` in {}", reply.text);
        }
    }
}
