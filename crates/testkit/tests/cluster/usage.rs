//! Usage counted on two nodes adds up: each node writes its own counts behind, and the store adds
//! them to the one row of the key and hour.

use keyward_testkit::app::{code_of, eventually, AppOptions};
use serde_json::json;
use time::macros::datetime;

use super::{postgres_or_skip, Cluster};

#[tokio::test]
async fn both_nodes_counts_land_in_one_hour_row() {
    if postgres_or_skip("both_nodes_counts_land_in_one_hour_row").is_none() {
        return;
    }
    let cluster = Cluster::start(AppOptions::default()).await;
    // The nodes share one clock.
    cluster.a.clock.set(datetime!(2030-01-01 10:15 UTC));
    let key = cluster
        .a
        .create_key(&cluster.token, &cluster.owner, json!({"name": "metered"}))
        .await;
    for (node, times) in [(&cluster.a, 3), (&cluster.b, 4)] {
        for _ in 0..times {
            let answer = node.verify(json!({"key": key.secret})).await;
            assert_eq!(code_of(&answer), "VALID");
        }
    }
    let path = format!(
        "/v1/keys/{}/usage?from=2030-01-01T10:00:00Z&to=2030-01-01T11:00:00Z",
        key.id
    );
    eventually("both nodes' counts to be written", || async {
        let body = cluster
            .b
            .get(&cluster.token, &path)
            .await
            .expect_status(200);
        (body["series"]
            == json!([{
                "start": "2030-01-01T10:00:00Z",
                "valid": 7, "rate_limited": 0, "usage_exceeded": 0, "refused": 0
            }]))
        .then_some(())
    })
    .await;
}
