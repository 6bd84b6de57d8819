//! Tenancy: a domain admin administers its own domain only. Another domain's objects answer 404
//! exactly as if they did not exist, never appear in its lists, and cannot be reached through a
//! create; domain management and `keyward:root` stay with root (403).

use keyward_testkit::app::{spawn_app, DomainAdmin, TestApp};
use keyward_testkit::fixtures::{id_of, unique, CreatedKey};
use serde_json::{json, Value};

/// Two domains, each with an admin, a service account and a key; plus an operation id in B.
struct World {
    a: DomainAdmin,
    b: DomainAdmin,
    b_principal: String,
    b_key: CreatedKey,
    b_operation: String,
}

async fn world(app: &TestApp) -> World {
    let a = app.new_domain_admin_full(&unique("a")).await;
    let b = app.new_domain_admin_full(&unique("b")).await;
    app.create_named_key(
        &a.token,
        &id_of(&app.create_service_account(&a.token, "svc").await),
        "k",
    )
    .await;
    let b_principal = id_of(&app.create_service_account(&b.token, "svc").await);
    let b_key = app.create_named_key(&b.token, &b_principal, "k").await;
    let ops = app
        .get(&b.token, &format!("/v1/keys/{}/operations", b_key.id))
        .await
        .items();
    World {
        a,
        b,
        b_principal,
        b_key,
        b_operation: id_of(&ops[0]),
    }
}

#[tokio::test]
async fn another_domains_objects_are_404_for_every_verb() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.a.token;
    let key = format!("/v1/keys/{}", w.b_key.id);
    let principal = format!("/v1/principals/{}", w.b_principal);
    let checks = [
        app.get(t, &key).await,
        app.patch(t, &key, json!({"name": "stolen"})).await,
        app.delete(t, &key).await,
        app.post_empty(t, &format!("{key}/enable")).await,
        app.post_empty(t, &format!("{key}/disable")).await,
        app.post_empty(t, &format!("{key}/rotate")).await,
        app.post(t, &format!("{key}/rotate"), json!({"grace_seconds": 60}))
            .await,
        app.get(t, &format!("{key}/operations")).await,
        app.get(t, &principal).await,
        app.patch(t, &principal, json!({"description": "x"})).await,
        app.delete(t, &principal).await,
        app.get(t, &format!("/v1/operations/{}", w.b_operation))
            .await,
        app.get(t, &format!("/v1/domains/{}", w.b.domain_id)).await,
        app.get(t, &format!("/v1/keys?domain_id={}", w.b.domain_id))
            .await,
        app.get(t, &format!("/v1/principals?domain_id={}", w.b.domain_id))
            .await,
        app.get(t, &format!("/v1/operations?domain_id={}", w.b.domain_id))
            .await,
    ];
    for reply in &checks {
        reply.expect_error(404, "NOT_FOUND");
    }
    // Nothing changed in B.
    let stored = app.stored_key(&w.b_key.id).await;
    assert_eq!(stored, w.b_key.key);
    assert_eq!(app.verify_code(&w.b_key.secret).await, "VALID");
}

/// Every verb on a key id answers a domain admin the same whether the id names another
/// domain's key or nothing at all: same status, same body. (The store looks the id up within the
/// caller's domain, so both misses are also the same work: see `foreign_and_missing_ids_timing`.)
#[tokio::test]
async fn foreign_404s_look_exactly_like_missing_objects() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.a.token;
    let foreign = format!("/v1/keys/{}", w.b_key.id);
    let missing = format!("/v1/keys/{}", uuid::Uuid::now_v7());
    for (foreign, missing) in [
        (app.get(t, &foreign).await, app.get(t, &missing).await),
        (
            app.patch(t, &foreign, json!({"name": "x"})).await,
            app.patch(t, &missing, json!({"name": "x"})).await,
        ),
        (
            app.post_empty(t, &format!("{foreign}/rotate")).await,
            app.post_empty(t, &format!("{missing}/rotate")).await,
        ),
        (
            app.post_empty(t, &format!("{foreign}/disable")).await,
            app.post_empty(t, &format!("{missing}/disable")).await,
        ),
        (
            app.get(t, &format!("{foreign}/operations")).await,
            app.get(t, &format!("{missing}/operations")).await,
        ),
        (app.delete(t, &foreign).await, app.delete(t, &missing).await),
    ] {
        foreign.expect_error(404, "NOT_FOUND");
        assert_eq!(foreign.status, missing.status);
        assert_eq!(foreign.body, missing.body, "the two misses read the same");
        assert!(!foreign.text.contains(&w.b_key.id) && !foreign.text.contains(&w.b.domain_id));
    }
    assert_eq!(
        app.stored_key(&w.b_key.id).await,
        w.b_key.key,
        "B's key untouched"
    );
}

/// A measurement, not a check (timing is too noisy to assert): `GET /v1/keys/{id}` by a domain
/// admin for another domain's key and for a random id, in alternating order, over `PAIRS` pairs;
/// prints both medians and how often the foreign id was the slower. Run with
/// `cargo test --release -p keyward-testkit --test api foreign_and_missing_ids_timing -- --ignored --nocapture`
/// (set `KEYWARD_TEST_DATABASE_URL` for PostgreSQL).
#[tokio::test]
#[ignore = "a measurement; run by hand"]
async fn foreign_and_missing_ids_timing() {
    const PAIRS: usize = 2_000;
    let app = spawn_app().await;
    let w = world(&app).await;
    let foreign = format!("/v1/keys/{}", w.b_key.id);
    let (mut foreign_micros, mut missing_micros) = (Vec::new(), Vec::new());
    let mut foreign_slower = 0;
    for pair in 0..PAIRS + 100 {
        let missing = format!("/v1/keys/{}", uuid::Uuid::now_v7());
        let time = |path: String| {
            let app = &app;
            let token = &w.a.token;
            async move {
                let started = std::time::Instant::now();
                app.get(token, &path).await.expect_error(404, "NOT_FOUND");
                started.elapsed().as_micros() as u64
            }
        };
        let (f, m) = if pair % 2 == 0 {
            let f = time(foreign.clone()).await;
            (f, time(missing).await)
        } else {
            let m = time(missing).await;
            (time(foreign.clone()).await, m)
        };
        if pair < 100 {
            continue; // warm-up
        }
        foreign_slower += usize::from(f > m);
        foreign_micros.push(f);
        missing_micros.push(m);
    }
    let median = |v: &mut Vec<u64>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    println!(
        "{PAIRS} pairs on {}: median foreign {} µs, median missing {} µs, foreign slower in {foreign_slower}",
        if app.database_url().starts_with("postgres") { "PostgreSQL" } else { "SQLite" },
        median(&mut foreign_micros),
        median(&mut missing_micros),
    );
}

#[tokio::test]
async fn lists_never_contain_another_domains_objects() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let t = &w.a.token;
    let forbidden = [
        w.b.domain_id.as_str(),
        w.b.principal_id.as_str(),
        w.b.key_id.as_str(),
        w.b_principal.as_str(),
        w.b_key.id.as_str(),
    ];
    for path in [
        "/v1/keys?limit=1000".to_owned(),
        "/v1/principals?limit=1000".to_owned(),
        "/v1/operations?limit=1000".to_owned(),
        "/v1/domains?limit=1000".to_owned(),
        format!("/v1/keys?domain_id={}&limit=1000", w.a.domain_id),
        format!("/v1/keys?owner={}", w.b_principal),
        format!("/v1/keys?id={}", w.b_key.id),
    ] {
        let items = app.get(t, &path).await.items();
        for item in &items {
            if let Some(domain) = item.get("domain_id") {
                assert_eq!(domain, &json!(w.a.domain_id), "{path} leaked {item}");
            }
        }
        let text = Value::Array(items).to_string();
        for id in forbidden {
            assert!(!text.contains(id), "{path} mentions {id}");
        }
    }
}

#[tokio::test]
async fn root_sees_both_domains() {
    let app = spawn_app().await;
    let w = world(&app).await;
    for domain in [&w.a.domain_id, &w.b.domain_id] {
        let keys = app
            .get(&app.root_token, &format!("/v1/keys?domain_id={domain}"))
            .await
            .items();
        assert_eq!(
            keys.len(),
            2,
            "the admin key and one service key in {domain}"
        );
    }
    app.get(&app.root_token, &format!("/v1/keys/{}", w.b_key.id))
        .await
        .expect_status(200);
}

#[tokio::test]
async fn an_admin_cannot_create_in_another_domain() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.post(
        &w.a.token,
        "/v1/keys",
        json!({"owner_id": w.b_principal, "name": "implant"}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    app.post(
        &w.a.token,
        "/v1/principals",
        json!({"kind": "user", "name": "implant", "domain_id": w.b.domain_id}),
    )
    .await
    .expect_error(404, "NOT_FOUND");
    let b_keys = app
        .get(&w.b.token, &format!("/v1/keys?owner={}", w.b_principal))
        .await
        .items();
    assert_eq!(b_keys.len(), 1, "no key was implanted");
    let names: Vec<Value> = app
        .get(&w.b.token, "/v1/principals")
        .await
        .items()
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert!(!names.contains(&json!("implant")));
}

#[tokio::test]
async fn keyward_root_cannot_be_granted_by_a_domain_admin() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let owner = id_of(&app.create_service_account(&w.a.token, "escalate").await);
    app.post(
        &w.a.token,
        "/v1/keys",
        json!({"owner_id": owner, "name": "k", "roles": ["keyward:root"]}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    let key = app.create_named_key(&w.a.token, &owner, "k").await;
    app.patch(
        &w.a.token,
        &format!("/v1/keys/{}", key.id),
        json!({"roles": ["keyward:admin", "keyward:root"]}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
    assert_eq!(app.stored_key(&key.id).await["roles"], json!([]));
    app.patch(
        &w.a.token,
        &format!("/v1/keys/{}", w.a.key_id),
        json!({"roles": ["keyward:root"]}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn not_even_root_grants_keyward_root_outside_the_root_domain() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.post(
        &app.root_token,
        "/v1/keys",
        json!({"owner_id": w.b_principal, "name": "r", "roles": ["keyward:root"]}),
    )
    .await
    .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn a_domain_admin_cannot_list_all_domains_operations() {
    let app = spawn_app().await;
    let w = world(&app).await;
    app.get(&w.a.token, "/v1/operations?all_domains=true")
        .await
        .expect_error(403, "FORBIDDEN");
    let all = app
        .get(
            &app.root_token,
            "/v1/operations?all_domains=true&limit=1000",
        )
        .await
        .items();
    for domain in [&w.a.domain_id, &w.b.domain_id] {
        assert!(all.iter().any(|op| op["domain_id"] == json!(domain)));
    }
}
