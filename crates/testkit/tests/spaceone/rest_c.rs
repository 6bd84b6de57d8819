//! Generation C's REST paths (`POST /identity/v1/api-key/<rpc>`, body `*`) over plain HTTP:
//! served beside the seed's on a server left at the default generation, with generation C's
//! JSON (no `api_key_type`, no `allowed_hosts`, ISO-8601 string times), and refusals as 4xx.

use reqwest::Method;
use serde_json::{json, Value};

use crate::rest::call;
use crate::support::{setup, Spaceone};

async fn post(so: &Spaceone, rpc: &str, body: Value) -> (u16, Value) {
    call(
        so,
        Method::POST,
        &format!("/identity/v1/api-key/{rpc}"),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn every_generation_c_rest_path_works_beside_the_seeds() {
    let so = setup().await;
    let user = so.user().await;
    let domain = so.admin.domain_id.clone();
    let (status, created) = post(&so, "create", json!({"userId": user, "domainId": domain})).await;
    assert_eq!(status, 200, "{created}");
    let id = created["api_key_id"].as_str().expect("an id").to_owned();
    let secret = created["api_key"].as_str().expect("the secret").to_owned();
    assert_eq!(created["state"], "ENABLED");
    let created_at = created["created_at"].as_str().expect("a string time");
    assert!(
        time::OffsetDateTime::parse(created_at, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{created_at}"
    );
    assert!(created.get("allowed_hosts").is_none(), "{created}");
    assert_eq!(so.app.stored_key(&id).await["type"], "user");

    let key = json!({"api_key_id": id, "domain_id": domain});
    let (status, got) = post(&so, "get", json!({"api_key_id": id, "only": ["state"]})).await;
    assert_eq!((status, got), (200, json!({"state": "ENABLED"})));
    let (status, got) = post(&so, "get", key.clone()).await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        (got["user_id"].clone(), got.get("api_key")),
        (json!(user), None)
    );

    let (status, disabled) = post(&so, "disable", key.clone()).await;
    assert_eq!(
        (status, disabled["state"].clone()),
        (200, json!("DISABLED"))
    );
    assert_eq!(so.app.verify_code(&secret).await, "DISABLED");
    let (status, enabled) = post(&so, "enable", key.clone()).await;
    assert_eq!((status, enabled["state"].clone()), (200, json!("ENABLED")));

    let (status, other) = post(&so, "create", json!({"user_id": user})).await;
    assert_eq!(status, 200, "{other}");
    let search = json!({"user_id": user, "query": {
        "filter": [{"k": "api_key_id", "v": id, "o": "eq"}],
        "sort": {"keys": [{"key": "created_at", "desc": true}]},
        "only": ["api_key_id", "state"]
    }});
    let (status, found) = post(&so, "list", search).await;
    assert_eq!(
        (status, found),
        (
            200,
            json!({"results": [{"api_key_id": id, "state": "ENABLED"}], "total_count": 1})
        )
    );
    let (status, all) = post(&so, "list", json!({"user_id": user, "state": "ENABLED"})).await;
    assert_eq!(
        (status, all["total_count"].clone()),
        (200, json!(2)),
        "{all}"
    );

    let stat = json!({"query": {
        "filter": [{"k": "user_id", "v": user, "o": "eq"}],
        "aggregate": [
            {"group": {"keys": [{"key": "state", "name": "state"}],
                       "fields": [{"operator": "count", "name": "count"}]}},
            {"sort": {"key": "count", "desc": true}},
            {"limit": 5}
        ]
    }});
    let (status, counted) = post(&so, "stat", stat).await;
    assert_eq!(
        (status, counted),
        (
            200,
            json!({"results": [{"state": "ENABLED", "count": 2.0}]})
        )
    );

    let (status, deleted) = post(&so, "delete", key.clone()).await;
    assert_eq!((status, deleted), (200, json!({})));
    let (status, gone) = post(&so, "get", key).await;
    assert_eq!(
        (status, gone["code"].clone()),
        (404, json!("ERROR_NOT_FOUND"))
    );
}

#[tokio::test]
async fn generation_c_rest_refusals_are_client_errors() {
    let so = setup().await;
    let user = so.user().await;
    // Not JSON, not an object, and fields generation C does not have.
    let reply = so
        .app
        .send(
            so.app
                .request(Method::POST, "/identity/v1/api-key/create")
                .header("token", so.admin.token.clone())
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 400, "{}", reply.body);
    assert_eq!(reply.body["code"], "ERROR_INVALID_ARGUMENT");
    for (rpc, body, code) in [
        ("list", json!([1, 2]), "ERROR_INVALID_ARGUMENT"),
        (
            "create",
            json!({"user_id": user, "api_key_type": "USER"}),
            "ERROR_INVALID_ARGUMENT",
        ),
        ("create", json!({"user_id": 7}), "ERROR_INVALID_ARGUMENT"),
        ("create", json!({}), "ERROR_INVALID_ARGUMENT"),
        (
            "enable",
            json!({"api_key_id": ""}),
            "ERROR_INVALID_ARGUMENT",
        ),
        ("get", json!({"api_key_id": "nope"}), "ERROR_NOT_FOUND"),
        (
            "get",
            json!({"api_key_id": "x", "only": ["allowed_hosts"]}),
            "ERROR_INVALID_ARGUMENT",
        ),
        (
            "list",
            json!({"query": {"filter": [{"k": "secret", "v": "x", "o": "eq"}]}}),
            "ERROR_DB_QUERY",
        ),
        (
            "list",
            json!({"query": {"unwind": {"path": "tags"}}}),
            "ERROR_NOT_SUPPORTED_QUERY",
        ),
        (
            "stat",
            json!({"query": {"aggregate": [{"project": {"fields": []}}]}}),
            "ERROR_NOT_SUPPORTED_QUERY",
        ),
        (
            "stat",
            json!({"query": {"aggregate": [{"limit": -1}]}}),
            "ERROR_INVALID_ARGUMENT",
        ),
    ] {
        let (status, answer) = post(&so, rpc, body.clone()).await;
        assert!(
            (400..500).contains(&status),
            "{rpc} {body}: {status} {answer}"
        );
        assert_eq!(answer["code"], code, "{rpc} {body}: {answer}");
    }
    let reply = so
        .app
        .send(
            so.app
                .request(Method::POST, "/identity/v1/api-key/list")
                .json(&json!({})),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 401);
    assert_eq!(reply.body["code"], "ERROR_AUTHENTICATE_FAILURE");
}
