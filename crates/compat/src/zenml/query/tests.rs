//! The dialect's parsing, without a server: what each ZenML value becomes in the core's model.
//! (`crates/testkit/tests/zenml/` runs every operator against a real store.)

use keyward_core::query::{Filter, KeyField, Op, Value, Window};

use super::filters::{split_operator, ZenOp};
use super::*;

fn parse(raw: &str) -> Result<ListRequest<KeyField>, ZenmlError> {
    ListRequest::parse(&API_KEYS, Some(raw), false)
}

fn conditions(filter: &Filter<KeyField>) -> Vec<(KeyField, Op, Value)> {
    match filter {
        Filter::Cond(c) => vec![(c.field(), c.op(), c.value().clone())],
        Filter::All(items) | Filter::Any(items) => items.iter().flat_map(conditions).collect(),
        Filter::Not(inner) => conditions(inner),
    }
}

#[test]
fn only_zenml_operator_words_are_operators() {
    assert_eq!(split_operator("startswith:ab"), (ZenOp::StartsWith, "ab"));
    assert_eq!(split_operator("a:b"), (ZenOp::Equals, "a:b"));
    assert_eq!(split_operator("equals:a:b"), (ZenOp::Equals, "a:b"));
    assert_eq!(split_operator("isnull:"), (ZenOp::IsNull, ""));
    assert_eq!(split_operator("plain"), (ZenOp::Equals, "plain"));
}

#[test]
fn defaults_are_zenmls() {
    let request = ListRequest::parse(&API_KEYS, None, false).expect("empty is fine");
    assert_eq!(
        (request.page, request.size, request.hydrate),
        (1, 20, false)
    );
    assert_eq!(request.sort.field, KeyField::CreatedAt);
    assert!(!request.sort.descending);
    assert_eq!(request.filter, Filter::All(vec![]));
}

#[test]
fn fields_map_to_the_core_and_combine_as_asked() {
    let request = parse("name=startswith:ci&active=false&last_login=isnull:").expect("valid");
    assert!(matches!(request.filter, Filter::All(_)));
    assert_eq!(
        conditions(&request.filter),
        vec![
            (KeyField::Name, Op::StartsWith, Value::Text("ci".into())),
            (KeyField::State, Op::Eq, Value::Text("disabled".into())),
            (KeyField::LastUsedAt, Op::IsNull, Value::Null),
        ]
    );
    let request = parse("name=a&name=b&logical_operator=or").expect("valid");
    assert!(matches!(request.filter, Filter::Any(ref items) if items.len() == 2));
}

#[test]
fn an_id_prefix_is_a_uuid_range() {
    let request = parse("id=startswith:0192ABCD-12").expect("valid");
    let got = conditions(&request.filter);
    assert_eq!(
        got,
        vec![
            (
                KeyField::Id,
                Op::Gte,
                Value::Text("0192abcd-1200-0000-0000-000000000000".into())
            ),
            (
                KeyField::Id,
                Op::Lte,
                Value::Text("0192abcd-12ff-ffff-ffff-ffffffffffff".into())
            ),
        ]
    );
}

#[test]
fn sorts_read_like_zenml() {
    let sort = |raw: &str| parse(&format!("sort_by={raw}")).map(|r| r.sort);
    let desc = sort("desc:last_login").expect("valid");
    assert_eq!((desc.field, desc.descending), (KeyField::LastUsedAt, true));
    let odd = sort("sideways:name").expect("an unknown direction is ascending");
    assert_eq!((odd.field, odd.descending), (KeyField::Name, false));
    assert_eq!(sort("active").expect("valid").field, KeyField::State);
    for bad in ["nonexistent", "desc:page", "service_account", "desc:"] {
        assert!(sort(bad).is_err(), "{bad}");
    }
}

#[test]
fn pages_become_offset_windows_and_end_where_the_total_does() {
    let request = parse("page=3&size=7").expect("valid");
    let query = request.query(keyward_core::ids::DomainId::new(), Filter::All(vec![]));
    assert_eq!(query.window, Window::Offset(14));
    assert_eq!(query.limit, 7);
    assert_eq!(request.page_count(15).expect("3 pages"), 3);
    assert!(request.page_count(14).is_err(), "page 3 of 2");
    let first = parse("page=1").expect("valid");
    assert_eq!(first.page_count(0).expect("one empty page"), 1);
    let huge = parse(&format!("page={}&size=10000", u64::MAX)).expect("valid");
    assert!(huge.page_count(5).is_err());
    let query = huge.query(keyward_core::ids::DomainId::new(), Filter::All(vec![]));
    assert_eq!(
        query.window,
        Window::Offset(u64::MAX),
        "saturates, never overflows"
    );
}
