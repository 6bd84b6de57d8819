//! Sorts, cursor pages, and the list queries that are refused.

use std::collections::BTreeSet;

use keyward_testkit::app::{spawn_app, TestApp};
use keyward_testkit::fixtures::{id_of, time_of, unique};
use serde_json::{json, Value};
use time::Duration;

use super::{fixture, set, Fixture};

async fn ordered(app: &TestApp, f: &Fixture, sort: &str) -> Vec<String> {
    app.get(
        &app.root_token,
        &format!("/v1/keys?domain_id={}&limit=1000&sort={sort}", f.domain),
    )
    .await
    .items()
    .iter()
    .map(|k| k["name"].as_str().expect("name").to_owned())
    .collect()
}

#[tokio::test]
async fn key_sorts() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let by_time = [
        "ci-alpha",
        "ci-beta",
        "deploy:prod",
        "Deploy-staging",
        "a:b",
    ];
    let default: Vec<String> = app
        .get(&app.root_token, &format!("/v1/keys?domain_id={}", f.domain))
        .await
        .items()
        .iter()
        .map(|k| k["name"].as_str().expect("name").to_owned())
        .collect();
    let newest_first: Vec<&str> = by_time.iter().rev().copied().collect();
    assert_eq!(default, newest_first, "default is -created_at");
    assert_eq!(ordered(&app, &f, "-created_at").await, newest_first);
    assert_eq!(ordered(&app, &f, "created_at").await, by_time);
    let by_name = [
        "Deploy-staging",
        "a:b",
        "ci-alpha",
        "ci-beta",
        "deploy:prod",
    ];
    assert_eq!(
        ordered(&app, &f, "name").await,
        by_name,
        "case-sensitive byte order"
    );
    let by_name_desc: Vec<&str> = by_name.iter().rev().copied().collect();
    assert_eq!(ordered(&app, &f, "-name").await, by_name_desc);

    let by_expiry = ordered(&app, &f, "expires_at").await;
    assert_eq!(
        by_expiry[..3].iter().cloned().collect::<BTreeSet<_>>(),
        set(&["ci-beta", "deploy:prod", "a:b"]),
        "nulls sort first ascending: {by_expiry:?}"
    );
    assert_eq!(by_expiry[3..], ["Deploy-staging", "ci-alpha"]);
    let by_expiry_desc = ordered(&app, &f, "-expires_at").await;
    assert_eq!(
        by_expiry_desc[..2],
        ["ci-alpha", "Deploy-staging"],
        "nulls last descending"
    );
    assert_eq!(ordered(&app, &f, "-last_rotated_at").await[0], "a:b");
}

#[tokio::test]
async fn cursor_pages_visit_every_key_once_in_every_sort() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    // Twelve more keys created at the same instant: ties the cursor must break by id.
    for i in 0..12 {
        app.create_named_key(&app.root_token, &f.p1, &format!("bulk-{i:02}"))
            .await;
    }
    for sort in [
        "-created_at",
        "created_at",
        "name",
        "-name",
        "expires_at",
        "-expires_at",
        "type",
        "-type",
        "state",
        "owner",
        "-owner",
        "id",
        "-id",
        "updated_at",
        "last_rotated_at",
        "-last_rotated_at",
        "last_used_at",
    ] {
        let base = format!("/v1/keys?domain_id={}&sort={sort}", f.domain);
        let one_page = app
            .get(&app.root_token, &format!("{base}&limit=1000"))
            .await
            .items();
        assert_eq!(one_page.len(), 17, "{sort}");
        for limit in [1, 2, 5, 16, 17] {
            let walked = app
                .walk_pages(&app.root_token, &format!("{base}&limit={limit}"))
                .await;
            let ids = |items: &[Value]| items.iter().map(id_of).collect::<Vec<_>>();
            assert_eq!(ids(&walked), ids(&one_page), "sort {sort}, limit {limit}");
        }
    }
}

#[tokio::test]
async fn a_full_last_page_says_there_is_no_next_one() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let page = app
        .get(
            &app.root_token,
            &format!("/v1/keys?domain_id={}&limit=5", f.domain),
        )
        .await
        .expect_status(200);
    assert_eq!(page["items"].as_array().expect("items").len(), 5);
    assert_eq!(page["next_cursor"], Value::Null);
    let page = app
        .get(
            &app.root_token,
            &format!("/v1/keys?domain_id={}&limit=4", f.domain),
        )
        .await
        .expect_status(200);
    assert!(page["next_cursor"].is_string());
}

#[tokio::test]
async fn principal_pages_visit_every_principal_once() {
    let app = spawn_app().await;
    let (domain, token) = app.new_domain_admin(&unique("d")).await;
    for i in 0..9 {
        if i % 3 == 0 {
            app.clock.advance(Duration::seconds(1));
        }
        app.create_service_account(&token, &format!("p-{i}")).await;
    }
    for sort in [
        "created_at",
        "-created_at",
        "name",
        "-name",
        "id",
        "updated_at",
    ] {
        let base = format!("/v1/principals?sort={sort}");
        let one_page = app.get(&token, &format!("{base}&limit=1000")).await.items();
        assert_eq!(one_page.len(), 10, "nine and the admin's principal");
        let walked = app.walk_pages(&token, &format!("{base}&limit=3")).await;
        assert_eq!(walked, one_page, "sort {sort}");
        assert!(walked.iter().all(|p| p["domain_id"] == json!(domain)));
    }
    let default = app.get(&token, "/v1/principals?limit=1000").await.items();
    let created: Vec<_> = default.iter().map(|p| p["created_at"].clone()).collect();
    let mut sorted = created.clone();
    sorted.sort_by_key(time_of);
    assert_eq!(
        created, sorted,
        "principals default to created_at ascending"
    );
}

#[tokio::test]
async fn bad_list_queries_are_400_invalid_query() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let name_cursor = app
        .get(
            &app.root_token,
            &format!("/v1/keys?domain_id={}&sort=name&limit=1", f.domain),
        )
        .await
        .expect_status(200)["next_cursor"]
        .as_str()
        .expect("a cursor")
        .to_owned();
    for query in [
        "limit=0".to_owned(),
        "limit=1001".to_owned(),
        "limit=ten".to_owned(),
        "limit=-1".to_owned(),
        "bogus=1".to_owned(),
        "password=x".to_owned(),
        "state=contains:en".to_owned(),
        "state=paused".to_owned(),
        "type=gt:user".to_owned(),
        "created_at=gte:yesterday".to_owned(),
        "created_at=is_null:".to_owned(),
        "role=starts_with:r".to_owned(),
        "owner=not-a-uuid".to_owned(),
        "id=in:".to_owned(),
        "sort=secret".to_owned(),
        "sort=scope".to_owned(),
        "sort=--name".to_owned(),
        "cursor=garbage".to_owned(),
        format!("cursor={name_cursor}&sort=-created_at"),
    ] {
        let reply = app
            .get(
                &app.root_token,
                &format!("/v1/keys?domain_id={}&{query}", f.domain),
            )
            .await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.text);
        reply.expect_error(400, "INVALID_QUERY");
    }
    for query in ["domain_id=not-a-uuid", "domain_id="] {
        let reply = app.get(&app.root_token, &format!("/v1/keys?{query}")).await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.text);
        reply.expect_error(400, "INVALID_QUERY");
    }
    for query in [
        "external=maybe",
        "kind=robot",
        "sort=kind",
        "bogus=1",
        "limit=0",
    ] {
        let reply = app
            .get(&app.root_token, &format!("/v1/principals?{query}"))
            .await;
        assert_eq!(reply.status, 400, "{query}: {}", reply.text);
        reply.expect_error(400, "INVALID_QUERY");
    }
    for path in [
        "/v1/operations?bogus=1",
        "/v1/operations?limit=0",
        "/v1/domains?limit=0",
        "/v1/domains?name=x",
    ] {
        app.get(&app.root_token, path)
            .await
            .expect_error(400, "INVALID_QUERY");
    }
}

#[tokio::test]
async fn the_default_page_is_fifty() {
    let app = spawn_app().await;
    let (_, token) = app.new_domain_admin(&unique("d")).await;
    for i in 0..55 {
        app.create_service_account(&token, &format!("p-{i:02}"))
            .await;
    }
    let page = app.get(&token, "/v1/principals").await.expect_status(200);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(50));
    let next = page["next_cursor"].as_str().expect("a next page");
    let rest = app
        .get(&token, &format!("/v1/principals?cursor={next}"))
        .await
        .expect_status(200);
    assert_eq!(
        rest["items"].as_array().map(Vec::len),
        Some(6),
        "55 and the admin's own principal"
    );
    assert_eq!(rest["next_cursor"], Value::Null);
    let max = app.get(&token, "/v1/principals?limit=1000").await.items();
    assert_eq!(max.len(), 56);
}
