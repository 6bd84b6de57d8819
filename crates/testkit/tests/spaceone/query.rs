//! `list` with a full `Query`: every operator, filter (AND) and filter_or (OR), the request's
//! own fields, sort, 1-based paging and its edges, only/minimal/count_only, keyword, and hostile
//! filters answered with an error in bounded time.

use std::collections::BTreeSet;

use keyward_compat::spaceone::proto::core::{Page, Query, Sort};
use keyward_compat::spaceone::proto::identity::{
    api_key_query, create_api_key_request::ApiKeyType, ApiKeyInfo, ApiKeyQuery, ApiKeyRequest,
};
use keyward_testkit::app::TestApp;
use tonic::Code;

use crate::support::{assert_status, b, f, l, s, setup, Spaceone};

/// Seeded keys: alice has a user and a system key, bob a delegation key (disabled) and a domain
/// key. Returns the ids in creation order and the two user ids.
struct Seed {
    ids: Vec<String>,
    alice: String,
    bob: String,
}

async fn seed(so: &Spaceone) -> Seed {
    let alice = so.user().await;
    let bob = so.user().await;
    let mut ids = Vec::new();
    for (user, kind) in [
        (&alice, ApiKeyType::User),
        (&alice, ApiKeyType::System),
        (&bob, ApiKeyType::Delegation),
        (&bob, ApiKeyType::Domain),
    ] {
        advance(&so.app);
        ids.push(so.create(user, kind).await.api_key_id);
    }
    let disable = ApiKeyRequest {
        api_key_id: ids[2].clone(),
        domain_id: so.admin.domain_id.clone(),
    };
    so.client()
        .disable(so.admin(disable))
        .await
        .expect("disable");
    Seed { ids, alice, bob }
}

fn advance(app: &TestApp) {
    app.clock.advance(time::Duration::seconds(10));
}

/// Only the seeded users' keys (the administrator's own key lives in the domain too).
fn mine(seed: &Seed) -> keyward_compat::spaceone::proto::core::Filter {
    f("user_id", "in", l(&[&seed.alice, &seed.bob]))
}

fn ids(results: &[ApiKeyInfo]) -> BTreeSet<String> {
    results.iter().map(|k| k.api_key_id.clone()).collect()
}

fn set(seed: &Seed, which: &[usize]) -> BTreeSet<String> {
    which.iter().map(|i| seed.ids[*i].clone()).collect()
}

async fn matching(
    so: &Spaceone,
    seed: &Seed,
    filter: Vec<keyward_compat::spaceone::proto::core::Filter>,
) -> BTreeSet<String> {
    let mut all = vec![mine(seed)];
    all.extend(filter);
    let answer = so
        .list(Query {
            filter: all,
            ..Query::default()
        })
        .await
        .expect("list");
    assert_eq!(answer.total_count as usize, answer.results.len());
    ids(&answer.results)
}

#[tokio::test]
async fn every_operator_selects_exactly_its_keys() {
    let so = setup().await;
    let seed = seed(&so).await;
    let created = |i: usize| {
        // Keys were created 10 s apart; the third key's time as the vendor's ISO text.
        let at = so.app.clock.now() - time::Duration::seconds(10 * (4 - i as i64 - 1));
        at.format(&time::format_description::well_known::Rfc3339)
            .expect("formats")
    };
    let third = created(2);
    let cases: Vec<(keyward_compat::spaceone::proto::core::Filter, &[usize])> = vec![
        (f("state", "eq", s("DISABLED")), &[2]),
        (f("state", "not", s("DISABLED")), &[0, 1, 3]),
        (f("api_key_type", "in", l(&["USER", "DOMAIN"])), &[0, 3]),
        (f("api_key_type", "not_in", l(&["USER", "DOMAIN"])), &[1, 2]),
        (f("user_id", "eq", s(&seed.alice)), &[0, 1]),
        (f("api_key_id", "eq", s(&seed.ids[1])), &[1]),
        (f("created_at", "lt", s(&third)), &[0, 1]),
        (f("created_at", "lte", s(&third)), &[0, 1, 2]),
        (f("created_at", "gt", s(&third)), &[3]),
        (f("created_at", "gte", s(&third)), &[2, 3]),
        (f("created_at", "datetime_gte", s(&third)), &[2, 3]),
        (f("created_at", "datetime_lt", s(&third)), &[0, 1]),
        (f("last_accessed_at", "exists", b(false)), &[0, 1, 2, 3]),
        (f("last_accessed_at", "exists", b(true)), &[]),
        (f("api_key_type", "contain", s("dele")), &[2]),
        // "user" and "system" both contain an s (case-insensitive).
        (f("api_key_type", "not_contain", s("S")), &[2, 3]),
        (
            f("api_key_type", "contain_in", l(&["user", "main"])),
            &[0, 3],
        ),
        (
            f("api_key_type", "not_contain_in", l(&["user", "main"])),
            &[1, 2],
        ),
        (f("user_id", "contain", s(&seed.bob)), &[2, 3]),
    ];
    for (filter, want) in cases {
        let label = format!("{filter:?}");
        assert_eq!(
            matching(&so, &seed, vec![filter]).await,
            set(&seed, want),
            "{label}"
        );
    }
}

#[tokio::test]
async fn filter_is_and_filter_or_is_or_and_request_fields_narrow() {
    let so = setup().await;
    let seed = seed(&so).await;
    let and = matching(
        &so,
        &seed,
        vec![
            f("user_id", "eq", s(&seed.bob)),
            f("state", "eq", s("ENABLED")),
        ],
    )
    .await;
    assert_eq!(and, set(&seed, &[3]));
    let or = so
        .list(Query {
            filter: vec![mine(&seed)],
            filter_or: vec![
                f("api_key_type", "eq", s("USER")),
                f("state", "eq", s("DISABLED")),
            ],
            ..Query::default()
        })
        .await
        .expect("list");
    assert_eq!(ids(&or.results), set(&seed, &[0, 2]));
    let request = ApiKeyQuery {
        user_id: seed.alice.clone(),
        api_key_type: api_key_query::ApiKeyType::System as i32,
        state: api_key_query::State::Enabled as i32,
        domain_id: so.admin.domain_id.clone(),
        ..ApiKeyQuery::default()
    };
    let answer = so
        .client()
        .list(so.admin(request))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(ids(&answer.results), set(&seed, &[1]));
}

#[tokio::test]
async fn sort_pages_from_one_and_counts_before_paging() {
    let so = setup().await;
    let seed = seed(&so).await;
    let page = |start: u32, limit: u32, desc: bool| Query {
        filter: vec![mine(&seed)],
        sort: Some(Sort {
            key: "created_at".into(),
            desc,
        }),
        page: Some(Page { start, limit }),
        ..Query::default()
    };
    let order = |answer: &[ApiKeyInfo]| -> Vec<String> {
        answer.iter().map(|k| k.api_key_id.clone()).collect()
    };
    let first = so.list(page(1, 2, false)).await.expect("list");
    assert_eq!(first.total_count, 4);
    assert_eq!(order(&first.results), seed.ids[0..2]);
    let second = so.list(page(3, 2, false)).await.expect("list");
    assert_eq!(order(&second.results), seed.ids[2..4]);
    let zero = so.list(page(0, 1, true)).await.expect("start 0 is 1");
    assert_eq!(order(&zero.results), [seed.ids[3].clone()]);
    let past = so.list(page(99, 2, false)).await.expect("past the end");
    assert!(past.results.is_empty());
    assert_eq!(past.total_count, 4);
    let unlimited = so
        .list(page(2, 0, false))
        .await
        .expect("limit 0 is no limit");
    assert_eq!(order(&unlimited.results), seed.ids[1..4]);
    let mut desc = seed.ids.clone();
    desc.reverse();
    let all = so.list(page(1, 10, true)).await.expect("list");
    assert_eq!(order(&all.results), desc);
    assert_status(
        so.list(Query {
            sort: Some(Sort {
                key: "secret".into(),
                desc: false,
            }),
            ..Query::default()
        })
        .await,
        Code::InvalidArgument,
        "ERROR_DB_QUERY",
    );
}

#[tokio::test]
async fn only_minimal_count_only_and_keyword() {
    let so = setup().await;
    let seed = seed(&so).await;
    let only = so
        .list(Query {
            filter: vec![mine(&seed)],
            only: vec!["api_key_id".into()],
            ..Query::default()
        })
        .await
        .expect("list");
    assert!(only
        .results
        .iter()
        .all(|k| k.user_id.is_empty() && k.state == 0 && !k.api_key_id.is_empty()));
    let minimal = so
        .list(Query {
            filter: vec![mine(&seed)],
            minimal: true,
            ..Query::default()
        })
        .await
        .expect("list");
    assert!(minimal.results.iter().all(|k| !k.user_id.is_empty()
        && k.state != 0
        && k.domain_id.is_empty()
        && k.created_at.is_none()));
    let count = so
        .list(Query {
            filter: vec![mine(&seed)],
            count_only: true,
            ..Query::default()
        })
        .await
        .expect("list");
    assert!(count.results.is_empty());
    assert_eq!(count.total_count, 4);
    // keyword: a whole id (key or user) matches; several words are ORed.
    let keyword = so
        .list(Query {
            keyword: format!("{} {}", seed.ids[0], seed.bob),
            ..Query::default()
        })
        .await
        .expect("list");
    assert_eq!(ids(&keyword.results), set(&seed, &[0, 2, 3]));
    let nothing = so
        .list(Query {
            keyword: "no-such-thing".into(),
            ..Query::default()
        })
        .await
        .expect("list");
    assert_eq!(nothing.total_count, 0);
}

#[tokio::test]
async fn unknown_and_hostile_filters_are_refused_quickly() {
    let so = setup().await;
    let started = std::time::Instant::now();
    let refused = [
        (f("password", "eq", s("x")), "ERROR_DB_QUERY"),
        (f("state", "like", s("x")), "ERROR_DB_QUERY"),
        (f("state", "eq", s("PAUSED")), "ERROR_DB_QUERY"),
        (f("api_key_id", "eq", s("1' OR '1'='1")), "ERROR_DB_QUERY"),
        (f("created_at", "gt", s("yesterday")), "ERROR_DB_QUERY"),
        (
            f("state", "regex", s("(a+)+$")),
            "ERROR_NOT_SUPPORTED_QUERY",
        ),
        (f("state", "match", s("x")), "ERROR_NOT_SUPPORTED_QUERY"),
        (
            f("created_at", "timediff_gt", s("now/d")),
            "ERROR_NOT_SUPPORTED_QUERY",
        ),
        (f("state", "in", s("ENABLED")), "ERROR_DB_QUERY"),
        (f("last_accessed_at", "exists", s("yes")), "ERROR_DB_QUERY"),
    ];
    for (filter, code) in refused {
        let label = format!("{filter:?}");
        let answer = so
            .list(Query {
                filter: vec![filter],
                ..Query::default()
            })
            .await;
        let status = answer.expect_err(&label);
        assert_eq!(status.code(), Code::InvalidArgument, "{label}: {status:?}");
        assert!(status.message().contains(code), "{label}: {status:?}");
    }
    let ids: Vec<String> = (0..5000)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    assert_status(
        so.list(Query {
            filter: vec![f("api_key_id", "in", l(&refs))],
            ..Query::default()
        })
        .await,
        Code::InvalidArgument,
        "1000",
    );
    let many = (0..100).map(|_| f("state", "eq", s("ENABLED"))).collect();
    assert_status(
        so.list(Query {
            filter: many,
            ..Query::default()
        })
        .await,
        Code::InvalidArgument,
        "64",
    );
    // A large but allowed list runs as bound parameters.
    let allowed: Vec<&str> = refs[..1000].to_vec();
    let answer = so
        .list(Query {
            filter: vec![f("api_key_id", "in", l(&allowed))],
            ..Query::default()
        })
        .await
        .expect("1000 values are allowed");
    assert_eq!(answer.total_count, 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}
