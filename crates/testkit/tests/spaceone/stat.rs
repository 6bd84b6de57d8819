//! `stat`: group-by on the closed-set fields with `count`, `aggregate.count`, `distinct`,
//! sort and paging, against seeded keys whose answers are computed here independently; the
//! aggregates keyward refuses are refused with a clear code.

use std::collections::BTreeMap;

use keyward_compat::spaceone::proto::core::{
    aggregate_group_field, aggregate_group_key, statistics_query::LimitResult, AggregateCount,
    AggregateGroup, AggregateGroupField, AggregateGroupKey, Page, StatisticsAggregate,
    StatisticsQuery, StatisticsSort,
};
use keyward_compat::spaceone::proto::identity::{
    create_api_key_request::ApiKeyType, ApiKeyRequest, ApiKeyStatQuery,
};
use prost_types::value::Kind;
use tonic::{Code, Status};

use crate::support::{assert_status, f, l, setup, Spaceone};

fn key(k: &str) -> AggregateGroupKey {
    AggregateGroupKey {
        key_alias: Some(aggregate_group_key::KeyAlias::Key(k.into())),
        name_alias: Some(aggregate_group_key::NameAlias::Name(k.into())),
        date_format: String::new(),
    }
}

fn field(op: &str, name: &str) -> AggregateGroupField {
    AggregateGroupField {
        key_alias: None,
        name_alias: Some(aggregate_group_field::NameAlias::Name(name.into())),
        operator_alias: Some(aggregate_group_field::OperatorAlias::Operator(op.into())),
        operator_value: None,
        date_format: String::new(),
    }
}

async fn stat(
    so: &Spaceone,
    query: StatisticsQuery,
) -> Result<Vec<BTreeMap<String, String>>, Status> {
    let request = ApiKeyStatQuery {
        query: Some(query),
        domain_id: so.admin.domain_id.clone(),
    };
    let answer = so.client().stat(so.admin(request)).await?.into_inner();
    let Some(Kind::ListValue(results)) = answer.fields["results"].kind.clone() else {
        panic!("results is a list: {answer:?}");
    };
    Ok(results
        .values
        .into_iter()
        .map(|row| match row.kind {
            Some(Kind::StructValue(row)) => row
                .fields
                .into_iter()
                .map(|(k, v)| {
                    let text = match v.kind {
                        Some(Kind::StringValue(s)) => s,
                        Some(Kind::NumberValue(n)) => n.to_string(),
                        Some(Kind::NullValue(_)) => "null".to_owned(),
                        other => format!("{other:?}"),
                    };
                    (k, text)
                })
                .collect(),
            Some(Kind::StringValue(s)) => BTreeMap::from([("value".to_owned(), s)]),
            other => panic!("unexpected row {other:?}"),
        })
        .collect())
}

fn row(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn group_by_counts_match_an_independent_tally() {
    let so = setup().await;
    let alice = so.user().await;
    let bob = so.user().await;
    // The seed, and its tally computed here.
    let plan = [
        (&alice, ApiKeyType::User, false),
        (&alice, ApiKeyType::User, true),
        (&alice, ApiKeyType::System, false),
        (&bob, ApiKeyType::User, false),
        (&bob, ApiKeyType::Domain, true),
        (&bob, ApiKeyType::Domain, false),
    ];
    let mut tally: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut first_created: BTreeMap<String, String> = BTreeMap::new();
    let mut last_created: BTreeMap<String, String> = BTreeMap::new();
    for (user, kind, disable) in plan {
        so.app.clock.advance(time::Duration::seconds(7));
        let created = so.create(user, kind).await;
        let at = so
            .app
            .clock
            .now()
            .format(&time::format_description::well_known::Rfc3339)
            .expect("formats");
        first_created
            .entry(user.clone())
            .or_insert_with(|| at.clone());
        last_created.insert(user.clone(), at);
        if disable {
            let request = ApiKeyRequest {
                api_key_id: created.api_key_id,
                domain_id: so.admin.domain_id.clone(),
            };
            so.client()
                .disable(so.admin(request))
                .await
                .expect("disable");
        }
        let state = if disable { "DISABLED" } else { "ENABLED" };
        *tally
            .entry((kind.as_str_name().to_owned(), state.to_owned()))
            .or_default() += 1;
    }
    let mine = || vec![f("user_id", "in", l(&[&alice, &bob]))];
    let grouped = stat(
        &so,
        StatisticsQuery {
            filter: mine(),
            aggregate: Some(StatisticsAggregate {
                group: Some(AggregateGroup {
                    keys: vec![key("api_key_type"), key("state")],
                    fields: vec![field("count", "n")],
                }),
                ..StatisticsAggregate::default()
            }),
            ..StatisticsQuery::default()
        },
    )
    .await
    .expect("stat");
    let mut want: Vec<_> = tally
        .iter()
        .map(|((kind, state), n)| {
            row(&[
                ("api_key_type", kind),
                ("state", state),
                ("n", &n.to_string()),
            ])
        })
        .collect();
    let mut got = grouped.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);

    // Per user: count, earliest and latest creation, never-used keys' last access is null.
    let min_max = |op: &str, k: &str, name: &str| AggregateGroupField {
        key_alias: Some(aggregate_group_field::KeyAlias::Key(k.into())),
        ..field(op, name)
    };
    let per_user = stat(
        &so,
        StatisticsQuery {
            filter: mine(),
            aggregate: Some(StatisticsAggregate {
                group: Some(AggregateGroup {
                    keys: vec![key("user_id")],
                    fields: vec![
                        field("count", "n"),
                        min_max("min", "created_at", "first"),
                        min_max("max", "created_at", "last"),
                        min_max("max", "last_accessed_at", "used"),
                    ],
                }),
                ..StatisticsAggregate::default()
            }),
            sort: Some(StatisticsSort {
                name: "first".into(),
                desc: false,
            }),
            ..StatisticsQuery::default()
        },
    )
    .await
    .expect("stat");
    let want_user = |user: &String, n: &str| {
        row(&[
            ("user_id", user),
            ("n", n),
            ("first", &first_created[user]),
            ("last", &last_created[user]),
            ("used", "null"),
        ])
    };
    assert_eq!(per_user, [want_user(&alice, "3"), want_user(&bob, "3")]);

    // Sorted by the count, descending, first page of one.
    let top = stat(
        &so,
        StatisticsQuery {
            filter: mine(),
            aggregate: Some(StatisticsAggregate {
                group: Some(AggregateGroup {
                    keys: vec![key("state")],
                    fields: vec![field("count", "n")],
                }),
                ..StatisticsAggregate::default()
            }),
            sort: Some(StatisticsSort {
                name: "n".into(),
                desc: true,
            }),
            limit_result: Some(LimitResult::Page(Page { start: 1, limit: 1 })),
            ..StatisticsQuery::default()
        },
    )
    .await
    .expect("stat");
    assert_eq!(top, [row(&[("state", "ENABLED"), ("n", "4")])]);

    let total = stat(
        &so,
        StatisticsQuery {
            filter: mine(),
            aggregate: Some(StatisticsAggregate {
                count: Some(AggregateCount {
                    name: "total".into(),
                }),
                ..StatisticsAggregate::default()
            }),
            ..StatisticsQuery::default()
        },
    )
    .await
    .expect("stat");
    assert_eq!(total, [row(&[("total", "6")])]);

    let distinct = stat(
        &so,
        StatisticsQuery {
            filter: mine(),
            distinct: "api_key_type".into(),
            ..StatisticsQuery::default()
        },
    )
    .await
    .expect("stat");
    let values: Vec<&str> = distinct.iter().map(|r| r["value"].as_str()).collect();
    assert_eq!(values, ["DOMAIN", "SYSTEM", "USER"], "ordered by value");
}

#[tokio::test]
async fn unsupported_aggregates_and_keys_are_refused() {
    let so = setup().await;
    let group = |keys: Vec<AggregateGroupKey>, op: &str| StatisticsQuery {
        aggregate: Some(StatisticsAggregate {
            group: Some(AggregateGroup {
                keys,
                fields: vec![field(op, "x")],
            }),
            ..StatisticsAggregate::default()
        }),
        ..StatisticsQuery::default()
    };
    for op in ["sum", "average", "min", "max"] {
        assert_status(
            stat(&so, group(vec![key("state")], op)).await,
            Code::InvalidArgument,
            "ERROR_NOT_SUPPORTED_QUERY",
        );
    }
    assert_status(
        stat(&so, group(vec![key("state")], "explode")).await,
        Code::InvalidArgument,
        "ERROR_DB_QUERY",
    );
    assert_status(
        stat(&so, group(vec![key("created_at")], "count")).await,
        Code::InvalidArgument,
        "ERROR_NOT_SUPPORTED_QUERY",
    );
    assert_status(
        stat(&so, group(vec![key("secret")], "count")).await,
        Code::InvalidArgument,
        "ERROR_DB_QUERY",
    );
    assert_status(
        stat(&so, StatisticsQuery::default()).await,
        Code::InvalidArgument,
        "ERROR_INVALID_ARGUMENT",
    );
}
