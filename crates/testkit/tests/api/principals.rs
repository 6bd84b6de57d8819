//! `/v1/principals`: users and service accounts, unique by name within a domain.

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::{id_of, service_account, time_of, unique, user};
use serde_json::json;

#[tokio::test]
async fn create_fills_defaults_and_reads_back() {
    let app = spawn_app().await;
    let (domain, token) = app.new_domain_admin(&unique("d")).await;
    let name = unique("alice");
    let created = app.create_principal(&token, user(&name)).await;
    assert_eq!(created["kind"], json!("user"));
    assert_eq!(created["name"], json!(name));
    assert_eq!(created["description"], json!(""));
    assert_eq!(created["external"], json!(false));
    assert_eq!(
        created["domain_id"],
        json!(domain),
        "defaults to the caller's domain"
    );
    assert_eq!(time_of(&created["created_at"]), app.clock.now());
    assert_eq!(created["updated_at"], created["created_at"]);

    let stored = app
        .get(&token, &format!("/v1/principals/{}", id_of(&created)))
        .await
        .expect_status(200);
    assert_eq!(stored, created);
}

#[tokio::test]
async fn create_takes_every_optional_field() {
    let app = spawn_app().await;
    let (domain, _) = app.new_domain_admin(&unique("d")).await;
    let created = app
        .create_principal(
            &app.root_token,
            json!({
                "kind": "service_account", "name": "ci", "description": "deploys",
                "external": true, "domain_id": domain
            }),
        )
        .await;
    assert_eq!(created["kind"], json!("service_account"));
    assert_eq!(created["description"], json!("deploys"));
    assert_eq!(created["external"], json!(true));
    assert_eq!(created["domain_id"], json!(domain));
    let stored = app
        .get(
            &app.root_token,
            &format!("/v1/principals/{}", id_of(&created)),
        )
        .await
        .expect_status(200);
    assert_eq!(stored, created);
}

#[tokio::test]
async fn names_are_unique_within_a_domain_only() {
    let app = spawn_app().await;
    let (_, a) = app.new_domain_admin(&unique("a")).await;
    let (_, b) = app.new_domain_admin(&unique("b")).await;
    app.create_service_account(&a, "deployer").await;
    app.post(&a, "/v1/principals", service_account("deployer"))
        .await
        .expect_error(409, "CONFLICT");
    app.post(&a, "/v1/principals", user("deployer"))
        .await
        .expect_error(409, "CONFLICT");
    app.create_service_account(&b, "deployer").await;
}

#[tokio::test]
async fn patch_changes_only_the_named_fields() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let created = app
        .create_principal(
            &token,
            json!({"kind": "user", "name": "bob", "description": "old"}),
        )
        .await;
    let path = format!("/v1/principals/{}", id_of(&created));
    app.clock.advance(time::Duration::seconds(30));

    let patched = app
        .patch(&token, &path, json!({"description": "new"}))
        .await
        .expect_status(200);
    assert_eq!(patched["name"], json!("bob"));
    assert_eq!(patched["description"], json!("new"));
    assert_eq!(patched["kind"], json!("user"));
    assert_eq!(patched["created_at"], created["created_at"]);
    assert_eq!(time_of(&patched["updated_at"]), app.clock.now());
    assert_eq!(app.get(&token, &path).await.expect_status(200), patched);

    let renamed = app
        .patch(&token, &path, json!({"name": "robert"}))
        .await
        .expect_status(200);
    assert_eq!(renamed["name"], json!("robert"));
    assert_eq!(renamed["description"], json!("new"));
    assert_eq!(app.get(&token, &path).await.expect_status(200), renamed);
}

#[tokio::test]
async fn renaming_onto_a_taken_name_conflicts() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    app.create_service_account(&token, "taken").await;
    let other = app.create_service_account(&token, "free").await;
    let path = format!("/v1/principals/{}", id_of(&other));
    app.patch(&token, &path, json!({"name": "taken"}))
        .await
        .expect_error(409, "CONFLICT");
    assert_eq!(
        app.get(&token, &path).await.expect_status(200)["name"],
        json!("free")
    );
}

#[tokio::test]
async fn a_principal_without_keys_is_deleted() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let created = app.create_service_account(&token, "temp").await;
    let path = format!("/v1/principals/{}", id_of(&created));
    let reply = app.delete(&token, &path).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty());
    app.get(&token, &path).await.expect_error(404, "NOT_FOUND");
    app.delete(&token, &path)
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_principal_that_owns_keys_is_not_deleted() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "owner").await);
    let key = app.create_named_key(&token, &owner, "k").await;
    let path = format!("/v1/principals/{owner}");
    app.delete(&token, &path)
        .await
        .expect_error(409, "CONFLICT");
    app.get(&token, &path).await.expect_status(200);

    app.delete(&token, &format!("/v1/keys/{}", key.id))
        .await
        .expect_status(204);
    app.delete(&token, &path).await.expect_status(204);
}

#[tokio::test]
async fn a_caller_cannot_delete_its_own_principal() {
    let app = spawn_app().await;
    let admin = app.new_domain_admin_full(&unique("d")).await;
    app.delete(
        &admin.token,
        &format!("/v1/principals/{}", admin.principal_id),
    )
    .await
    .expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn root_creates_principals_in_any_domain() {
    let app = spawn_app().await;
    let (domain, token) = app.new_domain_admin(&unique("d")).await;
    let created = app
        .create_principal(
            &app.root_token,
            json!({"kind": "user", "name": "placed", "domain_id": domain}),
        )
        .await;
    assert_eq!(created["domain_id"], json!(domain));
    app.get(&token, &format!("/v1/principals/{}", id_of(&created)))
        .await
        .expect_status(200);
}

#[tokio::test]
async fn creating_in_a_domain_that_does_not_exist_is_404() {
    let app = spawn_app().await;
    let missing = uuid::Uuid::now_v7();
    app.post(
        &app.root_token,
        "/v1/principals",
        json!({"kind": "user", "name": "x", "domain_id": missing}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
}
