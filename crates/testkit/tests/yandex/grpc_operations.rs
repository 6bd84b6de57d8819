//! ListOperations and OperationService over gRPC: a key's real change log from the core,
//! newest first and paged, each entry readable and (not) cancellable by its id.

use keyward_compat::yandex::proto::iam::{
    self, CreateApiKeyRequest, DeleteApiKeyRequest, ListApiKeyOperationsRequest,
    UpdateApiKeyRequest,
};
use keyward_compat::yandex::proto::operation::operation::Result as Outcome;
use keyward_compat::yandex::proto::operation::{
    CancelOperationRequest, GetOperationRequest, Operation,
};
use prost::Message;
use prost_types::FieldMask;
use serde_json::json;
use tonic::Code;

use crate::support::{assert_status, setup, Yandex};

fn update(id: &str, description: &str) -> UpdateApiKeyRequest {
    UpdateApiKeyRequest {
        api_key_id: id.to_owned(),
        update_mask: Some(FieldMask {
            paths: vec!["description".into()],
        }),
        description: description.to_owned(),
        ..UpdateApiKeyRequest::default()
    }
}

/// Every operation of a key, following the page tokens.
async fn history(y: &Yandex, id: &str, page_size: i64) -> (Vec<Operation>, usize) {
    let mut all = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let request = ListApiKeyOperationsRequest {
            api_key_id: id.to_owned(),
            page_size,
            page_token: token,
        };
        let page = y
            .keys()
            .list_operations(y.admin(request))
            .await
            .expect("ListOperations")
            .into_inner();
        pages += 1;
        all.extend(page.operations);
        if page.next_page_token.is_empty() {
            return (all, pages);
        }
        token = page.next_page_token;
    }
}

fn response_key(op: &Operation) -> iam::ApiKey {
    match &op.result {
        Some(Outcome::Response(any)) => {
            assert_eq!(
                any.type_url,
                "type.googleapis.com/yandex.cloud.iam.v1.ApiKey"
            );
            iam::ApiKey::decode(any.value.as_slice()).expect("an ApiKey")
        }
        other => panic!("expected a response, got {other:?}"),
    }
}

#[tokio::test]
async fn list_operations_is_the_keys_change_log_newest_first() {
    let y = setup().await;
    let created = y
        .create(CreateApiKeyRequest {
            service_account_id: y.sa.clone(),
            description: "v0".into(),
            ..CreateApiKeyRequest::default()
        })
        .await;
    let id = created.api_key.expect("api_key").id;
    let first = y
        .keys()
        .update(y.admin(update(&id, "v1")))
        .await
        .expect("Update");
    let second = y
        .keys()
        .update(y.admin(update(&id, "v2")))
        .await
        .expect("Update");
    // A change made through the native face is in the same log.
    y.app
        .post_empty(&y.admin.token, &format!("/v1/keys/{id}/disable"))
        .await
        .expect_status(200);
    let request = DeleteApiKeyRequest {
        api_key_id: id.clone(),
    };
    let deleted = y.keys().delete(y.admin(request)).await.expect("Delete");

    // Paged two at a time, after the key is gone.
    let (ops, pages) = history(&y, &id, 2).await;
    assert_eq!(pages, 3);
    let described: Vec<&str> = ops.iter().map(|op| op.description.as_str()).collect();
    assert_eq!(
        described,
        [
            "Delete API key",
            "Disable API key",
            "Update API key",
            "Update API key",
            "Create API key"
        ]
    );
    assert_eq!(ops[0].id, deleted.into_inner().id);
    assert_eq!(ops[2].id, second.into_inner().id);
    assert_eq!(ops[3].id, first.into_inner().id);
    assert!(ops
        .iter()
        .all(|op| op.done && op.created_by == y.admin.principal_id));
    assert_eq!(
        response_key(&ops[3]).description,
        "v1",
        "the key as that change left it"
    );
    let made = response_key(&ops[4]);
    assert_eq!(
        (made.id.as_str(), made.description.as_str()),
        (id.as_str(), "v0")
    );
    assert_eq!(made.service_account_id, y.sa);
    assert!(made.masked_secret.starts_with("****"));
    let metadata = ops[4].metadata.as_ref().expect("metadata");
    let metadata = iam::UpdateApiKeyMetadata::decode(metadata.value.as_slice()).expect("decodes");
    assert_eq!(metadata.api_key_id, id);

    // OperationService/Get answers each of them as listed; Cancel has nothing to cancel.
    for op in &ops {
        let request = GetOperationRequest {
            operation_id: op.id.clone(),
        };
        let got = y.operations().get(y.admin(request)).await.expect("Get");
        assert_eq!(&got.into_inner(), op);
    }
    let request = CancelOperationRequest {
        operation_id: ops[0].id.clone(),
    };
    assert_status(
        y.operations().cancel(y.admin(request)).await,
        Code::FailedPrecondition,
        "already done",
    );
    let (all, pages) = history(&y, &id, 0).await;
    assert_eq!(
        (all.len(), pages),
        (5, 1),
        "the default page holds them all"
    );
}

#[tokio::test]
async fn operations_of_other_objects_render_as_done_operations_too() {
    let y = setup().await;
    let log = y
        .app
        .get(&y.admin.token, "/v1/operations?action=principal.create")
        .await
        .expect_status(200);
    let op_id = log["items"][0]["id"]
        .as_str()
        .expect("an operation")
        .to_owned();
    let request = GetOperationRequest {
        operation_id: op_id.clone(),
    };
    let op = y
        .operations()
        .get(y.admin(request))
        .await
        .expect("Get")
        .into_inner();
    assert_eq!(op.id, op_id);
    assert!(op.done);
    assert_eq!(op.description, "principal.create");
    assert_eq!(op.metadata, None);
    match op.result {
        Some(Outcome::Response(any)) => {
            assert_eq!(any.type_url, "type.googleapis.com/google.protobuf.Empty");
        }
        other => panic!("expected a response, got {other:?}"),
    }
    assert_eq!(
        log["items"][0]["actor"]["principal_id"],
        json!(op.created_by)
    );
}

#[tokio::test]
async fn unknown_and_foreign_operations_are_not_found() {
    let y = setup().await;
    let get = |id: &str| GetOperationRequest {
        operation_id: id.to_owned(),
    };
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_status(
        y.operations().get(y.admin(get(&unknown))).await,
        Code::NotFound,
        "operation not found",
    );
    assert_status(
        y.operations().get(y.admin(get("op-1"))).await,
        Code::NotFound,
        "operation not found",
    );
    assert_status(
        y.operations().get(y.admin(get(""))).await,
        Code::InvalidArgument,
        "operation_id: is required",
    );
    let cancel = CancelOperationRequest {
        operation_id: unknown,
    };
    assert_status(
        y.operations().cancel(y.admin(cancel)).await,
        Code::NotFound,
        "operation",
    );
    // The root domain's bootstrap operations are not this domain administrator's to read.
    let log = y
        .app
        .get(&y.app.root_token, "/v1/operations?action=domain.create")
        .await
        .expect_status(200);
    let foreign = log["items"][0]["id"].as_str().expect("an operation");
    assert_status(
        y.operations().get(y.admin(get(foreign))).await,
        Code::NotFound,
        "operation",
    );
}
