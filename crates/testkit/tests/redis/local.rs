//! `local` limits: each node counts alone, reconciled every round, within the stated bound.

use keyward_core::usage::{LimitMode, Limiter as _};

use super::{charge, frozen_now, node, quota, setup};

/// Units each node tries per round (one reconcile interval).
const PER_ROUND: u64 = 30;
const LIMIT: u64 = 100;

#[tokio::test]
async fn three_nodes_stay_within_limit_plus_one_interval_of_the_others() {
    let Some((url, prefix)) = setup("local::three_nodes_stay_within_the_bound") else {
        return;
    };
    let now = frozen_now();
    let nodes = [
        node(&url, &prefix).await,
        node(&url, &prefix).await,
        node(&url, &prefix).await,
    ];
    let limit = [quota(LIMIT, Some(LimitMode::Local), now)];
    let mut admitted = 0;
    let mut rounds = 0;
    loop {
        rounds += 1;
        let mut this_round = 0;
        for node in &nodes {
            for _ in 0..PER_ROUND {
                let answer = node
                    .try_charge(&limit, 1, now)
                    .expect("a local limit answers without Redis");
                this_round += u64::from(answer.admitted);
            }
        }
        admitted += this_round;
        for node in &nodes {
            node.tick().await;
        }
        if this_round == 0 || rounds > 10 {
            break;
        }
    }
    let bound = LIMIT + (nodes.len() as u64 - 1) * PER_ROUND;
    assert!(
        (LIMIT..=bound).contains(&admitted),
        "{admitted} admitted: the bound is limit + (nodes - 1) x units per node per interval = {bound}"
    );
    // After the last reconcile every node knows the counter is spent.
    for node in &nodes {
        let look = charge(node, &limit, 0, now).await;
        assert!(!look.admitted);
        assert_eq!(look.states[0].remaining, 0);
    }
    assert!(
        rounds >= 2,
        "the first round alone cannot exhaust the limit"
    );
}

#[tokio::test]
async fn a_reconcile_shows_each_node_the_others_usage() {
    let Some((url, prefix)) = setup("local::a_reconcile_shows_each_node_the_others_usage") else {
        return;
    };
    let now = frozen_now();
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let limit = [quota(LIMIT, Some(LimitMode::Local), now)];
    assert!(a.try_charge(&limit, 40, now).expect("local").admitted);
    assert!(b.try_charge(&limit, 25, now).expect("local").admitted);
    let before = b.try_charge(&limit, 0, now).expect("local");
    assert_eq!(
        before.states[0].remaining, 75,
        "B counts alone until it reconciles"
    );
    a.tick().await;
    b.tick().await;
    a.tick().await;
    assert_eq!(
        b.try_charge(&limit, 0, now).expect("local").states[0].remaining,
        35
    );
    assert_eq!(
        a.try_charge(&limit, 0, now).expect("local").states[0].remaining,
        35
    );
}
