//! Sorting, cursor pages, offset pages and counts.
//!
//! The expected order is computed here, independently of any database: the sort value (NULL
//! before any value, text bytewise, times by microsecond) then the id, and the whole order
//! reversed for a descending sort (so NULLs come last and ties run by descending id).

use std::sync::Arc;

use keyward_core::ids::KeyId;
use keyward_core::model::{ApiKey, KeyState, KeyType, Principal};
use keyward_core::query::{
    Condition, Cursor, Filter, KeyField, Op, PrincipalField, Query, QueryField, Sort, Value, Window,
};
use keyward_core::store::Store;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    at, insert_key, insert_principal, key_query, new_key, new_principal, principal_query, tenant,
};

/// A sortable value as the stores order it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    Null,
    Text(String),
    Time(i128),
}

fn time_value(time: Option<OffsetDateTime>) -> SortValue {
    time.map_or(SortValue::Null, |t| {
        SortValue::Time(t.unix_timestamp_nanos())
    })
}

fn key_sort_value(key: &ApiKey, field: KeyField) -> SortValue {
    let text = |s: &str| SortValue::Text(s.to_owned());
    match field {
        KeyField::Id => text(&key.id.to_string()),
        KeyField::Name => text(key.name.as_str()),
        KeyField::Owner => text(&key.owner.to_string()),
        KeyField::Type => text(key.key_type.as_str()),
        KeyField::State => text(key.state.as_str()),
        KeyField::CreatedAt => time_value(Some(key.created_at)),
        KeyField::UpdatedAt => time_value(Some(key.updated_at)),
        KeyField::ExpiresAt => time_value(key.expires_at),
        KeyField::LastUsedAt => time_value(key.last_used_at),
        KeyField::LastRotatedAt => time_value(key.last_rotated_at),
        KeyField::Description | KeyField::Role | KeyField::Scope | KeyField::Subscription(_) => {
            SortValue::Null
        }
    }
}

/// The cursor value the core puts in a cursor (see `keys::key_sort_value` in the core).
fn key_cursor_value(key: &ApiKey, field: KeyField) -> Value {
    let time = |t: Option<OffsetDateTime>| t.map_or(Value::Null, Value::Time);
    match field {
        KeyField::CreatedAt => Value::Time(key.created_at),
        KeyField::UpdatedAt => Value::Time(key.updated_at),
        KeyField::ExpiresAt => time(key.expires_at),
        KeyField::LastUsedAt => time(key.last_used_at),
        KeyField::LastRotatedAt => time(key.last_rotated_at),
        other => match key_sort_value(key, other) {
            SortValue::Text(text) => Value::Text(text),
            _ => Value::Null,
        },
    }
}

fn principal_sort_value(principal: &Principal, field: PrincipalField) -> SortValue {
    match field {
        PrincipalField::Id => SortValue::Text(principal.id.to_string()),
        PrincipalField::Name => SortValue::Text(principal.name.as_str().to_owned()),
        PrincipalField::CreatedAt => time_value(Some(principal.created_at)),
        PrincipalField::UpdatedAt => time_value(Some(principal.updated_at)),
        _ => SortValue::Null,
    }
}

fn principal_cursor_value(principal: &Principal, field: PrincipalField) -> Value {
    match field {
        PrincipalField::CreatedAt => Value::Time(principal.created_at),
        PrincipalField::UpdatedAt => Value::Time(principal.updated_at),
        other => match principal_sort_value(principal, other) {
            SortValue::Text(text) => Value::Text(text),
            _ => Value::Null,
        },
    }
}

/// The ids in the order a sort must produce.
fn expected_order<T>(
    items: &[T],
    descending: bool,
    key: impl Fn(&T) -> (SortValue, Uuid),
) -> Vec<Uuid> {
    let mut keyed: Vec<(SortValue, Uuid)> = items.iter().map(key).collect();
    keyed.sort();
    let mut ids: Vec<Uuid> = keyed.into_iter().map(|(_, id)| id).collect();
    if descending {
        ids.reverse();
    }
    ids
}

/// Walks every page of `query` with cursors made the way the core makes them; returns the ids in
/// the order seen.
async fn walk<T, F, Fut>(
    mut query: Query<F>,
    mut fetch: impl FnMut(Query<F>) -> Fut,
    id: impl Fn(&T) -> Uuid,
    cursor_value: impl Fn(&T, F) -> Value,
) -> Vec<Uuid>
where
    F: QueryField,
    Fut: std::future::Future<Output = Vec<T>>,
{
    let mut seen = Vec::new();
    for _ in 0..100 {
        let mut page = fetch(query.clone()).await;
        assert!(
            page.len() <= query.limit as usize + 1,
            "at most limit + 1 rows"
        );
        let more = page.len() > query.limit as usize;
        page.truncate(query.limit as usize);
        seen.extend(page.iter().map(&id));
        let Some(last) = page.last() else { break };
        if !more {
            break;
        }
        query.window = Window::After(Some(Cursor {
            sort: Cursor::sort_tag(&query.sort),
            value: cursor_value(last, query.sort.field),
            id: id(last),
        }));
    }
    seen
}

/// Twelve keys over two owners with ties and NULLs in every sortable field, inserted in an order
/// unrelated to their ids, names that sort differently bytewise and by locale.
async fn sort_fixture(store: &Arc<dyn Store>) -> (keyward_core::ids::DomainId, Vec<ApiKey>) {
    let t = tenant(store, "acme").await;
    let second = new_principal(t.domain.id, "second");
    insert_principal(store, &second).await;
    let names = ["b", "B", "a", "Z", "é", "e", "ab", "b", "A", "a", "z", "é"];
    let mut keys = Vec::new();
    for (i, key_name) in names.iter().enumerate() {
        let i = i as i64;
        let owner = if i % 2 == 0 { &t.owner } else { &second };
        let mut key = new_key(owner, key_name);
        key.key_type = [KeyType::User, KeyType::System, KeyType::Domain][(i % 3) as usize];
        key.state = if i % 4 == 0 {
            KeyState::Disabled
        } else {
            KeyState::Enabled
        };
        key.created_at = at(i / 3 * 10);
        key.updated_at = at(100 - i / 2);
        key.expires_at = (i % 3 != 0).then(|| at(1_000 + i % 2));
        key.last_rotated_at = (i % 5 == 0).then(|| at(7));
        keys.push(key);
    }
    // Insertion order is not id order, so a store returning rows "as inserted" is caught.
    for index in [7, 2, 11, 0, 9, 4, 1, 10, 5, 8, 3, 6] {
        insert_key(store, &keys[index]).await;
    }
    let used: Vec<(KeyId, OffsetDateTime)> = keys
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 == 1)
        .map(|(i, k)| (k.id, at(5_000 + (i as i64 % 2))))
        .collect();
    store
        .record_last_used(&used)
        .await
        .expect("record_last_used");
    let mut stored = Vec::new();
    for key in &keys {
        stored.push(store.key(key.id).await.expect("key").expect("stored"));
    }
    (t.domain.id, stored)
}

/// Every sortable key field, both directions, pages of 3: the cursor walk sees every key exactly
/// once, in the expected order (bytewise text, NULLs first ascending / last descending, id ties).
pub async fn key_sorts_walk_every_page_once(store: Arc<dyn Store>) {
    let (domain, keys) = sort_fixture(&store).await;
    for &field in KeyField::all().iter().filter(|f| f.sortable()) {
        for descending in [false, true] {
            let mut query = key_query(domain, Filter::default());
            query.sort = Sort { field, descending };
            query.limit = 3;
            let expected = expected_order(&keys, descending, |k| {
                (key_sort_value(k, field), k.id.as_uuid())
            });
            let store = Arc::clone(&store);
            let seen = walk(
                query,
                |q| {
                    let store = Arc::clone(&store);
                    async move { store.list_keys(&q).await.expect("list_keys") }
                },
                |k: &ApiKey| k.id.as_uuid(),
                key_cursor_value,
            )
            .await;
            assert_eq!(
                seen,
                expected,
                "sort by {}{}",
                if descending { "-" } else { "" },
                field.name()
            );
        }
    }
}

/// Every sortable principal field, both directions, pages of 2.
pub async fn principal_sorts_walk_every_page_once(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let mut principals = vec![store
        .principal(t.owner.id)
        .await
        .expect("get")
        .expect("owner")];
    for (i, principal_name) in ["b", "B", "a", "é", "e", "Z", "ab"].iter().enumerate() {
        let i = i as i64;
        let mut principal = new_principal(t.domain.id, principal_name);
        principal.created_at = at(i / 2);
        principal.updated_at = at(50 - i / 3);
        principals.push(principal);
    }
    for index in [3, 1, 6, 2, 7, 4, 5] {
        insert_principal(&store, &principals[index]).await;
    }
    for &field in PrincipalField::all().iter().filter(|f| f.sortable()) {
        for descending in [false, true] {
            let mut query = principal_query(t.domain.id, Filter::default());
            query.sort = Sort { field, descending };
            query.limit = 2;
            let expected = expected_order(&principals, descending, |p| {
                (principal_sort_value(p, field), p.id.as_uuid())
            });
            let store = Arc::clone(&store);
            let seen = walk(
                query,
                |q| {
                    let store = Arc::clone(&store);
                    async move { store.list_principals(&q).await.expect("list_principals") }
                },
                |p: &Principal| p.id.as_uuid(),
                principal_cursor_value,
            )
            .await;
            assert_eq!(
                seen,
                expected,
                "sort by {}{}",
                if descending { "-" } else { "" },
                field.name()
            );
        }
    }
}

/// `Window::Offset(n)` skips n rows of the same order and still returns up to `limit + 1`.
pub async fn offset_windows(store: Arc<dyn Store>) {
    let (domain, keys) = sort_fixture(&store).await;
    let sort = Sort {
        field: KeyField::Name,
        descending: false,
    };
    let expected = expected_order(&keys, false, |k| {
        (key_sort_value(k, KeyField::Name), k.id.as_uuid())
    });
    let page = |offset: u64, limit: u32| {
        let store = Arc::clone(&store);
        let mut query = key_query(domain, Filter::default());
        query.sort = sort;
        query.window = Window::Offset(offset);
        query.limit = limit;
        async move {
            let found = store.list_keys(&query).await.expect("list_keys");
            found.iter().map(|k| k.id.as_uuid()).collect::<Vec<_>>()
        }
    };
    assert_eq!(page(0, 5).await, expected[..6]);
    assert_eq!(page(5, 5).await, expected[5..11]);
    assert_eq!(page(10, 5).await, expected[10..]);
    assert!(page(12, 5).await.is_empty());
    assert!(
        page(u64::MAX, 5).await.is_empty(),
        "a huge offset is just past the end"
    );
}

/// `count_keys` counts the domain's keys matching the filter, whatever the window and limit.
pub async fn count_keys_ignores_the_window(store: Arc<dyn Store>) {
    let (domain, keys) = sort_fixture(&store).await;
    let mut query = key_query(domain, Filter::default());
    assert_eq!(
        store.count_keys(&query).await.expect("count"),
        keys.len() as u64
    );
    query.limit = 1;
    query.window = Window::Offset(5);
    assert_eq!(
        store.count_keys(&query).await.expect("count"),
        keys.len() as u64
    );
    query.window = Window::After(Some(Cursor {
        sort: Cursor::sort_tag(&query.sort),
        value: Value::Time(at(1_000_000)),
        id: Uuid::from_u128(u128::MAX),
    }));
    assert_eq!(
        store.count_keys(&query).await.expect("count"),
        keys.len() as u64
    );
    let disabled = keys
        .iter()
        .filter(|k| k.state == KeyState::Disabled)
        .count() as u64;
    query.filter = Filter::Cond(Condition::parse(KeyField::State, Op::Eq, "disabled").expect("ok"));
    assert_eq!(store.count_keys(&query).await.expect("count"), disabled);
    query.filter = Filter::Cond(Condition::parse(KeyField::Name, Op::Eq, "nope").expect("ok"));
    assert_eq!(store.count_keys(&query).await.expect("count"), 0);
}
