//! The seed's REST paths over plain HTTP, with proto3 JSON bodies: every method, the `token`
//! header, and refusals as `{code: "ERROR_…", message, status}` with a 4xx.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{setup, Spaceone};

pub async fn call(so: &Spaceone, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = so
        .app
        .request(method, path)
        .header("token", so.admin.token.clone());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = so.app.send(request).await;
    (reply.status.as_u16(), reply.body)
}

#[tokio::test]
async fn every_rest_path_works_with_proto3_json() {
    let so = setup().await;
    let user = so.user().await;
    let domain = so.admin.domain_id.clone();
    let (status, created) = call(
        &so,
        Method::POST,
        "/identity/v1/api-keys",
        Some(json!({"apiKeyType": "DELEGATION", "userId": user, "domainId": domain})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["api_key_id"].as_str().expect("id").to_owned();
    let secret = created["api_key"].as_str().expect("the secret").to_owned();
    assert_eq!(created["state"], "ENABLED");
    assert_eq!(created["user_id"], user);
    assert!(created["created_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(so.app.stored_key(&id).await["type"], "delegation");

    let path = |suffix: &str| format!("/identity/v1/api-key/{id}{suffix}");
    let (status, got) = call(
        &so,
        Method::GET,
        &path(&format!("?domain_id={domain}&only=api_key_id")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got, json!({"api_key_id": id}));

    let (status, disabled) = call(
        &so,
        Method::PUT,
        &path("/disable"),
        Some(json!({"domain_id": domain})),
    )
    .await;
    assert_eq!(
        (status, disabled["state"].clone()),
        (200, json!("DISABLED"))
    );
    assert_eq!(so.app.verify_code(&secret).await, "DISABLED");
    let (status, enabled) = call(&so, Method::PUT, &path("/enable"), None).await;
    assert_eq!((status, enabled["state"].clone()), (200, json!("ENABLED")));

    let (status, _) = call(
        &so,
        Method::PUT,
        &path("/roles"),
        Some(json!({"roles": ["reader", "writer"]})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        so.app.stored_key(&id).await["roles"],
        json!(["reader", "writer"])
    );
    let (status, hosts) = call(
        &so,
        Method::PUT,
        &path("/allowed-hosts"),
        Some(json!({"allowedHosts": [{"name": "vpn", "cidr": "10.8.0.0/16"}]})),
    )
    .await;
    assert_eq!(status, 200, "{hosts}");
    assert_eq!(
        hosts["allowed_hosts"],
        json!([{"name": "vpn", "cidr": "10.8.0.0/16"}])
    );

    let (status, listed) = call(
        &so,
        Method::GET,
        &format!("/identity/v1/api-keys?user_id={user}&state=ENABLED"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["total_count"], 1);
    assert_eq!(listed["results"][0]["api_key_id"], id);

    let search = json!({"query": {
        "filter": [{"k": "api_key_type", "v": "DELEGATION", "o": "eq"}, {"k": "user_id", "v": user}],
        "page": {"start": 1, "limit": 10},
        "only": ["api_key_id", "state"]
    }});
    let (status, found) = call(
        &so,
        Method::POST,
        "/identity/v1/api-keys/search",
        Some(search),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found,
        json!({"results": [{"api_key_id": id, "state": "ENABLED"}], "total_count": 1})
    );

    let stat = json!({"query": {
        "filter": [{"k": "user_id", "v": user, "o": "eq"}],
        "aggregate": {"group": {"keys": [{"key": "api_key_type", "name": "type"}],
                                "fields": [{"operator": "count", "name": "count"}]}}
    }});
    let (status, counted) = call(&so, Method::POST, "/identity/v1/api-keys/stat", Some(stat)).await;
    assert_eq!(status, 200, "{counted}");
    assert_eq!(
        counted,
        json!({"results": [{"type": "DELEGATION", "count": 1.0}]})
    );

    let (status, deleted) = call(
        &so,
        Method::DELETE,
        &path(&format!("?domain_id={domain}")),
        None,
    )
    .await;
    assert_eq!((status, deleted), (200, json!({})));
    let (status, gone) = call(&so, Method::GET, &path(""), None).await;
    assert_eq!(status, 404, "{gone}");
    assert_eq!(gone["code"], "ERROR_NOT_FOUND");
}

#[tokio::test]
async fn rest_refusals_are_client_errors_with_codes() {
    let so = setup().await;
    let (status, body) = call(
        &so,
        Method::POST,
        "/identity/v1/api-keys/search",
        Some(json!({"query": {"filter": [{"k": "nope", "v": 1, "o": "eq"}]}})),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("ERROR_DB_QUERY")),
        "{body}"
    );
    let (status, body) = call(
        &so,
        Method::POST,
        "/identity/v1/api-keys/search",
        Some(json!({"qurey": {}})),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (400, json!("ERROR_INVALID_ARGUMENT")),
        "{body}"
    );
    let (status, body) = call(
        &so,
        Method::POST,
        "/identity/v1/api-keys",
        Some(json!(["not", "an", "object"])),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let reply = so
        .app
        .send(so.app.request(Method::GET, "/identity/v1/api-keys"))
        .await;
    assert_eq!(reply.status.as_u16(), 401);
    assert_eq!(reply.body["code"], "ERROR_AUTHENTICATE_FAILURE");
}

#[tokio::test]
async fn an_over_limit_rest_body_is_413_in_the_faces_json_error() {
    let so = setup().await;
    let big = "x".repeat(300 * 1024);
    let (status, body) = call(
        &so,
        Method::POST,
        "/identity/v1/api-keys/search",
        Some(json!({"query": {"keyword": big}})),
    )
    .await;
    assert_eq!(
        (status, body["code"].clone()),
        (413, json!("ERROR_REQUEST_TOO_LARGE")),
        "{body}"
    );
}

/// The 1.5.1 annotation of `create` has no `body`: a client generated from it sends the fields
/// as query parameters.
#[tokio::test]
async fn create_takes_its_fields_from_the_query_string_too() {
    let so = setup().await;
    let user = so.user().await;
    let domain = so.admin.domain_id.clone();
    let (status, created) = call(
        &so,
        Method::POST,
        &format!("/identity/v1/api-keys?api_key_type=SYSTEM&user_id={user}&domain_id={domain}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["user_id"], user);
    assert!(created["api_key"].as_str().is_some_and(|s| !s.is_empty()));
    let id = created["api_key_id"].as_str().expect("an id");
    assert_eq!(so.app.stored_key(id).await["type"], "system");

    // Both forms at once: the query string and the body complete each other.
    let (status, mixed) = call(
        &so,
        Method::POST,
        &format!("/identity/v1/api-keys?api_key_type=USER&domain_id={domain}"),
        Some(json!({"user_id": user})),
    )
    .await;
    assert_eq!(status, 200, "{mixed}");
    assert_eq!(mixed["user_id"], user);

    // One field given twice is refused, not silently chosen.
    let (status, twice) = call(
        &so,
        Method::POST,
        &format!("/identity/v1/api-keys?api_key_type=USER&user_id={user}"),
        Some(json!({"user_id": user, "api_key_type": "USER"})),
    )
    .await;
    assert_eq!(
        (status, twice["code"].clone()),
        (400, json!("ERROR_INVALID_ARGUMENT"))
    );
    assert!(
        twice["message"]
            .as_str()
            .is_some_and(|m| m.contains("both")),
        "{twice}"
    );
    let (status, unknown) = call(
        &so,
        Method::POST,
        &format!("/identity/v1/api-keys?api_key_type=ROOT&user_id={user}"),
        None,
    )
    .await;
    assert_eq!(status, 400, "{unknown}");
}
