//! The change feed itself, heard by a store of the test's own beside two running nodes: each key
//! write publishes the hashes the key had and has, on commit and only on commit, in commit
//! order; and a store's listener ends with the store.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use keyward_core::store::{ChangeEvent, ChangeSink, Store as _};
use keyward_store::{PostgresStore, StoreOptions};
use keyward_testkit::app::{AppOptions, TestApp};
use keyward_testkit::fixtures::{unique, CreatedKey};
use serde_json::json;
use sqlx::{Connection as _, PgConnection, Row as _};
use tokio::sync::mpsc;

use super::{postgres_or_skip, Cluster};

/// How long a notification may take to arrive before the test fails.
const DELIVERY: Duration = Duration::from_secs(5);

/// A store on the cluster's database whose change feed the test reads.
async fn watching_store(app: &TestApp) -> (PostgresStore, mpsc::UnboundedReceiver<ChangeEvent>) {
    let options = StoreOptions {
        migrate: false,
        ..StoreOptions::default()
    };
    let store = PostgresStore::open(app.database_url(), &options)
        .await
        .expect("a store on the cluster's database");
    let (events, heard) = mpsc::unbounded_channel();
    let sink: ChangeSink = std::sync::Arc::new(move |event| {
        let _ = events.send(event);
    });
    assert!(store.watch_changes(sink), "PostgreSQL has a change feed");
    (store, heard)
}

async fn next_event(heard: &mut mpsc::UnboundedReceiver<ChangeEvent>) -> ChangeEvent {
    tokio::time::timeout(DELIVERY, heard.recv())
        .await
        .expect("a change event in time")
        .expect("the feed is running")
}

/// The hashes (as hex) the next event names; fails on any other event.
async fn next_hashes(heard: &mut mpsc::UnboundedReceiver<ChangeEvent>) -> BTreeSet<String> {
    match next_event(heard).await {
        ChangeEvent::Keys(hashes) => hashes.iter().map(|h| h.to_hex()).collect(),
        other => panic!("expected a key change, got {other:?}"),
    }
}

/// The stored-hash form of secrets, as the nodes compute it.
fn hashes(app: &TestApp, secrets: &[&str]) -> BTreeSet<String> {
    let core = app.core();
    let hasher = core.verifier().hasher();
    secrets.iter().map(|s| hasher.hash(s).to_hex()).collect()
}

#[tokio::test]
async fn key_writes_publish_the_hashes_before_and_after_on_commit_only() {
    if postgres_or_skip("key_writes_publish_the_hashes_before_and_after_on_commit_only").is_none() {
        return;
    }
    let cluster = Cluster::start(AppOptions::default()).await;
    let (a, token) = (&cluster.a, cluster.token.as_str());
    let (_store, mut heard) = watching_store(a).await;
    assert_eq!(
        next_event(&mut heard).await,
        ChangeEvent::Restored,
        "listening starts with a clean slate: what came before was not heard"
    );

    let first = a
        .create_named_key(token, &cluster.owner, &unique("k"))
        .await;
    assert_eq!(next_hashes(&mut heard).await, hashes(a, &[&first.secret]));

    let rotate = format!("/v1/keys/{}/rotate", first.id);
    let reply = a.post(token, &rotate, json!({"grace_seconds": 300})).await;
    let second = CreatedKey::from_response(&reply.expect_status(200));
    assert_eq!(
        next_hashes(&mut heard).await,
        hashes(a, &[&first.secret, &second.secret]),
        "before: the first secret; after: both"
    );
    let reply = a.post(token, &rotate, json!({"grace_seconds": 0})).await;
    let third = CreatedKey::from_response(&reply.expect_status(200));
    assert_eq!(
        next_hashes(&mut heard).await,
        hashes(a, &[&first.secret, &second.secret, &third.secret])
    );

    // A write that fails (a name clash, rolled back) publishes nothing: the next event heard
    // is the next write that commits.
    let other = a
        .create_named_key(token, &cluster.owner, &unique("k"))
        .await;
    assert_eq!(next_hashes(&mut heard).await, hashes(a, &[&other.secret]));
    let clash = json!({"name": other.key["name"]});
    a.patch(token, &format!("/v1/keys/{}", first.id), clash)
        .await
        .expect_error(409, "CONFLICT");
    let disable = format!("/v1/keys/{}/disable", first.id);
    a.post_empty(token, &disable).await.expect_status(200);
    assert_eq!(next_hashes(&mut heard).await, hashes(a, &[&third.secret]));

    let reply = a.delete(token, &format!("/v1/keys/{}", first.id)).await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    assert_eq!(next_hashes(&mut heard).await, hashes(a, &[&third.secret]));
}

/// Dropping a store (its last clone) ends its listener and releases its connection.
#[tokio::test]
async fn a_stores_listener_ends_with_the_store() {
    let Some(server_url) = postgres_or_skip("a_stores_listener_ends_with_the_store") else {
        return;
    };
    let cluster = Cluster::start(AppOptions::default()).await;
    let (store, mut heard) = watching_store(&cluster.a).await;
    assert_eq!(next_event(&mut heard).await, ChangeEvent::Restored);
    let database = cluster
        .a
        .database_url()
        .split('?')
        .next()
        .and_then(|base| base.rsplit('/').next())
        .expect("a database name")
        .to_owned();
    let mut admin = PgConnection::connect(&server_url)
        .await
        .expect("the PostgreSQL server answers");
    until_listeners(&mut admin, &database, 3, "one per node, and the test's").await;

    drop(store);
    until_listeners(&mut admin, &database, 2, "the dropped store's gone").await;
    let ended = tokio::time::timeout(DELIVERY, heard.recv()).await;
    assert!(
        matches!(ended, Ok(None)),
        "the feed task ended and dropped its sink: {ended:?}"
    );
    let _ = admin.close().await;
}

/// Polls until `expected` change-feed listeners are connected to `database`.
async fn until_listeners(admin: &mut PgConnection, database: &str, expected: i64, what: &str) {
    let started = Instant::now();
    loop {
        let count: i64 = sqlx::query(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = $1 AND application_name = 'keyward-listener'",
        )
        .bind(database)
        .fetch_one(&mut *admin)
        .await
        .expect("pg_stat_activity answers")
        .get(0);
        if count == expected {
            return;
        }
        assert!(
            started.elapsed() < DELIVERY,
            "{count} listeners, not {expected} ({what})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
