//! ApiKeyService over gRPC: Create, Get, List, Update, Delete, and the same key verifying
//! through keyward's own verify endpoint.

use keyward_compat::yandex::proto::iam::{
    self, CreateApiKeyRequest, DeleteApiKeyRequest, ListApiKeysRequest, UpdateApiKeyRequest,
};
use keyward_compat::yandex::proto::type_url;
use keyward_testkit::app::{code_of, eventually};
use prost::Message;
use prost_types::FieldMask;
use serde_json::json;
use time::Duration;
use tonic::Code;
use uuid::Uuid;

use crate::support::{assert_status, micros, setup, time_of, ts};

#[tokio::test]
async fn create_answers_every_field_and_the_secret_verifies() {
    let y = setup().await;
    let expires = y.app.clock.now() + Duration::days(30);
    let created = y
        .create(CreateApiKeyRequest {
            service_account_id: y.sa.clone(),
            description: "ci deploys".into(),
            scopes: vec!["yc.ydb.topics.manage".into(), "billing:read".into()],
            expires_at: Some(ts(expires)),
            ..CreateApiKeyRequest::default()
        })
        .await;
    let key = created.api_key.clone().expect("api_key");
    assert!(Uuid::parse_str(&key.id).is_ok(), "{}", key.id);
    assert_eq!(key.service_account_id, y.sa);
    let created_at = time_of(key.created_at.as_ref().expect("created_at"));
    assert_eq!(created_at, y.app.clock.now(), "the server's (test) clock");
    assert_eq!(key.description, "ci deploys");
    assert_eq!(key.scopes, ["yc.ydb.topics.manage", "billing:read"]);
    #[allow(deprecated)]
    let scope = key.scope.clone();
    assert_eq!(
        scope, "yc.ydb.topics.manage",
        "the draft field shows the first scope"
    );
    assert_eq!(
        time_of(key.expires_at.as_ref().expect("expires_at")),
        micros(expires)
    );
    assert_eq!(key.last_used_at, None);
    let secret = created.secret;
    assert!(secret.starts_with("kw_"));
    assert_eq!(
        key.masked_secret,
        format!("****{}", &secret[secret.len() - 4..])
    );

    // Get answers the same key, without the secret.
    assert_eq!(y.get(&key.id).await.expect("Get"), key);

    // The same key, the same core: it verifies through keyward's own endpoint ...
    let answer = y
        .app
        .verify(json!({"key": secret, "scopes": ["billing:read"]}))
        .await;
    assert_eq!(code_of(&answer), "VALID");
    assert_eq!(answer["key_id"], json!(key.id));
    // ... and its batched last use shows in Get.
    let used = eventually("last_used_at after a verification", || async {
        y.get(&key.id).await.expect("Get").last_used_at
    })
    .await;
    assert!((time_of(&used) - y.app.clock.now()).abs() < Duration::seconds(1));

    // Natively it is a key like any other, named after a fresh id (Yandex keys have no name).
    let native = y.app.stored_key(&key.id).await;
    assert!(native["name"]
        .as_str()
        .expect("name")
        .starts_with("yandex-"));
    assert_eq!(native["owner_id"], json!(y.sa));
}

#[tokio::test]
async fn the_deprecated_scope_counts_as_one_more_scope() {
    let y = setup().await;
    #[allow(deprecated)]
    let request = CreateApiKeyRequest {
        service_account_id: y.sa.clone(),
        scope: "legacy".into(),
        scopes: vec!["modern".into()],
        ..CreateApiKeyRequest::default()
    };
    let key = y.create(request).await.api_key.expect("api_key");
    assert_eq!(key.scopes, ["modern", "legacy"]);
}

#[tokio::test]
async fn list_pages_through_a_service_accounts_keys_oldest_first() {
    let y = setup().await;
    let mut made = Vec::new();
    for i in 0..5 {
        made.push(y.create_described(&format!("key {i}"), &[]).await);
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let request = ListApiKeysRequest {
            service_account_id: y.sa.clone(),
            page_size: 2,
            page_token: token.clone(),
        };
        let page = y
            .keys()
            .list(y.admin(request))
            .await
            .expect("List")
            .into_inner();
        pages += 1;
        assert!(page.api_keys.len() <= 2);
        seen.extend(page.api_keys.into_iter().map(|k| k.id));
        if page.next_page_token.is_empty() {
            break;
        }
        assert!(page.next_page_token.len() <= 2000);
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, made);

    // page_size 0 is the default (100): one page, no token.
    let request = ListApiKeysRequest {
        service_account_id: y.sa.clone(),
        ..ListApiKeysRequest::default()
    };
    let page = y
        .keys()
        .list(y.admin(request))
        .await
        .expect("List")
        .into_inner();
    assert_eq!(page.api_keys.len(), 5);
    assert_eq!(page.next_page_token, "");

    // No service account: the caller's own principal, whose one key is the admin key.
    let page = y
        .keys()
        .list(y.admin(ListApiKeysRequest::default()))
        .await
        .expect("List")
        .into_inner();
    let ids: Vec<&str> = page.api_keys.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, [y.admin.key_id.as_str()]);
}

#[tokio::test]
async fn update_changes_only_the_fields_the_mask_names() {
    let y = setup().await;
    let first_expiry = y.app.clock.now() + Duration::days(10);
    let created = y
        .create(CreateApiKeyRequest {
            service_account_id: y.sa.clone(),
            description: "before".into(),
            scopes: vec!["s1".into()],
            expires_at: Some(ts(first_expiry)),
            ..CreateApiKeyRequest::default()
        })
        .await;
    let id = created.api_key.expect("api_key").id;
    let update = |paths: &[&str]| UpdateApiKeyRequest {
        api_key_id: id.clone(),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
        description: "after".into(),
        scopes: vec!["s2".into(), "s3".into()],
        expires_at: None,
    };

    // Only the description, although the request sets scopes too and leaves expiry unset.
    let op = y
        .keys()
        .update(y.admin(update(&["description"])))
        .await
        .expect("Update")
        .into_inner();
    assert!(op.done);
    assert!(Uuid::parse_str(&op.id).is_ok());
    assert_eq!(op.description, "Update API key");
    assert_eq!(op.created_by, y.admin.principal_id);
    assert_eq!(op.created_at, op.modified_at);
    let metadata = op.metadata.expect("metadata");
    assert_eq!(metadata.type_url, type_url::UPDATE_API_KEY_METADATA);
    assert_eq!(
        metadata.type_url,
        "type.googleapis.com/yandex.cloud.iam.v1.UpdateApiKeyMetadata"
    );
    let metadata = iam::UpdateApiKeyMetadata::decode(metadata.value.as_slice()).expect("decodes");
    assert_eq!(metadata.api_key_id, id);
    let Some(keyward_compat::yandex::proto::operation::operation::Result::Response(response)) =
        op.result
    else {
        panic!("a done operation carries a response");
    };
    assert_eq!(
        response.type_url,
        "type.googleapis.com/yandex.cloud.iam.v1.ApiKey"
    );
    let key = iam::ApiKey::decode(response.value.as_slice()).expect("decodes");
    assert_eq!(key.description, "after");
    assert_eq!(key.scopes, ["s1"]);
    assert_eq!(
        time_of(key.expires_at.as_ref().expect("kept")),
        micros(first_expiry)
    );
    assert_eq!(
        y.get(&id).await.expect("Get"),
        key,
        "what Update answers is stored"
    );

    // Only the scopes.
    y.keys()
        .update(y.admin(update(&["scopes"])))
        .await
        .expect("Update");
    let key = y.get(&id).await.expect("Get");
    assert_eq!(key.scopes, ["s2", "s3"]);
    assert!(key.expires_at.is_some());

    // expires_at named but unset: the key no longer expires.
    y.keys()
        .update(y.admin(update(&["expires_at"])))
        .await
        .expect("Update");
    let key = y.get(&id).await.expect("Get");
    assert_eq!(key.expires_at, None);
    assert_eq!(key.description, "after");

    // A new expiry, with no mask: the fields the request sets.
    let later = y.app.clock.now() + Duration::days(99);
    let request = UpdateApiKeyRequest {
        api_key_id: id.clone(),
        expires_at: Some(ts(later)),
        ..UpdateApiKeyRequest::default()
    };
    y.keys().update(y.admin(request)).await.expect("Update");
    let key = y.get(&id).await.expect("Get");
    assert_eq!(
        time_of(key.expires_at.as_ref().expect("set")),
        micros(later)
    );
    assert_eq!(key.scopes, ["s2", "s3"], "unset fields are not implied");

    // A path that is no updatable field, or scopes emptied, are refused and change nothing.
    assert_status(
        y.keys()
            .update(y.admin(update(&["description", "name"])))
            .await,
        Code::InvalidArgument,
        "update_mask",
    );
    let mut empty_scopes = update(&["scopes"]);
    empty_scopes.scopes.clear();
    assert_status(
        y.keys().update(y.admin(empty_scopes)).await,
        Code::InvalidArgument,
        "scopes",
    );
    let nothing = UpdateApiKeyRequest {
        api_key_id: id.clone(),
        ..UpdateApiKeyRequest::default()
    };
    assert_status(
        y.keys().update(y.admin(nothing)).await,
        Code::InvalidArgument,
        "update_mask",
    );
    assert_eq!(y.get(&id).await.expect("Get").scopes, ["s2", "s3"]);
}

#[tokio::test]
async fn delete_answers_a_done_operation_and_the_secret_stops_verifying() {
    let y = setup().await;
    let created = y
        .create(CreateApiKeyRequest {
            service_account_id: y.sa.clone(),
            ..CreateApiKeyRequest::default()
        })
        .await;
    let id = created.api_key.expect("api_key").id;
    let request = DeleteApiKeyRequest {
        api_key_id: id.clone(),
    };
    let op = y
        .keys()
        .delete(y.admin(request.clone()))
        .await
        .expect("Delete")
        .into_inner();
    assert!(op.done);
    assert_eq!(op.description, "Delete API key");
    let metadata = op.metadata.expect("metadata");
    assert_eq!(
        metadata.type_url,
        "type.googleapis.com/yandex.cloud.iam.v1.DeleteApiKeyMetadata"
    );
    let metadata = iam::DeleteApiKeyMetadata::decode(metadata.value.as_slice()).expect("decodes");
    assert_eq!(metadata.api_key_id, id);
    let Some(keyward_compat::yandex::proto::operation::operation::Result::Response(response)) =
        op.result
    else {
        panic!("a done operation carries a response");
    };
    assert_eq!(
        response.type_url,
        "type.googleapis.com/google.protobuf.Empty"
    );
    assert!(response.value.is_empty());

    assert_status(y.get(&id).await, Code::NotFound, "API key not found");
    assert_eq!(y.app.verify_code(&created.secret).await, "NOT_FOUND");
    assert_status(
        y.keys().delete(y.admin(request)).await,
        Code::NotFound,
        "API key",
    );
}

#[tokio::test]
async fn expiry_is_decided_by_the_core() {
    let y = setup().await;
    let created = y
        .create(CreateApiKeyRequest {
            service_account_id: y.sa.clone(),
            expires_at: Some(ts(y.app.clock.now() + Duration::hours(1))),
            ..CreateApiKeyRequest::default()
        })
        .await;
    assert_eq!(y.app.verify_code(&created.secret).await, "VALID");
    y.app.clock.advance(Duration::hours(2));
    assert_eq!(y.app.verify_code(&created.secret).await, "EXPIRED");
    // In range for the vendor, but in the past: the core's rule refuses it.
    let past = CreateApiKeyRequest {
        service_account_id: y.sa.clone(),
        expires_at: Some(ts(y.app.clock.now() - Duration::minutes(1))),
        ..CreateApiKeyRequest::default()
    };
    assert_status(
        y.keys().create(y.admin(past)).await,
        Code::InvalidArgument,
        "expires_at: must be in the future",
    );
}
