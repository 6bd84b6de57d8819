//! The change log: one operation per change, written with it, read back whole, newest first.

use std::sync::Arc;

use keyward_core::ids::{DomainId, KeyId, OperationId, PrincipalId};
use keyward_core::model::{Actor, Operation, TargetKind};
use keyward_core::query::OperationQuery;
use keyward_core::store::Store;
use serde_json::json;
use uuid::Uuid;

use super::{at, insert_key, key_op, new_domain, new_key, new_principal, op, tenant};

/// Every mutating call stores its operation exactly as given (actor, action, target, time with
/// microseconds, metadata and result JSON), and only when the change itself happens.
pub async fn operations_are_written_with_their_changes(store: Arc<dyn Store>) {
    let domain = new_domain("acme");
    let mut create = op(
        domain.id,
        "domain.create",
        TargetKind::Domain,
        domain.id.as_uuid(),
    );
    create.at = at(17);
    create.metadata = json!({"bootstrap": true, "list": [1, "two", null], "n": 1.5});
    create.result = json!({"name": "acme", "nested": {"deep": ["x"]}});
    store
        .insert_domain(&domain, &create)
        .await
        .expect("insert_domain");
    assert_eq!(
        store.operation(create.id).await.expect("operation"),
        Some(create.clone())
    );

    let principal = new_principal(domain.id, "owner");
    let mut by_key = op(
        domain.id,
        "principal.create",
        TargetKind::Principal,
        principal.id.as_uuid(),
    );
    by_key.actor = Actor::Key {
        key_id: KeyId::new(),
        principal_id: PrincipalId::new(),
    };
    by_key.metadata = json!({"changed": ["name", "description"]});
    store
        .insert_principal(&principal, &by_key)
        .await
        .expect("insert_principal");
    assert_eq!(
        store.operation(by_key.id).await.expect("operation"),
        Some(by_key)
    );

    let key = new_key(&principal, "k");
    let mut steps = vec![key_op(&key, "key.create")];
    store.insert_key(&key, &steps[0]).await.expect("insert_key");
    let mut next = key.clone();
    next.version = 2;
    steps.push(key_op(&key, "key.update"));
    store
        .update_key(&next, 1, &steps[1])
        .await
        .expect("update_key");
    steps.push(key_op(&key, "key.delete"));
    store
        .delete_key(key.id, &steps[2])
        .await
        .expect("delete_key");
    let mut renamed = principal.clone();
    renamed.updated_at = at(5);
    steps.push(op(
        domain.id,
        "principal.update",
        TargetKind::Principal,
        principal.id.as_uuid(),
    ));
    store
        .update_principal(&renamed, &steps[3])
        .await
        .expect("update_principal");
    steps.push(op(
        domain.id,
        "principal.delete",
        TargetKind::Principal,
        principal.id.as_uuid(),
    ));
    store
        .delete_principal(principal.id, &steps[4])
        .await
        .expect("delete_principal");
    let mut touched = domain.clone();
    touched.updated_at = at(6);
    steps.push(op(
        domain.id,
        "domain.update",
        TargetKind::Domain,
        domain.id.as_uuid(),
    ));
    store
        .update_domain(&touched, &steps[5])
        .await
        .expect("update_domain");
    steps.push(op(
        domain.id,
        "domain.delete",
        TargetKind::Domain,
        domain.id.as_uuid(),
    ));
    store
        .delete_domain(domain.id, &steps[6])
        .await
        .expect("delete_domain");
    for step in &steps {
        assert_eq!(
            store.operation(step.id).await.expect("operation").as_ref(),
            Some(step),
            "{} was recorded",
            step.action
        );
    }
    assert_eq!(
        store
            .operation(OperationId::new())
            .await
            .expect("operation"),
        None
    );

    // Refused changes leave no record.
    let refused = [
        op(
            domain.id,
            "domain.delete",
            TargetKind::Domain,
            domain.id.as_uuid(),
        ),
        key_op(&key, "key.delete"),
    ];
    assert!(store.delete_domain(domain.id, &refused[0]).await.is_err());
    assert!(store.delete_key(key.id, &refused[1]).await.is_err());
    for record in &refused {
        assert_eq!(store.operation(record.id).await.expect("operation"), None);
    }
}

fn ids(ops: &[Operation]) -> Vec<OperationId> {
    ops.iter().map(|o| o.id).collect()
}

fn query(domain: Option<DomainId>, limit: u32) -> OperationQuery {
    OperationQuery {
        domain,
        target_id: None,
        action: None,
        before: None,
        limit,
    }
}

/// Lists are newest first (by id), return `limit + 1` rows, continue strictly before `before`,
/// and filter by domain, target and action; without a domain they span every domain.
pub async fn operations_page_newest_first(store: Arc<dyn Store>) {
    let a = tenant(&store, "tenant-a").await;
    let b = tenant(&store, "tenant-b").await;
    let mut keys = Vec::new();
    for i in 0..5 {
        let key = new_key(
            if i % 2 == 0 { &a.owner } else { &b.owner },
            &format!("k{i}"),
        );
        insert_key(&store, &key).await;
        keys.push(key);
    }
    let everything = store
        .list_operations(&query(None, 1000))
        .await
        .expect("list_operations");
    // Two domains, two principals and five keys.
    assert_eq!(everything.len(), 9);
    let mut newest_first = ids(&everything);
    newest_first.sort_by(|x, y| y.cmp(x));
    assert_eq!(ids(&everything), newest_first, "newest first by id");

    let in_a: Vec<OperationId> = everything
        .iter()
        .filter(|o| o.domain == a.domain.id)
        .map(|o| o.id)
        .collect();
    assert_eq!(in_a.len(), 5);
    let mut walked = Vec::new();
    let mut before: Option<Uuid> = None;
    loop {
        let mut page = query(Some(a.domain.id), 2);
        page.before = before;
        let mut found = store.list_operations(&page).await.expect("list_operations");
        assert!(found.len() <= 3, "at most limit + 1 rows");
        let more = found.len() > 2;
        found.truncate(2);
        walked.extend(ids(&found));
        before = found.last().map(|o| o.id.as_uuid());
        if !more {
            break;
        }
    }
    assert_eq!(
        walked, in_a,
        "pages walk the domain's log once, newest first"
    );

    let target = keys[2].id.as_uuid();
    let mut by_target = query(Some(a.domain.id), 10);
    by_target.target_id = Some(target);
    let found = store.list_operations(&by_target).await.expect("by target");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].target_id, target);

    let mut by_action = query(None, 10);
    by_action.action = Some("principal.create".into());
    let found = store.list_operations(&by_action).await.expect("by action");
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|o| o.action == "principal.create"));

    let mut elsewhere = query(Some(b.domain.id), 10);
    elsewhere.target_id = Some(target);
    assert!(store
        .list_operations(&elsewhere)
        .await
        .expect("list")
        .is_empty());
    assert!(store
        .list_operations(&query(Some(DomainId::new()), 10))
        .await
        .expect("list")
        .is_empty());
}
