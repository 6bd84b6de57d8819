//! Every filter operator on every field kind, the filter tree's logic, and domain confinement.

use std::sync::Arc;

use keyward_core::ids::DomainId;
use keyward_core::model::{Description, KeyState, KeyType, Principal, PrincipalKind};
use keyward_core::query::{Condition, Filter, KeyField, Op, PrincipalField, QueryField, Value};
use keyward_core::store::Store;
use time::OffsetDateTime;

use super::{
    at, insert_key, insert_principal, key_query, new_key, new_principal, principal_query, tenant,
    tokens, Tenant,
};

fn cond<F: QueryField>(field: F, op: Op, raw: &str) -> Filter<F> {
    Filter::Cond(Condition::parse(field, op, raw).expect("a valid condition"))
}

fn time_cond<F: QueryField>(field: F, op: Op, time: OffsetDateTime) -> Filter<F> {
    Filter::Cond(Condition::new(field, op, Value::Time(time)).expect("a valid condition"))
}

async fn key_names(
    store: &Arc<dyn Store>,
    domain: DomainId,
    filter: Filter<KeyField>,
) -> Vec<String> {
    let keys = store
        .list_keys(&key_query(domain, filter))
        .await
        .expect("list_keys");
    let mut names: Vec<String> = keys.iter().map(|k| k.name.as_str().to_owned()).collect();
    names.sort();
    names
}

/// Asserts which keys (by name) a filter selects, in any order.
async fn expect_keys(
    store: &Arc<dyn Store>,
    domain: DomainId,
    filter: Filter<KeyField>,
    expected: &[&str],
) {
    let what = format!("{filter:?}");
    let mut expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    expected.sort();
    assert_eq!(
        key_names(store, domain, filter).await,
        expected,
        "filter {what}"
    );
}

/// Six keys over two owners, with texts full of LIKE metacharacters and mixed case.
async fn text_fixture(store: &Arc<dyn Store>) -> Tenant {
    let t = tenant(store, "acme").await;
    let second = new_principal(t.domain.id, "second");
    insert_principal(store, &second).await;
    for (name, description, owner) in [
        ("alpha", "first key", &t.owner),
        ("Alpha", "FIRST KEY", &t.owner),
        ("beta", "has 50% off", &t.owner),
        ("a_b", "under_score", &second),
        ("axb", r"back\slash", &second),
        ("gamma", "", &second),
    ] {
        let mut key = new_key(owner, name);
        key.description = Description::parse("description", description).expect("valid");
        insert_key(store, &key).await;
    }
    t
}

/// Text: equality and bytewise order, case-sensitive contains / starts / ends with `%`, `_` and
/// `\` matched literally, and lists.
pub async fn text_filters(store: Arc<dyn Store>) {
    let t = text_fixture(&store).await;
    let d = t.domain.id;
    let all = ["Alpha", "a_b", "alpha", "axb", "beta", "gamma"];
    use KeyField::{Description as Desc, Name};
    use Op::*;
    expect_keys(&store, d, Filter::default(), &all).await;
    expect_keys(&store, d, cond(Name, Eq, "alpha"), &["alpha"]).await;
    expect_keys(&store, d, cond(Name, Eq, "ALPHA"), &[]).await;
    expect_keys(
        &store,
        d,
        cond(Name, Ne, "alpha"),
        &["Alpha", "a_b", "axb", "beta", "gamma"],
    )
    .await;
    // Bytewise: "Alpha" < "a_b" < "alpha" < "axb" < "beta" < "gamma".
    expect_keys(&store, d, cond(Name, Lt, "alpha"), &["Alpha", "a_b"]).await;
    expect_keys(
        &store,
        d,
        cond(Name, Lte, "alpha"),
        &["Alpha", "a_b", "alpha"],
    )
    .await;
    expect_keys(&store, d, cond(Name, Gt, "axb"), &["beta", "gamma"]).await;
    expect_keys(&store, d, cond(Name, Gte, "axb"), &["axb", "beta", "gamma"]).await;
    expect_keys(&store, d, cond(Name, Contains, "lph"), &["Alpha", "alpha"]).await;
    expect_keys(&store, d, cond(Name, Contains, "LPH"), &[]).await;
    expect_keys(&store, d, cond(Name, Contains, "Al"), &["Alpha"]).await;
    expect_keys(
        &store,
        d,
        cond(Name, NotContains, "ph"),
        &["a_b", "axb", "beta", "gamma"],
    )
    .await;
    expect_keys(
        &store,
        d,
        cond(Name, StartsWith, "a"),
        &["a_b", "alpha", "axb"],
    )
    .await;
    expect_keys(&store, d, cond(Name, StartsWith, "a_"), &["a_b"]).await;
    expect_keys(&store, d, cond(Name, StartsWith, "A"), &["Alpha"]).await;
    expect_keys(&store, d, cond(Name, EndsWith, "ta"), &["beta"]).await;
    expect_keys(&store, d, cond(Name, EndsWith, "A"), &[]).await;
    expect_keys(
        &store,
        d,
        cond(Name, In, "alpha,gamma,zeta"),
        &["alpha", "gamma"],
    )
    .await;
    expect_keys(
        &store,
        d,
        cond(Name, NotIn, "alpha,gamma"),
        &["Alpha", "a_b", "axb", "beta"],
    )
    .await;
    expect_keys(&store, d, cond(Desc, Contains, "%"), &["beta"]).await;
    expect_keys(&store, d, cond(Desc, Contains, "50% o"), &["beta"]).await;
    expect_keys(&store, d, cond(Desc, Contains, "_"), &["a_b"]).await;
    expect_keys(&store, d, cond(Desc, Contains, "\\"), &["axb"]).await;
    expect_keys(&store, d, cond(Desc, Contains, r"k\s"), &["axb"]).await;
    expect_keys(&store, d, cond(Desc, Contains, "first"), &["alpha"]).await;
    expect_keys(&store, d, cond(Desc, StartsWith, "%"), &[]).await;
    expect_keys(&store, d, cond(Desc, EndsWith, "_score"), &["a_b"]).await;
    expect_keys(&store, d, cond(Desc, Eq, ""), &["gamma"]).await;
    expect_keys(
        &store,
        d,
        cond(Desc, Gt, ""),
        &["Alpha", "a_b", "alpha", "axb", "beta"],
    )
    .await;
    // An empty pattern matches every text, as LIKE '%%' does.
    expect_keys(&store, d, cond(Desc, Contains, ""), &all).await;
}

/// Ids, owners and closed word sets: eq, ne, in, not_in.
pub async fn id_and_enum_filters(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let second = new_principal(t.domain.id, "second");
    insert_principal(&store, &second).await;
    let mut keys = Vec::new();
    for (name, owner, key_type, state) in [
        ("u1", &t.owner, KeyType::User, KeyState::Enabled),
        ("s1", &t.owner, KeyType::System, KeyState::Disabled),
        ("d1", &second, KeyType::Domain, KeyState::Enabled),
        ("g1", &second, KeyType::Delegation, KeyState::Disabled),
    ] {
        let mut key = new_key(owner, name);
        key.key_type = key_type;
        key.state = state;
        insert_key(&store, &key).await;
        keys.push(key);
    }
    let d = t.domain.id;
    use KeyField::{Id, Owner, State, Type};
    use Op::*;
    let (k0, k1) = (keys[0].id.to_string(), keys[1].id.to_string());
    expect_keys(&store, d, cond(Id, Eq, &k0), &["u1"]).await;
    expect_keys(&store, d, cond(Id, Ne, &k0), &["s1", "d1", "g1"]).await;
    expect_keys(
        &store,
        d,
        cond(Id, In, &format!("{k0},{k1}")),
        &["u1", "s1"],
    )
    .await;
    expect_keys(
        &store,
        d,
        cond(Id, NotIn, &format!("{k0},{k1}")),
        &["d1", "g1"],
    )
    .await;
    let (o1, o2) = (t.owner.id.to_string(), second.id.to_string());
    expect_keys(&store, d, cond(Owner, Eq, &o2), &["d1", "g1"]).await;
    expect_keys(&store, d, cond(Owner, Ne, &o2), &["u1", "s1"]).await;
    expect_keys(
        &store,
        d,
        cond(Owner, In, &format!("{o1},{o2}")),
        &["u1", "s1", "d1", "g1"],
    )
    .await;
    expect_keys(&store, d, cond(Owner, NotIn, &o1), &["d1", "g1"]).await;
    expect_keys(&store, d, cond(Type, Eq, "system"), &["s1"]).await;
    expect_keys(&store, d, cond(Type, Ne, "user"), &["s1", "d1", "g1"]).await;
    expect_keys(
        &store,
        d,
        cond(Type, In, "domain,delegation"),
        &["d1", "g1"],
    )
    .await;
    expect_keys(
        &store,
        d,
        cond(Type, NotIn, "domain,delegation"),
        &["u1", "s1"],
    )
    .await;
    expect_keys(&store, d, cond(State, Eq, "disabled"), &["s1", "g1"]).await;
    expect_keys(&store, d, cond(State, Ne, "disabled"), &["u1", "d1"]).await;
    expect_keys(&store, d, cond(State, In, "enabled"), &["u1", "d1"]).await;
    expect_keys(&store, d, cond(State, NotIn, "enabled,disabled"), &[]).await;
}

/// Times compare at microsecond precision. On a nullable time, `eq`/`lt`/… never match NULL,
/// `ne` does, and `Not` gives exactly the other rows.
pub async fn time_filters(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    for (name, created, expires, rotated) in [
        ("a", 0, None, None),
        ("b", 10, Some(100), Some(5)),
        ("c", 10, Some(200), None),
        ("d", 20, None, Some(6)),
    ] {
        let mut key = new_key(&t.owner, name);
        key.created_at = at(created);
        key.updated_at = at(created + 1);
        key.expires_at = expires.map(at);
        key.last_rotated_at = rotated.map(at);
        insert_key(&store, &key).await;
    }
    let d = t.domain.id;
    use KeyField::{CreatedAt, ExpiresAt, LastRotatedAt, LastUsedAt, UpdatedAt};
    use Op::*;
    expect_keys(&store, d, time_cond(CreatedAt, Eq, at(10)), &["b", "c"]).await;
    expect_keys(&store, d, time_cond(CreatedAt, Ne, at(10)), &["a", "d"]).await;
    expect_keys(&store, d, time_cond(CreatedAt, Lt, at(10)), &["a"]).await;
    expect_keys(
        &store,
        d,
        time_cond(CreatedAt, Lte, at(10)),
        &["a", "b", "c"],
    )
    .await;
    expect_keys(&store, d, time_cond(CreatedAt, Gt, at(10)), &["d"]).await;
    expect_keys(
        &store,
        d,
        time_cond(CreatedAt, Gte, at(10)),
        &["b", "c", "d"],
    )
    .await;
    // One microsecond apart is apart.
    expect_keys(&store, d, time_cond(CreatedAt, Gt, at(9)), &["b", "c", "d"]).await;
    expect_keys(&store, d, time_cond(UpdatedAt, Eq, at(11)), &["b", "c"]).await;
    expect_keys(&store, d, time_cond(UpdatedAt, Lt, at(11)), &["a"]).await;

    expect_keys(&store, d, cond(ExpiresAt, IsNull, ""), &["a", "d"]).await;
    expect_keys(&store, d, cond(ExpiresAt, IsNotNull, ""), &["b", "c"]).await;
    expect_keys(&store, d, time_cond(ExpiresAt, Eq, at(100)), &["b"]).await;
    expect_keys(
        &store,
        d,
        time_cond(ExpiresAt, Ne, at(100)),
        &["a", "c", "d"],
    )
    .await;
    expect_keys(&store, d, time_cond(ExpiresAt, Lt, at(150)), &["b"]).await;
    expect_keys(&store, d, time_cond(ExpiresAt, Lte, at(200)), &["b", "c"]).await;
    expect_keys(&store, d, time_cond(ExpiresAt, Gt, at(0)), &["b", "c"]).await;
    expect_keys(&store, d, time_cond(ExpiresAt, Gte, at(200)), &["c"]).await;
    let not_soon = Filter::Not(Box::new(time_cond(ExpiresAt, Lt, at(150))));
    expect_keys(&store, d, not_soon, &["a", "c", "d"]).await;
    let not_other = Filter::Not(Box::new(time_cond(ExpiresAt, Ne, at(100))));
    expect_keys(&store, d, not_other, &["b"]).await;

    expect_keys(&store, d, cond(LastRotatedAt, IsNotNull, ""), &["b", "d"]).await;
    expect_keys(&store, d, time_cond(LastRotatedAt, Gte, at(6)), &["d"]).await;
    expect_keys(
        &store,
        d,
        cond(LastUsedAt, IsNull, ""),
        &["a", "b", "c", "d"],
    )
    .await;
    let keys = store
        .list_keys(&key_query(d, Filter::default()))
        .await
        .expect("list_keys");
    let b = keys.iter().find(|k| k.name.as_str() == "b").expect("b");
    store
        .record_last_used(&[(b.id, at(1_000))])
        .await
        .expect("record_last_used");
    expect_keys(&store, d, cond(LastUsedAt, IsNotNull, ""), &["b"]).await;
    expect_keys(&store, d, time_cond(LastUsedAt, Eq, at(1_000)), &["b"]).await;
    expect_keys(&store, d, time_cond(LastUsedAt, Lt, at(1_000)), &[]).await;
}

/// Roles and scopes are sets of exact tokens: `eq` has it, `ne` lacks it, `in` has any,
/// `not_in` has none. No pattern or prefix semantics.
pub async fn token_set_filters(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    for (name, roles, scopes) in [
        ("both", vec!["admin", "reader"], vec!["billing:read"]),
        (
            "reader",
            vec!["reader"],
            vec!["billing:read", "billing:write"],
        ),
        ("none", vec![], vec![]),
        ("longer", vec!["admin:all"], vec!["a%"]),
        ("shorter", vec!["adm"], vec!["_"]),
    ] {
        let mut key = new_key(&t.owner, name);
        key.roles = tokens(&roles);
        key.scopes = tokens(&scopes);
        insert_key(&store, &key).await;
    }
    let d = t.domain.id;
    use KeyField::{Role, Scope};
    use Op::*;
    expect_keys(&store, d, cond(Role, Eq, "admin"), &["both"]).await;
    expect_keys(
        &store,
        d,
        cond(Role, Ne, "admin"),
        &["reader", "none", "longer", "shorter"],
    )
    .await;
    expect_keys(
        &store,
        d,
        cond(Role, In, "admin,reader"),
        &["both", "reader"],
    )
    .await;
    expect_keys(
        &store,
        d,
        cond(Role, NotIn, "admin,reader"),
        &["none", "longer", "shorter"],
    )
    .await;
    expect_keys(&store, d, cond(Role, Eq, "adm%"), &[]).await;
    expect_keys(&store, d, cond(Scope, Eq, "billing:write"), &["reader"]).await;
    expect_keys(&store, d, cond(Scope, In, "a%,_"), &["longer", "shorter"]).await;
    expect_keys(&store, d, cond(Scope, Eq, "billing"), &[]).await;
    expect_keys(
        &store,
        d,
        cond(Scope, NotIn, "billing:read"),
        &["none", "longer", "shorter"],
    )
    .await;
    let both = Filter::All(vec![
        cond(Role, Eq, "reader"),
        cond(Scope, Ne, "billing:write"),
    ]);
    expect_keys(&store, d, both, &["both"]).await;
}

async fn principal_names(
    store: &Arc<dyn Store>,
    domain: DomainId,
    filter: Filter<PrincipalField>,
) -> Vec<String> {
    let found = store
        .list_principals(&principal_query(domain, filter))
        .await
        .expect("list_principals");
    let mut names: Vec<String> = found.iter().map(|p| p.name.as_str().to_owned()).collect();
    names.sort();
    names
}

/// Principal fields: booleans, kinds, text, ids and times.
pub async fn principal_filters(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let mut made: Vec<Principal> = vec![t.owner.clone()];
    for (name, kind, external, created) in [
        ("bot", PrincipalKind::ServiceAccount, false, 5),
        ("ext-user", PrincipalKind::User, true, 10),
        ("ext-bot", PrincipalKind::ServiceAccount, true, 15),
    ] {
        let mut principal = new_principal(t.domain.id, name);
        principal.kind = kind;
        principal.external = external;
        principal.created_at = at(created);
        principal.description =
            keyward_core::model::Description::parse("description", format!("about {name}"))
                .expect("ok");
        insert_principal(&store, &principal).await;
        made.push(principal);
    }
    let d = t.domain.id;
    let check = |filter: Filter<PrincipalField>, expected: &[&str]| {
        let store = Arc::clone(&store);
        let expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        async move {
            let what = format!("{filter:?}");
            let mut expected = expected;
            expected.sort();
            assert_eq!(
                principal_names(&store, d, filter).await,
                expected,
                "filter {what}"
            );
        }
    };
    use Op::*;
    use PrincipalField::*;
    check(cond(External, Eq, "true"), &["ext-bot", "ext-user"]).await;
    check(cond(External, Ne, "true"), &["bot", "owner"]).await;
    check(cond(External, Eq, "false"), &["bot", "owner"]).await;
    check(cond(Kind, Eq, "service_account"), &["bot", "ext-bot"]).await;
    check(cond(Kind, NotIn, "service_account"), &["ext-user", "owner"]).await;
    check(cond(Name, StartsWith, "ext-"), &["ext-bot", "ext-user"]).await;
    check(cond(Description, EndsWith, "bot"), &["bot", "ext-bot"]).await;
    check(cond(Id, Eq, &made[1].id.to_string()), &["bot"]).await;
    check(time_cond(CreatedAt, Gte, at(10)), &["ext-bot", "ext-user"]).await;
    check(
        time_cond(UpdatedAt, Eq, at(0)),
        &["bot", "ext-bot", "ext-user", "owner"],
    )
    .await;
}

/// `All` is AND, `Any` is OR, `Not` negates; an empty `All` matches everything and an empty
/// `Any` nothing.
pub async fn filter_trees_combine_and_negate(store: Arc<dyn Store>) {
    let t = text_fixture(&store).await;
    let d = t.domain.id;
    let all = ["Alpha", "a_b", "alpha", "axb", "beta", "gamma"];
    use KeyField::Name;
    use Op::*;
    let not = |f: Filter<KeyField>| Filter::Not(Box::new(f));
    expect_keys(&store, d, Filter::All(vec![]), &all).await;
    expect_keys(&store, d, Filter::Any(vec![]), &[]).await;
    expect_keys(&store, d, not(Filter::All(vec![])), &[]).await;
    expect_keys(&store, d, not(Filter::Any(vec![])), &all).await;
    let either = Filter::Any(vec![cond(Name, Eq, "alpha"), cond(Name, Eq, "beta")]);
    expect_keys(&store, d, either.clone(), &["alpha", "beta"]).await;
    expect_keys(
        &store,
        d,
        not(either.clone()),
        &["Alpha", "a_b", "axb", "gamma"],
    )
    .await;
    let tree = Filter::All(vec![
        Filter::Any(vec![
            cond(Name, StartsWith, "a"),
            cond(Name, StartsWith, "b"),
        ]),
        not(Filter::Any(vec![
            cond(Name, Eq, "axb"),
            cond(Name, Eq, "beta"),
        ])),
        Filter::Any(vec![Filter::All(vec![]), cond(Name, Eq, "nothing")]),
    ]);
    expect_keys(&store, d, tree, &["a_b", "alpha"]).await;
    let nested = not(Filter::All(vec![
        cond(Name, Contains, "a"),
        not(cond(Name, Lt, "b")),
    ]));
    expect_keys(&store, d, nested, &["Alpha", "a_b", "alpha", "axb"]).await;
}

/// The largest filter the core accepts (64 conditions, lists of 1000 values) runs on every
/// backend: no limit on bound parameters or expression size is hit.
pub async fn largest_filters_run(store: Arc<dyn Store>) {
    let t = text_fixture(&store).await;
    let list = |prefix: &str| {
        (0..1000)
            .map(|i| format!("{prefix}{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut conditions = Vec::new();
    for i in 0..32 {
        conditions.push(cond(KeyField::Name, Op::NotIn, &list(&format!("n{i}-"))));
    }
    for i in 0..31 {
        conditions.push(cond(KeyField::Role, Op::NotIn, &list(&format!("r{i}-"))));
    }
    let ids: Vec<String> = (0..1000)
        .map(|_| uuid::Uuid::now_v7().to_string())
        .collect();
    conditions.push(cond(KeyField::Id, Op::NotIn, &ids.join(",")));
    let filter = Filter::All(conditions);
    filter
        .check_bounds()
        .expect("the largest filter the core accepts");
    let all = ["Alpha", "a_b", "alpha", "axb", "beta", "gamma"];
    expect_keys(&store, t.domain.id, filter.clone(), &all).await;
    let count = store
        .count_keys(&key_query(t.domain.id, filter))
        .await
        .expect("count_keys");
    assert_eq!(count, 6);
}

/// A list never leaves its domain, whatever the filter says.
pub async fn lists_stay_in_their_domain(store: Arc<dyn Store>) {
    let a = tenant(&store, "tenant-a").await;
    let b = tenant(&store, "tenant-b").await;
    insert_key(&store, &new_key(&a.owner, "shared-name")).await;
    insert_key(&store, &new_key(&b.owner, "shared-name")).await;
    let b_owner = b.owner.id.to_string();
    expect_keys(&store, a.domain.id, Filter::default(), &["shared-name"]).await;
    expect_keys(
        &store,
        a.domain.id,
        cond(KeyField::Owner, Op::Eq, &b_owner),
        &[],
    )
    .await;
    let query = key_query(a.domain.id, Filter::default());
    assert_eq!(store.count_keys(&query).await.expect("count_keys"), 1);
    let principals = principal_names(&store, a.domain.id, Filter::default()).await;
    assert_eq!(principals, vec!["owner".to_owned()]);
    expect_keys(&store, DomainId::new(), Filter::default(), &[]).await;
}
