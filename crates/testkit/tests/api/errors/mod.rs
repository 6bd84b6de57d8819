//! Bad input of every kind in the error table: each refused with its status AND `error.code`,
//! never a 500, and nothing stored.

mod bodies;
mod requests;

use keyward_testkit::app::{Reply, TestApp};
use keyward_testkit::fixtures::{id_of, unique};
use reqwest::Method;

/// An admin, an owner and a key in a fresh domain: `(token, owner_id, key_id)`.
pub async fn setup(app: &TestApp) -> (String, String, String) {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    let key = app.create_named_key(&token, &owner, "k").await;
    (token, owner, key.id)
}

/// Sends raw `body` with a JSON content type.
pub async fn raw(app: &TestApp, method: Method, path: &str, token: &str, body: &str) -> Reply {
    app.send(
        app.authed(method, path, token)
            .header("content-type", "application/json")
            .body(body.to_owned()),
    )
    .await
}

/// Domain routes need the root key; the rest use the domain admin.
pub fn token_for(app: &TestApp, path: &str, admin: &str) -> String {
    if path.starts_with("/v1/domains") {
        app.root_token.clone()
    } else {
        admin.to_owned()
    }
}

pub async fn keys_named(app: &TestApp, token: &str, name: &str) -> usize {
    app.get(token, &format!("/v1/keys?name={name}"))
        .await
        .items()
        .len()
}
