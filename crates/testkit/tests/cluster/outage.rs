//! The database going away under two running nodes, and coming back. The test database is made
//! unreachable without touching the shared server: it stops accepting connections and the ones
//! it has are terminated, which is what a node sees when its database goes down.

use std::time::{Duration, Instant};

use keyward_core::verify::CacheSettings;
use keyward_testkit::app::{AppOptions, TestApp};
use keyward_testkit::fixtures::unknown_secret;
use keyward_testkit::relay::{postgres_addr, Relay};
use reqwest::Method;
use serde_json::json;
use sqlx::{Connection as _, Executor as _, PgConnection};

use super::{postgres_or_skip, until_code, within, Cluster};

/// The longest a request may take to fail while the database is away.
const FAIL_FAST: Duration = Duration::from_secs(3);
/// How long nodes may take to serve normally again once the database is back (the change feed
/// reconnects with a backoff of at most 2 s).
const RECOVERY: Duration = Duration::from_secs(10);

/// One test database refusing connections, until `end`.
struct Outage {
    admin: PgConnection,
    name: String,
}

impl Outage {
    /// From an administrator's connection to the server's own database: no new connections to
    /// the test database, and every open one terminated.
    async fn begin(server_url: &str, app: &TestApp) -> Self {
        let name = database_name(app.database_url());
        let mut admin = PgConnection::connect(server_url)
            .await
            .expect("the PostgreSQL server answers");
        admin
            .execute(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false").as_str())
            .await
            .expect("the test database stops accepting connections");
        admin
            .execute(
                sqlx::query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                )
                .bind(&name),
            )
            .await
            .expect("the test database's connections are terminated");
        Self { admin, name }
    }

    async fn end(mut self) {
        let sql = format!("ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true", self.name);
        self.admin
            .execute(sql.as_str())
            .await
            .expect("the test database accepts connections again");
        let _ = self.admin.close().await;
    }
}

fn database_name(url: &str) -> String {
    url.split('?')
        .next()
        .and_then(|base| base.rsplit('/').next())
        .expect("a database name")
        .to_owned()
}

/// Sends `request`, asserting a quick 503; answers the body.
async fn unavailable(app: &TestApp, what: &str, request: reqwest::RequestBuilder) -> String {
    let started = Instant::now();
    let reply = app.send(request).await;
    let took = started.elapsed();
    assert_eq!(reply.status, 503, "{what}: {}", reply.text);
    assert!(took < FAIL_FAST, "{what} took {took:?} to fail");
    reply.text
}

/// A management call answers 503 `UNAVAILABLE` (not 500), without hanging.
async fn management_unavailable(app: &TestApp, token: &str) {
    let started = Instant::now();
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
    assert!(started.elapsed() < FAIL_FAST * 2, "management calls hung");
}

/// An unknown secret needs the database: both verification doors fail closed with 503.
async fn uncached_fails_closed(app: &TestApp) {
    let verify = app
        .request(Method::POST, "/v1/keys/verify")
        .json(&json!({"key": unknown_secret()}));
    let body = unavailable(app, "POST /v1/keys/verify, uncached", verify).await;
    assert!(body.contains("UNAVAILABLE"), "{body}");
    let gateway = app
        .gateway(Method::GET, "/v1/auth")
        .bearer_auth(unknown_secret());
    unavailable(app, "GET /v1/auth, uncached", gateway).await;
}

/// With the default five-minute stale window (and a cache TTL shorter than the outage), both
/// nodes serve what they had cached, refuse what they had not, answer 503 to management calls,
/// and serve normally again once the database is back, seeing changes made through the other.
#[tokio::test]
async fn nodes_degrade_to_their_caches_and_recover_when_the_database_returns() {
    let Some(server_url) = postgres_or_skip("nodes_degrade_to_their_caches_and_recover") else {
        return;
    };
    let positive_ttl = Duration::from_millis(300);
    let cluster = Cluster::start(AppOptions {
        cache: Some(CacheSettings {
            positive_ttl,
            ..CacheSettings::default()
        }),
        ..AppOptions::default()
    })
    .await;
    let (a, b) = (&cluster.a, &cluster.b);
    let key = cluster.key_cached_on_b(json!({})).await;

    let outage = Outage::begin(&server_url, a).await;
    let began = Instant::now();
    management_unavailable(a, &cluster.token).await;
    management_unavailable(b, &cluster.token).await;
    uncached_fails_closed(a).await;
    uncached_fails_closed(b).await;
    for app in [a, b] {
        let ready = app.send(app.request(Method::GET, "/readyz")).await;
        assert_eq!(ready.status, 503, "readyz: {}", ready.text);
        let health = app.send(app.request(Method::GET, "/healthz")).await;
        assert_eq!(health.status, 200, "the process is still up");
    }
    // Past its TTL too: an entry due for a reload is still served while the database cannot
    // answer the reload.
    while began.elapsed() < positive_ttl * 3 {
        assert_eq!(
            b.verify_code(&key.secret).await,
            "VALID",
            "B serves its cached key {:?} into the outage",
            began.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    outage.end().await;
    within(
        RECOVERY,
        "both nodes serving management calls again",
        || async {
            let a_ok = a.get(&cluster.token, "/v1/keys").await.status == 200;
            let b_ok = b.get(&cluster.token, "/v1/keys").await.status == 200;
            (a_ok && b_ok).then_some(())
        },
    )
    .await;
    assert_eq!(b.verify_code(&unknown_secret()).await, "NOT_FOUND");
    let path = format!("/v1/keys/{}/disable", key.id);
    a.post_empty(&cluster.token, &path).await.expect_status(200);
    until_code(b, &key.secret, &[], "DISABLED", RECOVERY).await;
}

/// Past the stale window a node no longer trusts its cache: cached keys fail closed too, until
/// the database is back.
#[tokio::test]
async fn after_the_stale_window_cached_keys_fail_closed_too() {
    let Some(server_url) = postgres_or_skip("after_the_stale_window_cached_keys_fail_closed_too")
    else {
        return;
    };
    let cluster = Cluster::start(AppOptions {
        cache: Some(CacheSettings {
            stale_window: Duration::from_secs(2),
            ..CacheSettings::default()
        }),
        ..AppOptions::default()
    })
    .await;
    let b = &cluster.b;
    let key = cluster.key_cached_on_b(json!({})).await;

    let outage = Outage::begin(&server_url, b).await;
    assert_eq!(
        b.verify_code(&key.secret).await,
        "VALID",
        "inside the window"
    );
    within(RECOVERY, "the cached key failing closed", || async {
        let verify = b
            .request(Method::POST, "/v1/keys/verify")
            .json(&json!({"key": key.secret}));
        (b.send(verify).await.status == 503).then_some(())
    })
    .await;
    let gateway = b.gateway(Method::GET, "/v1/auth").bearer_auth(&key.secret);
    unavailable(b, "GET /v1/auth, cached but stale", gateway).await;

    outage.end().await;
    until_code(b, &key.secret, &[], "VALID", RECOVERY).await;
}

/// How soon a node must stop accepting a key disabled elsewhere once its connections to the
/// database went silent: its change feed's heartbeat (1 s of silence, then 2 s for an answer)
/// declares the feed lost, a new session listens again and drops the cache. It took 5–7 s before
/// the heartbeat was tightened, and a reconnect first waited on the dead connection.
const SILENT_FEED_NOTICED: Duration = Duration::from_millis(4_500);

/// A firewall forgets node B's flows: B's connections to PostgreSQL (its change feed's among
/// them) stop carrying packets without being closed, while new connections work. A key disabled
/// through node A, which B holds in its cache, must stop verifying on B: every verification B
/// is asked from `SILENT_FEED_NOTICED` after the freeze on is refused; and B then answers
/// `DISABLED` from the database. (A refusal may be a 503 first: a request that reaches one of
/// B's silent pool connections waits out the pool's 2 s acquire timeout, failing closed.)
#[tokio::test]
async fn a_silently_dead_change_feed_is_noticed_within_seconds() {
    let Some(server_url) =
        postgres_or_skip("a_silently_dead_change_feed_is_noticed_within_seconds")
    else {
        return;
    };
    let relay = Relay::start(postgres_addr(&server_url).await).await;
    let cluster = Cluster::start_with_b_via(AppOptions::default(), relay.addr).await;
    let (a, b) = (&cluster.a, &cluster.b);
    let key = cluster.key_cached_on_b(json!({})).await;

    relay.freeze_open();
    let frozen = Instant::now();
    let path = format!("/v1/keys/{}/disable", key.id);
    a.post_empty(&cluster.token, &path).await.expect_status(200);
    let refused_from = refused_from(b, &key.secret, frozen).await;
    eprintln!("a black-holed change feed: B refused the disabled key from {refused_from:?} after the freeze");
    assert!(
        refused_from < SILENT_FEED_NOTICED,
        "B accepted the disabled key until {refused_from:?} after its connections went silent"
    );
    until_code(b, &key.secret, &[], "DISABLED", RECOVERY).await;
    eprintln!("… and answered DISABLED {:?} after it", frozen.elapsed());
}

/// When the first verification of `secret` that `app` refused was sent, counted from `since`:
/// it accepted the key up to then.
async fn refused_from(app: &TestApp, secret: &str, since: Instant) -> Duration {
    loop {
        let sent = since.elapsed();
        assert!(
            sent < RECOVERY,
            "{} still accepts the key after {sent:?}",
            app.base_url
        );
        let verify = app
            .request(Method::POST, "/v1/keys/verify")
            .json(&json!({"key": secret}));
        let reply = app.send(verify).await;
        if reply.status != 200 || reply.body["code"] != json!("VALID") {
            return sent;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Node B's network to PostgreSQL becomes a black hole: open connections go silent, new ones
/// are accepted and never answered. B cannot hear changes, so once its feed's heartbeat expires
/// the stale window starts; with a 1 s window, B's cached key fails closed within
/// `BLACK_HOLE_FAILS_CLOSED` of the black hole: at most 3 s to notice, the window, and the
/// 2 s a request waits for a connection before its 503.
#[tokio::test]
async fn a_black_holed_node_starts_its_stale_window_within_seconds() {
    const BLACK_HOLE_FAILS_CLOSED: Duration = Duration::from_millis(6_500);
    let Some(server_url) =
        postgres_or_skip("a_black_holed_node_starts_its_stale_window_within_seconds")
    else {
        return;
    };
    let relay = Relay::start(postgres_addr(&server_url).await).await;
    let options = AppOptions {
        cache: Some(CacheSettings {
            stale_window: Duration::from_secs(1),
            ..CacheSettings::default()
        }),
        ..AppOptions::default()
    };
    let cluster = Cluster::start_with_b_via(options, relay.addr).await;
    let key = cluster.key_cached_on_b(json!({})).await;

    relay.black_hole();
    let black_holed = Instant::now();
    let refused_from = refused_from(&cluster.b, &key.secret, black_holed).await;
    eprintln!("a black-holed node: its cached key failed closed from {refused_from:?}");
    assert!(
        refused_from < BLACK_HOLE_FAILS_CLOSED,
        "B served its cache until {refused_from:?} into the black hole"
    );
    relay.restore();
    until_code(&cluster.b, &key.secret, &[], "VALID", RECOVERY).await;
}
