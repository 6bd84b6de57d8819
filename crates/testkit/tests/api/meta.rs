//! Probes, the OpenAPI document, and what the router says about routes it does not have.

use keyward_testkit::app::spawn_app;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn healthz_says_ok_without_a_token() {
    let app = spawn_app().await;
    let body = app
        .send(app.request(Method::GET, "/healthz"))
        .await
        .expect_status(200);
    assert_eq!(body, json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_says_ready_when_the_database_answers() {
    let app = spawn_app().await;
    let body = app
        .send(app.request(Method::GET, "/readyz"))
        .await
        .expect_status(200);
    assert_eq!(body, json!({"status": "ready"}));
}

#[tokio::test]
async fn openapi_document_is_public_and_lists_the_routes() {
    let app = spawn_app().await;
    let doc = app
        .send(app.request(Method::GET, "/v1/openapi.json"))
        .await
        .expect_status(200);
    let version = doc["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3.1"), "OpenAPI 3.1, got {version}");
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/v1/domains",
        "/v1/domains/{id}",
        "/v1/principals",
        "/v1/principals/{id}",
        "/v1/keys",
        "/v1/keys/{id}",
        "/v1/keys/{id}/enable",
        "/v1/keys/{id}/disable",
        "/v1/keys/{id}/rotate",
        "/v1/keys/{id}/operations",
        "/v1/keys/verify",
        "/v1/operations",
        "/v1/operations/{id}",
    ] {
        assert!(paths.contains_key(path), "the OpenAPI document has {path}");
    }
}

#[tokio::test]
async fn unknown_routes_are_404_not_found() {
    let app = spawn_app().await;
    app.get(&app.root_token, "/v1/nothing-here")
        .await
        .expect_error(404, "NOT_FOUND");
    app.send(app.request(Method::GET, "/no/such/route"))
        .await
        .expect_error(404, "NOT_FOUND");
    app.get(&app.root_token, "/v1/keys/verify/extra")
        .await
        .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_known_route_with_the_wrong_method_is_405() {
    let app = spawn_app().await;
    let cases = [
        (Method::PUT, "/v1/keys"),
        (Method::DELETE, "/v1/principals"),
        (Method::PATCH, "/v1/domains"),
        (Method::POST, "/healthz"),
    ];
    for (method, path) in cases {
        let reply = app
            .send(app.authed(method.clone(), path, &app.root_token))
            .await;
        assert_eq!(reply.status, 405, "{method} {path}: {}", reply.text);
        reply.expect_error(405, "METHOD_NOT_ALLOWED");
    }
}

#[tokio::test]
async fn docs_page_serves_the_reference_from_embedded_assets_under_a_self_only_policy() {
    let app = spawn_app().await;
    let page = app
        .request(Method::GET, "/docs")
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    let csp = headers["content-security-policy"].to_str().expect("ascii");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("http"), "no other origin is allowed: {csp}");
    let html = page.text().await.expect("a body");
    assert!(html.contains("spec-url=\"/v1/openapi.json\""), "{html}");
    let script = html
        .split("<script type=\"module\" src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads a script");
    assert!(script.starts_with("/docs/"), "served here: {script}");

    let js = app.request(Method::GET, script).send().await.expect("sent");
    assert_eq!(js.status(), 200);
    assert!(js.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/javascript"));
    let body = js.bytes().await.expect("a body");
    assert!(body.len() > 100_000, "the whole RapiDoc bundle");
    assert!(
        String::from_utf8_lossy(&body).contains("rapi-doc"),
        "it defines <rapi-doc>"
    );
}
