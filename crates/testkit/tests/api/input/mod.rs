//! The input rules of README "Security notes", through every face: no control characters where
//! the stores cannot hold them (the same 4xx on SQLite and PostgreSQL), names in NFC without
//! invisible characters, the reserved `keyward:` roles, and error bodies that never echo a secret.

mod chars;
mod echo;
mod names;

use keyward_testkit::app::{Reply, TestApp};
use reqwest::Method;

/// A client error, never a 5xx, never a 2xx.
pub fn refused(reply: &Reply, what: &str) {
    let status = reply.status.as_u16();
    assert!(
        (400..500).contains(&status),
        "{what}: expected a 4xx, got {status}: {}",
        reply.text
    );
}

/// A ZenML access token for `key`, from the face's API-key login.
pub async fn zenml_token(app: &TestApp, key: &str) -> String {
    let reply = app
        .send(
            app.request(Method::POST, "/api/v1/login")
                .form(&[("grant_type", "zenml-api-key"), ("password", key)]),
        )
        .await
        .expect_status(200);
    reply["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}
