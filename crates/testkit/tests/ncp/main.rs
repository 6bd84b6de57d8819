//! The NCP API Gateway face (docs/compat-ncp.md), through the real doors: every route under
//! `/api/v1`, NCP's bodies and error shape, two-slot keys and regeneration, subscriptions and
//! their approval, the product key search by id, value and status, and verification per product.
//!
//! One test binary with several modules, for compile time.

mod key_products;
mod keys;
mod signing;
mod subscriptions;
mod usage_plans;

use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::unique;
use reqwest::Method;
use serde_json::{json, Value};

/// A fresh domain's admin token, on a fresh app.
pub async fn app_and_admin() -> (TestApp, String) {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    (app, token)
}

/// An NCP call with a bearer keyward key: `(status, body)`.
pub async fn ncp(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.authed(method, &format!("/api/v1{path}"), token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = app.send(request).await;
    (reply.status.as_u16(), reply.body)
}

/// `POST /api-keys`; the `apiKey` object (with both secrets).
pub async fn create_key(app: &TestApp, token: &str, name: &str) -> Value {
    let (status, body) = ncp(
        app,
        token,
        Method::POST,
        "/api-keys",
        Some(json!({"apiKeyName": name, "apiKeyDescription": "desc"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["apiKey"].clone()
}

/// A product through the native API; its id.
pub async fn create_product(app: &TestApp, token: &str) -> String {
    let body = app
        .post(token, "/v1/products", json!({"name": unique("p")}))
        .await
        .expect_status(201);
    body["id"].as_str().expect("id").to_owned()
}

#[track_caller]
pub fn assert_ncp_error(status: u16, body: &Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"]["errorCode"], json!(code), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}
