//! `/v1/usage-plans`, a product's plan (`PATCH /v1/products/{id}`) and a subscription's
//! (`PUT /v1/keys/{id}/subscriptions/{product_id}/usage-plan`): the lifecycle, validation,
//! paging, the delete rule, the operations written, and tenancy (another domain's plan is 404).

use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, unique};
use reqwest::Method;
use serde_json::{json, Value};

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let reply = app
        .send(app.authed(Method::PUT, path, token).json(&body))
        .await;
    (reply.status.as_u16(), reply.body)
}

fn gold() -> Value {
    json!({
        "name": "gold",
        "description": "for partners",
        "rate_limits": [{"name": "rps", "limit": 10, "period": "1s"}],
        "quotas": [{"name": "day", "limit": 3, "per": "day"}],
    })
}

#[tokio::test]
async fn plans_have_a_lifecycle() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let plan = app
        .post(&token, "/v1/usage-plans", gold())
        .await
        .expect_status(201);
    let id = id_of(&plan);
    assert_eq!(plan["name"], json!("gold"));
    assert_eq!(
        plan["rate_limits"],
        json!([{"name": "rps", "limit": 10, "period": "1s", "burst": 10}])
    );
    assert_eq!(
        plan["quotas"],
        json!([{"name": "day", "limit": 3, "per": "day"}])
    );
    for field in ["id", "created_at", "updated_at", "description"] {
        assert!(plan.get(field).is_some(), "{field}: {plan}");
    }
    let read = app
        .get(&token, &format!("/v1/usage-plans/{id}"))
        .await
        .expect_status(200);
    assert_eq!(read, plan);

    // PATCH replaces the parts it names and keeps the rest.
    let patched = app
        .patch(
            &token,
            &format!("/v1/usage-plans/{id}"),
            json!({"quotas": []}),
        )
        .await
        .expect_status(200);
    assert_eq!(patched["quotas"], json!([]));
    assert_eq!(patched["rate_limits"], plan["rate_limits"]);
    let reply = app
        .patch(&token, &format!("/v1/usage-plans/{id}"), json!({}))
        .await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.body);

    let ops = app
        .get(&token, &format!("/v1/operations?target_id={id}"))
        .await
        .expect_status(200);
    let mut actions: Vec<&str> = ops["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["action"].as_str().expect("action"))
        .collect();
    actions.sort_unstable();
    assert_eq!(actions, ["usage_plan.create", "usage_plan.update"]);

    let reply = app.delete(&token, &format!("/v1/usage-plans/{id}")).await;
    assert_eq!(reply.status.as_u16(), 204);
    let reply = app.get(&token, &format!("/v1/usage-plans/{id}")).await;
    assert_eq!(reply.status.as_u16(), 404);
}

#[tokio::test]
async fn bad_plans_are_refused_with_the_field() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    for bad in [
        json!({"name": ""}),
        json!({"name": "p", "rate_limits": [{"name": "r", "limit": 0, "period": "1s"}]}),
        json!({"name": "p", "quotas": [{"name": "q", "limit": 1, "per": "year"}]}),
        json!({"name": "p", "quotas": {"not": "a list"}}),
        json!({"name": "p", "extra": 1}),
    ] {
        let reply = app.post(&token, "/v1/usage-plans", bad.clone()).await;
        let status = reply.status.as_u16();
        assert!(
            (400..500).contains(&status),
            "{bad}: {status} {}",
            reply.body
        );
    }
    app.post(&token, "/v1/usage-plans", gold())
        .await
        .expect_status(201);
    let reply = app.post(&token, "/v1/usage-plans", gold()).await;
    assert_eq!(reply.status.as_u16(), 409, "{}", reply.body);
    let reply = app.get(&token, "/v1/usage-plans/not-a-uuid").await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.body);
}

#[tokio::test]
async fn plans_page_by_id() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    for i in 0..5 {
        app.post(&token, "/v1/usage-plans", json!({"name": format!("p{i}")}))
            .await
            .expect_status(201);
    }
    let mut seen: Vec<Value> = Vec::new();
    let mut path = "/v1/usage-plans?limit=2".to_owned();
    for _ in 0..5 {
        let page = app.get(&token, &path).await.expect_status(200);
        seen.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_after"].as_str() {
            Some(after) => path = format!("/v1/usage-plans?limit=2&after={after}"),
            None => break,
        }
    }
    let mut names: Vec<&str> = seen
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["p0", "p1", "p2", "p3", "p4"], "each plan once");
    let reply = app.get(&token, "/v1/usage-plans?limit=0").await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.body);
}

#[tokio::test]
async fn products_and_subscriptions_take_plans() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let plan = id_of(
        &app.post(&token, "/v1/usage-plans", gold())
            .await
            .expect_status(201),
    );
    let own = id_of(
        &app.post(&token, "/v1/usage-plans", json!({"name": "own"}))
            .await
            .expect_status(201),
    );
    let product = app
        .post(
            &token,
            "/v1/products",
            json!({"name": unique("p"), "usage_plan_id": plan}),
        )
        .await
        .expect_status(201);
    assert_eq!(product["usage_plan_id"], json!(plan));
    let product = id_of(&product);
    let cleared = app
        .patch(
            &token,
            &format!("/v1/products/{product}"),
            json!({"usage_plan_id": null}),
        )
        .await
        .expect_status(200);
    assert_eq!(cleared["usage_plan_id"], Value::Null);
    let set = app
        .patch(
            &token,
            &format!("/v1/products/{product}"),
            json!({"usage_plan_id": plan}),
        )
        .await
        .expect_status(200);
    assert_eq!(set["usage_plan_id"], json!(plan));
    let reply = app
        .patch(&token, &format!("/v1/products/{product}"), json!({}))
        .await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.body);

    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    let key = app.create_named_key(&token, &owner, "k").await;
    let path = format!("/v1/keys/{}/subscriptions/{product}/usage-plan", key.id);
    let (status, body) = put(&app, &token, &path, json!({"usage_plan_id": own})).await;
    assert_eq!(status, 404, "no subscription yet: {body}");
    let (status, _) = put(
        &app,
        &token,
        &format!("/v1/keys/{}/subscriptions/{product}", key.id),
        json!({"status": "REQUEST"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = put(&app, &token, &path, json!({"usage_plan_id": own})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["usage_plan_id"], json!(own));
    // Accepting keeps the key's own plan.
    let (status, body) = put(
        &app,
        &token,
        &format!("/v1/keys/{}/subscriptions/{product}", key.id),
        json!({"status": "ACCEPTED"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["usage_plan_id"], json!(own));

    // In use: refused with a message that says so.
    for id in [&plan, &own] {
        let reply = app.delete(&token, &format!("/v1/usage-plans/{id}")).await;
        assert_eq!(reply.status.as_u16(), 409, "{}", reply.body);
        assert_eq!(
            reply.body["error"]["code"],
            json!("CONFLICT"),
            "{}",
            reply.body
        );
        let message = reply.body["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains("in use"), "{message}");
    }
}

#[tokio::test]
async fn another_domains_plans_are_not_found() {
    let app = spawn_app().await;
    let (_, mine) = app.new_domain_admin(&unique("d")).await;
    let (_, theirs) = app.new_domain_admin(&unique("d")).await;
    let plan = id_of(
        &app.post(&theirs, "/v1/usage-plans", gold())
            .await
            .expect_status(201),
    );
    let path = format!("/v1/usage-plans/{plan}");
    assert_eq!(app.get(&mine, &path).await.status.as_u16(), 404);
    assert_eq!(
        app.patch(&mine, &path, json!({"name": "x"}))
            .await
            .status
            .as_u16(),
        404
    );
    assert_eq!(app.delete(&mine, &path).await.status.as_u16(), 404);
    let listed = app.get(&mine, "/v1/usage-plans").await.expect_status(200);
    assert_eq!(listed["items"], json!([]));
    // Nor can it be attached to one of mine.
    let reply = app
        .post(
            &mine,
            "/v1/products",
            json!({"name": unique("p"), "usage_plan_id": plan}),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 404, "{}", reply.body);
    assert_eq!(app.get(&theirs, &path).await.status.as_u16(), 200);
}

/// `GET /v1/auth?product=…` with `secret`: the status and the reason header.
async fn auth_for(app: &TestApp, secret: &str, product: &str) -> (u16, String) {
    let reply = app
        .send(
            app.gateway(Method::GET, &format!("/v1/auth?product={product}"))
                .bearer_auth(secret),
        )
        .await;
    let reason = reply
        .headers
        .get("x-keyward-reason")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (reply.status.as_u16(), reason)
}

async fn accept(app: &TestApp, token: &str, key: &str, product: &str) {
    for status in ["REQUEST", "ACCEPTED"] {
        let (code, body) = put(
            app,
            token,
            &format!("/v1/keys/{key}/subscriptions/{product}"),
            json!({ "status": status }),
        )
        .await;
        assert_eq!(code, 200, "{body}");
    }
}

fn per_day(name: &str, limit: u64) -> Value {
    json!({"name": name, "quotas": [{"name": "day", "limit": limit, "per": "day"}]})
}

#[tokio::test]
async fn a_products_plan_limits_its_accepted_keys_and_a_keys_own_plan_wins() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let three = id_of(
        &app.post(&token, "/v1/usage-plans", per_day("three", 3))
            .await
            .expect_status(201),
    );
    let five = id_of(
        &app.post(&token, "/v1/usage-plans", per_day("five", 5))
            .await
            .expect_status(201),
    );
    let product = id_of(
        &app.post(
            &token,
            "/v1/products",
            json!({"name": unique("p"), "usage_plan_id": three}),
        )
        .await
        .expect_status(201),
    );
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    let plain = app.create_named_key(&token, &owner, "plain").await;
    let vip = app.create_named_key(&token, &owner, "vip").await;
    for key in [&plain, &vip] {
        accept(&app, &token, &key.id, &product).await;
    }
    let (status, body) = put(
        &app,
        &token,
        &format!("/v1/keys/{}/subscriptions/{product}/usage-plan", vip.id),
        json!({ "usage_plan_id": five }),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The product's plan: three a day, then 429; each key counts on its own.
    for _ in 0..3 {
        assert_eq!(auth_for(&app, &plain.secret, &product).await.0, 200);
    }
    assert_eq!(
        auth_for(&app, &plain.secret, &product).await,
        (429, "USAGE_EXCEEDED".into())
    );
    // The key's own plan overrides the product's: five.
    for _ in 0..5 {
        assert_eq!(auth_for(&app, &vip.secret, &product).await.0, 200);
    }
    assert_eq!(auth_for(&app, &vip.secret, &product).await.0, 429);

    // Changes apply at once: a bigger quota on the product's plan lets the first key on.
    app.patch(
        &token,
        &format!("/v1/usage-plans/{three}"),
        per_day("three", 4),
    )
    .await
    .expect_status(200);
    assert_eq!(auth_for(&app, &plain.secret, &product).await.0, 200);
    assert_eq!(auth_for(&app, &plain.secret, &product).await.0, 429);
    // Without the plan, the product no longer limits.
    app.patch(
        &token,
        &format!("/v1/products/{product}"),
        json!({"usage_plan_id": null}),
    )
    .await
    .expect_status(200);
    assert_eq!(auth_for(&app, &plain.secret, &product).await.0, 200);
    // The next UTC day starts a new window.
    app.clock.advance(time::Duration::days(1));
    assert_eq!(auth_for(&app, &vip.secret, &product).await.0, 200);
}
