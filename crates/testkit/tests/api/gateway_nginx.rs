//! Real nginx in front of keyward: the README's snippet itself (`testkit::nginx::readme_site`),
//! run by Debian's nginx, checking with keyward (on port 0) before passing requests to a small
//! application (`testkit::echo`) that reports what reached it. Skipped loudly without nginx;
//! under `CI=true` a missing nginx fails.
//!
//! The route-policy cases need `[[gateway.routes]]` in keyward's configuration (issue 15,
//! point 4): while this build's configuration does not know `gateway`, they say so loudly and
//! stop; once it does, they run.

use keyward_testkit::app::{spawn_app_with, AppOptions, Reply, TestApp};
use keyward_testkit::echo::EchoApp;
use keyward_testkit::fixtures::{id_of, unique};
use keyward_testkit::nginx::{free_local_addr, nginx_or_skip, readme_site, Nginx, NginxOptions};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

/// keyward, the application, and nginx between the client and both.
struct Gate {
    app: TestApp,
    echo: EchoApp,
    nginx: Nginx,
    /// A domain administrator's token, for making keys.
    admin: String,
    owner: String,
}

impl Gate {
    /// `None` (after a loud skip) when nginx is not installed.
    async fn start(test: &str, options: AppOptions) -> Option<Gate> {
        let binary = nginx_or_skip(test)?;
        let app = spawn_app_with(options).await;
        let echo = EchoApp::start().await;
        let listen = free_local_addr();
        let site = readme_site(listen, app.addr, echo.addr);
        let nginx = Nginx::start(&binary, &site, listen, NginxOptions::default())
            .expect("nginx starts with the README's snippet");
        let (_, admin) = app.new_domain_admin(&unique("nginx")).await;
        let owner = id_of(&app.create_service_account(&admin, &unique("svc")).await);
        Some(Gate {
            app,
            echo,
            nginx,
            admin,
            owner,
        })
    }

    async fn key(&self, body: Value) -> keyward_testkit::app::CreatedKey {
        self.app.create_key(&self.admin, &self.owner, body).await
    }

    /// A request to nginx (not to keyward).
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app.client.request(method, self.nginx.url(path))
    }

    async fn send(&self, request: RequestBuilder) -> Reply {
        self.app.send(request).await
    }

    /// What the application received, from its answer relayed by nginx.
    #[track_caller]
    fn reached(&self, reply: &Reply) -> Value {
        assert_eq!(
            reply.status,
            200,
            "{}\nnginx's error log:\n{}",
            reply.text,
            self.nginx.error_log()
        );
        assert!(
            reply.body["headers"].is_object(),
            "the application answered: {}",
            reply.text
        );
        reply.body.clone()
    }
}

/// The status, `X-Keyward-Reason` and the JSON body `{"valid":false,"code":reason}`.
#[track_caller]
fn assert_refused(reply: &Reply, status: u16, reason: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(reply.header("x-keyward-reason"), Some(reason));
    assert_eq!(reply.body, json!({"valid": false, "code": reason}));
}

#[tokio::test]
async fn gateway_nginx_passes_a_valid_key_with_its_identity_and_without_the_secret() {
    let Some(gate) = Gate::start("gateway_nginx valid", AppOptions::default()).await else {
        return;
    };
    let key = gate
        .key(json!({"name": "gw", "roles": ["reader"], "scopes": ["a:read", "b:write"]}))
        .await;
    let reply = gate
        .send(
            gate.request(Method::POST, "/api/orders?page=2")
                .bearer_auth(&key.secret)
                // Forged identity: nginx overwrites every one of these.
                .header("x-keyward-key-id", "forged")
                .header("x-keyward-owner", "forged")
                .header("x-keyward-scopes", "admin")
                .body("twelve bytes"),
        )
        .await;
    let seen = gate.reached(&reply);
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["uri"], "/api/orders?page=2");
    assert_eq!(seen["body_bytes"], 12, "the body goes to the application");
    let headers = &seen["headers"];
    assert_eq!(headers["x-keyward-key-id"], json!(key.id));
    assert_eq!(headers["x-keyward-owner"], key.key["owner_id"]);
    assert_eq!(headers["x-keyward-domain"], key.key["domain_id"]);
    assert_eq!(headers["x-keyward-roles"], "reader");
    assert_eq!(headers["x-keyward-scopes"], "a:read,b:write");
    assert!(
        headers.get("authorization").is_none(),
        "the secret reached the application: {headers}"
    );
    assert!(!seen.to_string().contains(&key.secret));
    assert!(reply.header("x-keyward-reason").is_none());

    let by_header = gate
        .send(
            gate.request(Method::GET, "/api/orders")
                .header("x-api-key", &key.secret),
        )
        .await;
    let seen = gate.reached(&by_header);
    assert_eq!(seen["headers"]["x-keyward-key-id"], json!(key.id));
    assert!(
        !seen.to_string().contains(&key.secret),
        "X-API-Key reached the application: {seen}"
    );
    assert_eq!(gate.echo.requests(), 2);
}

#[tokio::test]
async fn gateway_nginx_answers_a_request_without_a_key_401_with_the_reason() {
    let Some(gate) = Gate::start("gateway_nginx missing key", AppOptions::default()).await else {
        return;
    };
    let reply = gate.send(gate.request(Method::GET, "/api/orders")).await;
    assert_refused(&reply, 401, "MALFORMED");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    let forged = gate
        .send(
            gate.request(Method::GET, "/api/orders")
                .header("x-keyward-key-id", "forged"),
        )
        .await;
    assert_refused(&forged, 401, "MALFORMED");
    assert_eq!(gate.echo.requests(), 0, "nothing reached the application");
}

#[tokio::test]
async fn gateway_nginx_answers_a_disabled_key_401() {
    let Some(gate) = Gate::start("gateway_nginx disabled", AppOptions::default()).await else {
        return;
    };
    let key = gate.key(json!({"name": "d", "state": "disabled"})).await;
    let reply = gate
        .send(
            gate.request(Method::PUT, "/api/orders/1")
                .header("x-api-key", &key.secret)
                .body("{}"),
        )
        .await;
    assert_refused(&reply, 401, "DISABLED");
    assert_eq!(gate.echo.requests(), 0);
}

#[tokio::test]
async fn gateway_nginx_answers_a_missing_scope_403() {
    let Some(gate) = Gate::start("gateway_nginx scope", AppOptions::default()).await else {
        return;
    };
    // The README's `location /orders/` requires `orders:write`.
    let reader = gate
        .key(json!({"name": "r", "scopes": ["orders:read"]}))
        .await;
    let writer = gate
        .key(json!({"name": "w", "scopes": ["orders:write"]}))
        .await;
    let refused = gate
        .send(
            gate.request(Method::POST, "/orders/new")
                .bearer_auth(&reader.secret),
        )
        .await;
    assert_refused(&refused, 403, "INSUFFICIENT_SCOPE");
    assert!(refused.header("www-authenticate").is_none());
    assert_eq!(gate.echo.requests(), 0);

    let passed = gate
        .send(
            gate.request(Method::POST, "/orders/new")
                .bearer_auth(&writer.secret),
        )
        .await;
    assert_eq!(gate.reached(&passed)["uri"], "/orders/new");
    // Elsewhere the reader passes: the requirement belongs to that location.
    let elsewhere = gate
        .send(
            gate.request(Method::GET, "/api/orders")
                .bearer_auth(&reader.secret),
        )
        .await;
    gate.reached(&elsewhere);
}

#[tokio::test]
async fn gateway_nginx_passes_429_on_and_ignores_the_clients_own_cost() {
    let Some(gate) = Gate::start("gateway_nginx 429", AppOptions::default()).await else {
        return;
    };
    let key = gate
        .key(
            json!({"name": "l", "rate_limits": [{"name": "requests", "limit": 1, "period": "1h"}]}),
        )
        .await;
    // A client's `X-Keyward-Cost: 0` would spend nothing; nginx drops it, so this is charged.
    let first = gate
        .send(
            gate.request(Method::GET, "/api/orders")
                .bearer_auth(&key.secret)
                .header("x-keyward-cost", "0"),
        )
        .await;
    gate.reached(&first);
    assert_eq!(first.header("ratelimit-limit"), Some("1"));
    assert_eq!(first.header("ratelimit-remaining"), Some("0"));

    let second = gate
        .send(
            gate.request(Method::GET, "/api/orders")
                .bearer_auth(&key.secret)
                .header("x-keyward-cost", "0"),
        )
        .await;
    assert_refused(&second, 429, "RATE_LIMITED");
    let retry: u64 = second
        .header("retry-after")
        .expect("429 carries Retry-After")
        .parse()
        .expect("Retry-After is seconds");
    assert!(retry > 0 && retry <= 3600, "Retry-After {retry}");
    assert_eq!(second.header("ratelimit-remaining"), Some("0"));
    assert_eq!(gate.echo.requests(), 1);
}

#[tokio::test]
async fn gateway_nginx_fails_closed_with_503_when_keyward_is_down() {
    let Some(mut gate) = Gate::start("gateway_nginx down", AppOptions::default()).await else {
        return;
    };
    let key = gate.key(json!({"name": "k"})).await;
    gate.app.stop().await;
    let reply = gate
        .send(
            gate.request(Method::GET, "/api/orders")
                .bearer_auth(&key.secret),
        )
        .await;
    assert_eq!(reply.status, 503, "{}", reply.text);
    assert_eq!(reply.body, json!({"valid": false, "code": "UNAVAILABLE"}));
    assert_eq!(gate.echo.requests(), 0);
}

/// The route policies of issue 15 (point 4), in keyward's configuration file.
const ROUTES: &str = r#"
[[gateway.routes]]
path = "/billing/**"
methods = ["POST", "PUT"]
scopes = ["billing:write"]

[[gateway.routes]]
path = "/public/**"
public = true
"#;

/// keyward configured with [`ROUTES`] behind nginx.
async fn gate_with_routes(test: &str) -> Option<Gate> {
    let options = AppOptions {
        config_file: Some(ROUTES.to_owned()),
        ..AppOptions::default()
    };
    Gate::start(test, options).await
}

#[tokio::test]
async fn gateway_nginx_applies_route_policies_to_the_original_method_and_path() {
    let Some(gate) = gate_with_routes("gateway_nginx route policy").await else {
        return;
    };
    let reader = gate
        .key(json!({"name": "r", "scopes": ["billing:read"]}))
        .await;
    let writer = gate
        .key(json!({"name": "w", "scopes": ["billing:write"]}))
        .await;
    let refused = gate
        .send(
            gate.request(Method::POST, "/billing/invoices?draft=1")
                .bearer_auth(&reader.secret),
        )
        .await;
    assert_refused(&refused, 403, "INSUFFICIENT_SCOPE");
    assert_eq!(gate.echo.requests(), 0);

    let read = gate
        .send(
            gate.request(Method::GET, "/billing/invoices")
                .bearer_auth(&reader.secret),
        )
        .await;
    assert_eq!(
        gate.reached(&read)["method"],
        "GET",
        "only POST and PUT need the scope"
    );
    let written = gate
        .send(
            gate.request(Method::POST, "/billing/invoices?draft=1")
                .bearer_auth(&writer.secret),
        )
        .await;
    let seen = gate.reached(&written);
    assert_eq!(seen["uri"], "/billing/invoices?draft=1");
    assert_eq!(seen["headers"]["x-keyward-key-id"], json!(writer.id));
}

#[tokio::test]
async fn gateway_nginx_passes_a_public_route_without_a_key_or_an_identity() {
    let Some(gate) = gate_with_routes("gateway_nginx public route").await else {
        return;
    };
    let reply = gate
        .send(
            gate.request(Method::GET, "/public/health")
                .header("x-keyward-key-id", "forged")
                .header("x-keyward-owner", "forged"),
        )
        .await;
    let seen = gate.reached(&reply);
    assert_eq!(seen["uri"], "/public/health");
    let headers = seen["headers"].as_object().expect("headers");
    assert!(
        !headers.keys().any(|name| name.starts_with("x-keyward-")),
        "a public route carries no identity, forged or not: {headers:?}"
    );
    // Beside it, a key is still required.
    let private = gate
        .send(gate.request(Method::GET, "/private/health"))
        .await;
    assert_refused(&private, 401, "MALFORMED");
    assert_eq!(gate.echo.requests(), 1);
}
