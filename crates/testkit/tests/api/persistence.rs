//! What the server stores survives a restart on the same database: objects as they were,
//! secrets that still verify (including one in its rotation grace), the change log, and the
//! last-used time flushed on the way down.

use keyward_testkit::app::{code_of, spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, rfc3339, time_of, unique};
use serde_json::json;
use time::Duration;

/// Verifies from 127.0.0.1, inside the test key's allow-list.
async fn local_code(app: &TestApp, secret: &str) -> String {
    code_of(&app.verify(json!({"key": secret, "ip": "127.0.0.1"})).await)
}

#[tokio::test]
async fn everything_survives_a_restart() {
    let mut app = spawn_app().await;
    let admin = app.new_domain_admin_full(&unique("keep")).await;
    let t = admin.token.clone();
    let principal = app
        .create_principal(
            &t,
            json!({"kind": "user", "name": "p", "description": "kept"}),
        )
        .await;
    let expires = app.clock.now() + Duration::days(3);
    let key = app
        .create_key(
            &t,
            &id_of(&principal),
            json!({
                "name": "full", "description": "d", "type": "system", "roles": ["r"],
                "scopes": ["s:1"], "allowed_cidrs": [{"name": "lo", "cidr": "127.0.0.0/8"}, {"cidr": "::1"}],
                "expires_at": rfc3339(expires), "metadata": {"nested": {"a": [1, 2]}}
            }),
        )
        .await;
    app.clock.advance(Duration::seconds(5));
    let rotated = app
        .post(
            &t,
            &format!("/v1/keys/{}/rotate", key.id),
            json!({"grace_seconds": 600}),
        )
        .await
        .expect_status(200);
    let new_secret = rotated["secret"].as_str().expect("secret").to_owned();
    let disabled = app.create_named_key(&t, &id_of(&principal), "off").await;
    app.post_empty(&t, &format!("/v1/keys/{}/disable", disabled.id))
        .await
        .expect_status(200);
    app.clock.advance(Duration::seconds(5));
    let used_at = app.clock.now();
    assert_eq!(local_code(&app, &new_secret).await, "VALID");

    let key_before = app
        .get(&t, &format!("/v1/keys/{}", key.id))
        .await
        .expect_status(200);
    let principal_before = app
        .get(&t, &format!("/v1/principals/{}", id_of(&principal)))
        .await
        .expect_status(200);
    let domain_before = app
        .get(&t, &format!("/v1/domains/{}", admin.domain_id))
        .await
        .expect_status(200);
    let ops_before = app.get(&t, "/v1/operations?limit=1000").await.items();

    app.restart().await;

    let mut key_after = app
        .get(&t, &format!("/v1/keys/{}", key.id))
        .await
        .expect_status(200);
    assert_eq!(
        time_of(&key_after["last_used_at"]),
        used_at,
        "the final flush at shutdown wrote the last use"
    );
    key_after["last_used_at"] = key_before["last_used_at"].clone();
    assert_eq!(key_after, key_before);
    assert_eq!(
        app.get(&t, &format!("/v1/principals/{}", id_of(&principal)))
            .await
            .expect_status(200),
        principal_before
    );
    assert_eq!(
        app.get(&t, &format!("/v1/domains/{}", admin.domain_id))
            .await
            .expect_status(200),
        domain_before
    );
    assert_eq!(
        app.get(&t, "/v1/operations?limit=1000").await.items(),
        ops_before
    );

    assert_eq!(local_code(&app, &new_secret).await, "VALID");
    assert_eq!(
        local_code(&app, &key.secret).await,
        "VALID",
        "still inside the grace"
    );
    assert_eq!(app.verify_code(&disabled.secret).await, "DISABLED");
    app.get(&app.root_token, "/v1/domains")
        .await
        .expect_status(200);

    app.clock.advance(Duration::seconds(600));
    assert_eq!(local_code(&app, &key.secret).await, "EXPIRED");
    assert_eq!(local_code(&app, &new_secret).await, "VALID");
}

#[tokio::test]
async fn deletions_survive_a_restart() {
    let mut app = spawn_app().await;
    let (domain, token) = app.new_domain_admin(&unique("gone")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    let key = app.create_named_key(&token, &owner, "k").await;
    app.delete(&token, &format!("/v1/keys/{}", key.id))
        .await
        .expect_status(204);
    let empty = app.create_domain(&unique("empty")).await;
    app.delete(&app.root_token, &format!("/v1/domains/{}", id_of(&empty)))
        .await
        .expect_status(204);

    app.restart().await;

    app.get(&token, &format!("/v1/keys/{}", key.id))
        .await
        .expect_error(404, "NOT_FOUND");
    assert_eq!(local_code(&app, &key.secret).await, "NOT_FOUND");
    app.get(&app.root_token, &format!("/v1/domains/{}", id_of(&empty)))
        .await
        .expect_error(404, "NOT_FOUND");
    app.get(&token, &format!("/v1/domains/{domain}"))
        .await
        .expect_status(200);
}

#[tokio::test]
async fn a_restart_does_not_bootstrap_again() {
    let mut app = spawn_app().await;
    app.restart().await;
    app.restart().await;
    let domains = app.get(&app.root_token, "/v1/domains").await.items();
    assert_eq!(domains.len(), 1, "still one root domain: {domains:?}");
    let keys = app.get(&app.root_token, "/v1/keys").await.items();
    assert_eq!(keys.len(), 1, "still one root key");
}
