//! Three nodes hammering one exact limit never admit past it.

use std::sync::Arc;
use std::time::Duration;

use super::{charge, frozen_now, node, rate, setup};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_admit_exactly_the_limit() {
    let Some((url, prefix)) = setup("nodes::three_nodes_admit_exactly_the_limit") else {
        return;
    };
    let now = frozen_now();
    let limit = Arc::new([rate(100, Duration::from_secs(60), 100, None)]);
    let mut tasks = Vec::new();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let node = Arc::new(node(&url, &prefix).await);
        for _ in 0..16 {
            let (node, limit) = (Arc::clone(&node), Arc::clone(&limit));
            tasks.push(tokio::spawn(async move {
                let mut admitted = 0;
                for _ in 0..20 {
                    admitted += usize::from(charge(&node, &*limit, 1, now).await.admitted);
                }
                admitted
            }));
        }
        nodes.push(node);
    }
    let mut admitted = 0;
    for task in tasks {
        admitted += task.await.expect("a hammering task");
    }
    assert_eq!(
        admitted, 100,
        "3 nodes × 16 tasks × 20 tries at a limit of 100"
    );
    for node in &nodes {
        assert!(
            !node.is_degraded(),
            "the count came from Redis, not a fallback"
        );
    }
}
