//! `aggregate_keys`: groups, counts and time extremes, computed independently here from the
//! fixture, confined to the domain and the filter.

use std::collections::BTreeMap;
use std::sync::Arc;

use keyward_core::model::{KeyState, KeyType};
use keyward_core::query::{
    Aggregate, AggregateOp, AggregateQuery, AggregateValue, Condition, Filter, KeyField, Op, Value,
};
use keyward_core::store::Store;
use time::OffsetDateTime;

use super::{at, insert_key, insert_principal, new_key, new_principal, tenant};

/// Groups by state and type, and by owner, with count, min and max; an empty group-by is one
/// row; a filter narrows; another domain's keys never count.
pub async fn aggregates_group_count_and_extremes(store: Arc<dyn Store>) {
    let t = tenant(&store, "stats").await;
    let second = new_principal(t.domain.id, "second");
    insert_principal(&store, &second).await;
    let plan = [
        (&t.owner, KeyType::User, KeyState::Enabled, 10, None),
        (&t.owner, KeyType::User, KeyState::Disabled, 20, Some(500)),
        (&t.owner, KeyType::System, KeyState::Enabled, 30, Some(700)),
        (&second, KeyType::User, KeyState::Enabled, 40, Some(300)),
        (&second, KeyType::Domain, KeyState::Enabled, 50, None),
    ];
    // The tally, computed here: (state, type) → (count, min created, max last used).
    let mut tally: BTreeMap<(String, String), (u64, OffsetDateTime, Option<OffsetDateTime>)> =
        BTreeMap::new();
    for (i, (owner, kind, state, created, used)) in plan.iter().enumerate() {
        let mut key = new_key(owner, &format!("k{i}"));
        key.key_type = *kind;
        key.state = *state;
        key.created_at = at(*created);
        key.last_used_at = used.map(at);
        insert_key(&store, &key).await;
        let entry = tally
            .entry((state.as_str().to_owned(), kind.as_str().to_owned()))
            .or_insert((0, at(*created), None));
        entry.0 += 1;
        entry.1 = entry.1.min(at(*created));
        entry.2 = entry.2.max(used.map(at));
    }
    let elsewhere = tenant(&store, "elsewhere").await;
    insert_key(&store, &new_key(&elsewhere.owner, "other")).await;

    let aggregates = vec![
        Aggregate {
            op: AggregateOp::Count,
            field: None,
        },
        Aggregate {
            op: AggregateOp::Min,
            field: Some(KeyField::CreatedAt),
        },
        Aggregate {
            op: AggregateOp::Max,
            field: Some(KeyField::LastUsedAt),
        },
    ];
    let query = |group_by: Vec<KeyField>, filter: Filter<KeyField>| AggregateQuery {
        domain: t.domain.id,
        filter,
        group_by,
        aggregates: aggregates.clone(),
        limit: 100,
    };
    let rows = store
        .aggregate_keys(&query(
            vec![KeyField::State, KeyField::Type],
            Filter::default(),
        ))
        .await
        .expect("aggregate_keys");
    let got: Vec<_> = rows
        .iter()
        .map(|row| (row.group.clone(), row.values.clone()))
        .collect();
    let want: Vec<_> = tally
        .iter()
        .map(|((state, kind), (n, min, max))| {
            (
                vec![Value::Text(state.clone()), Value::Text(kind.clone())],
                vec![
                    AggregateValue::Count(*n),
                    AggregateValue::Time(Some(*min)),
                    AggregateValue::Time(*max),
                ],
            )
        })
        .collect();
    assert_eq!(got, want, "grouped by state and type, ordered by the keys");

    let by_owner = store
        .aggregate_keys(&query(vec![KeyField::Owner], Filter::default()))
        .await
        .expect("aggregate_keys");
    let mut owners: Vec<(Value, AggregateValue)> = by_owner
        .iter()
        .map(|row| (row.group[0].clone(), row.values[0]))
        .collect();
    owners.sort_by_key(|(owner, _)| format!("{owner:?}"));
    let mut want = vec![
        (
            Value::Text(t.owner.id.to_string()),
            AggregateValue::Count(3),
        ),
        (Value::Text(second.id.to_string()), AggregateValue::Count(2)),
    ];
    want.sort_by_key(|(owner, _)| format!("{owner:?}"));
    assert_eq!(owners, want, "grouped by owner id");

    let enabled = Filter::Cond(
        Condition::new(KeyField::State, Op::Eq, Value::Text("enabled".into())).expect("valid"),
    );
    let all = store
        .aggregate_keys(&query(Vec::new(), enabled))
        .await
        .expect("aggregate_keys");
    assert_eq!(all.len(), 1, "no group-by is one row");
    assert_eq!(
        all[0].values,
        [
            AggregateValue::Count(4),
            AggregateValue::Time(Some(at(10))),
            AggregateValue::Time(Some(at(700))),
        ]
    );
    let none = Filter::Any(Vec::new());
    let empty = store
        .aggregate_keys(&query(Vec::new(), none))
        .await
        .expect("aggregate_keys");
    assert_eq!(
        empty[0].values,
        [
            AggregateValue::Count(0),
            AggregateValue::Time(None),
            AggregateValue::Time(None),
        ],
        "an empty match is one row of zero and NULLs"
    );
    let mut limited = query(vec![KeyField::State, KeyField::Type], Filter::default());
    limited.limit = 2;
    let first_two = store
        .aggregate_keys(&limited)
        .await
        .expect("aggregate_keys");
    assert_eq!(first_two.len(), 2);
    assert_eq!(first_two[0].group, rows[0].group);
}
