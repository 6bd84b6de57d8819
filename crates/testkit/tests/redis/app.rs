//! The server with `redis_url`: its verifier counts through Redis, and shares the counters with
//! its peers; a node whose Redis does not answer still starts.

use std::time::Duration;

use keyward_testkit::app::{spawn_app_with, AppOptions};
use keyward_testkit::redis::{redis_addr, redis_url_via};
use keyward_testkit::relay::Relay;

use super::{frozen_now, rate, setup};

#[tokio::test]
async fn nodes_with_a_redis_url_share_their_counters() {
    let Some((url, _)) = setup("app::nodes_with_a_redis_url_share_their_counters") else {
        return;
    };
    let a = spawn_app_with(AppOptions {
        redis_url: Some(url),
        ..AppOptions::default()
    })
    .await;
    let b = a.spawn_peer().await;
    let now = frozen_now();
    // The default prefix, but a fresh key: nobody else's counter.
    let limit = [rate(5, Duration::from_secs(60), 5, None)];
    let (on_a, on_b) = (a.core(), b.core());
    assert!(
        on_a.verifier()
            .limiter()
            .try_charge(&limit, 1, now)
            .is_none(),
        "an exact limit goes to Redis, not to this node's memory"
    );
    assert!(
        on_a.verifier()
            .limiter()
            .charge(&limit, 3, now)
            .await
            .admitted
    );
    let seen = on_b.verifier().limiter().charge(&limit, 0, now).await;
    assert_eq!(seen.states[0].remaining, 2, "B counts A's usage");
}

#[tokio::test]
async fn a_node_starts_while_redis_is_away_and_counts_alone() {
    let Some((url, _)) = setup("app::a_node_starts_while_redis_is_away") else {
        return;
    };
    let relay = Relay::start(redis_addr(&url).await).await;
    relay.cut();
    let app = spawn_app_with(AppOptions {
        redis_url: Some(redis_url_via(&url, relay.addr)),
        ..AppOptions::default()
    })
    .await;
    let limit = [rate(2, Duration::from_secs(60), 2, None)];
    let limiter = app.core().verifier().limiter().clone();
    let now = frozen_now();
    let answers: Vec<bool> = [1, 1, 1]
        .iter()
        .map(|&cost| {
            limiter
                .try_charge(&limit, cost, now)
                .expect("in the fallback every charge answers at once")
                .admitted
        })
        .collect();
    assert_eq!(
        answers,
        [true, true, false],
        "the whole limit: no other node known"
    );
}
