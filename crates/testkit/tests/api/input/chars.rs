//! U+0000 and other control characters: refused by every face with its own 400 /
//! `INVALID_ARGUMENT`. Before the rule PostgreSQL answered 500 and SQLite cut the text at the
//! NUL (`name=contains:%00` listed every key).

use keyward_compat::spaceone::proto::core::Query;
use keyward_compat::spaceone::proto::identity::api_key_client::ApiKeyClient;
use keyward_compat::spaceone::proto::identity::ApiKeyQuery;
use keyward_compat::yandex::proto::iam::api_key_service_client::ApiKeyServiceClient;
use keyward_compat::yandex::proto::iam::CreateApiKeyRequest;
use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::{id_of, unique};
use reqwest::Method;
use serde_json::json;
use tonic::transport::Channel;
use tonic::{Code, Request};

use super::{refused, zenml_token};

#[tokio::test]
async fn control_characters_are_refused_in_every_native_text() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, "svc").await);
    let key = app.create_named_key(&token, &owner, "alpha").await.id;
    for (what, body) in [
        ("name", json!({"owner_id": owner, "name": "a\u{0}b"})),
        ("name", json!({"owner_id": owner, "name": "a\u{85}b"})),
        (
            "description",
            json!({"owner_id": owner, "name": "x", "description": "a\u{0}"}),
        ),
        (
            "metadata key",
            json!({"owner_id": owner, "name": "x", "metadata": {"k\u{0}": 1}}),
        ),
        (
            "metadata value",
            json!({"owner_id": owner, "name": "x", "metadata": {"k": ["v\u{0}"]}}),
        ),
    ] {
        refused(&app.post(&token, "/v1/keys", body).await, what);
    }
    refused(
        &app.patch(
            &token,
            &format!("/v1/keys/{key}"),
            json!({"description": "\u{1b}[31m"}),
        )
        .await,
        "patched description",
    );
    for filter in [
        "name=starts_with:a%00",
        "name=contains:%00",
        "name=a%00",
        "description=contains:%01",
        "name=in:alpha,b%00",
    ] {
        refused(
            &app.get(&token, &format!("/v1/keys?{filter}")).await,
            filter,
        );
    }
    // Free text keeps its line breaks; nothing refused above was stored.
    app.post(
        &token,
        "/v1/keys",
        json!({"owner_id": owner, "name": "y", "description": "two\nlines\ttab"}),
    )
    .await
    .expect_status(201);
    let listed = app
        .get(&token, &format!("/v1/keys?owner={owner}"))
        .await
        .items();
    assert_eq!(listed.len(), 2, "only alpha and y exist: {listed:?}");
}

#[tokio::test]
async fn control_characters_are_refused_by_every_vendor_face() {
    let app = spawn_app().await;
    let admin = app.new_domain_admin_full(&unique("d")).await;
    let token = admin.token.clone();
    let sa = id_of(&app.create_service_account(&token, &unique("sa")).await);

    // ZenML: a filter is a 422 ValueError.
    let zen = zenml_token(&app, &token).await;
    let path = format!("/api/v1/service_accounts/{sa}/api_keys?name=contains:%00");
    refused(&app.get(&zen, &path).await, "ZenML filter");
    let path = format!("/api/v1/service_accounts/{sa}/api_keys");
    refused(
        &app.post(&zen, &path, json!({"name": "a\u{0}", "description": ""}))
            .await,
        "ZenML name",
    );

    // NCP: the list's name parameter, the search body, a key's name.
    refused(
        &app.get(&token, "/api/v1/api-keys?apiKeyName=a%00").await,
        "NCP list",
    );
    refused(
        &app.post(
            &token,
            "/api/v1/api-keys/search",
            json!({"apiKeyName": "a\u{0}"}),
        )
        .await,
        "NCP search",
    );
    refused(
        &app.post(
            &token,
            "/api/v1/api-keys",
            json!({"apiKeyName": "k", "apiKeyDescription": "\u{0}"}),
        )
        .await,
        "NCP description",
    );

    // SpaceONE REST: the keyword and a filter value.
    for query in [
        json!({"keyword": "a\u{0}"}),
        json!({"filter": [{"k": "name", "v": "a\u{0}", "o": "contain"}]}),
    ] {
        let reply = app
            .send(
                app.request(Method::POST, "/identity/v1/api-keys/search")
                    .header("token", token.clone())
                    .json(&json!({ "query": query })),
            )
            .await;
        refused(&reply, "SpaceONE REST query");
    }

    // Yandex REST: a description.
    let reply = app
        .post(
            &token,
            "/iam/v1/apiKeys",
            json!({"serviceAccountId": sa, "description": "a\u{0}b"}),
        )
        .await;
    refused(&reply, "Yandex REST description");

    // gRPC: SpaceONE's keyword and Yandex's description answer INVALID_ARGUMENT.
    let channel = Channel::from_shared(app.base_url.clone())
        .expect("a URL")
        .connect()
        .await
        .expect("gRPC connects");
    let mut request = Request::new(ApiKeyQuery {
        query: Some(Query {
            keyword: "a\u{0}".into(),
            ..Query::default()
        }),
        domain_id: admin.domain_id.clone(),
        ..ApiKeyQuery::default()
    });
    request
        .metadata_mut()
        .insert("token", token.parse().expect("ASCII"));
    let status = ApiKeyClient::new(channel.clone())
        .list(request)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let mut request = Request::new(CreateApiKeyRequest {
        service_account_id: sa.clone(),
        description: "a\u{0}b".into(),
        ..CreateApiKeyRequest::default()
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ASCII"),
    );
    let status = ApiKeyServiceClient::new(channel)
        .create(request)
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
}
