//! The database going away under a running server (PostgreSQL only: a SQLite file cannot be
//! taken away from an open connection). Requests that need it answer 503 `UNAVAILABLE`, never
//! 500; `/healthz` stays 200; a key already in the verify cache still verifies; and when the
//! database comes back the server serves again without a restart.

use std::io::Write as _;

use keyward_testkit::app::{spawn_app, spawn_app_with, AppOptions, TestApp};
use keyward_testkit::db::postgres_url;
use keyward_testkit::fixtures::{id_of, unique, unknown_secret, CreatedKey};
use keyward_testkit::relay::{postgres_addr, Relay};
use reqwest::Method;
use serde_json::json;

fn skip(test: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "keyward-testkit: SKIPPED outage::{test} (needs PostgreSQL: set KEYWARD_TEST_DATABASE_URL)"
    );
}

/// An admin token and a key already verified once (so it sits in the verify cache).
async fn cached_key(app: &TestApp) -> (String, CreatedKey) {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    let key = app.create_named_key(&token, &owner, "k").await;
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    (token, key)
}

/// Everything that needs the database answers 503; what does not, still works.
async fn assert_degraded(app: &TestApp, token: &str, cached: &CreatedKey) {
    let ready = app.send(app.request(Method::GET, "/readyz")).await;
    assert_eq!(ready.status, 503, "readyz: {}", ready.text);
    let health = app.send(app.request(Method::GET, "/healthz")).await;
    assert_eq!(health.status, 200, "the process is still up");
    app.get(token, "/v1/keys")
        .await
        .expect_error(503, "UNAVAILABLE");
    app.post(
        token,
        "/v1/principals",
        json!({"kind": "user", "name": "x"}),
    )
    .await
    .expect_error(503, "UNAVAILABLE");
    app.send(
        app.request(Method::POST, "/v1/keys/verify")
            .json(&json!({"key": unknown_secret()})),
    )
    .await
    .expect_error(503, "UNAVAILABLE");
    let gateway = app
        .send(
            app.gateway(Method::GET, "/v1/auth")
                .bearer_auth(unknown_secret()),
        )
        .await;
    assert_eq!(gateway.status, 503, "gateway: {}", gateway.text);
    assert_eq!(
        app.verify_code(&cached.secret).await,
        "VALID",
        "a cached key does not need the database"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_503_and_the_server_recovers() {
    let Some(server_url) = postgres_url() else {
        return skip("an_unreachable_database_is_503_and_the_server_recovers");
    };
    let relay = Relay::start(postgres_addr(&server_url).await).await;
    let app = spawn_app_with(AppOptions {
        database_via: Some(relay.addr),
        ..AppOptions::default()
    })
    .await;
    let (token, cached) = cached_key(&app).await;

    relay.cut();
    assert_degraded(&app, &token, &cached).await;

    relay.restore();
    let ready = app.send(app.request(Method::GET, "/readyz")).await;
    assert_eq!(ready.status, 200, "ready again: {}", ready.text);
    app.get(&token, "/v1/keys").await.expect_status(200);
    assert_eq!(app.verify_code(&unknown_secret()).await, "NOT_FOUND");
}

#[tokio::test]
async fn a_dropped_database_is_503_never_500() {
    use sqlx::{Connection as _, Executor as _};
    let Some(server_url) = postgres_url() else {
        return skip("a_dropped_database_is_503_never_500");
    };
    let app = spawn_app().await;
    let (token, cached) = cached_key(&app).await;

    let url = app.database_url();
    let name = url
        .split('?')
        .next()
        .and_then(|base| base.rsplit('/').next())
        .expect("a database name");
    let mut admin = sqlx::PgConnection::connect(&server_url)
        .await
        .expect("the PostgreSQL server answers");
    admin
        .execute(format!("DROP DATABASE \"{name}\" WITH (FORCE)").as_str())
        .await
        .expect("the test database is dropped");
    let _ = admin.close().await;

    assert_degraded(&app, &token, &cached).await;
}
