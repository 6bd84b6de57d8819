//! `/api/v1/api-keys...`: create with two secrets, list, get, update, regenerate each slot,
//! delete, search; NCP error shapes; the ZenML face beside it still answering.

use reqwest::Method;
use serde_json::json;

use super::{app_and_admin, assert_ncp_error, create_key, ncp};

#[tokio::test]
async fn a_key_has_two_live_secrets_shown_only_at_creation() {
    let (app, token) = app_and_admin().await;
    let key = create_key(&app, &token, "apikey001").await;
    let primary = key["primaryKey"].as_str().expect("primary").to_owned();
    let secondary = key["secondaryKey"].as_str().expect("secondary").to_owned();
    assert_ne!(primary, secondary);
    assert_eq!(key["apiKeyName"], json!("apikey001"));
    assert_eq!(key["apiKeyDescription"], json!("desc"));
    assert_eq!(key["isEnabled"], json!(true));
    assert_eq!(key["domainCode"], json!("PUB"));
    let mod_time = key["modTime"].as_str().expect("modTime");
    assert!(
        mod_time.ends_with('Z') && mod_time.len() == 20,
        "{mod_time}"
    );
    assert_eq!(app.verify_code(&primary).await, "VALID");
    assert_eq!(app.verify_code(&secondary).await, "VALID");

    let id = key["apiKeyId"].as_str().expect("id");
    let (status, read) = ncp(&app, &token, Method::GET, &format!("/api-keys/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(read["apiKeyId"], json!(id));
    let shown = read["primaryKey"].as_str().expect("hint");
    assert!(
        shown.contains('…') && !shown.contains(&primary[4..]),
        "masked: {shown}"
    );
}

#[tokio::test]
async fn regenerating_one_slot_leaves_the_other_working() {
    let (app, token) = app_and_admin().await;
    let key = create_key(&app, &token, "k").await;
    let id = key["apiKeyId"].as_str().expect("id");
    let primary = key["primaryKey"].as_str().expect("p").to_owned();
    let secondary = key["secondaryKey"].as_str().expect("s").to_owned();
    let path = format!("/api-keys/{id}");

    let (status, body) = ncp(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(json!({"keyType": "PRIMARY"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let new_primary = body["apiKey"]["primaryKey"].as_str().expect("p").to_owned();
    assert_ne!(new_primary, primary);
    assert!(body["apiKey"]["secondaryKey"]
        .as_str()
        .expect("s")
        .contains('…'));
    assert_eq!(app.verify_code(&primary).await, "NOT_FOUND");
    assert_eq!(app.verify_code(&new_primary).await, "VALID");
    assert_eq!(
        app.verify_code(&secondary).await,
        "VALID",
        "the secondary keeps working"
    );

    let (status, body) = ncp(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(json!({"keyType": "SECONDARY"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let new_secondary = body["apiKey"]["secondaryKey"]
        .as_str()
        .expect("s")
        .to_owned();
    assert_eq!(app.verify_code(&secondary).await, "NOT_FOUND");
    assert_eq!(app.verify_code(&new_secondary).await, "VALID");
    assert_eq!(
        app.verify_code(&new_primary).await,
        "VALID",
        "the primary keeps working"
    );

    let (status, body) = ncp(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(json!({"keyType": "TERTIARY"})),
    )
    .await;
    assert_ncp_error(status, &body, 400, "100");
}

#[tokio::test]
async fn keys_are_listed_updated_searched_and_deleted() {
    let (app, token) = app_and_admin().await;
    let a = create_key(&app, &token, "alpha-1").await;
    create_key(&app, &token, "alpha-2").await;
    create_key(&app, &token, "beta").await;

    let (status, list) = ncp(
        &app,
        &token,
        Method::GET,
        "/api-keys?apiKeyName=alpha&offset=0&limit=1",
        None,
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], json!(2));
    assert_eq!(list["apiKeys"].as_array().map(Vec::len), Some(1));
    assert!(list["initialCount"].as_u64().expect("initialCount") >= 3);
    let (status, body) = ncp(&app, &token, Method::GET, "/api-keys?limit=x", None).await;
    assert_ncp_error(status, &body, 400, "100");

    let (status, found) = ncp(
        &app,
        &token,
        Method::POST,
        "/api-keys/search",
        Some(json!({"apiKeyName": "beta"})),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], json!(1));

    let id = a["apiKeyId"].as_str().expect("id");
    let path = format!("/api-keys/{id}");
    let (status, body) = ncp(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(json!({"apiKeyName": "renamed", "apiKeyDescription": "new", "isEnabled": false})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["apiKey"]["apiKeyName"], json!("renamed"));
    assert_eq!(body["apiKey"]["isEnabled"], json!(false));
    let primary = a["primaryKey"].as_str().expect("p");
    assert_eq!(app.verify_code(primary).await, "DISABLED");
    let (status, _) = ncp(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(json!({"isEnabled": true})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(app.verify_code(primary).await, "VALID");

    let (status, _) = ncp(&app, &token, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (status, body) = ncp(&app, &token, Method::GET, &path, None).await;
    assert_ncp_error(status, &body, 404, "300");
    let (status, body) = ncp(&app, &token, Method::GET, "/api-keys/not-a-uuid", None).await;
    assert_ncp_error(status, &body, 404, "300");
}

#[tokio::test]
async fn refusals_use_ncp_error_shape() {
    let (app, token) = app_and_admin().await;
    let reply = app.send(app.request(Method::GET, "/api/v1/api-keys")).await;
    assert_ncp_error(reply.status.as_u16(), &reply.body, 401, "200");
    let reply = app
        .send(
            app.authed(Method::POST, "/api/v1/api-keys", &token)
                .body("{not json"),
        )
        .await;
    assert_ncp_error(reply.status.as_u16(), &reply.body, 400, "100");
    let (status, body) = ncp(
        &app,
        &token,
        Method::POST,
        "/api-keys",
        Some(json!({"apiKeyName": ""})),
    )
    .await;
    assert_ncp_error(status, &body, 400, "100");
    create_key(&app, &token, "same").await;
    let (status, body) = ncp(
        &app,
        &token,
        Method::POST,
        "/api-keys",
        Some(json!({"apiKeyName": "same"})),
    )
    .await;
    assert_ncp_error(status, &body, 409, "100");
}

/// The ZenML face shares `/api/v1`: both answer, neither swallows the other.
#[tokio::test]
async fn the_zenml_face_still_answers_beside_it() {
    let (app, token) = app_and_admin().await;
    let reply = app.send(app.request(Method::GET, "/api/v1/info")).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let reply = app
        .send(app.authed(Method::GET, "/api/v1/service_accounts", &token))
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let reply = app
        .send(app.authed(Method::GET, "/api/v1/nothing-here", &token))
        .await;
    assert_eq!(reply.status.as_u16(), 404);
    let (status, _) = ncp(&app, &token, Method::GET, "/api-keys", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_unknown_status_in_status_set_is_400_with_or_without_a_product() {
    let (app, token) = crate::app_and_admin().await;
    let (status, body) = crate::ncp(
        &app,
        &token,
        reqwest::Method::POST,
        "/api-keys/search",
        Some(serde_json::json!({"statusSet": ["BOGUS"]})),
    )
    .await;
    crate::assert_ncp_error(status, &body, 400, "100");
}

/// The actions recorded for key `id`, newest first, through the native operations list.
async fn key_actions(app: &keyward_testkit::app::TestApp, token: &str, id: &str) -> Vec<String> {
    let body = app
        .get(token, &format!("/v1/keys/{id}/operations"))
        .await
        .expect_status(200);
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|op| op["action"].as_str().expect("action").to_owned())
        .collect()
}

#[tokio::test]
async fn a_put_that_renames_and_disables_is_one_change_with_one_operation() {
    let (app, token) = app_and_admin().await;
    let key = create_key(&app, &token, "before").await;
    let id = key["apiKeyId"].as_str().expect("id");
    let path = format!("/api-keys/{id}");

    let (status, body) = ncp(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(json!({"apiKeyName": "after", "isEnabled": false})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["apiKey"]["apiKeyName"], json!("after"));
    assert_eq!(body["apiKey"]["isEnabled"], json!(false));
    assert_eq!(
        key_actions(&app, &token, id).await,
        ["key.update", "key.create"]
    );
    let page = app
        .get(&token, &format!("/v1/keys/{id}/operations"))
        .await
        .expect_status(200);
    assert_eq!(
        page["items"][0]["metadata"]["changed"],
        json!(["name", "state"]),
        "{page}"
    );

    // The state alone is still an enable, recorded as such; asking for the state the key
    // already has records nothing.
    let (status, _) = ncp(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(json!({"isEnabled": true})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = ncp(
        &app,
        &token,
        Method::PUT,
        &path,
        Some(json!({"isEnabled": true})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        key_actions(&app, &token, id).await,
        ["key.enable", "key.update", "key.create"]
    );
}
