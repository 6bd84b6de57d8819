//! Refusals over gRPC: each of the vendor's field limits answers `INVALID_ARGUMENT` with a
//! message naming the field; credentials answer `UNAUTHENTICATED` / `PERMISSION_DENIED`;
//! other tenants' objects answer `NOT_FOUND`.

use keyward_compat::yandex::proto::iam::{
    CreateApiKeyRequest, GetApiKeyRequest, ListApiKeyOperationsRequest, ListApiKeyScopesRequest,
    ListApiKeysRequest, UpdateApiKeyRequest,
};
use keyward_testkit::fixtures::unknown_secret;
use prost_types::{FieldMask, Timestamp};
use serde_json::json;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::{Code, Request};

use crate::support::{assert_status, bearer, setup};

#[tokio::test]
async fn every_vendor_limit_answers_invalid_argument() {
    let y = setup().await;
    let id = y.create_described("", &[]).await;
    let create = |f: &dyn Fn(&mut CreateApiKeyRequest)| {
        let mut request = CreateApiKeyRequest {
            service_account_id: y.sa.clone(),
            ..CreateApiKeyRequest::default()
        };
        f(&mut request);
        request
    };
    let at = |seconds: i64, nanos: i32| Some(Timestamp { seconds, nanos });
    let cases: Vec<(CreateApiKeyRequest, &str)> = vec![
        (
            create(&|r| r.service_account_id = "x".repeat(51)),
            "service_account_id: must be at most 50 characters",
        ),
        (
            create(&|r| r.description = "d".repeat(257)),
            "description: must be at most 256 characters",
        ),
        (
            create(&|r| r.scopes = (0..101).map(|i| format!("s{i}")).collect()),
            "scopes: must have at most 100 items",
        ),
        (
            create(&|r| r.scopes = vec!["a".into(), "a".into()]),
            "scopes: items must be unique",
        ),
        (
            create(&|r| r.scopes = vec!["s".repeat(257)]),
            "scopes: items must be at most 256 characters",
        ),
        (
            create(&|r| r.expires_at = at(-1, 0)),
            "expires_at: must be between 1970",
        ),
        (
            create(&|r| r.expires_at = at(4_291_747_200, 0)),
            "expires_at: must be between 1970",
        ),
        (
            create(&|r| r.expires_at = at(2_000_000_000, -5)),
            "expires_at: is not a valid timestamp",
        ),
    ];
    for (request, message) in cases {
        assert_status(
            y.keys().create(y.admin(request)).await,
            Code::InvalidArgument,
            message,
        );
    }
    // The description limit is the vendor's 256, exactly.
    let longest = create(&|r| r.description = "d".repeat(256));
    y.keys()
        .create(y.admin(longest))
        .await
        .expect("256 characters is allowed");

    let list = |size: i64, token: String| ListApiKeysRequest {
        service_account_id: y.sa.clone(),
        page_size: size,
        page_token: token,
    };
    for (request, message) in [
        (
            list(1001, String::new()),
            "page_size: must be between 0 and 1000",
        ),
        (
            list(-1, String::new()),
            "page_size: must be between 0 and 1000",
        ),
        (
            list(0, "t".repeat(2001)),
            "page_token: must be at most 2000 characters",
        ),
        (
            list(0, "forged".into()),
            "page_token: is not a token returned by this list",
        ),
    ] {
        assert_status(
            y.keys().list(y.admin(request)).await,
            Code::InvalidArgument,
            message,
        );
    }

    let get = |text: String| GetApiKeyRequest { api_key_id: text };
    assert_status(
        y.keys().get(y.admin(get(String::new()))).await,
        Code::InvalidArgument,
        "api_key_id: is required",
    );
    assert_status(
        y.keys().get(y.admin(get("k".repeat(51)))).await,
        Code::InvalidArgument,
        "api_key_id: must be at most 50 characters",
    );
    let update = UpdateApiKeyRequest {
        api_key_id: id.clone(),
        update_mask: Some(FieldMask {
            paths: vec!["service_account_id".into()],
        }),
        ..UpdateApiKeyRequest::default()
    };
    assert_status(
        y.keys().update(y.admin(update)).await,
        Code::InvalidArgument,
        "update_mask: `service_account_id` cannot be updated",
    );
    let operations = ListApiKeyOperationsRequest {
        api_key_id: id.clone(),
        page_size: 0,
        page_token: "not-an-operation".into(),
    };
    assert_status(
        y.keys().list_operations(y.admin(operations)).await,
        Code::InvalidArgument,
        "page_token",
    );
    let scopes = ListApiKeyScopesRequest {
        page_size: 5000,
        page_token: String::new(),
    };
    assert_status(
        y.keys().list_scopes(y.admin(scopes)).await,
        Code::InvalidArgument,
        "page_size",
    );
}

#[tokio::test]
async fn unknown_ids_answer_not_found() {
    let y = setup().await;
    let get = |text: &str| GetApiKeyRequest {
        api_key_id: text.to_owned(),
    };
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_status(
        y.keys().get(y.admin(get(&unknown))).await,
        Code::NotFound,
        "API key not found",
    );
    // A Yandex-shaped id names nothing here either.
    assert_status(
        y.keys().get(y.admin(get("aje6o61dvog2h6g9a33s"))).await,
        Code::NotFound,
        "API key not found",
    );
    let create = CreateApiKeyRequest {
        service_account_id: unknown,
        ..CreateApiKeyRequest::default()
    };
    assert_status(
        y.keys().create(y.admin(create)).await,
        Code::NotFound,
        "service account not found",
    );
}

#[tokio::test]
async fn credentials_are_checked_on_every_call() {
    let y = setup().await;
    let id = y.create_described("", &[]).await;
    let get = || GetApiKeyRequest {
        api_key_id: id.clone(),
    };
    assert_status(
        y.keys().get(Request::new(get())).await,
        Code::Unauthenticated,
        "authorization: Bearer",
    );
    assert_status(
        y.keys().get(bearer(get(), &unknown_secret())).await,
        Code::Unauthenticated,
        "",
    );
    assert_status(
        y.keys().get(bearer(get(), "not a key")).await,
        Code::Unauthenticated,
        "",
    );
    // A data-plane key (no management role) may not manage keys.
    let plain = y
        .app
        .create_named_key(&y.admin.token, &y.sa, "data-plane")
        .await;
    assert_status(
        y.keys().get(bearer(get(), &plain.secret)).await,
        Code::PermissionDenied,
        "management role",
    );
    // Another tenant's administrator sees neither the key nor the service account.
    let other = y.app.new_domain_admin_full("another").await;
    assert_status(
        y.keys().get(bearer(get(), &other.token)).await,
        Code::NotFound,
        "API key not found",
    );
    let list = ListApiKeysRequest {
        service_account_id: y.sa.clone(),
        ..ListApiKeysRequest::default()
    };
    assert_status(
        y.keys().list(bearer(list, &other.token)).await,
        Code::NotFound,
        "service account not found",
    );
    // Root administers every domain.
    y.keys()
        .get(bearer(get(), &y.app.root_token))
        .await
        .expect("root may read any domain's key");
}

/// Field 1 as a varint: not a `GetApiKeyRequest`, whose field 1 is a string.
#[derive(Clone, PartialEq, prost::Message)]
struct NotARequest {
    #[prost(uint64, tag = "1")]
    id: u64,
}

#[tokio::test]
async fn a_malformed_message_is_the_clients_mistake_not_an_internal_error() {
    let y = setup().await;
    let channel = tonic::transport::Channel::from_shared(y.app.base_url.clone())
        .expect("a URL")
        .connect()
        .await
        .expect("connects");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let answer: Result<tonic::Response<NotARequest>, _> = grpc
        .unary(
            y.admin(NotARequest { id: 1 }),
            PathAndQuery::from_static("/yandex.cloud.iam.v1.ApiKeyService/Get"),
            keyward_compat::yandex::codec::YandexCodec::default(),
        )
        .await;
    assert_status(answer, Code::InvalidArgument, "not valid protobuf");
}

#[tokio::test]
async fn a_management_keys_address_allow_list_holds_over_grpc() {
    let y = setup().await;
    let owner = y.admin.principal_id.clone();
    let allowed = |name: &str, cidr: &str| json!({"name": name, "roles": ["keyward:admin"], "allowed_cidrs": [{"cidr": cidr}]});
    let local = y
        .app
        .create_key(&y.admin.token, &owner, allowed("local", "127.0.0.0/8"))
        .await;
    let remote = y
        .app
        .create_key(&y.admin.token, &owner, allowed("remote", "203.0.113.0/24"))
        .await;
    let list = || ListApiKeysRequest {
        service_account_id: y.sa.clone(),
        ..ListApiKeysRequest::default()
    };
    // The peer address reaches the core: a loopback-only key works from loopback ...
    y.keys()
        .list(bearer(list(), &local.secret))
        .await
        .expect("the peer is inside the allow-list");
    // ... and a key for another network does not.
    assert_status(
        y.keys().list(bearer(list(), &remote.secret)).await,
        Code::PermissionDenied,
        "address",
    );
}
