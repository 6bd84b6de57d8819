//! All or nothing: a request refused by one limit charges none of the others, and a key that
//! fails an earlier check (disabled, scope) is never charged.

use serde_json::json;

use super::key_with;
use keyward_testkit::app::spawn_app;

#[tokio::test]
async fn a_refusal_by_one_limit_charges_no_other() {
    let app = spawn_app().await;
    let (token, key) = key_with(
        &app,
        json!({
            "name": "k",
            "rate_limits": [{"name": "burst", "limit": 2, "period": "1m"}],
            "quotas": [{"name": "daily", "limit": 5, "per": "day"}],
            "credits": {"remaining": 10}
        }),
    )
    .await;
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    let refused = app.verify(json!({"key": key.secret})).await;
    assert_eq!(refused["code"], json!("RATE_LIMITED"));
    assert_eq!(
        refused["quotas"][0]["remaining"],
        json!(3),
        "the quota was not charged"
    );
    assert_eq!(
        refused["credits"]["remaining"],
        json!(8),
        "nor were the credits"
    );
    let stored = app.stored_key(&key.id).await;
    assert_eq!(stored["credits"]["remaining"], json!(8));

    // A key refused before the limits (a missing scope, disabled) is not charged either.
    let scoped = app
        .verify(json!({"key": key.secret, "scopes": ["missing"]}))
        .await;
    assert_eq!(scoped["code"], json!("INSUFFICIENT_SCOPE"));
    app.post_empty(&token, &format!("/v1/keys/{}/disable", key.id))
        .await
        .expect_status(200);
    assert_eq!(app.verify_code(&key.secret).await, "DISABLED");
    app.post_empty(&token, &format!("/v1/keys/{}/enable", key.id))
        .await
        .expect_status(200);
    app.clock.advance(time::Duration::minutes(1));
    let after = app.verify(json!({"key": key.secret})).await;
    assert_eq!(after["code"], json!("VALID"));
    assert_eq!(after["quotas"][0]["remaining"], json!(2));
    assert_eq!(after["credits"]["remaining"], json!(7));
}

#[tokio::test]
async fn many_concurrent_requests_never_pass_a_limit() {
    let app = spawn_app().await;
    let (_, key) = key_with(
        &app,
        json!({"name": "k", "rate_limits": [{"name": "r", "limit": 25, "period": "1h"}],
               "credits": {"remaining": 20}}),
    )
    .await;
    let calls = (0..60).map(|_| app.verify(json!({"key": key.secret})));
    let answers = futures_util::future::join_all(calls).await;
    let valid = answers
        .iter()
        .filter(|a| a["code"] == json!("VALID"))
        .count();
    assert_eq!(valid, 20, "the credits are the tighter limit");
    let stored = app.stored_key(&key.id).await;
    assert_eq!(stored["credits"]["remaining"], json!(0));
    let state = app.verify(json!({"key": key.secret, "cost": 0})).await;
    assert_eq!(state["code"], json!("USAGE_EXCEEDED"));
}
