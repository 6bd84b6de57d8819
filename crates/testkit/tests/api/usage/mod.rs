//! Usage control through the real doors: rate limits and quotas on keys and principals, credits
//! and top-ups, `cost`, the 429 of `/v1/auth` with its RateLimit header fields, and charging
//! that is all or nothing. Time moves by `app.clock`.

mod charging;
mod credits;
mod limits;

use keyward_testkit::app::{Reply, TestApp};
use keyward_testkit::fixtures::{id_of, unique, CreatedKey};
use reqwest::Method;
use serde_json::Value;

/// A domain admin and an owner in a fresh domain: `(admin_token, owner_id)`.
async fn setup(app: &TestApp) -> (String, String) {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    (token, owner)
}

async fn key_with(app: &TestApp, body: Value) -> (String, CreatedKey) {
    let (token, owner) = setup(app).await;
    let key = app.create_key(&token, &owner, body).await;
    (token, key)
}

/// `GET /v1/auth` with the key and extra query.
async fn auth(app: &TestApp, secret: &str, query: &str) -> Reply {
    app.send(
        app.gateway(Method::GET, &format!("/v1/auth{query}"))
            .bearer_auth(secret),
    )
    .await
}

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("`{name}` in {:?}", reply.headers))
        .to_str()
        .expect("ascii")
}
