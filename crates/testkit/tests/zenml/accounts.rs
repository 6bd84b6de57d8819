//! `/api/v1/service_accounts`: create, list with ZenML's filters, get by name or id, update,
//! delete; what keyward does not keep for an account is refused, not dropped.

use keyward_testkit::app::spawn_app;
use keyward_testkit::fixtures::id_of;
use serde_json::{json, Value};

use super::helpers::{expect_detail, names, Zen};

const ACCOUNTS: &str = "/api/v1/service_accounts";

#[tokio::test]
async fn service_accounts_are_principals_managed_the_zenml_way() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let first = zen.account(&app, "sa-one").await;
    zen.account(&app, "sa-two").await;
    // A user principal of the same domain is no service account.
    app.create_principal(&zen.admin_key, json!({"kind": "user", "name": "alice"}))
        .await;

    let reply = zen
        .post(&app, ACCOUNTS, json!({"name": "sa-one", "active": true}))
        .await;
    expect_detail(&reply, 409, "EntityExistsError");

    let page = zen
        .get(&app, &format!("{ACCOUNTS}?name=startswith:sa-"))
        .await
        .expect_status(200);
    assert_eq!(names(&page), ["sa-one", "sa-two"]);
    assert_eq!(page["total"], 2);
    assert_eq!(
        page["items"][0]["metadata"],
        Value::Null,
        "lists are not hydrated by default"
    );
    // The domain admin's own principal is a service account too.
    let everyone = zen.get(&app, ACCOUNTS).await.expect_status(200);
    assert_eq!(everyone["total"], 3, "{everyone}");
    let by_name = zen
        .get(&app, &format!("{ACCOUNTS}?name=equals:sa-two&hydrate=True"))
        .await
        .expect_status(200);
    assert_eq!(names(&by_name), ["sa-two"]);
    assert_eq!(by_name["items"][0]["metadata"]["description"], "probe SA");
    for query in [
        "active=true",
        "external_user_id=isnull:",
        "sort_by=desc:name&size=1",
    ] {
        let page = zen
            .get(&app, &format!("{ACCOUNTS}?{query}"))
            .await
            .expect_status(200);
        assert!(
            page["total"].as_u64().is_some_and(|t| t >= 1),
            "?{query}: {page}"
        );
    }
    let none = zen
        .get(&app, &format!("{ACCOUNTS}?active=false"))
        .await
        .expect_status(200);
    assert_eq!(none["total"], 0);
    let reply = zen
        .get(&app, &format!("{ACCOUNTS}?sort_by=nonexistent"))
        .await;
    let message = expect_detail(&reply, 422, "ValueError");
    assert!(
        message.starts_with("1 validation error for ServiceAccountFilter"),
        "{message}"
    );

    let got = zen
        .get(&app, &format!("{ACCOUNTS}/sa-one"))
        .await
        .expect_status(200);
    assert_eq!(id_of(&got), first);
    let got = zen
        .get(&app, &format!("{ACCOUNTS}/{first}?hydrate=false"))
        .await
        .expect_status(200);
    assert_eq!(got["metadata"], Value::Null);
    expect_detail(
        &zen.get(&app, &format!("{ACCOUNTS}/alice")).await,
        404,
        "KeyError",
    );
    expect_detail(
        &zen.get(&app, &format!("{ACCOUNTS}/nobody")).await,
        404,
        "KeyError",
    );

    let renamed = zen
        .put(
            &app,
            &format!("{ACCOUNTS}/{first}"),
            json!({"name": "sa-uno", "description": "new"}),
        )
        .await
        .expect_status(200);
    assert_eq!(renamed["name"], "sa-uno");
    assert_eq!(renamed["metadata"]["description"], "new");
    let same = zen
        .put(
            &app,
            &format!("{ACCOUNTS}/sa-uno"),
            json!({"active": true, "full_name": ""}),
        )
        .await
        .expect_status(200);
    assert_eq!(same["name"], "sa-uno");
    let reply = zen
        .put(
            &app,
            &format!("{ACCOUNTS}/sa-uno"),
            json!({"name": "sa-two"}),
        )
        .await;
    expect_detail(&reply, 409, "EntityExistsError");

    // An account with keys is not deleted behind their back.
    zen.key(&app, &first, "k", "").await;
    let reply = zen.delete(&app, &format!("{ACCOUNTS}/{first}")).await;
    expect_detail(&reply, 403, "IllegalOperationError");
    zen.delete(&app, &format!("{}/k", super::helpers::keys_path(&first)))
        .await
        .expect_status(200);
    let reply = zen.delete(&app, &format!("{ACCOUNTS}/sa-uno")).await;
    assert_eq!((reply.status.as_u16(), reply.text.as_str()), (200, "null"));
    expect_detail(
        &zen.get(&app, &format!("{ACCOUNTS}/{first}")).await,
        404,
        "KeyError",
    );
}

#[tokio::test]
async fn what_keyward_does_not_keep_is_refused_not_dropped() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    for body in [
        json!({"name": "x", "active": false}),
        json!({"name": "x", "active": true, "full_name": "Robot X"}),
        json!({"name": "x", "active": true, "avatar_url": "https://example.com/a.png"}),
    ] {
        let reply = zen.post(&app, ACCOUNTS, body.clone()).await;
        expect_detail(&reply, 501, "NotImplementedError");
    }
    // ZenML's defaults are fine.
    zen.post(
        &app,
        ACCOUNTS,
        json!({"name": "x", "active": true, "full_name": "", "avatar_url": null, "description": null}),
    )
    .await
    .expect_status(200);
    let reply = zen
        .put(&app, &format!("{ACCOUNTS}/x"), json!({"active": false}))
        .await;
    expect_detail(&reply, 501, "NotImplementedError");
    let reply = zen.post(&app, ACCOUNTS, json!({"name": "y"})).await;
    assert_eq!(
        reply.status.as_u16(),
        422,
        "`active` is required: {}",
        reply.text
    );
}

#[tokio::test]
async fn a_key_update_that_renames_and_deactivates_is_one_operation() {
    let app = spawn_app().await;
    let zen = Zen::new(&app).await;
    let account = zen.account(&app, "sa-ops").await;
    let created = zen.key(&app, &account, "before", "d").await;
    let key = id_of(&created);
    let updated = zen
        .put(
            &app,
            &super::helpers::key_path(&account, &key),
            json!({"name": "after", "active": false}),
        )
        .await
        .expect_status(200);
    assert_eq!(updated["name"], json!("after"), "{updated}");
    assert_eq!(updated["body"]["active"], json!(false), "{updated}");
    let ops = app
        .get(&zen.admin_key, &format!("/v1/keys/{key}/operations"))
        .await
        .expect_status(200);
    let actions: Vec<&str> = ops["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|op| op["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["key.update", "key.create"], "{ops}");
}
