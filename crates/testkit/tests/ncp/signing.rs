//! Signature v2, signed here by an independent implementation checked against the reference's
//! known-answer vector: access keys made through the native API, both query-encoding styles of
//! NCP's clients, and every refusal (stale timestamp, wrong signature, wrong or deleted access
//! key, a target other than the one signed).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::unique;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use super::{assert_ncp_error, create_key};

/// `base64(HMAC-SHA256(secret, "{method} {uri}\n{timestamp}\n{access_key}"))`.
fn sign(method: &str, uri: &str, timestamp: &str, access_key: &str, secret: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{method} {uri}\n{timestamp}\n{access_key}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[test]
fn the_test_signer_matches_the_known_answer_vector() {
    assert_eq!(
        sign(
            "POST",
            "/api/v1/mails",
            "1789174800000",
            "test-access-key",
            "test-secret-key"
        ),
        "sUivhBVe0ZI9YKhZPcvrMaOmFgI67grJuG5OI+T9nrE="
    );
}

pub(super) struct Signer {
    access_key: String,
    secret: String,
}

/// A domain admin with an access key for its own key; `(app, admin token, signer)`.
pub(super) async fn setup() -> (TestApp, String, Signer) {
    let app = spawn_app().await;
    let admin = app.new_domain_admin_full(&unique("d")).await;
    let created = app
        .post(
            &admin.token,
            &format!("/v1/keys/{}/access-keys", admin.key_id),
            json!({}),
        )
        .await
        .expect_status(201);
    let signer = Signer {
        access_key: created["access_key_id"].as_str().expect("id").to_owned(),
        secret: created["secret_key"].as_str().expect("secret").to_owned(),
    };
    assert!(signer.access_key.starts_with("KWAK"));
    (app, admin.token, signer)
}

pub(super) fn now_millis(app: &TestApp) -> i64 {
    (app.clock.now().unix_timestamp_nanos() / 1_000_000) as i64
}

/// Sends `method uri` signed over `signed_uri` at `timestamp`.
#[allow(clippy::too_many_arguments)]
pub(super) async fn send_signed(
    app: &TestApp,
    signer: &Signer,
    method: Method,
    uri: &str,
    signed_uri: &str,
    timestamp: i64,
    body: Option<Value>,
) -> (u16, Value) {
    let ts = timestamp.to_string();
    let signature = sign(
        method.as_str(),
        signed_uri,
        &ts,
        &signer.access_key,
        &signer.secret,
    );
    let mut request = app
        .request(method, uri)
        .header("x-ncp-apigw-timestamp", &ts)
        .header("x-ncp-iam-access-key", &signer.access_key)
        .header("x-ncp-apigw-signature-v2", signature);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = app.send(request).await;
    (reply.status.as_u16(), reply.body)
}

#[tokio::test]
async fn signed_requests_drive_the_routes_in_both_query_styles() {
    let (app, token, signer) = setup().await;
    let ts = now_millis(&app);
    let (status, body) = send_signed(
        &app,
        &signer,
        Method::POST,
        "/api/v1/api-keys",
        "/api/v1/api-keys",
        ts,
        Some(json!({"apiKeyName": "a b"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    create_key(&app, &token, "other").await;
    // Terraform's ncloudsdk: keys sorted, percent-encoded, '+' for a space.
    let go_style = "/api/v1/api-keys?apiKeyName=a+b&limit=5&offset=0";
    // ncloud-server (Python): parameters in call order, as given.
    let python_style = "/api/v1/api-keys?offset=0&limit=5&apiKeyName=a%20b";
    for uri in [go_style, python_style] {
        let (status, body) = send_signed(&app, &signer, Method::GET, uri, uri, ts, None).await;
        assert_eq!(status, 200, "{uri}: {body}");
        assert_eq!(body["total"], json!(1), "{uri}: {body}");
    }
    let (status, _) = send_signed(
        &app,
        &signer,
        Method::GET,
        "/api/v1/api-keys",
        "/api/v1/api-keys",
        ts,
        None,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn bad_signatures_are_refused() {
    let (app, _, signer) = setup().await;
    let uri = "/api/v1/api-keys";
    let now = now_millis(&app);
    let stale = now - 6 * 60 * 1000;
    let (status, body) = send_signed(&app, &signer, Method::GET, uri, uri, stale, None).await;
    assert_ncp_error(status, &body, 401, "200");
    let future = now + 6 * 60 * 1000;
    let (status, body) = send_signed(&app, &signer, Method::GET, uri, uri, future, None).await;
    assert_ncp_error(status, &body, 401, "200");
    let within = now - 4 * 60 * 1000;
    let (status, _) = send_signed(&app, &signer, Method::GET, uri, uri, within, None).await;
    assert_eq!(status, 200, "four minutes of skew is allowed");

    let wrong_secret = Signer {
        access_key: signer.access_key.clone(),
        secret: "not-the-secret".into(),
    };
    let (status, body) = send_signed(&app, &wrong_secret, Method::GET, uri, uri, now, None).await;
    assert_ncp_error(status, &body, 401, "200");
    let wrong_key = Signer {
        access_key: "KWAKNOSUCHKEY0000000000".into(),
        secret: signer.secret.clone(),
    };
    let (status, body) = send_signed(&app, &wrong_key, Method::GET, uri, uri, now, None).await;
    assert_ncp_error(status, &body, 401, "200");
    // Signed over another target (a re-normalised query) than the one sent.
    let sent = "/api/v1/api-keys?limit=5&offset=0";
    let (status, body) = send_signed(
        &app,
        &signer,
        Method::GET,
        sent,
        "/api/v1/api-keys?offset=0&limit=5",
        now,
        None,
    )
    .await;
    assert_ncp_error(status, &body, 401, "200");
    // Signed for another method.
    let ts = now.to_string();
    let reply = app
        .send(
            app.request(Method::GET, uri)
                .header("x-ncp-apigw-timestamp", &ts)
                .header("x-ncp-iam-access-key", &signer.access_key)
                .header(
                    "x-ncp-apigw-signature-v2",
                    sign("POST", uri, &ts, &signer.access_key, &signer.secret),
                ),
        )
        .await;
    assert_ncp_error(reply.status.as_u16(), &reply.body, 401, "200");
    // Missing signature header.
    let reply = app
        .send(
            app.request(Method::GET, uri)
                .header("x-ncp-iam-access-key", &signer.access_key),
        )
        .await;
    assert_ncp_error(reply.status.as_u16(), &reply.body, 401, "200");
}

#[tokio::test]
async fn a_deleted_access_key_stops_signing() {
    let (app, token, signer) = setup().await;
    let uri = "/api/v1/api-keys";
    let now = now_millis(&app);
    let (status, _) = send_signed(&app, &signer, Method::GET, uri, uri, now, None).await;
    assert_eq!(status, 200);
    let path = format!("/v1/access-keys/{}", signer.access_key);
    assert_eq!(app.delete(&token, &path).await.status.as_u16(), 204);
    let (status, body) = send_signed(&app, &signer, Method::GET, uri, uri, now, None).await;
    assert_ncp_error(status, &body, 401, "200");
    app.delete(&token, &path)
        .await
        .expect_error(404, "NOT_FOUND");
}

/// An access key carries its key's authority and no more: a key without a management role signs
/// validly but is refused (403), and another domain's admin cannot make one for a key it does not
/// administer.
#[tokio::test]
async fn an_access_key_carries_only_its_keys_authority() {
    let app = spawn_app().await;
    let admin = app.new_domain_admin_full(&unique("d")).await;
    let plain = app
        .create_named_key(&admin.token, &admin.principal_id, "plain")
        .await;
    let created = app
        .post(
            &admin.token,
            &format!("/v1/keys/{}/access-keys", plain.id),
            json!({}),
        )
        .await
        .expect_status(201);
    let signer = Signer {
        access_key: created["access_key_id"].as_str().expect("id").to_owned(),
        secret: created["secret_key"].as_str().expect("secret").to_owned(),
    };
    let uri = "/api/v1/api-keys";
    let (status, body) =
        send_signed(&app, &signer, Method::GET, uri, uri, now_millis(&app), None).await;
    assert_ncp_error(status, &body, 403, "230");

    let (_, other) = app.new_domain_admin(&unique("d")).await;
    app.post(
        &other,
        &format!("/v1/keys/{}/access-keys", plain.id),
        json!({}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
}
