//! Redis going away and coming back: the node counts alone at its share, then shares again.

use std::time::{Duration, Instant};

use keyward_core::usage::Limiter as _;
use keyward_redis::{RedisConfig, RedisLimiter};
use keyward_testkit::redis::{redis_addr, redis_url_via};
use keyward_testkit::relay::Relay;

use super::{charge, frozen_now, node, rate, setup};

#[tokio::test]
async fn a_node_cut_from_redis_counts_its_share_then_shares_again() {
    let Some((url, prefix)) = setup("outage::a_node_cut_from_redis_counts_its_share") else {
        return;
    };
    let now = frozen_now();
    // B reaches Redis directly; A through a relay the test cuts.
    let b = node(&url, &prefix).await;
    let relay = Relay::start(redis_addr(&url).await).await;
    let mut config = RedisConfig::new(redis_url_via(&url, relay.addr));
    config.prefix = prefix.clone();
    config.timeout = Duration::from_millis(500);
    config.interval = Duration::from_millis(100);
    let a = RedisLimiter::start(config).await.expect("a valid URL");
    assert_eq!(a.nodes(), 2, "A counted B's heartbeat and its own");
    let limit = [rate(10, Duration::from_secs(3600), 10, None)];

    assert!(charge(&a, &limit, 2, now).await.admitted);
    assert_eq!(charge(&b, &limit, 0, now).await.states[0].remaining, 8);

    relay.cut();
    let first = a.charge(&limit, 1, now).await;
    assert!(a.is_degraded(), "a failed call puts A in its fallback");
    assert!(first.admitted, "the fallback starts afresh at 10 / 2 nodes");
    let admitted = 1
        + (0..10)
            .filter(|_| {
                a.try_charge(&limit, 1, now)
                    .expect("the fallback answers without Redis")
                    .admitted
            })
            .count();
    assert_eq!(admitted, 5, "A's share of the limit: 10 / 2 nodes");
    assert_eq!(
        charge(&b, &limit, 0, now).await.states[0].remaining,
        8,
        "nothing A counted alone reached Redis"
    );

    relay.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.is_degraded() {
        assert!(Instant::now() < deadline, "A never went back to Redis");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        a.try_charge(&limit, 1, now).is_none(),
        "exact limits need Redis again"
    );
    assert!(charge(&a, &limit, 3, now).await.admitted);
    assert_eq!(
        charge(&b, &limit, 0, now).await.states[0].remaining,
        5,
        "A's charge is in the shared counter again"
    );
}

#[tokio::test]
async fn a_node_whose_connection_goes_silent_falls_back_then_reconnects() {
    let Some((url, prefix)) = setup("outage::a_node_whose_connection_goes_silent") else {
        return;
    };
    let now = frozen_now();
    let relay = Relay::start(redis_addr(&url).await).await;
    let mut config = RedisConfig::new(redis_url_via(&url, relay.addr));
    config.prefix = prefix;
    config.timeout = Duration::from_millis(300);
    config.interval = Duration::from_millis(100);
    let a = RedisLimiter::start(config).await.expect("a valid URL");
    let limit = [rate(10, Duration::from_secs(3600), 10, None)];
    assert!(charge(&a, &limit, 1, now).await.admitted);
    assert!(!a.is_degraded());

    // The open connection stops carrying bytes without closing; new connections would pass.
    relay.freeze_open();
    let answer = a.charge(&limit, 1, now).await;
    assert!(answer.admitted, "the fallback answers instead of waiting");
    assert!(a.is_degraded());
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.is_degraded() {
        assert!(
            Instant::now() < deadline,
            "A kept its silent connection and never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let back = charge(&a, &limit, 0, now).await;
    assert_eq!(
        back.states[0].remaining, 9,
        "Redis's count: one charge before the silence"
    );
}
