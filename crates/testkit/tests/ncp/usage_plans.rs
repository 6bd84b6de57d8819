//! Usage plans through NCP's routes, every request signed (signature v2) as NCP's clients sign:
//! create with NCP's fields, read back, search and page, replace, refuse bad bodies, associate
//! with a product's stage and disassociate, a key's own plan on a stage, the delete rule, and
//! the native views agreeing with what the NCP routes set.

use reqwest::Method;
use serde_json::{json, Value};

use super::signing::{now_millis, send_signed, setup, Signer};
use super::{assert_ncp_error, create_key, create_product};
use keyward_testkit::app::TestApp;

struct Ncp {
    app: TestApp,
    token: String,
    signer: Signer,
}

impl Ncp {
    async fn new() -> Self {
        let (app, token, signer) = setup().await;
        Self { app, token, signer }
    }

    /// A signed call to `/api/v1{path}`.
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let uri = format!("/api/v1{path}");
        let ts = now_millis(&self.app);
        send_signed(&self.app, &self.signer, method, &uri, &uri, ts, body).await
    }

    async fn create_plan(&self, body: Value) -> Value {
        let (status, reply) = self.call(Method::POST, "/usage-plans", Some(body)).await;
        assert_eq!(status, 201, "{reply}");
        reply["usagePlan"].clone()
    }
}

fn plan_body(name: &str) -> Value {
    json!({
        "usagePlanName": name,
        "usagePlanDescription": "plan",
        "rateRps": 5,
        "quotaCondition": "2xx",
        "dayQuotaRequest": 100,
        "monthQuotaRequest": 1000,
    })
}

#[tokio::test]
async fn plans_round_trip_with_ncp_fields() {
    let ncp = Ncp::new().await;
    let plan = ncp.create_plan(plan_body("gold")).await;
    for (field, expected) in [
        ("usagePlanName", json!("gold")),
        ("usagePlanDescription", json!("plan")),
        ("rateRps", json!(5)),
        ("quotaCondition", json!("2xx")),
        ("dayQuotaRequest", json!(100)),
        ("monthQuotaRequest", json!(1000)),
        ("associatedStagesCount", json!(0)),
        ("disabled", json!(false)),
        ("domainCode", json!("PUB")),
    ] {
        assert_eq!(plan[field], expected, "{field}: {plan}");
    }
    let id = plan["usagePlanId"].as_str().expect("id").to_owned();
    let (status, read) = ncp
        .call(Method::GET, &format!("/usage-plans/{id}"), None)
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["usagePlan"], plan);

    // The native view shows the same plan as keyward's limits.
    let native = ncp
        .app
        .get(&ncp.token, &format!("/v1/usage-plans/{id}"))
        .await
        .expect_status(200);
    assert_eq!(
        native["rate_limits"],
        json!([{"name": "rps", "limit": 5, "period": "1s", "burst": 5}])
    );
    assert_eq!(
        native["quotas"],
        json!([{"name": "day", "limit": 100, "per": "day"}, {"name": "month", "limit": 1000, "per": "month"}])
    );

    // PUT replaces the whole plan: no rateRps, no quotas now.
    let (status, replaced) = ncp
        .call(
            Method::PUT,
            &format!("/usage-plans/{id}"),
            Some(json!({"usagePlanName": "gold2"})),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["usagePlan"]["usagePlanName"], json!("gold2"));
    assert_eq!(replaced["usagePlan"]["rateRps"], Value::Null);
    assert_eq!(replaced["usagePlan"]["dayQuotaRequest"], Value::Null);
    assert_eq!(replaced["usagePlan"]["quotaCondition"], Value::Null);

    let (status, _) = ncp
        .call(Method::DELETE, &format!("/usage-plans/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = ncp
        .call(Method::GET, &format!("/usage-plans/{id}"), None)
        .await;
    assert_ncp_error(status, &body, 404, "300");
}

#[tokio::test]
async fn bad_plan_bodies_are_ncp_400s() {
    let ncp = Ncp::new().await;
    for bad in [
        json!({}),
        json!({"usagePlanName": "x".repeat(46)}),
        json!({"usagePlanName": "p", "usagePlanDescription": "d".repeat(51)}),
        json!({"usagePlanName": "p", "rateRps": 0}),
        json!({"usagePlanName": "p", "rateRps": 2_147_483_648_u64}),
        json!({"usagePlanName": "p", "dayQuotaRequest": 5}),
        json!({"usagePlanName": "p", "dayQuotaRequest": 0, "monthQuotaRequest": 5}),
        json!({"usagePlanName": "p", "quotaCondition": "1xx"}),
        json!({"usagePlanName": "p", "rateRps": "fast"}),
    ] {
        let (status, body) = ncp
            .call(Method::POST, "/usage-plans", Some(bad.clone()))
            .await;
        assert_ncp_error(status, &body, 400, "100");
        assert!(
            !body["error"]["details"].as_str().unwrap_or("").is_empty(),
            "{bad}"
        );
    }
    ncp.create_plan(plan_body("dup")).await;
    let (status, body) = ncp
        .call(Method::POST, "/usage-plans", Some(plan_body("dup")))
        .await;
    assert_ncp_error(status, &body, 409, "100");
    let (status, body) = ncp.call(Method::GET, "/usage-plans/nope", None).await;
    assert_ncp_error(status, &body, 404, "300");
    let (status, body) = ncp.call(Method::GET, "/usage-plans?stageId=s1", None).await;
    assert_ncp_error(status, &body, 400, "100");
}

#[tokio::test]
async fn plans_search_and_page() {
    let ncp = Ncp::new().await;
    for name in ["alpha-1", "alpha-2", "alpha-3", "beta"] {
        ncp.create_plan(plan_body(name)).await;
    }
    let (status, page) = ncp
        .call(Method::GET, "/usage-plans?offset=1&limit=2", None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], json!(4));
    assert_eq!(page["usagePlans"].as_array().expect("plans").len(), 2);
    let (_, all) = ncp.call(Method::GET, "/usage-plans?limit=10", None).await;
    let names: Vec<&str> = all["usagePlans"]
        .as_array()
        .expect("plans")
        .iter()
        .map(|p| p["usagePlanName"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 4);
    assert_eq!(
        page["usagePlans"][0]["usagePlanName"],
        json!(names[1]),
        "offset 1 is the second of the full list"
    );
    let (status, found) = ncp
        .call(
            Method::POST,
            "/usage-plans/search",
            Some(json!({"usagePlanName": "alpha", "offset": 2, "limit": 5})),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["total"], json!(3));
    assert_eq!(found["initialCount"], json!(4));
    assert_eq!(found["usagePlans"].as_array().expect("plans").len(), 1);
    let (status, body) = ncp
        .call(
            Method::POST,
            "/usage-plans/search",
            Some(json!({"limit": 0})),
        )
        .await;
    assert_ncp_error(status, &body, 400, "100");
}

#[tokio::test]
async fn stages_and_keys_take_plans_and_the_delete_rule_holds() {
    let ncp = Ncp::new().await;
    let plan = ncp.create_plan(plan_body("gold")).await;
    let other = ncp.create_plan(plan_body("silver")).await;
    let (plan_id, other_id) = (
        plan["usagePlanId"].as_str().expect("id").to_owned(),
        other["usagePlanId"].as_str().expect("id").to_owned(),
    );
    let product = create_product(&ncp.app, &ncp.token).await;
    let stage = |s: &str, verb: &str| format!("/products/{product}/apis/api1/stages/{s}/{verb}");
    for s in ["dev", "prod"] {
        let (status, body) = ncp
            .call(
                Method::POST,
                &stage(s, "associate-usage-plan"),
                Some(json!({"usagePlanId": plan_id})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }
    let (_, read) = ncp
        .call(Method::GET, &format!("/usage-plans/{plan_id}"), None)
        .await;
    assert_eq!(read["usagePlan"]["associatedStagesCount"], json!(2));
    let native = ncp
        .app
        .get(&ncp.token, &format!("/v1/products/{product}"))
        .await
        .expect_status(200);
    assert_eq!(native["usage_plan_id"], json!(plan_id));
    // One plan per product: another plan on another stage is refused until this one goes.
    let (status, body) = ncp
        .call(
            Method::POST,
            &stage("qa", "associate-usage-plan"),
            Some(json!({"usagePlanId": other_id})),
        )
        .await;
    assert_ncp_error(status, &body, 409, "100");
    let (status, body) = ncp
        .call(Method::DELETE, &format!("/usage-plans/{plan_id}"), None)
        .await;
    assert_ncp_error(status, &body, 409, "100");
    let (status, body) = ncp
        .call(
            Method::POST,
            &stage("dev", "associate-usage-plan"),
            Some(json!({})),
        )
        .await;
    assert_ncp_error(status, &body, 400, "100");
    let (status, body) = ncp
        .call(
            Method::POST,
            &format!("/products/{product}/apis/a%20b/stages/dev/associate-usage-plan"),
            Some(json!({"usagePlanId": plan_id})),
        )
        .await;
    assert_ncp_error(status, &body, 400, "100");

    // A key's own plan on its subscription overrides the product's.
    let key = create_key(&ncp.app, &ncp.token, "k").await;
    let key_id = key["apiKeyId"].as_str().expect("id").to_owned();
    let on_key = format!("/products/{product}/api-keys/{key_id}/stages/prod");
    let (status, body) = ncp
        .call(Method::PUT, &on_key, Some(json!({"usagePlanId": other_id})))
        .await;
    assert_ncp_error(status, &body, 404, "300");
    let (status, body) = ncp
        .call(
            Method::POST,
            &format!("/api-keys/{key_id}/subscribe"),
            Some(json!({"productId": product})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = ncp
        .call(Method::PUT, &on_key, Some(json!({"usagePlanId": other_id})))
        .await;
    assert_eq!(status, 204, "{body}");
    let subs = ncp
        .app
        .get(&ncp.token, &format!("/v1/keys/{key_id}/subscriptions"))
        .await
        .expect_status(200);
    assert_eq!(subs["items"][0]["usage_plan_id"], json!(other_id));

    for s in ["dev", "prod"] {
        let (status, body) = ncp
            .call(
                Method::POST,
                &stage(s, "disassociate-usage-plan"),
                Some(json!({"usagePlanId": plan_id})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }
    let (status, body) = ncp
        .call(
            Method::POST,
            &stage("dev", "disassociate-usage-plan"),
            Some(json!({"usagePlanId": plan_id})),
        )
        .await;
    assert_ncp_error(status, &body, 404, "300");
    let native = ncp
        .app
        .get(&ncp.token, &format!("/v1/products/{product}"))
        .await
        .expect_status(200);
    assert_eq!(native["usage_plan_id"], Value::Null);
    let (status, _) = ncp
        .call(Method::DELETE, &format!("/usage-plans/{plan_id}"), None)
        .await;
    assert_eq!(status, 204);
    // The key's plan is still in use until cleared.
    let (status, body) = ncp
        .call(Method::DELETE, &format!("/usage-plans/{other_id}"), None)
        .await;
    assert_ncp_error(status, &body, 409, "100");
    let (status, _) = ncp
        .call(Method::PUT, &on_key, Some(json!({"usagePlanId": null})))
        .await;
    assert_eq!(status, 204);
    let (status, _) = ncp
        .call(Method::DELETE, &format!("/usage-plans/{other_id}"), None)
        .await;
    assert_eq!(status, 204);
}

#[tokio::test]
async fn another_tenants_plans_are_not_found() {
    let ncp = Ncp::new().await;
    let plan = ncp.create_plan(plan_body("gold")).await;
    let id = plan["usagePlanId"].as_str().expect("id").to_owned();
    let (_, stranger) = ncp
        .app
        .new_domain_admin(&keyward_testkit::fixtures::unique("d"))
        .await;
    let path = format!("/usage-plans/{id}");
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(plan_body("mine"))),
        (Method::DELETE, None),
    ] {
        let (status, body) = super::ncp(&ncp.app, &stranger, method, &path, body).await;
        assert_ncp_error(status, &body, 404, "300");
    }
    let (status, list) = super::ncp(&ncp.app, &stranger, Method::GET, "/usage-plans", None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], json!(0));
    // Nor can it be associated with a product of the stranger's domain.
    let product = create_product(&ncp.app, &stranger).await;
    let (status, body) = super::ncp(
        &ncp.app,
        &stranger,
        Method::POST,
        &format!("/products/{product}/apis/a/stages/s/associate-usage-plan"),
        Some(json!({"usagePlanId": id})),
    )
    .await;
    assert_ncp_error(status, &body, 404, "300");
    let (status, _) = ncp.call(Method::GET, &path, None).await;
    assert_eq!(status, 200, "still there for its owner");
}
