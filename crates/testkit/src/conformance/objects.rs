//! Round trips of every field, uniqueness rules, and what may be deleted when.

use std::sync::Arc;

use keyward_core::error::{Entity, StoreError};
use keyward_core::ids::{DomainId, KeyId, PrincipalId};
use keyward_core::model::{
    AllowedCidr, Description, KeyState, KeyType, Metadata, PrincipalKind, SecretSlot, TargetKind,
};
use keyward_core::query::{Condition, Filter, Op, PrincipalField};
use keyward_core::store::Store;
use serde_json::json;

use super::{
    at, insert_domain, insert_key, insert_principal, key_op, name, new_domain, new_key,
    new_principal, new_secret, op, principal_query, tenant, tokens,
};

fn assert_conflict(result: Result<(), StoreError>, entity: Entity, what: &str) {
    match result {
        Err(StoreError::Conflict { entity: got, .. }) => {
            assert_eq!(got, entity, "{what}: conflict on the wrong entity")
        }
        other => panic!("{what}: expected Conflict({entity:?}), got {other:?}"),
    }
}

fn assert_stale(result: Result<(), StoreError>, what: &str) {
    assert!(
        matches!(result, Err(StoreError::Stale)),
        "{what}: expected Stale, got {result:?}"
    );
}

/// Domains: insert/get of every field, root lookup, emptiness, id-ordered pages of `limit + 1`,
/// updates, unique names, a single root.
pub async fn domains_round_trip(store: Arc<dyn Store>) {
    assert!(store.is_empty().await.expect("is_empty"));
    assert_eq!(store.root_domain().await.expect("root_domain"), None);

    let mut root = new_domain("root");
    root.is_root = true;
    root.description = Description::parse("description", "the first\nwith ünïcode").expect("ok");
    root.created_at = at(1);
    root.updated_at = at(2);
    insert_domain(&store, &root).await;
    assert!(!store.is_empty().await.expect("is_empty"));
    assert_eq!(
        store.domain(root.id).await.expect("domain"),
        Some(root.clone())
    );
    assert_eq!(store.root_domain().await.expect("root"), Some(root.clone()));
    assert_eq!(store.domain(DomainId::new()).await.expect("domain"), None);

    let mut second_root = new_domain("another-root");
    second_root.is_root = true;
    let record = op(
        second_root.id,
        "domain.create",
        TargetKind::Domain,
        second_root.id.as_uuid(),
    );
    assert_conflict(
        store.insert_domain(&second_root, &record).await,
        Entity::Domain,
        "a second root domain",
    );
    let same_name = new_domain("root");
    let record = op(
        same_name.id,
        "domain.create",
        TargetKind::Domain,
        same_name.id.as_uuid(),
    );
    assert_conflict(
        store.insert_domain(&same_name, &record).await,
        Entity::Domain,
        "a duplicate domain name",
    );

    let mut others = Vec::new();
    for i in 0..4 {
        let domain = new_domain(&format!("tenant-{i}"));
        insert_domain(&store, &domain).await;
        others.push(domain);
    }
    let mut all: Vec<_> = others.iter().chain([&root]).map(|d| d.id).collect();
    all.sort();
    let first = store.list_domains(None, 2).await.expect("list_domains");
    assert_eq!(
        first.iter().map(|d| d.id).collect::<Vec<_>>(),
        all[..3],
        "limit + 1 rows, ordered by id"
    );
    let rest = store
        .list_domains(Some(all[1]), 10)
        .await
        .expect("list_domains");
    assert_eq!(rest.iter().map(|d| d.id).collect::<Vec<_>>(), all[2..]);

    let mut renamed = others[0].clone();
    renamed.name = name("renamed");
    renamed.description = Description::parse("description", "now described").expect("ok");
    renamed.updated_at = at(99);
    let record = op(
        renamed.id,
        "domain.update",
        TargetKind::Domain,
        renamed.id.as_uuid(),
    );
    store
        .update_domain(&renamed, &record)
        .await
        .expect("update_domain");
    assert_eq!(
        store.domain(renamed.id).await.expect("domain"),
        Some(renamed.clone())
    );

    let mut clash = others[1].clone();
    clash.name = name("renamed");
    let record = op(
        clash.id,
        "domain.update",
        TargetKind::Domain,
        clash.id.as_uuid(),
    );
    assert_conflict(
        store.update_domain(&clash, &record).await,
        Entity::Domain,
        "renaming a domain onto a taken name",
    );
    let missing = new_domain("missing");
    let record = op(
        missing.id,
        "domain.update",
        TargetKind::Domain,
        missing.id.as_uuid(),
    );
    assert_stale(
        store.update_domain(&missing, &record).await,
        "updating a missing domain",
    );
}

/// A domain with principals cannot be deleted; an empty one can, and its operations outlive it.
pub async fn domain_delete_requires_no_principals(store: Arc<dyn Store>) {
    let t = tenant(&store, "doomed").await;
    let delete = op(
        t.domain.id,
        "domain.delete",
        TargetKind::Domain,
        t.domain.id.as_uuid(),
    );
    assert_conflict(
        store.delete_domain(t.domain.id, &delete).await,
        Entity::Domain,
        "deleting a domain with principals",
    );
    assert!(store.domain(t.domain.id).await.expect("domain").is_some());

    let record = op(
        t.domain.id,
        "principal.delete",
        TargetKind::Principal,
        t.owner.id.as_uuid(),
    );
    store
        .delete_principal(t.owner.id, &record)
        .await
        .expect("delete_principal");
    store
        .delete_domain(t.domain.id, &delete)
        .await
        .expect("delete_domain");
    assert_eq!(store.domain(t.domain.id).await.expect("domain"), None);
    assert!(
        store
            .operation(delete.id)
            .await
            .expect("operation")
            .is_some(),
        "the domain's history stays"
    );

    let again = op(
        t.domain.id,
        "domain.delete",
        TargetKind::Domain,
        t.domain.id.as_uuid(),
    );
    assert_stale(
        store.delete_domain(t.domain.id, &again).await,
        "deleting it twice",
    );
}

/// Principals: every field, names unique within a domain only, updates, missing rows.
pub async fn principals_round_trip(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    assert_eq!(
        store.principal(t.owner.id).await.expect("principal"),
        Some(t.owner.clone())
    );

    let mut robot = new_principal(t.domain.id, "deploy-bot");
    robot.kind = PrincipalKind::ServiceAccount;
    robot.external = true;
    robot.description = Description::parse("description", "CI\tbot").expect("ok");
    robot.created_at = at(-5);
    robot.updated_at = at(7);
    insert_principal(&store, &robot).await;
    assert_eq!(
        store.principal(robot.id).await.expect("principal"),
        Some(robot.clone())
    );
    assert_eq!(
        store
            .principal(PrincipalId::new())
            .await
            .expect("principal"),
        None
    );

    let twin = new_principal(t.domain.id, "deploy-bot");
    let record = op(
        t.domain.id,
        "principal.create",
        TargetKind::Principal,
        twin.id.as_uuid(),
    );
    assert_conflict(
        store.insert_principal(&twin, &record).await,
        Entity::Principal,
        "a duplicate principal name in one domain",
    );
    let other = tenant(&store, "other").await;
    insert_principal(&store, &new_principal(other.domain.id, "deploy-bot")).await;

    // Counting sees one domain's principals, through the filter.
    let count = |query| {
        let store = Arc::clone(&store);
        async move { store.count_principals(&query).await.expect("count") }
    };
    assert_eq!(
        count(principal_query(t.domain.id, Filter::default())).await,
        2
    );
    let named = Condition::parse(PrincipalField::Name, Op::Eq, "deploy-bot").expect("ok");
    assert_eq!(
        count(principal_query(t.domain.id, Filter::Cond(named))).await,
        1
    );

    let orphan = new_principal(DomainId::new(), "orphan");
    let record = op(
        orphan.domain,
        "principal.create",
        TargetKind::Principal,
        orphan.id.as_uuid(),
    );
    assert!(
        matches!(
            store.insert_principal(&orphan, &record).await,
            Err(StoreError::Conflict { .. })
        ),
        "a principal of a missing domain"
    );

    let mut renamed = robot.clone();
    renamed.name = name("release-bot");
    renamed.description = Description::parse("description", "").expect("ok");
    renamed.updated_at = at(50);
    let record = op(
        t.domain.id,
        "principal.update",
        TargetKind::Principal,
        robot.id.as_uuid(),
    );
    store
        .update_principal(&renamed, &record)
        .await
        .expect("update_principal");
    assert_eq!(
        store.principal(robot.id).await.expect("principal"),
        Some(renamed.clone())
    );

    let mut clash = renamed.clone();
    clash.name = name("owner");
    assert_conflict(
        store.update_principal(&clash, &record).await,
        Entity::Principal,
        "renaming onto a taken principal name",
    );
    let ghost = new_principal(t.domain.id, "ghost");
    assert_stale(
        store.update_principal(&ghost, &record).await,
        "updating a missing principal",
    );
}

/// A principal that owns keys cannot be deleted; once its keys are gone it can.
pub async fn principal_delete_requires_no_keys(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let key = new_key(&t.owner, "k");
    insert_key(&store, &key).await;
    let delete = op(
        t.domain.id,
        "principal.delete",
        TargetKind::Principal,
        t.owner.id.as_uuid(),
    );
    assert_conflict(
        store.delete_principal(t.owner.id, &delete).await,
        Entity::Principal,
        "deleting a principal that owns keys",
    );
    assert!(store
        .principal(t.owner.id)
        .await
        .expect("principal")
        .is_some());

    store
        .delete_key(key.id, &key_op(&key, "key.delete"))
        .await
        .expect("delete_key");
    store
        .delete_principal(t.owner.id, &delete)
        .await
        .expect("delete_principal");
    assert_eq!(store.principal(t.owner.id).await.expect("principal"), None);
    let again = op(
        t.domain.id,
        "principal.delete",
        TargetKind::Principal,
        t.owner.id.as_uuid(),
    );
    assert_stale(
        store.delete_principal(t.owner.id, &again).await,
        "deleting it twice",
    );
}

/// Every field of a key survives the round trip, microseconds, JSON and secrets included.
pub async fn keys_round_trip(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let plain = new_key(&t.owner, "plain");
    insert_key(&store, &plain).await;
    assert_eq!(store.key(plain.id).await.expect("key"), Some(plain.clone()));

    let mut full = new_key(&t.owner, "full: every field ✓");
    full.description =
        Description::parse("description", "line one\nline \"two\" 'x' %_\\").expect("ok");
    full.key_type = KeyType::Delegation;
    full.state = KeyState::Disabled;
    full.roles = tokens(&["keyward:admin", "billing:read", "ünï"]);
    full.scopes = tokens(&["yc.ydb.topics.manage", "a%b_c"]);
    full.allowed_cidrs = vec![
        AllowedCidr::parse(Some("office".into()), "192.0.2.0/24").expect("cidr"),
        AllowedCidr::parse(None, "2001:db8::/32").expect("cidr"),
        AllowedCidr::parse(None, "198.51.100.7").expect("cidr"),
    ];
    full.expires_at = Some(at(86_400_000_001));
    full.metadata = Metadata::parse(
        "metadata",
        json!({"team": "payments", "nested": {"list": [1, 2.5, "x", null, true]}, "empty": {}}),
    )
    .expect("metadata");
    full.created_at = at(-1);
    full.updated_at = at(3);
    full.last_used_at = Some(at(4));
    full.last_rotated_at = Some(at(5));
    let mut secondary = new_secret(SecretSlot::Secondary);
    secondary.created_at = at(-7);
    secondary.expires_at = Some(at(300_000_009));
    full.secrets.push(secondary);
    full.version = 7;
    insert_key(&store, &full).await;
    assert_eq!(store.key(full.id).await.expect("key"), Some(full.clone()));
    assert_eq!(store.key(KeyId::new()).await.expect("key"), None);
}

/// Key names are unique per owner, not per domain; a refused write leaves nothing behind.
pub async fn key_names_are_unique_per_owner(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let first = new_key(&t.owner, "ci-deploy");
    insert_key(&store, &first).await;

    let twin = new_key(&t.owner, "ci-deploy");
    let record = key_op(&twin, "key.create");
    assert_conflict(
        store.insert_key(&twin, &record).await,
        Entity::Key,
        "a duplicate key name for one owner",
    );
    assert_eq!(store.key(twin.id).await.expect("key"), None);
    assert_eq!(
        store
            .key_by_secret_hash(&twin.secrets[0].hash)
            .await
            .expect("lookup"),
        None,
        "a refused key's secrets are not stored"
    );
    assert_eq!(
        store.operation(record.id).await.expect("operation"),
        None,
        "a refused change records no operation"
    );

    let colleague = new_principal(t.domain.id, "colleague");
    insert_principal(&store, &colleague).await;
    insert_key(&store, &new_key(&colleague, "ci-deploy")).await;

    let mut second = new_key(&t.owner, "second");
    insert_key(&store, &second).await;
    second.name = name("ci-deploy");
    second.version = 2;
    assert_conflict(
        store
            .update_key(&second, 1, &key_op(&second, "key.update"))
            .await,
        Entity::Key,
        "renaming a key onto a taken name",
    );
    assert_eq!(
        store.key(second.id).await.expect("key").map(|k| k.name),
        Some(name("second"))
    );
}

/// A key's owner must exist in the key's own domain (tenancy is enforced by the schema too).
pub async fn key_owner_must_live_in_the_key_domain(store: Arc<dyn Store>) {
    let a = tenant(&store, "tenant-a").await;
    let b = tenant(&store, "tenant-b").await;
    let mut misplaced = new_key(&a.owner, "misplaced");
    misplaced.domain = b.domain.id;
    let record = key_op(&misplaced, "key.create");
    assert!(
        matches!(
            store.insert_key(&misplaced, &record).await,
            Err(StoreError::Conflict { .. })
        ),
        "a key in another domain than its owner's"
    );
    let mut orphan = new_key(&a.owner, "orphan");
    orphan.owner = PrincipalId::new();
    let record = key_op(&orphan, "key.create");
    assert!(
        matches!(
            store.insert_key(&orphan, &record).await,
            Err(StoreError::Conflict { .. })
        ),
        "a key whose owner does not exist"
    );
    assert_eq!(store.key(misplaced.id).await.expect("key"), None);
    assert_eq!(store.key(orphan.id).await.expect("key"), None);
}
