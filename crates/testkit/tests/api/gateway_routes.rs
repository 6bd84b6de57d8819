//! `/v1/auth` as each gateway calls it, with a `[gateway]` configuration: where keys may be
//! presented (the vendors' headers, a query parameter only when enabled), keyward's own query read
//! only on the exact path, route policies matched against the original request as Envoy (the
//! sub-path), Traefik (`X-Forwarded-*`) and nginx (`X-Original-*`) report it, public routes and
//! CORS preflights.

use keyward_testkit::app::{spawn_app, spawn_app_with, AppOptions, Reply, TestApp};
use keyward_testkit::fixtures::{id_of, unique, CreatedKey};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

const ROUTES: &str = r#"
[[gateway.routes]]
path = "/billing/**"
methods = ["POST", "PUT"]
scopes = ["billing:write"]

[[gateway.routes]]
path = "/public/**"
public = true

[[gateway.routes]]
host = "*.internal.example"
path = "/**"
public = true
"#;

async fn key_with(app: &TestApp, body: Value) -> CreatedKey {
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    app.create_key(&token, &owner, body).await
}

/// A check the way Traefik's `forwardAuth` sends it: `GET /v1/auth` with the original request in
/// `X-Forwarded-*` (all five headers it sets).
fn traefik(app: &TestApp, method: &str, host: &str, uri: &str) -> RequestBuilder {
    app.gateway(Method::GET, "/v1/auth")
        .header("X-Forwarded-Method", method.to_owned())
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", host.to_owned())
        .header("X-Forwarded-Uri", uri.to_owned())
        .header("X-Forwarded-For", "203.0.113.7")
}

/// A check the way the nginx snippet sends it: the original request in `X-Original-*`.
fn nginx(app: &TestApp, method: &str, uri: &str) -> RequestBuilder {
    app.gateway(Method::GET, "/v1/auth")
        .header("X-Original-Method", method.to_owned())
        .header("X-Original-URI", uri.to_owned())
}

#[track_caller]
fn assert_passed_without_identity(reply: &Reply) {
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.header("x-keyward-key-id").is_none(),
        "no key was looked at"
    );
}

#[track_caller]
fn assert_refused(reply: &Reply, status: u16, reason: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(
        reply.header("x-keyward-reason"),
        Some(reason),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn under_a_sub_path_the_query_is_the_applications() {
    let app = spawn_app().await;
    let key = key_with(&app, json!({"name": "k", "scopes": ["a"]})).await;
    for path in [
        "/v1/auth/api/shop?product=shoes&scopes=x",
        "/v1/auth/api/shop?cost=lots",
        "/v1/auth/?scopes=x",
    ] {
        let reply = app
            .send(app.gateway(Method::GET, path).bearer_auth(&key.secret))
            .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        assert_eq!(reply.header("x-keyward-key-id"), Some(key.id.as_str()));
    }
    let own = app
        .send(
            app.gateway(Method::GET, "/v1/auth?scopes=x")
                .bearer_auth(&key.secret),
        )
        .await;
    assert_refused(&own, 403, "INSUFFICIENT_SCOPE");
    let header = app
        .send(
            app.gateway(Method::GET, "/v1/auth/api/shop?scopes=a")
                .bearer_auth(&key.secret)
                .header("X-Keyward-Scopes", "x"),
        )
        .await;
    assert_refused(&header, 403, "INSUFFICIENT_SCOPE");
}

#[tokio::test]
async fn the_vendors_key_headers_are_accepted_and_a_query_key_is_not() {
    let app = spawn_app().await;
    let key = key_with(&app, json!({"name": "k"})).await;
    let yandex = app
        .gateway(Method::GET, "/v1/auth")
        .header("Authorization", format!("Api-Key {}", key.secret));
    let ncp = app
        .gateway(Method::POST, "/v1/auth/api/x")
        .header("x-ncp-apigw-api-key", key.secret.clone());
    for request in [yandex, ncp] {
        let reply = app.send(request).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.header("x-keyward-key-id"), Some(key.id.as_str()));
    }
    let in_url = format!("/v1/auth/api/x?api_key={}", key.secret);
    let reply = app.send(app.gateway(Method::GET, &in_url)).await;
    assert_refused(&reply, 401, "MALFORMED");
}

#[tokio::test]
async fn configured_key_sources_are_the_only_ones_read() {
    let app = spawn_app_with(AppOptions::with_gateway(
        "[gateway]\nkey_sources = [\"header:x-token\"]\nquery_parameter = \"api_key\"\n",
    ))
    .await;
    let key = key_with(&app, json!({"name": "k"})).await;
    let bearer = app
        .send(
            app.gateway(Method::GET, "/v1/auth")
                .bearer_auth(&key.secret),
        )
        .await;
    assert_refused(&bearer, 401, "MALFORMED");
    let token = app
        .send(
            app.gateway(Method::GET, "/v1/auth")
                .header("x-token", key.secret.clone()),
        )
        .await;
    assert_eq!(token.status, 200, "{}", token.text);
    // The query parameter is the original request's: Envoy's sub-path, Traefik's URI, or the
    // check's own query.
    let envoy = app.gateway(
        Method::GET,
        &format!("/v1/auth/api?a=1&api_key={}", key.secret),
    );
    let forwarded = traefik(
        &app,
        "GET",
        "api.example",
        &format!("/x?api_key={}", key.secret),
    );
    let own = app.gateway(Method::GET, &format!("/v1/auth?api_key={}", key.secret));
    for request in [envoy, forwarded, own] {
        let reply = app.send(request).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.header("x-keyward-key-id"), Some(key.id.as_str()));
    }
}

#[tokio::test]
async fn route_policies_apply_to_the_request_traefik_forwards() {
    let app = spawn_app_with(AppOptions {
        trusted_proxies: vec!["127.0.0.1/32".parse().expect("a CIDR")],
        ..AppOptions::with_gateway(ROUTES)
    })
    .await;
    let writer = key_with(&app, json!({"name": "w", "scopes": ["billing:write"]})).await;
    let reader = key_with(&app, json!({"name": "r", "scopes": ["billing:read"]})).await;
    let check = |key: &CreatedKey, method: &str, uri: &str| {
        traefik(&app, method, "api.example", uri).bearer_auth(&key.secret)
    };
    for (method, uri) in [
        ("POST", "/billing/1"),
        ("PUT", "/billing"),
        ("POST", "/%62illing/x"),
    ] {
        let reply = app.send(check(&writer, method, uri)).await;
        assert_eq!(reply.status, 200, "{method} {uri}: {}", reply.text);
        let refused = app.send(check(&reader, method, uri)).await;
        assert_refused(&refused, 403, "INSUFFICIENT_SCOPE");
    }
    // Not a method the route names, or another path: key required, no extra scope.
    for (method, uri) in [
        ("GET", "/billing/1"),
        ("POST", "/billingx"),
        ("POST", "/orders"),
    ] {
        let reply = app.send(check(&reader, method, uri)).await;
        assert_eq!(reply.status, 200, "{method} {uri}: {}", reply.text);
    }
    let no_key = app
        .send(traefik(&app, "GET", "api.example", "/orders"))
        .await;
    assert_refused(&no_key, 401, "MALFORMED");
    // The route's scopes are added to those the request names.
    let both = check(&writer, "POST", "/billing/1").header("X-Keyward-Scopes", "billing:read");
    assert_refused(&app.send(both).await, 403, "INSUFFICIENT_SCOPE");
}

#[tokio::test]
async fn public_routes_pass_without_a_key_at_every_door() {
    let app = spawn_app_with(AppOptions::with_gateway(ROUTES)).await;
    let requests = [
        traefik(&app, "GET", "api.example", "/public/status?x=1"),
        nginx(&app, "POST", "/public"),
        app.gateway(Method::DELETE, "/v1/auth/public/a/b"),
        traefik(&app, "GET", "db.internal.example:8443", "/billing/1"),
        traefik(&app, "GET", "api.example", "/public/x").bearer_auth("kw_not_even_a_key"),
    ];
    for request in requests {
        assert_passed_without_identity(&app.send(request).await);
    }
    for request in [
        // First match wins: the billing route, before the internal hosts' public one.
        traefik(&app, "POST", "db.internal.example", "/billing/1"),
        traefik(&app, "GET", "internal.example", "/x"),
        app.gateway(Method::GET, "/v1/auth/publicity"),
        app.gateway(Method::GET, "/v1/auth"),
    ] {
        assert_refused(&app.send(request).await, 401, "MALFORMED");
    }
}

#[tokio::test]
async fn route_policies_apply_to_envoy_and_nginx_alike() {
    let app = spawn_app_with(AppOptions::with_gateway(ROUTES)).await;
    let reader = key_with(&app, json!({"name": "r"})).await;
    let envoy = app
        .gateway(Method::POST, "/v1/auth/billing/7?scopes=ignored")
        .bearer_auth(&reader.secret);
    let nginx = nginx(&app, "PUT", "/billing/7").bearer_auth(&reader.secret);
    for request in [envoy, nginx] {
        assert_refused(&app.send(request).await, 403, "INSUFFICIENT_SCOPE");
    }
    let envoy_get = app
        .gateway(Method::GET, "/v1/auth/billing/7")
        .bearer_auth(&reader.secret);
    assert_eq!(app.send(envoy_get).await.status, 200);
}

#[tokio::test]
async fn ambiguous_or_contradictory_original_requests_are_refused() {
    let app = spawn_app_with(AppOptions::with_gateway(ROUTES)).await;
    let key = key_with(&app, json!({"name": "k"})).await;
    let requests = [
        traefik(&app, "POST", "api.example", "/public/../billing/1"),
        traefik(&app, "POST", "api.example", "/public/%2e%2e/billing/1"),
        traefik(&app, "POST", "api.example", "/public%2Fbilling"),
        // A client's X-Original-URI past Traefik, which sets only X-Forwarded-Uri.
        traefik(&app, "POST", "api.example", "/billing/1").header("X-Original-URI", "/public/1"),
        nginx(&app, "POST", "/billing/1").header("X-Forwarded-Method", "GET"),
        app.gateway(Method::POST, "/v1/auth/billing/1")
            .header("X-Forwarded-Uri", "/public/1"),
    ];
    for request in requests {
        let reply = app.send(request.bearer_auth(&key.secret)).await;
        reply.expect_error(400, "INVALID_REQUEST");
    }
}

#[tokio::test]
async fn a_routes_product_and_cost_apply_when_the_request_names_none() {
    let product = uuid::Uuid::now_v7();
    let app = spawn_app_with(AppOptions::with_gateway(&format!(
        "[[gateway.routes]]\npath = \"/shop/**\"\nproduct = \"{product}\"\n\n\
         [[gateway.routes]]\npath = \"/reports/**\"\ncost = 4\n"
    )))
    .await;
    let key = key_with(&app, json!({"name": "k", "credits": {"remaining": 10}})).await;
    let shop = app
        .send(nginx(&app, "GET", "/shop/cart").bearer_auth(&key.secret))
        .await;
    assert_refused(&shop, 403, "NOT_SUBSCRIBED");
    let report = app
        .send(nginx(&app, "GET", "/reports/q1").bearer_auth(&key.secret))
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(report.header("x-keyward-credits-remaining"), Some("6"));
    let named = nginx(&app, "GET", "/reports/q2")
        .bearer_auth(&key.secret)
        .header("X-Keyward-Cost", "1");
    let named = app.send(named).await;
    assert_eq!(
        named.header("x-keyward-credits-remaining"),
        Some("5"),
        "{}",
        named.text
    );
    let spent = app
        .send(nginx(&app, "GET", "/reports/q3").bearer_auth(&key.secret))
        .await;
    assert_eq!(
        spent.header("x-keyward-credits-remaining"),
        Some("1"),
        "{}",
        spent.text
    );
    let refused = app
        .send(nginx(&app, "GET", "/reports/q4").bearer_auth(&key.secret))
        .await;
    assert_refused(&refused, 429, "USAGE_EXCEEDED");
}

#[tokio::test]
async fn a_cors_preflight_passes_without_a_key_unless_turned_off() {
    let app = spawn_app().await;
    let preflight = |app: &TestApp| {
        app.gateway(Method::OPTIONS, "/v1/auth/api/orders")
            .header("Origin", "https://app.example")
            .header("Access-Control-Request-Method", "POST")
    };
    assert_passed_without_identity(&app.send(preflight(&app)).await);
    let via_traefik = traefik(&app, "OPTIONS", "api.example", "/api/orders")
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "POST");
    assert_passed_without_identity(&app.send(via_traefik).await);
    let not_a_preflight = [
        app.gateway(Method::OPTIONS, "/v1/auth/api")
            .header("Origin", "https://app.example"),
        app.gateway(Method::GET, "/v1/auth/api")
            .header("Origin", "https://app.example")
            .header("Access-Control-Request-Method", "POST"),
    ];
    for request in not_a_preflight {
        assert_refused(&app.send(request).await, 401, "MALFORMED");
    }
    let off = spawn_app_with(AppOptions::with_gateway(
        "[gateway]\nallow_preflight = false\n",
    ))
    .await;
    assert_refused(&off.send(preflight(&off)).await, 401, "MALFORMED");
}
