//! ZenML's `op:value` filters, every operator on every type of field, `logical_operator`,
//! repeated fields, and the 422 `ValueError` for what the filter model refuses.

use keyward_testkit::app::spawn_app;

use super::fixture::{at, keys, Keys, NAMES};
use super::helpers::expect_detail;

/// Asserts that each `(query, expected names in created order)` holds.
async fn check(app: &keyward_testkit::app::TestApp, keys: &Keys, cases: &[(String, &[&str])]) {
    for (query, expected) in cases {
        assert_eq!(
            keys.matching(app, query).await,
            expected.to_vec(),
            "for ?{query}"
        );
    }
}

fn q(text: &str) -> String {
    text.to_owned()
}

#[tokio::test]
async fn every_operator_on_every_type_runs_in_the_store() {
    let app = spawn_app().await;
    let keys = keys(&app).await;
    let all: &[&str] = &NAMES;
    let alpha = keys.id("alpha").to_owned();
    let alpha_hex = alpha.replace('-', "");
    let beta = keys.id("beta").to_owned();

    // Text.
    check(
        &app,
        &keys,
        &[
            (q("name=alpha"), &["alpha"]),
            (q("name=equals:alpha"), &["alpha"]),
            (q("name=notequals:alpha"), &["beta", "gamma", "delta_50%"]),
            (q("name=contains:l"), &["alpha", "delta_50%"]),
            (q("name=notcontains:l"), &["beta", "gamma"]),
            (q("name=startswith:g"), &["gamma"]),
            (q("name=endswith:a"), &["alpha", "beta", "gamma"]),
            (q("name=oneof:%5B%22alpha%22%2C%22nope%22%5D"), &["alpha"]),
            (
                q("name=notoneof:[\"alpha\",\"beta\"]"),
                &["gamma", "delta_50%"],
            ),
            (q("name=oneof:[]"), &[]),
            (q("name=notoneof:[]"), all),
            (q("name=isnull:"), &[]),
            (q("name=isnotnull:"), all),
            (q("name=gt:c"), &["gamma", "delta_50%"]),
            (q("name=gte:gamma"), &["gamma"]),
            (q("name=lt:b"), &["alpha"]),
            (q("name=lte:beta"), &["alpha", "beta"]),
            // `%` and `_` are literal, and matching is case-sensitive.
            (q("name=contains:50%25"), &["delta_50%"]),
            (q("name=contains:_"), &["delta_50%"]),
            (q("name=contains:ALPHA"), &[]),
            // A prefix that is no operator is part of the value.
            (q("name=regex:a"), &[]),
            (q("description=contains:key"), &["alpha", "beta"]),
            (q("description=first%20key"), &["alpha"]),
            (q("description="), &["gamma"]),
            (q("description=isnull:"), &[]),
        ],
    )
    .await;

    // UUID: hyphens optional, equality with a non-UUID is simply false, prefixes by hex digits.
    let mut by_id: Vec<&str> = keys.ids.iter().map(String::as_str).collect();
    by_id.sort();
    let from_beta: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| keys.id(n) >= beta.as_str())
        .collect();
    let before_beta: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| keys.id(n) < beta.as_str())
        .collect();
    check(
        &app,
        &keys,
        &[
            (format!("id={alpha}"), &["alpha"]),
            (format!("id=equals:{alpha_hex}"), &["alpha"]),
            (
                format!("id=notequals:{alpha}"),
                &["beta", "gamma", "delta_50%"],
            ),
            (q("id=equals:not-a-uuid"), &[]),
            (q("id=notequals:not-a-uuid"), all),
            (format!("id=startswith:{}", &alpha[..28]), &["alpha"]),
            (
                format!("id=startswith:{}", &alpha_hex[..24].to_uppercase()),
                &["alpha"],
            ),
            (q("id=startswith:"), all),
            (q("id=startswith:zz"), &[]),
            (format!("id=oneof:[\"{alpha}\",\"junk\"]"), &["alpha"]),
            (
                format!("id=notoneof:[\"{alpha}\"]"),
                &["beta", "gamma", "delta_50%"],
            ),
            (q("id=isnull:"), &[]),
            (q("id=isnotnull:"), all),
            (format!("id=gte:{beta}"), &from_beta),
            (format!("id=lt:{beta}"), &before_beta),
        ],
    )
    .await;

    // Datetimes: ZenML's format, ISO, ranges, nullable and not.
    check(
        &app,
        &keys,
        &[
            (
                format!("created=gte:{}", at(2)),
                &["beta", "gamma", "delta_50%"],
            ),
            (format!("created=gt:{}", at(2)), &["gamma", "delta_50%"]),
            (format!("created=lt:{}", at(2)), &["alpha"]),
            (format!("created=lte:{}", at(2)), &["alpha", "beta"]),
            (format!("created=equals:{}", at(3)), &["gamma"]),
            (
                format!("created=notequals:{}", at(3)),
                &["alpha", "beta", "delta_50%"],
            ),
            (q("created=2030-01-01T00:03:00"), &["gamma"]),
            (
                format!("created=in:{},{}", at(2), at(3)),
                &["beta", "gamma"],
            ),
            (q("created=isnull:"), &[]),
            (q("created=isnotnull:"), all),
            (format!("updated=gte:{}", at(5)), &["beta", "gamma"]),
            (q("last_rotated=isnotnull:"), &["gamma"]),
            (q("last_rotated=isnull:"), &["alpha", "beta", "delta_50%"]),
            (format!("last_rotated=gte:{}", at(6)), &["gamma"]),
            (format!("last_login=gte:{}", at(7)), &["alpha"]),
            (q("last_login=isnull:"), &["beta", "gamma", "delta_50%"]),
            (
                format!("last_login=notequals:{}", at(7)),
                &["beta", "gamma", "delta_50%"],
            ),
        ],
    )
    .await;

    // Booleans.
    check(
        &app,
        &keys,
        &[
            (q("active=true"), &["alpha", "gamma", "delta_50%"]),
            (q("active=false"), &["beta"]),
            (q("active=equals:False"), &["beta"]),
            (q("active=notequals:true"), &["beta"]),
            (q("active=1"), &["alpha", "gamma", "delta_50%"]),
            (q("active=isnull:"), &[]),
            (q("active=isnotnull:"), all),
        ],
    )
    .await;
}

#[tokio::test]
async fn filters_combine_with_and_by_default_or_on_request() {
    let app = spawn_app().await;
    let keys = keys(&app).await;
    check(
        &app,
        &keys,
        &[
            (q("name=endswith:a&active=false"), &["beta"]),
            (
                q("name=contains:a&name=contains:l"),
                &["alpha", "delta_50%"],
            ),
            (
                q("name=startswith:g&description=contains:first&logical_operator=or"),
                &["alpha", "gamma"],
            ),
            (
                q("name=contains:a&name=contains:l&logical_operator=or"),
                &NAMES,
            ),
            (q("name=isnotnull:&name=alpha&logical_operator=or"), &NAMES),
            (q("name=isnull:&name=alpha&logical_operator=or"), &["alpha"]),
            (q("logical_operator=or"), &NAMES),
            // `active` takes one value: the last one counts, as with FastAPI.
            (q("active=true&active=false"), &["beta"]),
            // Parameters the filter model does not know are ignored, like FastAPI does.
            (q("colour=blue&service_account=anything"), &NAMES),
        ],
    )
    .await;
}

#[tokio::test]
async fn what_the_filter_model_refuses_is_a_422_value_error() {
    let app = spawn_app().await;
    let keys = keys(&app).await;
    for query in [
        "active=startswith:t",
        "active=maybe",
        "created=oneof:[\"x\"]",
        "created=contains:2030",
        "created=gte:yesterday",
        "created=in:2030-01-01 00:02:00",
        "created=equals:2030-01-01 00:02:00,2030-01-01 00:03:00",
        "name=isnull:x",
        "name=oneof:notjson",
        "name=oneof:{\"a\":1}",
        "id=contains:abc",
        "id=endswith:abc",
        "id=gt:abc",
        "logical_operator=xor",
        "page=0",
        "page=x",
        "size=0",
        "size=10001",
        "size=-5",
        "sort_by=desc:nonexistent",
        "sort_by=page",
        "sort_by=service_account",
    ] {
        let reply = keys.list(&app, query).await;
        let message = expect_detail(&reply, 422, "ValueError");
        assert!(
            message.starts_with("1 validation error for APIKeyFilter\n"),
            "?{query}: {message}"
        );
    }
    let reply = keys.list(&app, "sort_by=desc%3Anonexistent").await;
    let message = expect_detail(&reply, 422, "ValueError");
    assert!(
        message.starts_with(
            "1 validation error for APIKeyFilter\nsort_by\n  Value error, You can only sort by \
             valid fields of this resource [type=value_error, input_value='desc:nonexistent'"
        ),
        "{message}"
    );
    // Too many filters or values: refused, never a 500.
    let many = vec!["name=contains:a"; 65].join("&");
    expect_detail(&keys.list(&app, &many).await, 422, "ValueError");
    let values: Vec<String> = (0..1001).map(|i| format!("\"n{i}\"")).collect();
    let long_list = format!("name=oneof:[{}]", values.join(","));
    expect_detail(&keys.list(&app, &long_list).await, 422, "ValueError");
    let long_value = format!("name=contains:{}", "x".repeat(2000));
    expect_detail(&keys.list(&app, &long_value).await, 422, "ValueError");
    let params = vec!["x=1"; 300].join("&");
    expect_detail(&keys.list(&app, &params).await, 422, "ValueError");
}
