//! A change made through node A reaches node B's cache within a second (PostgreSQL
//! `LISTEN/NOTIFY`), for every kind of change that affects verification; and nothing but a
//! notification does, which shows that B really answers from its cache.

use keyward_testkit::app::AppOptions;
use keyward_testkit::fixtures::CreatedKey;
use serde_json::json;
use sqlx::{Connection as _, Executor as _, PgConnection};

use super::{
    postgres_or_skip, set_state_behind_keyward, until_code, verify_code_with_scopes, Cluster,
    PROPAGATION_LIMIT,
};

#[tokio::test]
async fn a_key_disabled_on_a_is_refused_on_b_within_a_second() {
    if postgres_or_skip("a_key_disabled_on_a_is_refused_on_b_within_a_second").is_none() {
        return;
    }
    let cluster = Cluster::start(AppOptions::default()).await;
    let key = cluster.key_cached_on_b(json!({})).await;

    let path = format!("/v1/keys/{}/disable", key.id);
    cluster
        .a
        .post_empty(&cluster.token, &path)
        .await
        .expect_status(200);
    until_code(&cluster.b, &key.secret, &[], "DISABLED", PROPAGATION_LIMIT).await;
}

#[tokio::test]
async fn a_key_rotated_without_grace_on_a_refuses_its_old_secret_on_b_within_a_second() {
    if postgres_or_skip("a_key_rotated_without_grace_on_a_refuses_its_old_secret_on_b").is_none() {
        return;
    }
    let cluster = Cluster::start(AppOptions::default()).await;
    let old = cluster.key_cached_on_b(json!({})).await;

    let path = format!("/v1/keys/{}/rotate", old.id);
    let reply = cluster
        .a
        .post(&cluster.token, &path, json!({"grace_seconds": 0}))
        .await;
    let new = CreatedKey::from_response(&reply.expect_status(200));
    until_code(&cluster.b, &old.secret, &[], "NOT_FOUND", PROPAGATION_LIMIT).await;
    assert_eq!(cluster.b.verify_code(&new.secret).await, "VALID");
}

#[tokio::test]
async fn a_key_deleted_on_a_is_refused_on_b_within_a_second() {
    if postgres_or_skip("a_key_deleted_on_a_is_refused_on_b_within_a_second").is_none() {
        return;
    }
    let cluster = Cluster::start(AppOptions::default()).await;
    let key = cluster.key_cached_on_b(json!({})).await;

    let reply = cluster
        .a
        .delete(&cluster.token, &format!("/v1/keys/{}", key.id))
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    until_code(&cluster.b, &key.secret, &[], "NOT_FOUND", PROPAGATION_LIMIT).await;
}

#[tokio::test]
async fn a_scope_removed_on_a_is_missing_on_b_within_a_second() {
    if postgres_or_skip("a_scope_removed_on_a_is_missing_on_b_within_a_second").is_none() {
        return;
    }
    let cluster = Cluster::start(AppOptions::default()).await;
    let key = cluster
        .key_cached_on_b(json!({"scopes": ["billing:read", "billing:write"]}))
        .await;
    let write = ["billing:write"];
    assert_eq!(
        verify_code_with_scopes(&cluster.b, &key.secret, &write).await,
        "VALID"
    );

    cluster
        .a
        .patch(
            &cluster.token,
            &format!("/v1/keys/{}", key.id),
            json!({"scopes": ["billing:read"]}),
        )
        .await
        .expect_status(200);
    until_code(
        &cluster.b,
        &key.secret,
        &write,
        "INSUFFICIENT_SCOPE",
        PROPAGATION_LIMIT,
    )
    .await;
    let read = ["billing:read"];
    assert_eq!(
        verify_code_with_scopes(&cluster.b, &key.secret, &read).await,
        "VALID"
    );
}

/// A change written behind keyward's back publishes nothing, so B keeps answering from its
/// cache (`key_cached_on_b` relies on this): the refusals above came from the notifications. A
/// notification B cannot read makes it drop its whole cache rather than guess.
#[tokio::test]
async fn b_answers_from_its_cache_until_a_notification_says_otherwise() {
    if postgres_or_skip("b_answers_from_its_cache_until_a_notification").is_none() {
        return;
    }
    let cluster = Cluster::start(AppOptions::default()).await;
    let key = cluster.key_cached_on_b(json!({})).await;

    let mut db = PgConnection::connect(cluster.a.database_url())
        .await
        .expect("the test database answers");
    set_state_behind_keyward(&mut db, &key.id, "disabled").await;
    assert_eq!(
        cluster.b.verify_code(&key.secret).await,
        "VALID",
        "B answers from its cache: nothing told it of the change"
    );
    assert_eq!(
        cluster.a.verify_code(&key.secret).await,
        "DISABLED",
        "A never cached the key, so it reads the database"
    );

    db.execute("SELECT pg_notify('keyward_keys', 'not a list of hashes')")
        .await
        .expect("a notification");
    let _ = db.close().await;
    until_code(&cluster.b, &key.secret, &[], "DISABLED", PROPAGATION_LIMIT).await;
}
