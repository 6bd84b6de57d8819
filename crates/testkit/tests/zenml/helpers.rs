//! What every ZenML test does: a fresh domain with an admin key, logged in the ZenML way, and
//! requests with the access token.

use keyward_testkit::app::{Reply, TestApp};
use keyward_testkit::fixtures::{id_of, unique};
use reqwest::Method;
use serde_json::{json, Value};

/// A domain of its own, its admin key, and an access token minted from that key.
pub struct Zen {
    /// The admin key (`keyward:admin` of the domain), what a ZenML user would configure.
    pub admin_key: String,
    /// An access token from `POST /api/v1/login` with that key.
    pub token: String,
}

/// `POST /api/v1/login` with a form body.
pub async fn login_form(app: &TestApp, form: &[(&str, &str)]) -> Reply {
    app.send(app.request(Method::POST, "/api/v1/login").form(form))
        .await
}

/// Logs in with an API key the way `RestZenStore` does and returns the access token.
pub async fn login(app: &TestApp, key: &str) -> String {
    let body = login_form(app, &[("grant_type", "zenml-api-key"), ("password", key)])
        .await
        .expect_status(200);
    body["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access_token in {body}"))
        .to_owned()
}

impl Zen {
    pub async fn new(app: &TestApp) -> Self {
        let (_, admin_key) = app.new_domain_admin(&unique("zen")).await;
        let token = login(app, &admin_key).await;
        Self { admin_key, token }
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> Reply {
        app.get(&self.token, path).await
    }

    pub async fn post(&self, app: &TestApp, path: &str, body: Value) -> Reply {
        app.post(&self.token, path, body).await
    }

    pub async fn put(&self, app: &TestApp, path: &str, body: Value) -> Reply {
        app.send(app.authed(Method::PUT, path, &self.token).json(&body))
            .await
    }

    pub async fn delete(&self, app: &TestApp, path: &str) -> Reply {
        app.delete(&self.token, path).await
    }

    /// A service account; its id.
    pub async fn account(&self, app: &TestApp, name: &str) -> String {
        let body = self
            .post(
                app,
                "/api/v1/service_accounts",
                json!({"name": name, "description": "probe SA", "active": true}),
            )
            .await
            .expect_status(200);
        id_of(&body)
    }

    /// A key of `account`; the whole response (with `body.key`).
    pub async fn key(&self, app: &TestApp, account: &str, name: &str, description: &str) -> Value {
        self.post(
            app,
            &keys_path(account),
            json!({"name": name, "description": description}),
        )
        .await
        .expect_status(200)
    }
}

pub fn keys_path(account: &str) -> String {
    format!("/api/v1/service_accounts/{account}/api_keys")
}

pub fn key_path(account: &str, key: &str) -> String {
    format!("/api/v1/service_accounts/{account}/api_keys/{key}")
}

/// The plaintext key of a create or rotate response.
pub fn secret_of(response: &Value) -> String {
    response["body"]["key"]
        .as_str()
        .unwrap_or_else(|| panic!("no body.key in {response}"))
        .to_owned()
}

/// Asserts ZenML's `{"detail": [exception, message]}` and returns the message.
#[track_caller]
pub fn expect_detail(reply: &Reply, status: u16, exception: &str) -> String {
    assert_eq!(
        reply.status.as_u16(),
        status,
        "expected {status} {exception}, got {} {}",
        reply.status,
        reply.text
    );
    let detail = reply.body["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("expected a detail list, got {}", reply.text));
    assert_eq!(detail.len(), 2, "{}", reply.text);
    assert_eq!(detail[0], json!(exception), "{}", reply.text);
    detail[1].as_str().expect("a message").to_owned()
}

/// The JSON "shape" of a value: every leaf replaced by its type, so two answers can be compared
/// field by field without their values.
pub fn shape(value: &Value) -> Value {
    match value {
        Value::Null => json!("null"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Array(items) => Value::Array(items.iter().take(1).map(shape).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), shape(value)))
                .collect(),
        ),
    }
}

/// The names of the items of a list answer, in order.
pub fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|item| item["name"].as_str().expect("a name").to_owned())
        .collect()
}
