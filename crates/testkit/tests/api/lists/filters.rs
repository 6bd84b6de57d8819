//! Every operator kind on every field kind, for keys and principals.

use std::collections::BTreeSet;

use keyward_testkit::app::spawn_app;
use serde_json::json;
use time::Duration;

use super::{all_but, enc, fixture, key_names, set};

#[tokio::test]
async fn key_filters_text_operators() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    for (query, expected) in [
        ("", all_but(&[])),
        ("name=ci-alpha", set(&["ci-alpha"])),
        ("name=eq:ci-alpha", set(&["ci-alpha"])),
        ("name=eq:a:b", set(&["a:b"])),
        ("name=a:b", set(&["a:b"])),
        ("name=ne:ci-alpha", all_but(&["ci-alpha"])),
        (
            "name=contains:eploy",
            set(&["deploy:prod", "Deploy-staging"]),
        ),
        ("name=contains:Deploy", set(&["Deploy-staging"])),
        ("name=not_contains:ci", all_but(&["ci-alpha", "ci-beta"])),
        ("name=starts_with:ci-", set(&["ci-alpha", "ci-beta"])),
        ("name=starts_with:CI-", set(&[])),
        ("name=ends_with:prod", set(&["deploy:prod"])),
        ("name=in:ci-alpha,a:b", set(&["ci-alpha", "a:b"])),
        (
            "name=not_in:ci-alpha,ci-beta",
            all_but(&["ci-alpha", "ci-beta"]),
        ),
        ("description=Production", set(&["deploy:prod"])),
        ("description=contains:rod", set(&["deploy:prod"])),
        ("description=", all_but(&["deploy:prod"])),
        ("name=contains:%25", set(&[])),
        ("name=contains:_", set(&[])),
    ] {
        assert_eq!(key_names(&app, &f, query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn key_filters_enum_id_and_token_set_operators() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let alpha = f.id("ci-alpha").to_owned();
    let beta = f.id("ci-beta").to_owned();
    for (query, expected) in [
        ("state=disabled".to_owned(), set(&["ci-beta"])),
        ("state=ne:disabled".to_owned(), all_but(&["ci-beta"])),
        ("state=in:enabled,disabled".to_owned(), all_but(&[])),
        (
            "type=in:user,system".to_owned(),
            set(&["ci-alpha", "ci-beta", "a:b"]),
        ),
        (
            "type=not_in:user".to_owned(),
            set(&["ci-beta", "deploy:prod", "Deploy-staging"]),
        ),
        ("type=domain".to_owned(), set(&["Deploy-staging"])),
        ("role=reader".to_owned(), set(&["ci-alpha", "ci-beta"])),
        (
            "role=ne:reader".to_owned(),
            set(&["deploy:prod", "Deploy-staging", "a:b"]),
        ),
        (
            "role=in:writer,reader".to_owned(),
            set(&["ci-alpha", "ci-beta", "Deploy-staging"]),
        ),
        (
            "role=not_in:writer,reader".to_owned(),
            set(&["deploy:prod", "a:b"]),
        ),
        ("role=read".to_owned(), set(&[])),
        ("scope=a".to_owned(), set(&["ci-alpha"])),
        ("scope=ne:a".to_owned(), all_but(&["ci-alpha"])),
        ("scope=in:a,b".to_owned(), set(&["ci-alpha", "ci-beta"])),
        (format!("owner={}", f.p1), set(&["ci-alpha", "ci-beta"])),
        (
            format!("owner=ne:{}", f.p1),
            set(&["deploy:prod", "Deploy-staging", "a:b"]),
        ),
        (format!("owner=in:{},{}", f.p1, f.p2), all_but(&[])),
        (format!("id={alpha}"), set(&["ci-alpha"])),
        (
            format!("id=in:{alpha},{beta}"),
            set(&["ci-alpha", "ci-beta"]),
        ),
        (
            format!("id=not_in:{alpha},{beta}"),
            all_but(&["ci-alpha", "ci-beta"]),
        ),
    ] {
        assert_eq!(key_names(&app, &f, &query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn key_filters_time_and_null_operators() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let t2 = enc(f.times[2]);
    let soon = enc(f.times[0] + Duration::days(2));
    for (query, expected) in [
        (format!("created_at={t2}"), set(&["deploy:prod"])),
        (format!("created_at=eq:{t2}"), set(&["deploy:prod"])),
        (format!("created_at=ne:{t2}"), all_but(&["deploy:prod"])),
        (format!("created_at=lt:{t2}"), set(&["ci-alpha", "ci-beta"])),
        (
            format!("created_at=lte:{t2}"),
            set(&["ci-alpha", "ci-beta", "deploy:prod"]),
        ),
        (
            format!("created_at=gt:{t2}"),
            set(&["Deploy-staging", "a:b"]),
        ),
        (
            format!("created_at=gte:{t2}"),
            set(&["deploy:prod", "Deploy-staging", "a:b"]),
        ),
        (
            format!("updated_at=gte:{}", enc(f.rotated_at)),
            set(&["a:b"]),
        ),
        (
            "expires_at=is_null:".to_owned(),
            set(&["ci-beta", "deploy:prod", "a:b"]),
        ),
        (
            "expires_at=is_null:ignored".to_owned(),
            set(&["ci-beta", "deploy:prod", "a:b"]),
        ),
        (
            "expires_at=is_not_null:".to_owned(),
            set(&["ci-alpha", "Deploy-staging"]),
        ),
        (format!("expires_at=lt:{soon}"), set(&["Deploy-staging"])),
        (format!("expires_at=gt:{soon}"), set(&["ci-alpha"])),
        ("last_rotated_at=is_not_null:".to_owned(), set(&["a:b"])),
        (
            format!("last_rotated_at={}", enc(f.rotated_at)),
            set(&["a:b"]),
        ),
        ("last_used_at=is_null:".to_owned(), all_but(&[])),
        (
            "name=starts_with:ci-&state=enabled".to_owned(),
            set(&["ci-alpha"]),
        ),
        ("role=writer&role=reader".to_owned(), set(&["ci-beta"])),
        (
            format!("created_at=gte:{t2}&created_at=lt:{}", enc(f.times[4])),
            set(&["deploy:prod", "Deploy-staging"]),
        ),
        (
            "name=starts_with:ci-&name=ends_with:prod".to_owned(),
            set(&[]),
        ),
    ] {
        assert_eq!(key_names(&app, &f, &query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn principal_filters() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    app.create_principal(
        &app.root_token,
        json!({"kind": "user", "name": "ext", "external": true, "description": "from LDAP", "domain_id": f.domain}),
    )
    .await;
    let names = |query: String| {
        let app = &app;
        let path = format!("/v1/principals?domain_id={}&limit=1000&{query}", f.domain);
        async move {
            app.get(&app.root_token, &path)
                .await
                .items()
                .iter()
                .map(|p| p["name"].as_str().expect("name").to_owned())
                .collect::<BTreeSet<String>>()
        }
    };
    for (query, expected) in [
        (String::new(), set(&["svc-one", "Alice", "ext"])),
        ("kind=user".to_owned(), set(&["Alice", "ext"])),
        ("kind=ne:user".to_owned(), set(&["svc-one"])),
        ("kind=in:service_account".to_owned(), set(&["svc-one"])),
        ("external=true".to_owned(), set(&["ext"])),
        ("external=false".to_owned(), set(&["svc-one", "Alice"])),
        ("external=ne:true".to_owned(), set(&["svc-one", "Alice"])),
        ("name=starts_with:svc".to_owned(), set(&["svc-one"])),
        ("name=alice".to_owned(), set(&[])),
        ("description=contains:LDAP".to_owned(), set(&["ext"])),
        (format!("id={}", f.p2), set(&["Alice"])),
        (format!("id=not_in:{},{}", f.p1, f.p2), set(&["ext"])),
        (
            format!("created_at=lte:{}", enc(app.clock.now())),
            set(&["svc-one", "Alice", "ext"]),
        ),
        ("kind=user&external=false".to_owned(), set(&["Alice"])),
    ] {
        assert_eq!(names(query.clone()).await, expected, "{query}");
    }
}
