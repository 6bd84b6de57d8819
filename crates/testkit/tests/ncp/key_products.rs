//! NCP's exact rules on key names and descriptions, and what one key is subscribed to:
//! `GET /api-keys/{id}/products` and `GET /api-keys/{id}/subscription-detail`.

use keyward_testkit::app::eventually;
use reqwest::Method;
use serde_json::{json, Value};

use super::{app_and_admin, assert_ncp_error, create_key, create_product, ncp};

#[tokio::test]
async fn names_and_descriptions_follow_ncps_lengths() {
    let (app, token) = app_and_admin().await;
    let create = |body: Value| ncp(&app, &token, Method::POST, "/api-keys", Some(body));
    let name20 = "가".repeat(20);
    let (status, body) =
        create(json!({"apiKeyName": name20, "apiKeyDescription": "d".repeat(50)})).await;
    assert_eq!(status, 201, "20 characters (not bytes) and 50 fit: {body}");
    for bad in [
        json!({"apiKeyName": ""}),
        json!({"apiKeyName": "n".repeat(21)}),
        json!({"apiKeyName": "가".repeat(21)}),
        json!({"apiKeyName": "ok", "apiKeyDescription": "d".repeat(51)}),
    ] {
        let (status, body) = create(bad.clone()).await;
        assert_ncp_error(status, &body, 400, "100");
        assert!(
            body["error"]["details"]
                .as_str()
                .unwrap_or("")
                .contains("characters"),
            "{bad}: {body}"
        );
    }
    let key = create_key(&app, &token, "k").await;
    let path = format!("/api-keys/{}", key["apiKeyId"].as_str().expect("id"));
    for bad in [
        json!({"apiKeyName": "n".repeat(21)}),
        json!({"apiKeyDescription": "d".repeat(51)}),
    ] {
        let (status, body) = ncp(&app, &token, Method::PUT, &path, Some(bad)).await;
        assert_ncp_error(status, &body, 400, "100");
    }
    let (_, stored) = ncp(&app, &token, Method::GET, &path, None).await;
    assert_eq!(
        stored["apiKeyName"], "k",
        "a refused update changes nothing"
    );
}

async fn subscribe(app: &keyward_testkit::app::TestApp, token: &str, key: &str, product: &str) {
    let (status, body) = ncp(
        app,
        token,
        Method::POST,
        &format!("/api-keys/{key}/subscribe"),
        Some(json!({"productId": product})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_keys_products_with_their_status_paged() {
    let (app, token) = app_and_admin().await;
    let key = create_key(&app, &token, "k").await;
    let id = key["apiKeyId"].as_str().expect("id").to_owned();
    let (first, second) = (
        create_product(&app, &token).await,
        create_product(&app, &token).await,
    );
    subscribe(&app, &token, &id, &first).await;
    app.clock.advance(time::Duration::seconds(1));
    subscribe(&app, &token, &id, &second).await;
    let (status, _) = ncp(
        &app,
        &token,
        Method::PATCH,
        &format!("/products/{first}/api-keys/{id}"),
        Some(json!({"status": "ACCEPTED"})),
    )
    .await;
    assert_eq!(status, 200);

    let (status, body) = ncp(
        &app,
        &token,
        Method::GET,
        &format!("/api-keys/{id}/products"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["total"], 2);
    let rows = body["apiKeyRelateProductDtos"].as_array().expect("rows");
    assert_eq!(rows[0]["productId"], json!(first));
    assert_eq!(rows[0]["status"], "ACCEPTED");
    assert_eq!(rows[1]["productId"], json!(second));
    assert_eq!(rows[1]["status"], "REQUEST");
    assert_eq!(rows[0]["isSelfProduct"], true);
    assert_eq!(rows[0]["publisherId"], key["tenantId"]);
    assert!(rows[0]["productName"].is_string() && rows[0]["regTime"].is_string());

    let (_, page) = ncp(
        &app,
        &token,
        Method::GET,
        &format!("/api-keys/{id}/products?offset=1&limit=1"),
        None,
    )
    .await;
    assert_eq!(page["total"], 2);
    assert_eq!(
        page["apiKeyRelateProductDtos"][0]["productId"],
        json!(second)
    );
    assert_eq!(
        page["apiKeyRelateProductDtos"].as_array().map(Vec::len),
        Some(1)
    );

    let (status, body) = ncp(
        &app,
        &token,
        Method::GET,
        &format!("/api-keys/{id}/products?limit=0"),
        None,
    )
    .await;
    assert_ncp_error(status, &body, 400, "100");
    let (status, body) = ncp(
        &app,
        &token,
        Method::GET,
        "/api-keys/not-an-id/products",
        None,
    )
    .await;
    assert_ncp_error(status, &body, 404, "300");
    let (_, other) = app_and_admin_in(&app).await;
    let (status, body) = ncp(
        &app,
        &other,
        Method::GET,
        &format!("/api-keys/{id}/products"),
        None,
    )
    .await;
    assert_ncp_error(status, &body, 404, "300");
}

/// Another domain's admin on the same app.
async fn app_and_admin_in(app: &keyward_testkit::app::TestApp) -> (String, String) {
    app.new_domain_admin(&keyward_testkit::fixtures::unique("o"))
        .await
}

#[tokio::test]
async fn subscription_detail_shows_stages_plan_and_calls() {
    let (app, token) = app_and_admin().await;
    let key = create_key(&app, &token, "k").await;
    let id = key["apiKeyId"].as_str().expect("id").to_owned();
    let product = create_product(&app, &token).await;
    let detail = |query: String| {
        let path = format!("/api-keys/{id}/subscription-detail{query}");
        let (app, token) = (&app, &token);
        async move { ncp(app, token, Method::GET, &path, None).await }
    };
    let (status, body) = detail(String::new()).await;
    assert_ncp_error(status, &body, 400, "100");
    let (status, body) = detail(format!("?productId={product}")).await;
    assert_ncp_error(status, &body, 404, "300");

    subscribe(&app, &token, &id, &product).await;
    ncp(
        &app,
        &token,
        Method::PATCH,
        &format!("/products/{product}/api-keys/{id}"),
        Some(json!({"status": "ACCEPTED"})),
    )
    .await;
    let (status, body) = detail(format!("?productId={product}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["apiKeyRelations"], json!({"total": 0, "content": []}));

    let (_, plan) = ncp(
        &app,
        &token,
        Method::POST,
        "/usage-plans",
        Some(json!({"usagePlanName": "gold", "rateRps": 100})),
    )
    .await;
    let plan_id = plan["usagePlan"]["usagePlanId"]
        .as_str()
        .expect("plan id")
        .to_owned();
    for stage in ["dev", "prod"] {
        let (status, body) = ncp(
            &app,
            &token,
            Method::POST,
            &format!("/products/{product}/apis/api1/stages/{stage}/associate-usage-plan"),
            Some(json!({"usagePlanId": plan_id})),
        )
        .await;
        assert_eq!(status, 204, "{body}");
    }
    // Two verifications for the product are the key's calls today and this month.
    let secret = key["primaryKey"].as_str().expect("secret");
    for _ in 0..2 {
        let answer = app.verify(json!({"key": secret, "product": product})).await;
        assert_eq!(answer["code"], "VALID", "{answer}");
    }
    let body = eventually("the calls to be metered", || {
        let query = format!("?productId={product}");
        let detail = &detail;
        async move {
            let (_, body) = detail(query).await;
            (body["apiKeyRelations"]["content"][0]["dayCallCount"] == 2).then_some(body)
        }
    })
    .await;
    let relations = &body["apiKeyRelations"];
    assert_eq!(relations["total"], 2);
    let row = &relations["content"][0];
    assert_eq!(
        (&row["apiId"], &row["stageId"]),
        (&json!("api1"), &json!("dev"))
    );
    assert_eq!(row["apiKeyId"], json!(id));
    assert_eq!(row["apiKeyName"], "k");
    assert_eq!(row["usagePlanId"], json!(plan_id));
    assert_eq!(row["usagePlanName"], "gold");
    assert_eq!(row["monthCallCount"], 2);
    assert_eq!(row["domainCode"], "PUB");
    assert_eq!(relations["content"][1]["stageId"], "prod");

    let (_, filtered) = detail(format!("?productId={product}&stageId=prod")).await;
    assert_eq!(filtered["apiKeyRelations"]["total"], 1);
    assert_eq!(filtered["apiKeyRelations"]["content"][0]["stageId"], "prod");
    let (_, paged) = detail(format!("?productId={product}&offset=1&limit=1")).await;
    assert_eq!(paged["apiKeyRelations"]["total"], 2);
    assert_eq!(paged["apiKeyRelations"]["content"][0]["stageId"], "prod");
    let (status, body) = detail(format!("?productId={product}&apiId=a%20b")).await;
    assert_ncp_error(status, &body, 400, "100");
}
