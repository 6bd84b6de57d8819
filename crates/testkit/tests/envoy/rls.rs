//! The rate limit service v3 (`ShouldRateLimit`) through grpcio stubs built from Envoy's protos:
//! a descriptor naming a key (`api_key`) spends the key's limits; keyward's refusal by a limit is
//! `OVER_LIMIT`; anything it does not limit (no key, an unknown key) is `OK`.

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::{id_of, unique, unknown_secret};
use serde_json::{json, Value};

use crate::probe::ask;

fn asking(name: &str, descriptors: Value, hits_addend: u32) -> Value {
    json!({"name": name, "domain": "shop", "hits_addend": hits_addend, "descriptors": descriptors})
}

#[tokio::test]
async fn a_keys_limit_is_spent_per_hit_then_over_limit() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    let owner = id_of(&app.create_service_account(&token, &unique("svc")).await);
    let key = app
        .create_key(
            &token,
            &owner,
            json!({"name": "r", "rate_limits": [{"name": "burst", "limit": 3, "period": "1m"}]}),
        )
        .await;
    let by_key = json!([[["api_key", key.secret]]]);
    let by_header = json!([[
        ["api_key", format!("Bearer {}", key.secret)],
        ["remote_address", "203.0.113.9"]
    ]]);
    let questions = json!({"rls": [
        asking("one", by_key.clone(), 0),
        asking("two_more", by_header, 2),
        asking("over", by_key, 0),
        asking("unknown", json!([[["api_key", unknown_secret()]]]), 0),
        asking("keyless", json!([[["path", "/api"]], [["api_key", ""]]]), 0),
    ]});
    let Some(answers) = ask(&app, questions).await else {
        return;
    };
    let one = &answers["one"];
    assert_eq!(one["overall"], "OK", "{one}");
    assert_eq!(one["statuses"][0]["limit"], 3, "{one}");
    assert_eq!(one["statuses"][0]["remaining"], 2, "{one}");
    let reset = one["statuses"][0]["reset_seconds"]
        .as_i64()
        .expect("a reset");
    assert!((0..=60).contains(&reset), "{one}");
    assert_eq!(
        answers["two_more"]["overall"], "OK",
        "{}",
        answers["two_more"]
    );
    assert_eq!(answers["two_more"]["statuses"][0]["remaining"], 0);
    let over = &answers["over"];
    assert_eq!(over["overall"], "OVER_LIMIT", "{over}");
    assert_eq!(over["statuses"][0]["code"], "OVER_LIMIT", "{over}");
    assert_eq!(over["statuses"][0]["remaining"], 0, "{over}");
    for name in ["unknown", "keyless"] {
        let answer = &answers[name];
        assert_eq!(answer["overall"], "OK", "{answer}");
        for status in answer["statuses"].as_array().expect("statuses") {
            assert_eq!(status["code"], "OK", "{answer}");
            assert_eq!(status["limit"], Value::Null, "{answer}");
        }
    }
}
