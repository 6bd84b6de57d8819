//! `/v1/domains`: root manages tenants; a domain admin sees only its own.

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::{id_of, time_of, unique};
use serde_json::json;

#[tokio::test]
async fn root_creates_a_domain_and_reads_it_back() {
    let app = spawn_app().await;
    let name = unique("acme");
    let created = app
        .post(
            &app.root_token,
            "/v1/domains",
            json!({"name": name, "description": "a tenant"}),
        )
        .await
        .expect_status(201);
    assert_eq!(created["name"], json!(name));
    assert_eq!(created["description"], json!("a tenant"));
    assert_eq!(created["is_root"], json!(false));
    assert_eq!(time_of(&created["created_at"]), app.clock.now());
    assert_eq!(created["created_at"], created["updated_at"]);
    uuid::Uuid::parse_str(&id_of(&created)).expect("a UUID id");

    let stored = app
        .get(&app.root_token, &format!("/v1/domains/{}", id_of(&created)))
        .await
        .expect_status(200);
    assert_eq!(stored, created);
}

#[tokio::test]
async fn description_defaults_to_empty() {
    let app = spawn_app().await;
    let created = app.create_domain(&unique("plain")).await;
    assert_eq!(created["description"], json!(""));
}

#[tokio::test]
async fn root_lists_every_domain_including_the_root_domain() {
    let app = spawn_app().await;
    let a = app.create_domain(&unique("a")).await;
    let b = app.create_domain(&unique("b")).await;
    let items = app.walk_pages(&app.root_token, "/v1/domains?limit=1").await;
    assert_eq!(items.len(), 3, "root + two domains: {items:?}");
    assert_eq!(
        items.iter().filter(|d| d["is_root"] == json!(true)).count(),
        1
    );
    assert!(items.contains(&a) && items.contains(&b));
}

#[tokio::test]
async fn a_domain_admin_lists_and_reads_only_its_own_domain() {
    let app = spawn_app().await;
    let (own, token) = app.new_domain_admin(&unique("own")).await;
    let (other, _) = app.new_domain_admin(&unique("other")).await;
    let items = app.get(&token, "/v1/domains").await.items();
    let ids: Vec<String> = items.iter().map(id_of).collect();
    assert_eq!(ids, vec![own.clone()]);
    app.get(&token, &format!("/v1/domains/{own}"))
        .await
        .expect_status(200);
    app.get(&token, &format!("/v1/domains/{other}"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn patch_changes_only_the_named_fields() {
    let app = spawn_app().await;
    let created = app
        .post(
            &app.root_token,
            "/v1/domains",
            json!({"name": unique("before"), "description": "kept"}),
        )
        .await
        .expect_status(201);
    let id = id_of(&created);
    app.clock.advance(time::Duration::minutes(1));
    let new_name = unique("after");
    let patched = app
        .patch(
            &app.root_token,
            &format!("/v1/domains/{id}"),
            json!({"name": new_name}),
        )
        .await
        .expect_status(200);
    assert_eq!(patched["name"], json!(new_name));
    assert_eq!(patched["description"], json!("kept"));
    assert_eq!(patched["created_at"], created["created_at"]);
    assert_eq!(time_of(&patched["updated_at"]), app.clock.now());

    let stored = app
        .get(&app.root_token, &format!("/v1/domains/{id}"))
        .await
        .expect_status(200);
    assert_eq!(stored, patched);

    let described = app
        .patch(
            &app.root_token,
            &format!("/v1/domains/{id}"),
            json!({"description": "changed"}),
        )
        .await
        .expect_status(200);
    assert_eq!(described["name"], json!(new_name));
    assert_eq!(described["description"], json!("changed"));
}

#[tokio::test]
async fn an_empty_domain_is_deleted_and_gone() {
    let app = spawn_app().await;
    let id = id_of(&app.create_domain(&unique("gone")).await);
    let reply = app
        .delete(&app.root_token, &format!("/v1/domains/{id}"))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert!(reply.text.is_empty(), "204 has no body");
    app.get(&app.root_token, &format!("/v1/domains/{id}"))
        .await
        .expect_error(404, "NOT_FOUND");
    app.delete(&app.root_token, &format!("/v1/domains/{id}"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_domain_with_principals_is_not_deleted() {
    let app = spawn_app().await;
    let (domain, _) = app.new_domain_admin(&unique("busy")).await;
    app.delete(&app.root_token, &format!("/v1/domains/{domain}"))
        .await
        .expect_error(409, "CONFLICT");
    app.get(&app.root_token, &format!("/v1/domains/{domain}"))
        .await
        .expect_status(200);
}

#[tokio::test]
async fn the_root_domain_cannot_be_deleted() {
    let app = spawn_app().await;
    let root = app.root_domain_id().await;
    app.delete(&app.root_token, &format!("/v1/domains/{root}"))
        .await
        .expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn domain_names_are_unique() {
    let app = spawn_app().await;
    let name = unique("twice");
    app.create_domain(&name).await;
    app.post(&app.root_token, "/v1/domains", json!({"name": name}))
        .await
        .expect_error(409, "CONFLICT");
    let other = id_of(&app.create_domain(&unique("other")).await);
    app.patch(
        &app.root_token,
        &format!("/v1/domains/{other}"),
        json!({"name": name}),
    )
    .await
    .expect_error(409, "CONFLICT");
}

#[tokio::test]
async fn a_domain_admin_cannot_manage_domains() {
    let app = spawn_app().await;
    let (own, token) = app.new_domain_admin(&unique("own")).await;
    app.post(&token, "/v1/domains", json!({"name": unique("mine")}))
        .await
        .expect_error(403, "FORBIDDEN");
    app.patch(
        &token,
        &format!("/v1/domains/{own}"),
        json!({"description": "x"}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    app.delete(&token, &format!("/v1/domains/{own}"))
        .await
        .expect_error(403, "FORBIDDEN");
    let stored = app
        .get(&app.root_token, &format!("/v1/domains/{own}"))
        .await
        .expect_status(200);
    assert_eq!(stored["description"], json!(""));
}
