//! `stat`: SpaceONE's `StatisticsQuery`, answered as `{"results": [...]}` in a `Struct`.
//!
//! It parses into the core's [`AggregateQuery`], which the store runs as one `GROUP BY`
//! statement: `filter`/`filter_or`/`keyword` as in `list`; `aggregate.group.keys` on `state`,
//! `api_key_type`, `user_id`, `api_key_id`; `aggregate.group.fields` with `count`, or `min`/`max`
//! of `created_at`/`last_accessed_at`; `aggregate.count` alone counts the matches; `distinct`
//! lists a groupable field's values. The (at most 1,000) groups are then sorted and paged here.
//! `sum`/`average` (a key has no numeric field) and `unwind` are refused.

use std::collections::BTreeMap;

use keyward_core::auth::Caller;
use keyward_core::query::{
    groupable, Aggregate, AggregateOp, AggregateQuery, AggregateRow, AggregateValue, FieldKind,
    Filter, KeyField, QueryField, Value, MAX_GROUPS,
};
use keyward_core::Keyward;
use prost_types::value::Kind;
use prost_types::{ListValue, Struct};

use super::error::SpaceoneError;
use super::proto::core as wire;
use super::proto::identity::ApiKeyStatQuery;
use super::{query, render, rpc};

type Result<T> = std::result::Result<T, SpaceoneError>;
type Row = BTreeMap<String, prost_types::Value>;

pub async fn stat(core: &Keyward, caller: &Caller, request: ApiKeyStatQuery) -> Result<Struct> {
    let domain = rpc::domain(caller, &request.domain_id)?;
    let q = request
        .query
        .ok_or_else(|| SpaceoneError::invalid("query", "is required"))?;
    let filter = Filter::All(vec![
        query::filters(&q.filter, &q.filter_or)?,
        query::keyword(&q.keyword)?,
    ]);
    let count = Aggregate {
        op: AggregateOp::Count,
        field: None,
    };
    let run = |group_by: Vec<KeyField>, aggregates: Vec<Aggregate<KeyField>>| {
        let query = AggregateQuery {
            domain,
            filter: filter.clone(),
            group_by,
            aggregates,
            limit: MAX_GROUPS,
        };
        async move { core.aggregate_keys(caller, &query).await }
    };

    if !q.distinct.is_empty() {
        let field = group_field(&q.distinct)?;
        let rows = run(vec![field], vec![count]).await?;
        let values = rows.iter().map(|row| value(field, &row.group[0])).collect();
        return Ok(answer(values));
    }
    let aggregate = q.aggregate.unwrap_or_default();
    if !aggregate.unwind.is_empty() {
        return Err(SpaceoneError::unsupported(
            "`unwind` is not supported: an API key has no list of objects to unwind",
        ));
    }
    let Some(group) = aggregate.group else {
        let name = aggregate
            .count
            .map(|c| c.name)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| SpaceoneError::invalid("query.aggregate", "needs a group or a count"))?;
        let rows = run(Vec::new(), vec![count]).await?;
        let n = rows
            .first()
            .map_or(AggregateValue::Count(0), |r| r.values[0]);
        return Ok(answer(vec![object(Row::from([(name, number(n))]))]));
    };
    let (keys, names) = group_keys(&group.keys)?;
    let (aggregates, outputs) = group_fields(&group.fields)?;
    let rows = run(keys.clone(), aggregates).await?;
    let mut rows: Vec<Row> = rows
        .iter()
        .map(|row| render_row(row, &keys, &names, &outputs))
        .collect();
    order_and_page(&mut rows, q.sort.as_ref(), q.limit_result);
    Ok(answer(rows.into_iter().map(object).collect()))
}

/// A field rows may be grouped by.
fn group_field(name: &str) -> Result<KeyField> {
    let field = query::field(name)?;
    if groupable(field.kind()) {
        Ok(field)
    } else {
        Err(SpaceoneError::unsupported(format!(
            "statistics cannot group by `{name}`; use state, api_key_type, user_id or api_key_id"
        )))
    }
}

fn group_keys(keys: &[wire::AggregateGroupKey]) -> Result<(Vec<KeyField>, Vec<String>)> {
    use wire::aggregate_group_key::{KeyAlias, NameAlias};
    let mut fields = Vec::new();
    let mut names = Vec::new();
    for key in keys {
        let k = match &key.key_alias {
            Some(KeyAlias::Key(k) | KeyAlias::K(k)) => k.clone(),
            None => return Err(SpaceoneError::query("a group key needs `key`")),
        };
        let n = match &key.name_alias {
            Some(NameAlias::Name(n) | NameAlias::N(n)) if !n.is_empty() => n.clone(),
            _ => k.clone(),
        };
        fields.push(group_field(&k)?);
        names.push(n);
    }
    Ok((fields, names))
}

fn group_fields(
    fields: &[wire::AggregateGroupField],
) -> Result<(Vec<Aggregate<KeyField>>, Vec<String>)> {
    use wire::aggregate_group_field::{KeyAlias, NameAlias, OperatorAlias};
    let mut aggregates = Vec::new();
    let mut names = Vec::new();
    for field in fields {
        let op = match &field.operator_alias {
            Some(OperatorAlias::Operator(o) | OperatorAlias::O(o)) => o.as_str(),
            None => "",
        };
        let name = match &field.name_alias {
            Some(NameAlias::Name(n) | NameAlias::N(n)) if !n.is_empty() => n.clone(),
            _ => return Err(SpaceoneError::query("a group field needs `name`")),
        };
        let key = match &field.key_alias {
            Some(KeyAlias::Key(k) | KeyAlias::K(k)) if !k.is_empty() => Some(query::field(k)?),
            _ => None,
        };
        let aggregate = match (op, key) {
            ("count", _) => Aggregate {
                op: AggregateOp::Count,
                field: None,
            },
            ("min" | "max", Some(key)) if matches!(key.kind(), FieldKind::Time { .. }) => {
                Aggregate {
                    op: if op == "min" {
                        AggregateOp::Min
                    } else {
                        AggregateOp::Max
                    },
                    field: Some(key),
                }
            }
            ("min" | "max", _) => {
                return Err(SpaceoneError::unsupported(
                    "min and max take `created_at` or `last_accessed_at`",
                ))
            }
            (
                "sum" | "average" | "size" | "add_to_set" | "merge_objects" | "push" | "first"
                | "last",
                _,
            ) => {
                return Err(SpaceoneError::unsupported(format!(
                    "statistics operator `{op}` is not supported: an API key has no numeric field"
                )))
            }
            (other, _) => return Err(SpaceoneError::query(format!("unknown operator `{other}`"))),
        };
        aggregates.push(aggregate);
        names.push(name);
    }
    if aggregates.is_empty() {
        aggregates.push(Aggregate {
            op: AggregateOp::Count,
            field: None,
        });
        names.push(String::new());
    }
    Ok((aggregates, names))
}

fn render_row(row: &AggregateRow, keys: &[KeyField], names: &[String], outputs: &[String]) -> Row {
    let mut out = Row::new();
    for ((field, name), v) in keys.iter().zip(names).zip(&row.group) {
        out.insert(name.clone(), value(*field, v));
    }
    for (name, v) in outputs.iter().zip(&row.values) {
        if !name.is_empty() {
            out.insert(name.clone(), number(*v));
        }
    }
    out
}

/// A group's key as the vendor writes it: enum words in upper case.
fn value(field: KeyField, v: &Value) -> prost_types::Value {
    match (field.kind(), v) {
        (FieldKind::Enum(_), Value::Text(t)) => string(&t.to_uppercase()),
        (_, Value::Text(t)) => string(t),
        (_, Value::Bool(b)) => prost_types::Value {
            kind: Some(Kind::BoolValue(*b)),
        },
        _ => prost_types::Value {
            kind: Some(Kind::NullValue(0)),
        },
    }
}

fn order_and_page(
    rows: &mut Vec<Row>,
    sort: Option<&wire::StatisticsSort>,
    window: Option<wire::statistics_query::LimitResult>,
) {
    use wire::statistics_query::LimitResult;
    if let Some(sort) = sort.filter(|s| !s.name.is_empty()) {
        let key = |row: &Row| match row.get(&sort.name).and_then(|v| v.kind.clone()) {
            Some(Kind::NumberValue(n)) => (n, String::new()),
            Some(Kind::StringValue(s)) => (0.0, s),
            _ => (f64::NEG_INFINITY, String::new()),
        };
        rows.sort_by(|a, b| {
            let ordering = key(a)
                .partial_cmp(&key(b))
                .unwrap_or(std::cmp::Ordering::Equal);
            if sort.desc {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
    let (skip, take) = match window {
        Some(LimitResult::Page(page)) => (
            page.start.max(1) as usize - 1,
            if page.limit == 0 {
                usize::MAX
            } else {
                page.limit as usize
            },
        ),
        Some(LimitResult::Limit(limit)) if limit > 0 => (0, limit as usize),
        _ => (0, usize::MAX),
    };
    let kept: Vec<Row> = rows.drain(..).skip(skip).take(take).collect();
    *rows = kept;
}

fn string(text: &str) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::StringValue(text.to_owned())),
    }
}

/// A count as a number, a time as ISO 8601 text (null when no row had one).
#[allow(clippy::cast_precision_loss)] // counts of keys are far below 2^53
fn number(v: AggregateValue) -> prost_types::Value {
    match v {
        AggregateValue::Count(n) => prost_types::Value {
            kind: Some(Kind::NumberValue(n as f64)),
        },
        AggregateValue::Time(Some(at)) => string(&render::iso(at)),
        AggregateValue::Time(None) => prost_types::Value {
            kind: Some(Kind::NullValue(0)),
        },
    }
}

fn object(fields: Row) -> prost_types::Value {
    prost_types::Value {
        kind: Some(Kind::StructValue(Struct { fields })),
    }
}

fn answer(results: Vec<prost_types::Value>) -> Struct {
    let list = prost_types::Value {
        kind: Some(Kind::ListValue(ListValue { values: results })),
    };
    Struct {
        fields: BTreeMap::from([("results".to_owned(), list)]),
    }
}
