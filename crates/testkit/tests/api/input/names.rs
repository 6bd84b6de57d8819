//! Names are one name however they are typed (NFC), hold no bidi or zero-width characters, and
//! the reserved `keyward:` namespace holds only the roles that exist.

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::{id_of, unique};
use serde_json::json;

use super::refused;

#[tokio::test]
async fn composed_and_decomposed_names_are_the_same_name() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    let decomposed = "cafe\u{301}";
    let created = app
        .post(
            &token,
            "/v1/keys",
            json!({"owner_id": owner, "name": decomposed}),
        )
        .await
        .expect_status(201);
    assert_eq!(
        created["key"]["name"].as_str().or(created["name"].as_str()),
        Some("café"),
        "{created}"
    );
    let again = app
        .post(
            &token,
            "/v1/keys",
            json!({"owner_id": owner, "name": "café"}),
        )
        .await;
    assert_eq!(
        again.status.as_u16(),
        409,
        "the same name twice: {}",
        again.text
    );
    // A filter typed decomposed finds the name stored composed.
    let found = app.get(&token, "/v1/keys?name=cafe%CC%81").await.items();
    assert_eq!(found.len(), 1, "{found:?}");
}

#[tokio::test]
async fn bidi_and_invisible_characters_are_refused_in_names() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    for name in [
        "invoice\u{202E}fdp.exe",
        "ad\u{200B}min",
        "a\u{2066}b\u{2069}",
        "\u{FEFF}x",
    ] {
        refused(
            &app.post(&token, "/v1/keys", json!({"owner_id": owner, "name": name}))
                .await,
            name,
        );
        refused(
            &app.post(
                &token,
                "/v1/principals",
                json!({"kind": "user", "name": name}),
            )
            .await,
            name,
        );
    }
    let stored = app.get(&token, &format!("/v1/keys?owner={owner}")).await;
    assert!(stored.items().is_empty());
}

#[tokio::test]
async fn unknown_roles_in_the_reserved_namespace_are_refused_whatever_their_case() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    for role in [
        "keyward:ROOT",
        "Keyward:admin",
        "KEYWARD:superuser",
        "keyward:",
    ] {
        let reply = app
            .post(
                &token,
                "/v1/keys",
                json!({"owner_id": owner, "name": "k", "roles": [role]}),
            )
            .await;
        assert_eq!(reply.status.as_u16(), 422, "{role}: {}", reply.text);
    }
    let key = app
        .post(
            &token,
            "/v1/keys",
            json!({"owner_id": owner, "name": "k", "roles": ["keyward:admin", "billing:read"]}),
        )
        .await
        .expect_status(201);
    let id = key["key"]["id"]
        .as_str()
        .or(key["id"].as_str())
        .expect("id")
        .to_owned();
    let reply = app
        .patch(
            &token,
            &format!("/v1/keys/{id}"),
            json!({"roles": ["keyward:Root"]}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.text);
}
