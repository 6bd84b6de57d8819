//! Three nodes sharing Redis hammer `/v1/auth` with one key whose exact rate limit is 100 per
//! minute: exactly 100 answers are 200, the rest 429. (PostgreSQL and Redis both required.)

use std::sync::Arc;

use keyward_testkit::app::{spawn_app_with, AppOptions};
use keyward_testkit::fixtures::{id_of, unique};
use keyward_testkit::redis::redis_or_skip;
use reqwest::Method;
use serde_json::json;

use super::postgres_or_skip;

/// Requests per node, from this many tasks each.
const PER_NODE: usize = 80;
const TASKS_PER_NODE: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_sharing_redis_answer_exactly_the_limit_with_200() {
    let test = "cluster::shared_limits::three_nodes_answer_exactly_the_limit";
    if postgres_or_skip(test).is_none() {
        return;
    }
    let Some(redis_url) = redis_or_skip(test) else {
        return;
    };
    let a = spawn_app_with(AppOptions {
        redis_url: Some(redis_url),
        ..AppOptions::default()
    })
    .await;
    // Peers share the database, the Redis and the test's clock (frozen: nothing refills).
    let nodes = [
        Arc::new(a.spawn_peer().await),
        Arc::new(a.spawn_peer().await),
    ];
    let (_, token) = a.new_domain_admin(&unique("shared")).await;
    let owner = id_of(&a.create_service_account(&token, &unique("svc")).await);
    let key = a
        .create_key(
            &token,
            &owner,
            json!({"name": unique("k"),
                   "rate_limits": [{"name": "requests", "limit": 100, "period": "1m", "mode": "exact"}]}),
        )
        .await;
    let a = Arc::new(a);
    let mut tasks = Vec::new();
    for node in [&a, &nodes[0], &nodes[1]] {
        for _ in 0..TASKS_PER_NODE {
            let (node, secret) = (Arc::clone(node), key.secret.clone());
            tasks.push(tokio::spawn(async move {
                let mut statuses = Vec::new();
                for _ in 0..PER_NODE / TASKS_PER_NODE {
                    let reply = node
                        .send(node.gateway(Method::GET, "/v1/auth").bearer_auth(&secret))
                        .await;
                    statuses.push(reply.status.as_u16());
                }
                statuses
            }));
        }
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.extend(task.await.expect("a hammering task"));
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        ok, 100,
        "exactly the limit across three nodes: {statuses:?}"
    );
    assert_eq!(limited, 3 * PER_NODE - 100, "every other answer is 429");
}
