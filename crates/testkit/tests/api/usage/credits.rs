//! Credits: spent per request by its cost, topped up (`add`, `set`) as recorded operations,
//! refilled on time without a request, and shown consistently by verify and GET.

use serde_json::json;

use super::{auth, header, key_with};
use keyward_testkit::app::spawn_app;

#[tokio::test]
async fn credits_are_spent_refused_when_gone_and_topped_up() {
    let app = spawn_app().await;
    let (token, key) = key_with(&app, json!({"name": "k", "credits": {"remaining": 3}})).await;
    assert_eq!(key.key["credits"], json!({"remaining": 3}));
    let first = auth(&app, &key.secret, "").await;
    assert_eq!(first.status, 200);
    assert_eq!(header(&first, "x-keyward-credits-remaining"), "2");
    assert_eq!(
        app.verify(json!({"key": key.secret, "cost": 2})).await["credits"]["remaining"],
        json!(0)
    );
    let refused = auth(&app, &key.secret, "").await;
    assert_eq!(refused.status, 429);
    assert_eq!(header(&refused, "x-keyward-reason"), "USAGE_EXCEEDED");
    assert_eq!(
        app.stored_key(&key.id).await["credits"]["remaining"],
        json!(0)
    );

    let path = format!("/v1/keys/{}/credits", key.id);
    let added = app
        .post(&token, &path, json!({"op": "add", "amount": 5}))
        .await
        .expect_status(200);
    assert_eq!(added["credits"]["remaining"], json!(5));
    assert_eq!(
        app.verify(json!({"key": key.secret})).await["credits"]["remaining"],
        json!(4)
    );
    let set = app
        .post(&token, &path, json!({"op": "set", "amount": 100}))
        .await
        .expect_status(200);
    assert_eq!(set["credits"]["remaining"], json!(100));
    assert_eq!(
        app.verify(json!({"key": key.secret})).await["credits"]["remaining"],
        json!(99)
    );

    let ops = app
        .get(&token, &format!("/v1/keys/{}/operations", key.id))
        .await
        .expect_status(200);
    let actions: Vec<&str> = ops["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|op| op["action"].as_str())
        .filter(|a| *a == "key.credits")
        .collect();
    assert_eq!(actions.len(), 2, "each top-up is an operation: {ops}");

    for bad in [
        json!({"op": "double", "amount": 1}),
        json!({"op": "add", "amount": -1}),
        json!({"op": "add"}),
        json!({"op": "add", "amount": 1_000_000_000_001_u64}),
    ] {
        let refused = app.post(&token, &path, bad.clone()).await;
        assert!(
            matches!(refused.status.as_u16(), 400 | 422),
            "{bad}: {}",
            refused.text
        );
    }
    let (token, plain) = key_with(&app, json!({"name": "plain"})).await;
    let no_balance = app
        .post(
            &token,
            &format!("/v1/keys/{}/credits", plain.id),
            json!({"op": "add", "amount": 1}),
        )
        .await;
    assert_eq!(no_balance.status, 422, "{}", no_balance.text);
}

#[tokio::test]
async fn a_refill_is_there_at_the_boundary_without_a_request() {
    let app = spawn_app().await;
    app.clock.set(time::macros::datetime!(2026-12-07 12:00 UTC));
    let (token, key) = key_with(
        &app,
        json!({"name": "k", "credits": {"remaining": 2, "refill": {"amount": 50, "every": "day"}}}),
    )
    .await;
    assert_eq!(
        key.key["credits"],
        json!({"remaining": 2, "refill": {"amount": 50, "every": "day", "mode": "set"}})
    );
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    assert_eq!(app.verify_code(&key.secret).await, "VALID");
    assert_eq!(app.verify_code(&key.secret).await, "USAGE_EXCEEDED");
    let refused = auth(&app, &key.secret, "").await;
    assert_eq!(
        header(&refused, "retry-after"),
        "43200",
        "until the refill at midnight"
    );

    app.clock
        .set(time::macros::datetime!(2026-12-08 00:00:01 UTC));
    let shown = app.stored_key(&key.id).await;
    assert_eq!(
        shown["credits"]["remaining"],
        json!(50),
        "no request needed"
    );
    assert_eq!(
        app.verify(json!({"key": key.secret})).await["credits"]["remaining"],
        json!(49)
    );

    // `add` refills accumulate; PATCH replaces the balance.
    let path = format!("/v1/keys/{}", key.id);
    app.patch(
        &token,
        &path,
        json!({"credits": {"remaining": 1, "refill": {"amount": 10, "every": "day", "mode": "add"}}}),
    )
    .await
    .expect_status(200);
    app.clock
        .set(time::macros::datetime!(2026-12-10 00:00:01 UTC));
    assert_eq!(
        app.stored_key(&key.id).await["credits"]["remaining"],
        json!(21)
    );
    let removed = app
        .patch(&token, &path, json!({"credits": null}))
        .await
        .expect_status(200);
    assert_eq!(removed["credits"], json!(null));
    assert_eq!(
        app.verify(json!({"key": key.secret})).await["code"],
        json!("VALID")
    );
}
