//! `last_used_at`: written behind in batches by the verifier, so tests poll the key with a
//! deadline instead of sleeping a fixed time.

use keyward_testkit::app::{eventually, spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, time_of, unique, CreatedKey};
use reqwest::Method;
use serde_json::{json, Value};
use time::OffsetDateTime;

async fn setup(app: &TestApp) -> (String, CreatedKey) {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    let key = app
        .create_key(&token, &owner, json!({"name": "k", "scopes": ["a"]}))
        .await;
    (token, key)
}

async fn wait_for_last_used(app: &TestApp, id: &str, at: OffsetDateTime) -> Value {
    eventually("last_used_at to be written", || async {
        let key = app.stored_key(id).await;
        (!key["last_used_at"].is_null() && time_of(&key["last_used_at"]) == at).then_some(key)
    })
    .await
}

#[tokio::test]
async fn a_successful_verify_sets_last_used_at() {
    let app = spawn_app().await;
    let (_, key) = setup(&app).await;
    assert_eq!(app.stored_key(&key.id).await["last_used_at"], Value::Null);
    app.clock.advance(time::Duration::minutes(3));
    let used_at = app.clock.now();
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    let stored = wait_for_last_used(&app, &key.id, used_at).await;
    assert_eq!(
        stored["updated_at"], key.key["updated_at"],
        "a use is not a change"
    );

    app.clock.advance(time::Duration::minutes(3));
    let later = app.clock.now();
    let reply = app
        .send(
            app.gateway(Method::GET, "/v1/auth")
                .bearer_auth(&key.secret),
        )
        .await;
    assert_eq!(reply.status, 200);
    wait_for_last_used(&app, &key.id, later).await;
}

#[tokio::test]
async fn a_refused_verify_does_not_count_as_a_use() {
    let app = spawn_app().await;
    let (token, key) = setup(&app).await;
    assert_eq!(
        keyward_testkit::app::code_of(
            &app.verify(json!({"key": key.secret, "scopes": ["b"]}))
                .await
        ),
        "INSUFFICIENT_SCOPE"
    );
    app.post_empty(&token, &format!("/v1/keys/{}/disable", key.id))
        .await
        .expect_status(200);
    assert_eq!(app.verify_code(&key.secret).await, "DISABLED");
    // A later successful use of another key proves a flush happened meanwhile.
    let owner = key.key["owner_id"].as_str().expect("owner").to_owned();
    let witness = app.create_named_key(&token, &owner, "witness").await;
    assert_eq!(app.verify_code(&witness.secret).await, "VALID");
    wait_for_last_used(&app, &witness.id, app.clock.now()).await;
    assert_eq!(app.stored_key(&key.id).await["last_used_at"], Value::Null);
}

#[tokio::test]
async fn last_used_at_is_filterable_once_written() {
    let app = spawn_app().await;
    let (token, key) = setup(&app).await;
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    wait_for_last_used(&app, &key.id, app.clock.now()).await;
    let used = app
        .get(&token, "/v1/keys?last_used_at=is_not_null:")
        .await
        .items();
    let ids: Vec<String> = used.iter().map(id_of).collect();
    assert!(ids.contains(&key.id), "{ids:?}");
}

#[tokio::test]
async fn last_used_at_only_moves_forward_and_survives_a_patch() {
    let app = spawn_app().await;
    let (token, key) = setup(&app).await;
    app.clock.advance(time::Duration::minutes(10));
    let used_at = app.clock.now();
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    wait_for_last_used(&app, &key.id, used_at).await;
    let patched = app
        .patch(
            &token,
            &format!("/v1/keys/{}", key.id),
            json!({"description": "x"}),
        )
        .await
        .expect_status(200);
    assert_eq!(time_of(&patched["last_used_at"]), used_at);
    assert_eq!(
        time_of(&app.stored_key(&key.id).await["last_used_at"]),
        used_at
    );
}
