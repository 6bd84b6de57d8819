//! `Check` through a tonic client built on the `envoy-types` crate: what the grpcio probe covers
//! from Rust, plus the messages no Envoy sends (refused as `INVALID_ARGUMENT`, never a 5xx).

use envoy_types::ext_authz::v3::pb::{CheckRequest, HttpResponse};
use envoy_types::pb::envoy::config::core::v3::{address, Address, SocketAddress};
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{HttpRequest, Peer, Request};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::AttributeContext;
use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, unique};
use serde_json::json;
use tonic::transport::Channel;
use tonic::Code;

async fn client(app: &TestApp) -> AuthorizationClient<Channel> {
    AuthorizationClient::connect(format!("http://{}", app.addr))
        .await
        .expect("keyward accepts gRPC on its port")
}

fn check(headers: &[(&str, &str)], method: &str) -> CheckRequest {
    CheckRequest {
        attributes: Some(AttributeContext {
            source: Some(Peer {
                address: Some(Address {
                    address: Some(address::Address::SocketAddress(SocketAddress {
                        address: "203.0.113.9".into(),
                        ..Default::default()
                    })),
                }),
                ..Default::default()
            }),
            request: Some(Request {
                http: Some(HttpRequest {
                    method: method.into(),
                    host: "shop.example".into(),
                    path: "/v1/keys?scopes=x".into(),
                    headers: headers
                        .iter()
                        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                        .collect(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

#[tokio::test]
async fn a_valid_key_is_ok_and_a_missing_one_denied_401() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    let key = app.create_key(&token, &owner, json!({"name": "t"})).await;
    let mut client = client(&app).await;

    let answer = client
        .check(check(
            &[("x-api-key", &key.secret), (":path", "/x")],
            "POST",
        ))
        .await
        .expect("answered")
        .into_inner();
    assert_eq!(answer.status.expect("a status").code, 0);
    let Some(HttpResponse::OkResponse(ok)) = answer.http_response else {
        panic!("OK has an ok_response");
    };
    let key_id = ok
        .headers
        .iter()
        .filter_map(|o| o.header.as_ref())
        .find(|h| h.key == "x-keyward-key-id")
        .expect("the key id goes upstream");
    assert_eq!(key_id.value, key.id);

    let answer = client
        .check(check(&[], "GET"))
        .await
        .expect("answered")
        .into_inner();
    assert_eq!(
        answer.status.expect("a status").code,
        Code::Unauthenticated as i32
    );
    let Some(HttpResponse::DeniedResponse(denied)) = answer.http_response else {
        panic!("a refusal has a denied_response");
    };
    assert_eq!(denied.status.expect("an HTTP status").code, 401);
}

#[tokio::test]
async fn a_message_that_is_no_http_check_is_invalid_argument() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    let mut no_http = check(&[], "GET");
    no_http
        .attributes
        .as_mut()
        .and_then(|a| a.request.as_mut())
        .expect("set")
        .http = None;
    let many: Vec<(String, String)> = (0..1001).map(|i| (format!("x-h{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    for (what, request) in [
        ("empty", CheckRequest::default()),
        ("no http", no_http),
        ("no method", check(&[], "")),
        ("1001 headers", check(&many, "GET")),
    ] {
        let status = client.check(request).await.expect_err(what);
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
    }
}

#[tokio::test]
async fn a_method_no_proxy_forwards_is_denied_not_failed() {
    let app = spawn_app().await;
    let mut client = client(&app).await;
    let answer = client
        .check(check(&[], "BREW"))
        .await
        .expect("answered")
        .into_inner();
    let Some(HttpResponse::DeniedResponse(denied)) = answer.http_response else {
        panic!("denied");
    };
    assert_eq!(denied.status.expect("an HTTP status").code, 405);
    assert_eq!(
        answer.status.expect("a status").code,
        Code::PermissionDenied as i32
    );
}
