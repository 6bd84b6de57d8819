//! `/v1/products` and `/v1/keys/{id}/subscriptions`: the product lifecycle, every allowed and
//! every forbidden subscription transition, and verification per product following the status
//! on `POST /v1/keys/verify` and `/v1/auth` (`?product=` and `X-Keyward-Product`).

use keyward_testkit::app::{code_of, spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, unique, CreatedKey};
use reqwest::Method;
use serde_json::{json, Value};

const STATUSES: [&str; 5] = ["REQUEST", "ACCEPTED", "REJECTED", "DENY", "BLOCKED_REQUEST"];

/// The table of docs/rest-api.md, written out again independently of the core's.
const ALLOWED: &[(&str, &str)] = &[
    ("REQUEST", "ACCEPTED"),
    ("REQUEST", "REJECTED"),
    ("REQUEST", "DENY"),
    ("REQUEST", "BLOCKED_REQUEST"),
    ("ACCEPTED", "DENY"),
    ("ACCEPTED", "BLOCKED_REQUEST"),
    ("REJECTED", "REQUEST"),
    ("REJECTED", "ACCEPTED"),
    ("DENY", "ACCEPTED"),
    ("DENY", "BLOCKED_REQUEST"),
    ("BLOCKED_REQUEST", "DENY"),
];

struct Setup {
    token: String,
    key: CreatedKey,
    product: String,
}

async fn setup(app: &TestApp) -> Setup {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    let key = app.create_named_key(&token, &owner, "client").await;
    let product = id_of(&create_product(app, &token, &unique("p")).await);
    Setup {
        token,
        key,
        product,
    }
}

async fn create_product(app: &TestApp, token: &str, name: &str) -> Value {
    app.post(
        token,
        "/v1/products",
        json!({"name": name, "description": "d"}),
    )
    .await
    .expect_status(201)
}

async fn put_status(app: &TestApp, s: &Setup, product: &str, status: &str) -> (u16, Value) {
    let path = format!("/v1/keys/{}/subscriptions/{product}", s.key.id);
    let reply = app
        .send(
            app.authed(Method::PUT, &path, &s.token)
                .json(&json!({ "status": status })),
        )
        .await;
    (reply.status.as_u16(), reply.body)
}

/// Brings a fresh subscription of a fresh product to `status` along allowed steps.
async fn product_in(app: &TestApp, s: &Setup, status: &str) -> String {
    let product = id_of(&create_product(app, &s.token, &unique("p")).await);
    let path: &[&str] = match status {
        "REQUEST" => &["REQUEST"],
        "ACCEPTED" => &["REQUEST", "ACCEPTED"],
        "REJECTED" => &["REQUEST", "REJECTED"],
        "DENY" => &["REQUEST", "DENY"],
        _ => &["REQUEST", "BLOCKED_REQUEST"],
    };
    for step in path {
        let (code, body) = put_status(app, s, &product, step).await;
        assert_eq!(code, 200, "{body}");
    }
    product
}

async fn verify_for(app: &TestApp, secret: &str, product: &str) -> String {
    code_of(&app.verify(json!({"key": secret, "product": product})).await)
}

#[tokio::test]
async fn products_are_created_listed_read_and_deleted() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let read = app
        .get(&s.token, &format!("/v1/products/{}", s.product))
        .await
        .expect_status(200);
    assert_eq!(read["description"], json!("d"));
    let list = app.get(&s.token, "/v1/products").await.expect_status(200);
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    let name = read["name"].as_str().expect("name");
    app.post(&s.token, "/v1/products", json!({"name": name}))
        .await
        .expect_error(409, "CONFLICT");

    // A product with a subscriber stays; without one it goes.
    let (code, _) = put_status(&app, &s, &s.product, "REQUEST").await;
    assert_eq!(code, 200);
    let path = format!("/v1/products/{}", s.product);
    app.delete(&s.token, &path)
        .await
        .expect_error(409, "CONFLICT");
    let sub = format!("/v1/keys/{}/subscriptions/{}", s.key.id, s.product);
    assert_eq!(app.delete(&s.token, &sub).await.status.as_u16(), 204);
    assert_eq!(app.delete(&s.token, &path).await.status.as_u16(), 204);
    app.get(&s.token, &path)
        .await
        .expect_error(404, "NOT_FOUND");

    // Another domain's admin sees nothing.
    let (_, other) = app.new_domain_admin(&unique("d")).await;
    let product = id_of(&create_product(&app, &s.token, "mine").await);
    app.get(&other, &format!("/v1/products/{product}"))
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn every_allowed_and_forbidden_transition() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    // From no subscription, only REQUEST.
    for to in STATUSES {
        let product = id_of(&create_product(&app, &s.token, &unique("p")).await);
        let (code, body) = put_status(&app, &s, &product, to).await;
        let expected = if to == "REQUEST" { 200 } else { 409 };
        assert_eq!(code, expected, "none -> {to}: {body}");
    }
    for from in STATUSES {
        for to in STATUSES {
            let product = product_in(&app, &s, from).await;
            let (code, body) = put_status(&app, &s, &product, to).await;
            if ALLOWED.contains(&(from, to)) {
                assert_eq!(code, 200, "{from} -> {to}: {body}");
                assert_eq!(body["status"], json!(to));
            } else {
                assert_eq!(code, 409, "{from} -> {to} must be refused: {body}");
                assert_eq!(body["error"]["code"], json!("CONFLICT"));
            }
        }
        // Unsubscribing is allowed from REQUEST, ACCEPTED and REJECTED only.
        let product = product_in(&app, &s, from).await;
        let path = format!("/v1/keys/{}/subscriptions/{product}", s.key.id);
        let code = app.delete(&s.token, &path).await.status.as_u16();
        let expected = if ["REQUEST", "ACCEPTED", "REJECTED"].contains(&from) {
            204
        } else {
            409
        };
        assert_eq!(code, expected, "unsubscribe from {from}");
    }
    let (code, _) = put_status(&app, &s, &s.product, "accepted").await;
    assert_eq!(code, 422, "statuses are upper case");
    let listed = app
        .get(&s.token, &format!("/v1/keys/{}/subscriptions", s.key.id))
        .await
        .expect_status(200);
    assert!(!listed["items"].as_array().expect("items").is_empty());
}

#[tokio::test]
async fn verification_per_product_follows_the_status() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let secret = s.key.secret.clone();
    assert_eq!(
        verify_for(&app, &secret, &s.product).await,
        "NOT_SUBSCRIBED"
    );
    assert_eq!(app.verify_code(&secret).await, "VALID", "no product asked");
    for (status, expected) in [
        ("REQUEST", "NOT_SUBSCRIBED"),
        ("ACCEPTED", "VALID"),
        ("DENY", "NOT_SUBSCRIBED"),
        ("ACCEPTED", "VALID"),
        ("BLOCKED_REQUEST", "NOT_SUBSCRIBED"),
    ] {
        let (code, body) = put_status(&app, &s, &s.product, status).await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(
            verify_for(&app, &secret, &s.product).await,
            expected,
            "{status}"
        );
    }
    let other = id_of(&create_product(&app, &s.token, &unique("p")).await);
    assert_eq!(verify_for(&app, &secret, &other).await, "NOT_SUBSCRIBED");
    let reply = app
        .send(
            app.request(Method::POST, "/v1/keys/verify")
                .json(&json!({"key": secret, "product": "nope"})),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 422, "{}", reply.body);
}

#[tokio::test]
async fn the_gateway_checks_the_product_from_query_or_header() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let secret = s.key.secret.clone();
    let by_query = |app: &TestApp| {
        app.gateway(Method::GET, &format!("/v1/auth?product={}", s.product))
            .bearer_auth(&secret)
    };
    let by_header = |app: &TestApp| {
        app.gateway(Method::GET, "/v1/auth")
            .bearer_auth(&secret)
            .header("X-Keyward-Product", &s.product)
    };
    for request in [by_query(&app), by_header(&app)] {
        let reply = app.send(request).await;
        assert_eq!(reply.status.as_u16(), 403);
    }
    let (code, _) = put_status(&app, &s, &s.product, "REQUEST").await;
    assert_eq!(code, 200);
    let (code, _) = put_status(&app, &s, &s.product, "ACCEPTED").await;
    assert_eq!(code, 200);
    for request in [by_query(&app), by_header(&app)] {
        let reply = app.send(request).await;
        assert_eq!(reply.status.as_u16(), 200);
    }
    let reply = app
        .send(
            app.gateway(Method::GET, "/v1/auth?product=bad")
                .bearer_auth(&secret),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 400);
}
