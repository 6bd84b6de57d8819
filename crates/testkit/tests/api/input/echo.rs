//! A live secret pasted into every field of every face is never sent back: error bodies (and gRPC
//! status messages) name the field, not its value. Before the rule, `GET /v1/keys?kw_…=1`,
//! `{"scopes": "kw_…"}` and SpaceONE's `api_key_type` quoted the secret back.

use keyward_compat::spaceone::proto::identity::api_key_client::ApiKeyClient;
use keyward_compat::spaceone::proto::identity::{
    CreateApiKeyRequest as SpaceoneCreate, GetApiKeyRequest as SpaceoneGet,
};
use keyward_compat::yandex::proto::iam::api_key_service_client::ApiKeyServiceClient;
use keyward_compat::yandex::proto::iam::{
    CreateApiKeyRequest as YandexCreate, GetApiKeyRequest as YandexGet, ListApiKeysRequest,
};
use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, unique};
use reqwest::Method;
use serde_json::{json, Value};
use tonic::transport::Channel;
use tonic::{Request, Status};

use super::zenml_token;

/// Sends one request and fails if it is refused with an answer that contains `secret` (an accepted
/// request may hand back what it stored, e.g. a name the client chose).
async fn never_echoed(app: &TestApp, request: reqwest::RequestBuilder, secret: &str, what: &str) {
    let reply = app.send(request).await;
    assert!(
        reply.status.is_success()
            || !reply.text.contains(secret) && !reply.text.contains(&secret[3..]),
        "{what} echoed the secret: {} {}",
        reply.status,
        reply.text
    );
}

fn grpc_never_echoed<T>(answer: Result<T, Status>, secret: &str, what: &str) {
    if let Err(status) = answer {
        assert!(
            !status.message().contains(&secret[3..]),
            "{what} echoed the secret: {status:?}"
        );
    }
}

#[tokio::test]
async fn a_secret_fed_into_every_field_of_every_face_is_never_echoed() {
    let app = spawn_app().await;
    let admin = app.new_domain_admin_full(&unique("d")).await;
    let token = admin.token.clone();
    let owner = id_of(&app.create_service_account(&token, &unique("sa")).await);
    let live = app.create_named_key(&token, &owner, "live").await;
    let s = live.secret.as_str();
    let key = live.id.as_str();

    let json_bodies = |s: &str| -> Vec<Value> {
        vec![
            json!({ s: 1 }),
            json!({"key": "x", "scopes": s}),
            json!({"owner_id": s, "name": "x"}),
            json!({"owner_id": owner, "name": s, "roles": s}),
            json!({"owner_id": owner, "name": "x", "roles": [format!("{s} x")]}),
            json!({"owner_id": owner, "name": "x", "type": s, "state": s}),
            json!({"owner_id": owner, "name": "x", "expires_at": s}),
            json!({"owner_id": owner, "name": "x", "allowed_cidrs": [{"cidr": s}]}),
            json!({"owner_id": owner, "name": "x", "metadata": s}),
            json!({"grace_seconds": s}),
            json!({"serviceAccountId": s, "scopes": s, "expiresAt": s, "description": 5}),
            json!({"serviceAccountId": owner, "scopes": [format!("{s} x")]}),
            json!({"user_id": s, "api_key_type": s}),
            json!({"user_id": owner, "api_key_type": s}),
            json!({"query": {"filter": [{"k": s, "v": s, "o": s}], "sort": {"key": s}, "page": s}}),
            json!({"query": {"keyword": s, "only": [s]}}),
            json!({"name": s, "description": 5, "retain_period_minutes": s}),
            json!({"apiKeyName": 5, "apiKeyDescription": s, "statusSet": [s]}),
            json!({"apiKeyName": s, "offset": s, "limit": s}),
        ]
    };
    let zen = zenml_token(&app, &token).await;
    let writes = [
        (Method::POST, "/v1/keys".to_owned(), &token),
        (Method::PATCH, format!("/v1/keys/{key}"), &token),
        (Method::POST, format!("/v1/keys/{key}/rotate"), &token),
        (Method::POST, "/v1/principals".to_owned(), &token),
        (Method::POST, "/v1/keys/verify".to_owned(), &token),
        (Method::POST, "/iam/v1/apiKeys".to_owned(), &token),
        (Method::PATCH, format!("/iam/v1/apiKeys/{key}"), &token),
        (Method::POST, "/identity/v1/api-keys".to_owned(), &token),
        (
            Method::POST,
            "/identity/v1/api-keys/search".to_owned(),
            &token,
        ),
        (
            Method::POST,
            "/identity/v1/api-keys/stat".to_owned(),
            &token,
        ),
        (
            Method::POST,
            format!("/api/v1/service_accounts/{owner}/api_keys"),
            &zen,
        ),
        (
            Method::PUT,
            format!("/api/v1/service_accounts/{owner}/api_keys/{key}"),
            &zen,
        ),
        (
            Method::POST,
            format!("/api/v1/service_accounts/{owner}/api_keys/{key}/rotate"),
            &zen,
        ),
        (Method::POST, "/api/v1/api-keys".to_owned(), &token),
        (Method::POST, "/api/v1/api-keys/search".to_owned(), &token),
        (Method::PUT, format!("/api/v1/api-keys/{key}"), &token),
    ];
    for (method, path, bearer) in &writes {
        for body in json_bodies(s) {
            let request = app
                .authed(method.clone(), path, bearer)
                .header("token", token.clone())
                .json(&body);
            never_echoed(&app, request, s, &format!("{method} {path} {body}")).await;
        }
    }
    let reads = [
        format!("/v1/keys?{s}=1"),
        format!("/v1/keys?name={s}&sort={s}&limit={s}&cursor={s}&state={s}&created_at=gt:{s}"),
        format!("/v1/keys/{s}"),
        format!("/v1/principals/{s}"),
        format!("/v1/operations?target_id={s}"),
        format!("/iam/v1/apiKeys?serviceAccountId={s}&pageSize={s}&pageToken={s}"),
        format!("/iam/v1/apiKeys/{s}"),
        format!("/iam/v1/apiKeyScopes?pageToken={s}"),
        format!("/operations/{s}"),
        format!("/identity/v1/api-keys?user_id={s}&state={s}&api_key_type={s}"),
        format!("/identity/v1/api-key/{s}"),
        format!("/api/v1/api-keys?offset={s}&limit={s}&apiKeyName={s}"),
        format!("/api/v1/api-keys/{s}"),
    ];
    for path in &reads {
        let request = app
            .authed(Method::GET, path, &token)
            .header("token", token.clone());
        never_echoed(&app, request, s, path).await;
    }
    for path in [
        format!("/api/v1/service_accounts/{s}/api_keys"),
        format!("/api/v1/service_accounts/{owner}/api_keys?{s}=1&sort_by={s}&page={s}&size={s}&name={s}&created={s}"),
        format!("/api/v1/service_accounts/{owner}/api_keys/{s}"),
    ] {
        never_echoed(&app, app.authed(Method::GET, &path, &zen), s, &path).await;
    }
    never_echoed(
        &app,
        app.request(Method::POST, "/api/v1/login").form(&[
            ("grant_type", s),
            ("password", s),
            ("username", s),
        ]),
        s,
        "ZenML login",
    )
    .await;

    // gRPC: the status message of every refusal.
    let channel = Channel::from_shared(app.base_url.clone())
        .expect("a URL")
        .connect()
        .await
        .expect("gRPC connects");
    fn with_bearer<T>(message: T, token: &str) -> Request<T> {
        let mut request = Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ASCII"),
        );
        request
    }
    let mut yandex = ApiKeyServiceClient::new(channel.clone());
    grpc_never_echoed(
        yandex
            .create(with_bearer(
                YandexCreate {
                    service_account_id: s.to_owned(),
                    description: s.to_owned(),
                    scopes: vec![format!("{s} x"), s.to_owned()],
                    ..YandexCreate::default()
                },
                &token,
            ))
            .await,
        s,
        "Yandex gRPC create",
    );
    grpc_never_echoed(
        yandex
            .get(with_bearer(
                YandexGet {
                    api_key_id: s.to_owned(),
                },
                &token,
            ))
            .await,
        s,
        "Yandex gRPC get",
    );
    grpc_never_echoed(
        yandex
            .list(with_bearer(
                ListApiKeysRequest {
                    service_account_id: s.to_owned(),
                    page_token: s.to_owned(),
                    ..ListApiKeysRequest::default()
                },
                &token,
            ))
            .await,
        s,
        "Yandex gRPC list",
    );
    let spaceone = |message| {
        let mut request = Request::new(message);
        request
            .metadata_mut()
            .insert("token", token.parse().expect("ASCII"));
        request
    };
    let mut so = ApiKeyClient::new(channel);
    grpc_never_echoed(
        so.create(spaceone(SpaceoneCreate {
            user_id: s.to_owned(),
            domain_id: s.to_owned(),
            ..SpaceoneCreate::default()
        }))
        .await,
        s,
        "SpaceONE gRPC create",
    );
    let get = |domain_id: String| SpaceoneGet {
        api_key_id: s.to_owned(),
        domain_id,
        only: vec![s.to_owned()],
    };
    grpc_never_echoed(
        so.get(Request::new(get(admin.domain_id.clone()))).await,
        s,
        "SpaceONE gRPC get without token",
    );
    let mut request = Request::new(get(admin.domain_id.clone()));
    request
        .metadata_mut()
        .insert("token", token.parse().expect("ASCII"));
    grpc_never_echoed(so.get(request).await, s, "SpaceONE gRPC get");
}
