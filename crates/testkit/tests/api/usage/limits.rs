//! Rate limits and quotas: the gateway's 429 and header fields, windows by the clock, limits
//! shared by a principal's keys, changes taking effect at once, bad limits refused.

use keyward_testkit::fixtures::id_of;
use serde_json::json;

use super::{auth, header, key_with, setup};
use keyward_testkit::app::spawn_app;

#[tokio::test]
async fn a_rate_limit_admits_its_burst_then_answers_429_with_the_header_fields() {
    let app = spawn_app().await;
    let (_, key) = key_with(
        &app,
        json!({"name": "k", "rate_limits": [{"name": "requests", "limit": 3, "period": "1m"}]}),
    )
    .await;
    assert_eq!(
        key.key["rate_limits"],
        json!([{"name": "requests", "limit": 3, "period": "1m", "burst": 3}])
    );
    for remaining in ["2", "1", "0"] {
        let ok = auth(&app, &key.secret, "").await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        assert_eq!(header(&ok, "ratelimit-limit"), "3");
        assert_eq!(header(&ok, "ratelimit-remaining"), remaining);
    }
    let refused = auth(&app, &key.secret, "").await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert_eq!(header(&refused, "x-keyward-reason"), "RATE_LIMITED");
    assert_eq!(header(&refused, "ratelimit-remaining"), "0");
    assert_eq!(
        header(&refused, "retry-after"),
        "20",
        "one request per 20 s"
    );
    assert_eq!(refused.body["code"], json!("RATE_LIMITED"));
    assert_eq!(refused.body["rate_limits"][0]["remaining"], json!(0));

    app.clock.advance(time::Duration::seconds(20));
    assert_eq!(auth(&app, &key.secret, "").await.status, 200);
    assert_eq!(auth(&app, &key.secret, "").await.status, 429);
}

#[tokio::test]
async fn a_quota_counts_cost_until_the_utc_day_ends() {
    let app = spawn_app().await;
    app.clock.set(time::macros::datetime!(2026-12-07 22:00 UTC));
    let (_, key) = key_with(
        &app,
        json!({"name": "k", "quotas": [{"name": "daily", "limit": 10, "per": "day"}]}),
    )
    .await;
    let verify = |cost: u64| app.verify(json!({"key": key.secret, "cost": cost}));
    let first = verify(4).await;
    assert_eq!(first["code"], json!("VALID"));
    assert_eq!(first["quotas"][0]["remaining"], json!(6));
    assert_eq!(
        first["quotas"][0]["reset_at"],
        json!("2026-12-08T00:00:00Z")
    );
    let over = verify(7).await;
    assert_eq!(over["code"], json!("USAGE_EXCEEDED"));
    assert_eq!(over["valid"], json!(false));
    assert_eq!(
        over["quotas"][0]["remaining"],
        json!(6),
        "a refusal spends nothing"
    );
    assert_eq!(
        verify(0).await["quotas"][0]["remaining"],
        json!(6),
        "cost 0 only checks"
    );
    assert_eq!(verify(6).await["quotas"][0]["remaining"], json!(0));
    assert_eq!(verify(0).await["code"], json!("USAGE_EXCEEDED"));

    let gateway = auth(&app, &key.secret, "?cost=1").await;
    assert_eq!(gateway.status, 429);
    assert_eq!(header(&gateway, "x-keyward-reason"), "USAGE_EXCEEDED");
    assert_eq!(
        header(&gateway, "retry-after"),
        "7200",
        "until midnight UTC"
    );

    app.clock
        .set(time::macros::datetime!(2026-12-08 00:00:01 UTC));
    assert_eq!(
        verify(10).await["code"],
        json!("VALID"),
        "a new day, a new quota"
    );
}

#[tokio::test]
async fn the_gateway_reads_the_cost_from_the_query_or_a_header_and_refuses_a_bad_one() {
    let app = spawn_app().await;
    let (_, key) = key_with(
        &app,
        json!({"name": "k", "quotas": [{"name": "q", "limit": 5, "per": "month"}]}),
    )
    .await;
    let by_query = auth(&app, &key.secret, "?cost=3").await;
    assert_eq!(header(&by_query, "ratelimit-remaining"), "2");
    let by_header = app
        .send(
            app.gateway(reqwest::Method::GET, "/v1/auth")
                .bearer_auth(&key.secret)
                .header("X-Keyward-Cost", "2"),
        )
        .await;
    assert_eq!(header(&by_header, "ratelimit-remaining"), "0");
    for bad in ["?cost=-1", "?cost=abc", "?cost=1000000000001"] {
        let refused = auth(&app, &key.secret, bad).await;
        assert!(
            matches!(refused.status.as_u16(), 400 | 422),
            "{bad}: {}",
            refused.text
        );
        assert_eq!(
            refused.body["error"]["code"],
            json!("INVALID_QUERY"),
            "{bad}"
        );
    }
    let bad_body = app
        .send(
            app.request(reqwest::Method::POST, "/v1/keys/verify")
                .json(&json!({"key": key.secret, "cost": -1})),
        )
        .await;
    assert_eq!(bad_body.status, 422, "{}", bad_body.text);
}

#[tokio::test]
async fn a_principals_limits_are_shared_by_its_keys_and_a_change_applies_at_once() {
    let app = spawn_app().await;
    let (token, _) = setup(&app).await;
    let owner = app
        .create_principal(
            &token,
            json!({"kind": "service_account", "name": "shared",
                   "quotas": [{"name": "daily", "limit": 3, "per": "day"}]}),
        )
        .await;
    assert_eq!(owner["quotas"][0]["limit"], json!(3));
    let owner_id = id_of(&owner);
    let a = app.create_named_key(&token, &owner_id, "a").await;
    let b = app.create_named_key(&token, &owner_id, "b").await;
    let codes = [
        app.verify_code(&a.secret).await,
        app.verify_code(&b.secret).await,
        app.verify_code(&a.secret).await,
        app.verify_code(&b.secret).await,
    ];
    assert_eq!(codes, ["VALID", "VALID", "VALID", "USAGE_EXCEEDED"]);

    let patched = app
        .patch(
            &token,
            &format!("/v1/principals/{owner_id}"),
            json!({"quotas": [{"name": "daily", "limit": 5, "per": "day"}]}),
        )
        .await
        .expect_status(200);
    assert_eq!(patched["quotas"][0]["limit"], json!(5));
    assert_eq!(
        app.verify_code(&b.secret).await,
        "VALID",
        "the new limit applies at once"
    );
}

#[tokio::test]
async fn a_keys_limits_change_with_a_patch_and_bad_limits_are_refused() {
    let app = spawn_app().await;
    let (token, key) = key_with(
        &app,
        json!({"name": "k", "rate_limits": [{"name": "r", "limit": 1, "period": "1h"}]}),
    )
    .await;
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    assert_eq!(app.verify_code(&key.secret).await, "RATE_LIMITED");
    let path = format!("/v1/keys/{}", key.id);
    let patched = app
        .patch(&token, &path, json!({"rate_limits": []}))
        .await
        .expect_status(200);
    assert_eq!(patched["rate_limits"], json!([]));
    assert_eq!(app.verify_code(&key.secret).await, "VALID");

    for bad in [
        json!({"rate_limits": [{"name": "r", "limit": 0, "period": "1m"}]}),
        json!({"rate_limits": [{"name": "r", "limit": 1, "period": "0"}]}),
        json!({"rate_limits": [{"name": "r", "limit": 1, "period": "1m", "mode": "fast"}]}),
        json!({"rate_limits": [{"name": "r", "limit": 1, "period": "1m"}, {"name": "r", "limit": 2, "period": "1s"}]}),
        json!({"quotas": [{"name": "q", "limit": 1, "per": "year"}]}),
        json!({"quotas": [{"name": "bad name", "limit": 1, "per": "day"}]}),
        json!({"rate_limits": null}),
        json!({"credits": {"remaining": -1}}),
        json!({"credits": {"remaining": 1, "refill": {"amount": 1, "every": "hour"}}}),
    ] {
        let refused = app.patch(&token, &path, bad.clone()).await;
        assert!(
            matches!(refused.status.as_u16(), 400 | 422),
            "{bad}: {}",
            refused.text
        );
    }
    let many: Vec<_> = (0..17)
        .map(|i| json!({"name": format!("r{i}"), "limit": 1, "period": "1m"}))
        .collect();
    let refused = app.patch(&token, &path, json!({"rate_limits": many})).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
}
