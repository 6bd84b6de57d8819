//! The change log: one operation per change, with the right action, actor, target, metadata and
//! result, newest first, per key and per domain; bootstrap recorded as the system.

use keyward_testkit::app::{spawn_app, DomainAdmin, TestApp};
use keyward_testkit::fixtures::{id_of, time_of, unique};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

struct History {
    admin: DomainAdmin,
    principal: String,
    key: String,
    secrets: Vec<String>,
    /// `(action, target_id, at)` of each change the admin made, oldest first.
    changes: Vec<(&'static str, String, OffsetDateTime)>,
}

async fn step(app: &TestApp) -> OffsetDateTime {
    app.clock.advance(Duration::seconds(1));
    app.clock.now()
}

/// An admin creates, changes and deletes a principal and a key, one second apart.
async fn history(app: &TestApp, delete: bool) -> History {
    let admin = app.new_domain_admin_full(&unique("ops")).await;
    let t = admin.token.clone();
    let mut changes = Vec::new();
    let mut secrets = Vec::new();

    let at = step(app).await;
    let principal = id_of(&app.create_service_account(&t, "svc").await);
    changes.push(("principal.create", principal.clone(), at));
    let at = step(app).await;
    let created = app.create_named_key(&t, &principal, "k").await;
    secrets.push(created.secret.clone());
    let key = created.id;
    changes.push(("key.create", key.clone(), at));
    let path = format!("/v1/keys/{key}");
    let at = step(app).await;
    app.patch(&t, &path, json!({"name": "renamed"}))
        .await
        .expect_status(200);
    changes.push(("key.update", key.clone(), at));
    let at = step(app).await;
    app.patch(&t, &path, json!({"scopes": ["s"], "description": "d"}))
        .await
        .expect_status(200);
    changes.push(("key.update", key.clone(), at));
    let at = step(app).await;
    app.post_empty(&t, &format!("{path}/disable"))
        .await
        .expect_status(200);
    changes.push(("key.disable", key.clone(), at));
    step(app).await;
    app.post_empty(&t, &format!("{path}/disable"))
        .await
        .expect_status(200); // no change: no record
    let at = step(app).await;
    app.post_empty(&t, &format!("{path}/enable"))
        .await
        .expect_status(200);
    changes.push(("key.enable", key.clone(), at));
    let at = step(app).await;
    let rotated = app
        .post(&t, &format!("{path}/rotate"), json!({"grace_seconds": 60}))
        .await
        .expect_status(200);
    secrets.push(rotated["secret"].as_str().expect("secret").to_owned());
    changes.push(("key.rotate", key.clone(), at));
    if delete {
        let at = step(app).await;
        app.delete(&t, &path).await.expect_status(204);
        changes.push(("key.delete", key.clone(), at));
        let at = step(app).await;
        app.patch(
            &t,
            &format!("/v1/principals/{principal}"),
            json!({"description": "x"}),
        )
        .await
        .expect_status(200);
        changes.push(("principal.update", principal.clone(), at));
        let at = step(app).await;
        app.delete(&t, &format!("/v1/principals/{principal}"))
            .await
            .expect_status(204);
        changes.push(("principal.delete", principal.clone(), at));
    }
    History {
        admin,
        principal,
        key,
        secrets,
        changes,
    }
}

#[tokio::test]
async fn every_change_is_one_operation_newest_first() {
    let app = spawn_app().await;
    let h = history(&app, true).await;
    let ops = app
        .get(&h.admin.token, "/v1/operations?limit=1000")
        .await
        .items();
    // The admin's changes, then root's setup of the domain: admin key, admin principal, domain.
    assert_eq!(ops.len(), h.changes.len() + 3, "{ops:#?}");
    let actor =
        json!({"kind": "key", "key_id": h.admin.key_id, "principal_id": h.admin.principal_id});
    for (op, (action, target, at)) in ops.iter().zip(h.changes.iter().rev()) {
        assert_eq!(op["action"], json!(action), "{op}");
        assert_eq!(op["target_id"], json!(target), "{op}");
        assert_eq!(op["actor"], actor, "{op}");
        assert_eq!(op["domain_id"], json!(h.admin.domain_id));
        assert_eq!(time_of(&op["at"]), *at, "{op}");
        let kind = action.split('.').next().expect("kind");
        assert_eq!(op["target_kind"], json!(kind));
        uuid::Uuid::parse_str(&id_of(op)).expect("a UUID id");
    }
    let setup: Vec<&Value> = ops[h.changes.len()..]
        .iter()
        .map(|op| &op["action"])
        .collect();
    assert_eq!(
        setup,
        [
            &json!("key.create"),
            &json!("principal.create"),
            &json!("domain.create")
        ]
    );
    for op in &ops[h.changes.len()..] {
        assert_eq!(op["actor"]["kind"], json!("key"), "root made the domain");
        assert_ne!(op["actor"]["key_id"], json!(h.admin.key_id));
    }
    let text = Value::Array(ops).to_string();
    for secret in &h.secrets {
        assert!(!text.contains(&secret[3..]), "an operation leaked a secret");
    }
}

#[tokio::test]
async fn metadata_says_what_was_asked_and_result_what_came_of_it() {
    let app = spawn_app().await;
    let h = history(&app, true).await;
    let ops = app
        .get(&h.admin.token, "/v1/operations?limit=1000")
        .await
        .items();
    let find = |action: &str| -> Vec<&Value> {
        ops.iter()
            .filter(|o| o["action"] == json!(action))
            .collect()
    };
    let updates = find("key.update");
    assert_eq!(
        updates[0]["metadata"],
        json!({"changed": ["description", "scopes"]})
    );
    assert_eq!(updates[1]["metadata"], json!({"changed": ["name"]}));
    assert_eq!(updates[1]["result"]["name"], json!("renamed"));
    assert_eq!(updates[0]["result"]["scopes"], json!(["s"]));
    assert_eq!(
        find("key.rotate")[0]["metadata"],
        json!({"grace_seconds": 60})
    );
    assert_eq!(find("key.disable")[0]["result"]["state"], json!("disabled"));
    assert_eq!(find("key.enable")[0]["result"]["state"], json!("enabled"));
    assert_eq!(find("key.create")[0]["result"]["name"], json!("k"));
    let deleted = find("key.delete")[0];
    assert_eq!(
        deleted["result"]["name"],
        json!("renamed"),
        "a delete records the state before"
    );
    assert_eq!(
        find("principal.update")[0]["metadata"],
        json!({"changed": ["description"]})
    );
    assert_eq!(find("principal.delete")[0]["result"]["name"], json!("svc"));
    assert_eq!(
        find("principal.delete")[0]["result"]["description"],
        json!("x")
    );
}

#[tokio::test]
async fn operation_results_use_the_objects_wire_format() {
    let app = spawn_app().await;
    let h = history(&app, false).await;
    let key = app
        .get(&h.admin.token, &format!("/v1/keys/{}", h.key))
        .await
        .expect_status(200);
    let ops = app
        .get(&h.admin.token, &format!("/v1/keys/{}/operations", h.key))
        .await
        .items();
    let result = &ops[0]["result"];
    for time_field in ["created_at", "updated_at", "last_rotated_at"] {
        assert!(
            result[time_field].is_string(),
            "times in an operation's result are RFC 3339 like everywhere else: {time_field} = {}",
            result[time_field]
        );
        assert_eq!(
            time_of(&result[time_field]),
            time_of(&key[time_field]),
            "{time_field}"
        );
    }
    // Rendered by the same view as `GET /v1/keys/{id}`: every field, and no other, alike (the
    // last use is written after the change, so only it may differ).
    let (result, key) = (
        result.as_object().expect("object"),
        key.as_object().expect("object"),
    );
    assert_eq!(
        result.keys().collect::<Vec<_>>(),
        key.keys().collect::<Vec<_>>(),
        "an operation's result has exactly the Key object's fields"
    );
    for (field, value) in key {
        if field != "last_used_at" {
            assert_eq!(
                &result[field], value,
                "result.{field} matches the Key object"
            );
        }
    }
}

#[tokio::test]
async fn a_keys_operations_are_its_own_newest_first() {
    let app = spawn_app().await;
    let h = history(&app, false).await;
    let other = app
        .create_named_key(&h.admin.token, &h.principal, "other")
        .await;
    let ops = app
        .get(&h.admin.token, &format!("/v1/keys/{}/operations", h.key))
        .await
        .items();
    let actions: Vec<&str> = ops
        .iter()
        .map(|o| o["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "key.rotate",
            "key.enable",
            "key.disable",
            "key.update",
            "key.update",
            "key.create"
        ]
    );
    assert!(ops.iter().all(|o| o["target_id"] == json!(h.key)));
    let others = app
        .get(&h.admin.token, &format!("/v1/keys/{}/operations", other.id))
        .await
        .items();
    assert_eq!(others.len(), 1);
    assert_eq!(others[0]["action"], json!("key.create"));

    let walked = app
        .walk_pages(
            &h.admin.token,
            &format!("/v1/keys/{}/operations?limit=2", h.key),
        )
        .await;
    assert_eq!(
        walked, ops,
        "paging the per-key log visits every operation once"
    );
}

#[tokio::test]
async fn operations_filter_by_action_and_target() {
    let app = spawn_app().await;
    let h = history(&app, true).await;
    let t = &h.admin.token;
    let updates = app.get(t, "/v1/operations?action=key.update").await.items();
    assert_eq!(updates.len(), 2);
    assert!(updates.iter().all(|o| o["action"] == json!("key.update")));
    let on_principal = app
        .get(t, &format!("/v1/operations?target_id={}", h.principal))
        .await
        .items();
    let actions: Vec<&Value> = on_principal.iter().map(|o| &o["action"]).collect();
    assert_eq!(
        actions,
        [
            &json!("principal.delete"),
            &json!("principal.update"),
            &json!("principal.create")
        ]
    );
    let both = app
        .get(
            t,
            &format!("/v1/operations?target_id={}&action=key.delete", h.key),
        )
        .await
        .items();
    assert_eq!(both.len(), 1);
    assert!(app
        .get(t, "/v1/operations?action=key.nothing")
        .await
        .items()
        .is_empty());
}

#[tokio::test]
async fn one_operation_reads_back_by_id() {
    let app = spawn_app().await;
    let h = history(&app, false).await;
    let ops = app.get(&h.admin.token, "/v1/operations").await.items();
    for op in ops.iter().take(3) {
        let one = app
            .get(&h.admin.token, &format!("/v1/operations/{}", id_of(op)))
            .await
            .expect_status(200);
        assert_eq!(&one, op);
    }
    app.get(
        &h.admin.token,
        &format!("/v1/operations/{}", uuid::Uuid::now_v7()),
    )
    .await
    .expect_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn operation_pages_visit_every_operation_once() {
    let app = spawn_app().await;
    let h = history(&app, true).await;
    let all = app
        .get(&h.admin.token, "/v1/operations?limit=1000")
        .await
        .items();
    for limit in [1, 2, 3, 7] {
        let walked = app
            .walk_pages(&h.admin.token, &format!("/v1/operations?limit={limit}"))
            .await;
        assert_eq!(walked, all, "limit {limit}");
    }
}

#[tokio::test]
async fn bootstrap_is_recorded_as_the_system() {
    let app = spawn_app().await;
    let ops = app.get(&app.root_token, "/v1/operations").await.items();
    let actions: Vec<&Value> = ops.iter().map(|o| &o["action"]).collect();
    assert_eq!(
        actions,
        [
            &json!("key.create"),
            &json!("principal.create"),
            &json!("domain.create")
        ]
    );
    for op in &ops {
        assert_eq!(op["actor"], json!({"kind": "system"}));
        assert_eq!(op["metadata"], json!({"bootstrap": true}));
    }
    let root_domain = app.root_domain_id().await;
    assert_eq!(ops[2]["target_id"], json!(root_domain));
}

#[tokio::test]
async fn root_sees_every_domains_operations_when_it_asks() {
    let app = spawn_app().await;
    let a = history(&app, false).await;
    let b = history(&app, false).await;
    let all = app
        .walk_pages(&app.root_token, "/v1/operations?all_domains=true&limit=5")
        .await;
    let count = |domain: &str| {
        all.iter()
            .filter(|o| o["domain_id"] == json!(domain))
            .count()
    };
    assert_eq!(count(&a.admin.domain_id), a.changes.len() + 3);
    assert_eq!(count(&b.admin.domain_id), b.changes.len() + 3);
    let ids: Vec<String> = all.iter().map(id_of).collect();
    let mut newest_first = ids.clone();
    newest_first.sort_by(|x, y| y.cmp(x));
    assert_eq!(
        ids, newest_first,
        "newest first across domains (ids are time-ordered)"
    );
    let only_a = app
        .get(
            &app.root_token,
            &format!("/v1/operations?domain_id={}&limit=1000", a.admin.domain_id),
        )
        .await
        .items();
    assert_eq!(only_a.len(), a.changes.len() + 3);
}

#[tokio::test]
async fn domain_changes_are_recorded_and_outlive_the_domain() {
    let app = spawn_app().await;
    let domain = id_of(&app.create_domain(&unique("short-lived")).await);
    let path = format!("/v1/domains/{domain}");
    app.patch(&app.root_token, &path, json!({"description": "soon gone"}))
        .await
        .expect_status(200);
    app.delete(&app.root_token, &path).await.expect_status(204);
    let ops = app
        .get(
            &app.root_token,
            &format!("/v1/operations?domain_id={domain}"),
        )
        .await
        .items();
    let actions: Vec<&Value> = ops.iter().map(|o| &o["action"]).collect();
    assert_eq!(
        actions,
        [
            &json!("domain.delete"),
            &json!("domain.update"),
            &json!("domain.create")
        ]
    );
    assert!(ops.iter().all(|o| o["target_id"] == json!(domain)));
    assert_eq!(ops[1]["metadata"], json!({"changed": ["description"]}));
    assert_eq!(ops[0]["result"]["description"], json!("soon gone"));
    assert!(ops.iter().all(|o| o["actor"]["kind"] == json!("key")));
}
