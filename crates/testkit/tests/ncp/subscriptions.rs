//! Subscriptions through the NCP routes: subscribe, every allowed and forbidden status change by
//! `PATCH /products/{id}/api-keys/{id}`, unsubscribe, the product key search (the seed), and
//! verification per product following the status.

use reqwest::Method;
use serde_json::{json, Value};

use super::{app_and_admin, assert_ncp_error, create_key, create_product, ncp};

const STATUSES: [&str; 5] = ["REQUEST", "ACCEPTED", "REJECTED", "DENY", "BLOCKED_REQUEST"];
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

async fn set_status(
    app: &keyward_testkit::app::TestApp,
    token: &str,
    product: &str,
    key: &str,
    status: &str,
) -> (u16, Value) {
    ncp(
        app,
        token,
        Method::PATCH,
        &format!("/products/{product}/api-keys/{key}"),
        Some(json!({ "status": status })),
    )
    .await
}

#[tokio::test]
async fn every_transition_through_the_ncp_routes() {
    let (app, token) = app_and_admin().await;
    let key = create_key(&app, &token, "k").await;
    let id = key["apiKeyId"].as_str().expect("id").to_owned();
    for from in STATUSES {
        for to in STATUSES {
            let product = create_product(&app, &token).await;
            let (status, body) = ncp(
                &app,
                &token,
                Method::POST,
                &format!("/api-keys/{id}/subscribe"),
                Some(json!({"productId": product})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            assert_eq!(body["status"], json!("REQUEST"));
            if from != "REQUEST" {
                let (status, body) = set_status(&app, &token, &product, &id, from).await;
                assert_eq!(status, 200, "{body}");
            }
            let (status, body) = set_status(&app, &token, &product, &id, to).await;
            if ALLOWED.contains(&(from, to)) {
                assert_eq!(status, 200, "{from} -> {to}: {body}");
                assert_eq!(body["status"], json!(to));
                assert_eq!(body["apiKeyId"], json!(id));
            } else {
                assert_ncp_error(status, &body, 409, "100");
            }
        }
    }
    let product = create_product(&app, &token).await;
    let (status, body) = set_status(&app, &token, &product, &id, "ACCEPTED").await;
    assert_ncp_error(status, &body, 409, "100");
    let (status, body) = set_status(&app, &token, &product, &id, "MAYBE").await;
    assert_ncp_error(status, &body, 400, "100");
}

#[tokio::test]
async fn verification_per_product_follows_the_ncp_status() {
    let (app, token) = app_and_admin().await;
    let key = create_key(&app, &token, "k").await;
    let id = key["apiKeyId"].as_str().expect("id").to_owned();
    let product = create_product(&app, &token).await;
    let verify = |secret: Value| {
        let product = product.clone();
        let app = &app;
        async move {
            keyward_testkit::app::code_of(
                &app.verify(json!({"key": secret, "product": product})).await,
            )
        }
    };
    assert_eq!(verify(key["primaryKey"].clone()).await, "NOT_SUBSCRIBED");
    let subscribe = format!("/api-keys/{id}/subscribe");
    let (status, _) = ncp(
        &app,
        &token,
        Method::POST,
        &subscribe,
        Some(json!({"productId": product})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(verify(key["primaryKey"].clone()).await, "NOT_SUBSCRIBED");
    set_status(&app, &token, &product, &id, "ACCEPTED").await;
    assert_eq!(verify(key["primaryKey"].clone()).await, "VALID");
    assert_eq!(verify(key["secondaryKey"].clone()).await, "VALID");
    set_status(&app, &token, &product, &id, "DENY").await;
    assert_eq!(verify(key["secondaryKey"].clone()).await, "NOT_SUBSCRIBED");
    set_status(&app, &token, &product, &id, "ACCEPTED").await;
    let unsubscribe = format!("/api-keys/{id}/unsubscribe");
    let (status, _) = ncp(
        &app,
        &token,
        Method::POST,
        &unsubscribe,
        Some(json!({"productId": product})),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(verify(key["primaryKey"].clone()).await, "NOT_SUBSCRIBED");
    let (status, body) = ncp(
        &app,
        &token,
        Method::POST,
        &unsubscribe,
        Some(json!({"productId": product})),
    )
    .await;
    assert_ncp_error(status, &body, 404, "300");
}

#[tokio::test]
async fn a_products_keys_are_searched_by_id_value_and_status() {
    let (app, token) = app_and_admin().await;
    let product = create_product(&app, &token).await;
    let a = create_key(&app, &token, "a").await;
    let b = create_key(&app, &token, "b").await;
    create_key(&app, &token, "unsubscribed").await;
    for key in [&a, &b] {
        let id = key["apiKeyId"].as_str().expect("id");
        let (status, _) = ncp(
            &app,
            &token,
            Method::POST,
            &format!("/api-keys/{id}/subscribe"),
            Some(json!({"productId": product})),
        )
        .await;
        assert_eq!(status, 200);
    }
    let a_id = a["apiKeyId"].as_str().expect("id");
    set_status(&app, &token, &product, a_id, "ACCEPTED").await;
    let search = format!("/products/{product}/api-keys/search");
    let run = |body: Value| {
        let (app, token, search) = (&app, &token, &search);
        async move {
            let (status, found) = ncp(app, token, Method::POST, search, Some(body)).await;
            assert_eq!(status, 200, "{found}");
            found["apiKeyPage"].clone()
        }
    };
    let all = run(json!({})).await;
    assert_eq!(all["total"], json!(2));
    let accepted = run(json!({"limit": 1, "statusSet": ["ACCEPTED"]})).await;
    assert_eq!(accepted["total"], json!(1));
    let row = &accepted["content"][0];
    assert_eq!(row["apiKeyId"], json!(a_id));
    assert_eq!(row["apiKeyName"], json!("a"));
    assert_eq!(row["status"], json!("ACCEPTED"));
    assert_eq!(row["domainCode"], json!("PUB"));
    assert!(row["regTime"].is_string() && row["modTime"].is_string());
    assert!(
        row["primaryKey"].as_str().expect("hint").contains('…'),
        "masked"
    );
    for value in [&b["primaryKey"], &b["secondaryKey"]] {
        let found = run(json!({"apiKeyValue": value})).await;
        assert_eq!(found["total"], json!(1), "found by either secret");
        assert_eq!(found["content"][0]["apiKeyId"], b["apiKeyId"]);
    }
    let none = run(json!({"apiKeyValue": "kw_not-a-key"})).await;
    assert_eq!(none["total"], json!(0));
    let by_id = run(json!({"apiKeyId": b["apiKeyId"], "offset": 0})).await;
    assert_eq!(by_id["total"], json!(1));
    let paged = run(json!({"offset": 1, "limit": 1})).await;
    assert_eq!(paged["total"], json!(2));
    assert_eq!(paged["content"].as_array().map(Vec::len), Some(1));

    let (status, found) = ncp(
        &app,
        &token,
        Method::POST,
        "/api-keys/search",
        Some(json!({"productId": product, "statusSet": ["REQUEST"]})),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], json!(1));
    assert_eq!(found["apiKeys"][0]["apiKeyId"], b["apiKeyId"]);

    let (status, body) = ncp(
        &app,
        &token,
        Method::POST,
        "/products/nope/api-keys/search",
        Some(json!({})),
    )
    .await;
    assert_ncp_error(status, &body, 404, "300");
    let (status, body) = ncp(
        &app,
        &token,
        Method::POST,
        &search,
        Some(json!({"statusSet": ["NOPE"]})),
    )
    .await;
    assert_ncp_error(status, &body, 400, "100");
}
