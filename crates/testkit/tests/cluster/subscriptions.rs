//! A subscription changed through node A reaches node B's cached verification within a second:
//! the change publishes the key's secret hashes on the same feed as key writes.

use keyward_testkit::app::{code_of, AppOptions, TestApp};
use keyward_testkit::fixtures::{id_of, unique};
use reqwest::Method;
use serde_json::json;

use super::{postgres_or_skip, within, Cluster, PROPAGATION_LIMIT};

async fn code_for(app: &TestApp, secret: &str, product: &str) -> String {
    code_of(&app.verify(json!({"key": secret, "product": product})).await)
}

async fn set_status(cluster: &Cluster, key: &str, product: &str, status: &str) {
    let path = format!("/v1/keys/{key}/subscriptions/{product}");
    let reply = cluster
        .a
        .send(
            cluster
                .a
                .authed(Method::PUT, &path, &cluster.token)
                .json(&json!({ "status": status })),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
}

#[tokio::test]
async fn a_subscription_denied_on_a_is_refused_on_b_within_a_second() {
    if postgres_or_skip("a_subscription_denied_on_a_is_refused_on_b_within_a_second").is_none() {
        return;
    }
    let cluster = Cluster::start(AppOptions::default()).await;
    let key = cluster
        .a
        .create_named_key(&cluster.token, &cluster.owner, &unique("k"))
        .await;
    let product = id_of(
        &cluster
            .a
            .post(&cluster.token, "/v1/products", json!({"name": unique("p")}))
            .await
            .expect_status(201),
    );
    set_status(&cluster, &key.id, &product, "REQUEST").await;
    set_status(&cluster, &key.id, &product, "ACCEPTED").await;
    within(PROPAGATION_LIMIT, "B sees the acceptance", || async {
        (code_for(&cluster.b, &key.secret, &product).await == "VALID").then_some(())
    })
    .await;

    set_status(&cluster, &key.id, &product, "DENY").await;
    within(PROPAGATION_LIMIT, "B refuses after the denial", || async {
        (code_for(&cluster.b, &key.secret, &product).await == "NOT_SUBSCRIBED").then_some(())
    })
    .await;
}
