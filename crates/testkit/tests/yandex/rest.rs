//! The REST transcoding paths over HTTP/1: proto3 JSON in and out (lowerCamelCase, RFC 3339,
//! `@type` in `Any`), and refusals as the vendor's `{"code", "message", "details"}` body with
//! the HTTP status grpc-gateway gives each gRPC code. The native routes keep working beside them.

use keyward_testkit::app::Reply;
use keyward_testkit::fixtures::{rfc3339, time_of};
use reqwest::Method;
use serde_json::{json, Value};
use time::Duration;

use crate::support::{micros, setup};

/// Asserts the vendor's error body: `status`, numeric gRPC `code`, a message, `details: []`.
#[track_caller]
fn vendor_error(reply: Reply, status: u16, code: i64) -> String {
    let body = reply.expect_status(status);
    assert_eq!(body["code"], json!(code), "{body}");
    assert_eq!(body["details"], json!([]), "{body}");
    let message = body["message"].as_str().expect("a message").to_owned();
    assert!(!message.is_empty());
    message
}

#[tokio::test]
async fn every_rest_path_speaks_proto3_json() {
    let y = setup().await;
    let token = y.admin.token.clone();
    let expires = y.app.clock.now() + Duration::days(7);
    let created = y
        .app
        .post(
            &token,
            "/iam/v1/apiKeys",
            json!({
                "serviceAccountId": y.sa,
                "description": "via rest",
                "scopes": ["a", "b"],
                "expiresAt": rfc3339(expires),
            }),
        )
        .await
        .expect_status(200);
    let key = created["apiKey"].clone();
    let id = key["id"].as_str().expect("id").to_owned();
    let secret = created["secret"].as_str().expect("secret");
    let mut names: Vec<&str> = key
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "createdAt",
            "description",
            "expiresAt",
            "id",
            "maskedSecret",
            "scope",
            "scopes",
            "serviceAccountId"
        ],
        "lowerCamelCase names; unset lastUsedAt left out"
    );
    assert_eq!(key["serviceAccountId"], json!(y.sa));
    assert_eq!(key["scopes"], json!(["a", "b"]));
    assert_eq!(key["scope"], json!("a"));
    assert_eq!(time_of(&key["createdAt"]), y.app.clock.now());
    assert!(key["createdAt"].as_str().expect("text").ends_with('Z'));
    assert_eq!(time_of(&key["expiresAt"]), micros(expires));
    assert_eq!(
        key["maskedSecret"],
        json!(format!("****{}", &secret[secret.len() - 4..]))
    );
    let path = format!("/iam/v1/apiKeys/{id}");
    assert_eq!(y.app.get(&token, &path).await.expect_status(200), key);

    // snake_case names are accepted on input too, as proto3 JSON parsers do.
    let second = y
        .app
        .post(
            &token,
            "/iam/v1/apiKeys",
            json!({"service_account_id": y.sa}),
        )
        .await
        .expect_status(200);
    let second_id = second["apiKey"]["id"].clone();
    assert_eq!(
        second["apiKey"].get("description"),
        None,
        "empty is left out"
    );

    // List, one per page.
    let list = format!("/iam/v1/apiKeys?serviceAccountId={}&pageSize=1", y.sa);
    let page = y.app.get(&token, &list).await.expect_status(200);
    assert_eq!(page["apiKeys"], json!([key]));
    // Used only now: its write-behind lastUsedAt would otherwise race the comparisons above.
    assert_eq!(y.app.verify_code(secret).await, "VALID");
    let next = page["nextPageToken"].as_str().expect("a token");
    let page = y
        .app
        .get(&token, &format!("{list}&pageToken={next}"))
        .await
        .expect_status(200);
    assert_eq!(page["apiKeys"][0]["id"], second_id);
    assert_eq!(
        page.get("nextPageToken"),
        None,
        "the last page has no token"
    );

    // Update: only the masked fields; the answer is the done operation.
    let op = y
        .app
        .patch(
            &token,
            &path,
            json!({"updateMask": "description,expiresAt", "description": "changed", "scopes": ["zzz"]}),
        )
        .await
        .expect_status(200);
    assert_eq!(op["done"], json!(true));
    assert_eq!(op["description"], json!("Update API key"));
    assert_eq!(op["createdBy"], json!(y.admin.principal_id));
    assert_eq!(op["createdAt"], op["modifiedAt"]);
    assert_eq!(
        op["metadata"],
        json!({"@type": "type.googleapis.com/yandex.cloud.iam.v1.UpdateApiKeyMetadata", "apiKeyId": id})
    );
    let response = &op["response"];
    assert_eq!(
        response["@type"],
        json!("type.googleapis.com/yandex.cloud.iam.v1.ApiKey")
    );
    assert_eq!(response["description"], json!("changed"));
    assert_eq!(response["scopes"], json!(["a", "b"]));
    assert_eq!(
        response.get("expiresAt"),
        None,
        "named in the mask, unset: removed"
    );
    let stored = y.app.get(&token, &path).await.expect_status(200);
    assert_eq!(stored["description"], json!("changed"));

    // The key's history, newest first, one per page; and each entry by id.
    let ops_path = format!("{path}/operations?pageSize=1");
    let page = y.app.get(&token, &ops_path).await.expect_status(200);
    assert_eq!(page["operations"], json!([op]));
    let next = page["nextPageToken"].as_str().expect("a token");
    let page = y
        .app
        .get(&token, &format!("{ops_path}&pageToken={next}"))
        .await
        .expect_status(200);
    let creation = &page["operations"][0];
    assert_eq!(creation["description"], json!("Create API key"));
    assert_eq!(creation["response"]["description"], json!("via rest"));
    let op_path = format!("/operations/{}", op["id"].as_str().expect("id"));
    assert_eq!(y.app.get(&token, &op_path).await.expect_status(200), op);
    let message = vendor_error(
        y.app.get(&token, &format!("{op_path}:cancel")).await,
        400,
        9,
    );
    assert!(message.contains("already done"), "{message}");

    let scopes = y
        .app
        .get(&token, "/iam/v1/apiKeyScopes")
        .await
        .expect_status(200);
    assert_eq!(scopes, json!({"scopes": ["a", "b"]}));
    let scopes = y
        .app
        .get(&token, "/iam/v1/apiKeyScopes?pageSize=1")
        .await
        .expect_status(200);
    assert_eq!(scopes["scopes"], json!(["a"]));
    assert!(scopes["nextPageToken"].is_string());

    // Delete: a done operation with the Empty response; the secret stops at once.
    let deleted = y.app.delete(&token, &path).await.expect_status(200);
    assert_eq!(
        deleted["metadata"],
        json!({"@type": "type.googleapis.com/yandex.cloud.iam.v1.DeleteApiKeyMetadata", "apiKeyId": id})
    );
    assert_eq!(
        deleted["response"],
        json!({"@type": "type.googleapis.com/google.protobuf.Empty"})
    );
    assert_eq!(y.app.verify_code(secret).await, "NOT_FOUND");
    vendor_error(y.app.get(&token, &path).await, 404, 5);
}

#[tokio::test]
async fn refusals_are_the_vendor_error_body() {
    let y = setup().await;
    let token = y.admin.token.clone();
    let id = y.create_described("", &[]).await;
    let path = format!("/iam/v1/apiKeys/{id}");

    let anonymous = y.app.send(y.app.request(Method::GET, &path)).await;
    vendor_error(anonymous, 401, 16);
    let plain = y.app.create_named_key(&token, &y.sa, "data-plane").await;
    vendor_error(y.app.get(&plain.secret, &path).await, 403, 7);
    let other = y.app.new_domain_admin_full("other-tenant").await;
    vendor_error(y.app.get(&other.token, &path).await, 404, 5);
    let unknown = format!("/iam/v1/apiKeys/{}", uuid::Uuid::now_v7());
    vendor_error(y.app.get(&token, &unknown).await, 404, 5);

    for query in [
        "pageSize=abc",
        "pageSize=1001",
        "pageSize=-1",
        "colour=red",
        "pageSize=1&pageSize=2",
    ] {
        let reply = y.app.get(&token, &format!("/iam/v1/apiKeys?{query}")).await;
        vendor_error(reply, 400, 3);
    }
    let long_token = format!("/iam/v1/apiKeyScopes?pageToken={}", "t".repeat(2001));
    let message = vendor_error(y.app.get(&token, &long_token).await, 400, 3);
    assert!(message.contains("page_token"), "{message}");

    let malformed = y
        .app
        .authed(Method::POST, "/iam/v1/apiKeys", &token)
        .header("content-type", "application/json")
        .body("{not json");
    vendor_error(y.app.send(malformed).await, 400, 3);
    let unknown_field = y
        .app
        .post(&token, "/iam/v1/apiKeys", json!({"name": "x"}))
        .await;
    vendor_error(unknown_field, 400, 3);
    let long = json!({"serviceAccountId": y.sa, "description": "d".repeat(257)});
    let message = vendor_error(y.app.post(&token, "/iam/v1/apiKeys", long).await, 400, 3);
    assert!(message.contains("description"), "{message}");
    let bad_time = json!({"serviceAccountId": y.sa, "expiresAt": "tomorrow"});
    vendor_error(
        y.app.post(&token, "/iam/v1/apiKeys", bad_time).await,
        400,
        3,
    );
    let mask = json!({"updateMask": "name", "description": "x"});
    vendor_error(y.app.patch(&token, &path, mask).await, 400, 3);
    let elsewhere = json!({"apiKeyId": uuid::Uuid::now_v7(), "description": "x"});
    vendor_error(y.app.patch(&token, &path, elsewhere).await, 400, 3);
    let put = y.app.authed(Method::PUT, &path, &token);
    vendor_error(y.app.send(put).await, 405, 12);

    // The native face and its fallback are untouched by the merged routes.
    y.app
        .get(&token, &format!("/v1/keys/{id}"))
        .await
        .expect_status(200);
    let missing: Value = y
        .app
        .get(&token, "/iam/v2/nothing")
        .await
        .expect_status(404);
    assert_eq!(missing["error"]["code"], json!("NOT_FOUND"));
}
