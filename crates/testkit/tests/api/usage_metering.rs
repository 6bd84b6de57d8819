//! `GET /v1/keys/{id}/usage`: verifications counted per key per UTC hour by outcome, written
//! behind by the flusher, so tests poll the endpoint with a deadline instead of sleeping. The
//! server's clock is set to a fixed time, so the hours the counts land in are known.

use keyward_testkit::app::{code_of, eventually, spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, typo_of, unique, unknown_secret, CreatedKey};
use serde_json::{json, Value};
use time::macros::datetime;
use time::Duration;

/// 10:15 UTC on a fixed day: hours 10, 11 and 12 are the ones the tests fill.
const START: time::OffsetDateTime = datetime!(2030-01-01 10:15 UTC);

struct Setup {
    admin: String,
    key: CreatedKey,
}

async fn setup(app: &TestApp) -> Setup {
    app.clock.set(START);
    let (_, admin) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&admin, "svc").await);
    let key = app
        .create_key(&admin, &owner, json!({"name": "metered", "scopes": ["a"]}))
        .await;
    Setup { admin, key }
}

async fn verify_times(app: &TestApp, body: Value, times: usize, code: &str) {
    for _ in 0..times {
        assert_eq!(code_of(&app.verify(body.clone()).await), code);
    }
}

fn usage_path(key: &str, query: &str) -> String {
    format!("/v1/keys/{key}/usage?{query}")
}

/// The series' counts as `(start, valid, rate_limited, usage_exceeded, refused)`.
fn buckets(body: &Value) -> Vec<(String, u64, u64, u64, u64)> {
    body["series"]
        .as_array()
        .unwrap_or_else(|| panic!("a usage answer has `series`: {body}"))
        .iter()
        .map(|b| {
            let n = |field: &str| {
                b[field]
                    .as_u64()
                    .unwrap_or_else(|| panic!("`{field}` is a count in {b}"))
            };
            (
                b["start"].as_str().expect("start").to_owned(),
                n("valid"),
                n("rate_limited"),
                n("usage_exceeded"),
                n("refused"),
            )
        })
        .collect()
}

/// Polls the report at `path` until its series equals `expected`.
async fn wait_for_series(
    app: &TestApp,
    token: &str,
    path: &str,
    expected: &[(&str, u64, u64, u64, u64)],
) {
    let expected: Vec<(String, u64, u64, u64, u64)> = expected
        .iter()
        .map(|(s, a, b, c, d)| ((*s).to_owned(), *a, *b, *c, *d))
        .collect();
    eventually("the usage counts to be written", || async {
        let body = app.get(token, path).await.expect_status(200);
        (buckets(&body) == expected).then_some(())
    })
    .await;
}

#[tokio::test]
async fn verifications_are_counted_by_outcome_in_their_hour() {
    let app = spawn_app().await;
    let Setup { admin, key } = setup(&app).await;
    let secret = key.secret.clone();

    verify_times(&app, json!({"key": secret}), 5, "VALID").await;
    verify_times(
        &app,
        json!({"key": secret, "scopes": ["b"]}),
        2,
        "INSUFFICIENT_SCOPE",
    )
    .await;
    // Secrets no key owns are not anyone's usage.
    verify_times(&app, json!({"key": unknown_secret()}), 2, "NOT_FOUND").await;
    verify_times(&app, json!({"key": typo_of(&secret)}), 2, "MALFORMED").await;
    app.post_empty(&admin, &format!("/v1/keys/{}/disable", key.id))
        .await
        .expect_status(200);
    verify_times(&app, json!({"key": secret}), 3, "DISABLED").await;

    let hours_10_to_13 = usage_path(&key.id, "from=2030-01-01T10:00:00Z&to=2030-01-01T13:00:00Z");
    wait_for_series(
        &app,
        &admin,
        &hours_10_to_13,
        &[
            ("2030-01-01T10:00:00Z", 5, 0, 0, 5),
            ("2030-01-01T11:00:00Z", 0, 0, 0, 0),
            ("2030-01-01T12:00:00Z", 0, 0, 0, 0),
        ],
    )
    .await;

    // Two hours later (the counts above are stored: they cannot move hours any more).
    app.post_empty(&admin, &format!("/v1/keys/{}/enable", key.id))
        .await
        .expect_status(200);
    app.clock.advance(Duration::hours(2));
    verify_times(&app, json!({"key": secret}), 3, "VALID").await;
    wait_for_series(
        &app,
        &admin,
        &hours_10_to_13,
        &[
            ("2030-01-01T10:00:00Z", 5, 0, 0, 5),
            ("2030-01-01T11:00:00Z", 0, 0, 0, 0),
            ("2030-01-01T12:00:00Z", 3, 0, 0, 0),
        ],
    )
    .await;

    // A day is the sum of its hours; a bound inside a bucket takes the whole bucket.
    let day = app
        .get(
            &admin,
            &usage_path(
                &key.id,
                "granularity=day&from=2029-12-31T23:59:59Z&to=2030-01-01T00:00:01Z",
            ),
        )
        .await
        .expect_status(200);
    assert_eq!(
        buckets(&day),
        vec![
            ("2029-12-31T00:00:00Z".to_owned(), 0, 0, 0, 0),
            ("2030-01-01T00:00:00Z".to_owned(), 8, 0, 0, 5),
        ]
    );

    // The defaults: the last 24 hours up to now (12:15), hour by hour: 25 buckets.
    let recent = buckets(
        &app.get(&admin, &format!("/v1/keys/{}/usage", key.id))
            .await
            .expect_status(200),
    );
    assert_eq!(recent.len(), 25, "{recent:?}");
    assert_eq!(recent[0].0, "2029-12-31T12:00:00Z");
    assert_eq!(recent[24], ("2030-01-01T12:00:00Z".to_owned(), 3, 0, 0, 0));
    assert_eq!(recent[22], ("2030-01-01T10:00:00Z".to_owned(), 5, 0, 0, 5));
    let month = buckets(
        &app.get(&admin, &usage_path(&key.id, "granularity=day"))
            .await
            .expect_status(200),
    );
    assert_eq!(month.len(), 31, "30 days back from 12:15, by day");
    assert_eq!(
        month.last(),
        Some(&("2030-01-01T00:00:00Z".to_owned(), 8, 0, 0, 5))
    );
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    let Setup { admin, key } = setup(&app).await;
    for (query, field) in [
        ("from=yesterday", "from"),
        ("to=2030-01-01", "to"),
        ("from=2030-01-01T10:00:00", "from"),
        ("granularity=minute", "granularity"),
        ("granularity=", "granularity"),
        ("from=2030-01-01T10:00:00Z&to=2030-01-01T10:00:00Z", "from"),
        ("from=2030-01-01T11:00:00Z&to=2030-01-01T10:00:00Z", "from"),
        // 745 hours, 401 days: more than one report holds.
        ("from=2030-01-01T00:00:00Z&to=2030-02-01T01:00:00Z", "from"),
        (
            "granularity=day&from=2030-01-01T00:00:00Z&to=2031-02-06T00:00:00Z",
            "from",
        ),
        ("from=0001-01-01T00:00:00Z&to=2030-01-01T00:00:00Z", "from"),
        ("to=9999-12-31T23:30:00Z&from=9999-12-31T22:00:00Z", "to"),
        (
            "from=2030-01-01T00:00:00Z&from=2030-01-01T01:00:00Z",
            "from",
        ),
        ("limit=10", "limit"),
    ] {
        let reply = app.get(&admin, &usage_path(&key.id, query)).await;
        let error = reply.expect_error(400, "INVALID_QUERY");
        assert_eq!(error["field"], field, "{query}: {}", reply.text);
    }
    // Exactly the most buckets a report holds is fine.
    for query in [
        "from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z",
        "granularity=day&from=2030-01-01T00:00:00Z&to=2031-02-05T00:00:00Z",
    ] {
        let body = app
            .get(&admin, &usage_path(&key.id, query))
            .await
            .expect_status(200);
        let len = buckets(&body).len();
        assert!(len == 744 || len == 400, "{query}: {len} buckets");
    }
    app.get(&admin, "/v1/keys/not-a-uuid/usage")
        .await
        .expect_error(400, "INVALID_ID");
    app.send(app.request(reqwest::Method::GET, &usage_path(&key.id, "")))
        .await
        .expect_error(401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn another_domains_key_is_not_found() {
    let app = spawn_app().await;
    let Setup { key, .. } = setup(&app).await;
    let (_, other_admin) = app.new_domain_admin(&unique("other")).await;
    let path = usage_path(&key.id, "granularity=day");
    app.get(&other_admin, &path)
        .await
        .expect_error(404, "NOT_FOUND");
    app.get(
        &other_admin,
        &usage_path(&uuid::Uuid::now_v7().to_string(), ""),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    // Root sees every domain.
    app.get(&app.root_token, &path).await.expect_status(200);
}

#[tokio::test]
async fn usage_past_the_retention_is_pruned() {
    let mut app = spawn_app().await;
    let Setup { admin, key } = setup(&app).await;
    verify_times(&app, json!({"key": key.secret}), 4, "VALID").await;
    let old_hour = usage_path(&key.id, "from=2030-01-01T10:00:00Z&to=2030-01-01T11:00:00Z");
    wait_for_series(
        &app,
        &admin,
        &old_hour,
        &[("2030-01-01T10:00:00Z", 4, 0, 0, 0)],
    )
    .await;

    // 91 days later (the default retention is 90 days), one more use; then a restart, whose
    // flusher prunes at once.
    app.clock.advance(Duration::days(91));
    verify_times(&app, json!({"key": key.secret}), 1, "VALID").await;
    app.restart().await;
    wait_for_series(
        &app,
        &admin,
        &old_hour,
        &[("2030-01-01T10:00:00Z", 0, 0, 0, 0)],
    )
    .await;
    let recent = usage_path(&key.id, "from=2030-04-02T10:00:00Z&to=2030-04-02T11:00:00Z");
    let body = app.get(&admin, &recent).await.expect_status(200);
    assert_eq!(
        buckets(&body),
        vec![("2030-04-02T10:00:00Z".to_owned(), 1, 0, 0, 0)],
        "the recent hour stays (flushed at shutdown)"
    );
}

#[tokio::test]
async fn limit_refusals_have_counts_of_their_own() {
    let app = spawn_app().await;
    app.clock.set(START);
    let (_, admin) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&admin, "svc").await);
    let limited = app
        .create_key(
            &admin,
            &owner,
            json!({"name": "rated", "rate_limits": [{"name": "r", "limit": 2, "period": "1h"}]}),
        )
        .await;
    let quota = app
        .create_key(
            &admin,
            &owner,
            json!({"name": "quota", "quotas": [{"name": "q", "limit": 1, "per": "day"}]}),
        )
        .await;
    // Credits are leased from the stored balance: the first use waits on the store (the
    // verifier's asynchronous path), and is metered there.
    let credits = app
        .create_key(
            &admin,
            &owner,
            json!({"name": "credits", "credits": {"remaining": 1}}),
        )
        .await;
    verify_times(&app, json!({"key": credits.secret}), 1, "VALID").await;
    verify_times(&app, json!({"key": credits.secret}), 2, "USAGE_EXCEEDED").await;
    verify_times(&app, json!({"key": limited.secret}), 2, "VALID").await;
    verify_times(&app, json!({"key": limited.secret}), 3, "RATE_LIMITED").await;
    verify_times(&app, json!({"key": quota.secret}), 1, "VALID").await;
    verify_times(&app, json!({"key": quota.secret}), 2, "USAGE_EXCEEDED").await;
    let hour = "from=2030-01-01T10:00:00Z&to=2030-01-01T11:00:00Z";
    wait_for_series(
        &app,
        &admin,
        &usage_path(&limited.id, hour),
        &[("2030-01-01T10:00:00Z", 2, 3, 0, 0)],
    )
    .await;
    wait_for_series(
        &app,
        &admin,
        &usage_path(&quota.id, hour),
        &[("2030-01-01T10:00:00Z", 1, 0, 2, 0)],
    )
    .await;
    wait_for_series(
        &app,
        &admin,
        &usage_path(&credits.id, hour),
        &[("2030-01-01T10:00:00Z", 1, 0, 2, 0)],
    )
    .await;
}
