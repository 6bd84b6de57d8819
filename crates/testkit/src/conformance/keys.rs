//! Key writes: optimistic versions, secret replacement, write-behind last use, the verify path's
//! lookup, and writers racing each other.

use std::sync::Arc;

use keyward_core::error::StoreError;
use keyward_core::ids::KeyId;
use keyward_core::model::{KeyState, SecretSlot};
use keyward_core::secret::SecretHash;
use keyward_core::store::Store;

use super::{at, insert_key, key_op, new_key, new_secret, tenant, tokens};

/// `update_key` writes only over the expected version, stores the new one, and answers `Stale`
/// for an old version or a missing key, changing nothing.
pub async fn update_key_checks_the_version(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let key = new_key(&t.owner, "k");
    insert_key(&store, &key).await;

    let mut next = key.clone();
    next.state = KeyState::Disabled;
    next.roles = tokens(&["reader"]);
    next.updated_at = at(10);
    next.version = 2;
    let stale = key_op(&next, "key.disable");
    assert!(
        matches!(
            store.update_key(&next, 2, &stale).await,
            Err(StoreError::Stale)
        ),
        "a wrong expected version is Stale"
    );
    assert_eq!(store.key(key.id).await.expect("key"), Some(key.clone()));
    assert_eq!(store.operation(stale.id).await.expect("operation"), None);

    store
        .update_key(&next, 1, &key_op(&next, "key.disable"))
        .await
        .expect("update_key over the right version");
    assert_eq!(store.key(key.id).await.expect("key"), Some(next.clone()));

    let mut late = key.clone();
    late.version = 2;
    assert!(
        matches!(
            store
                .update_key(&late, 1, &key_op(&late, "key.update"))
                .await,
            Err(StoreError::Stale)
        ),
        "a writer that read version 1 loses once version 2 is stored"
    );
    let ghost = new_key(&t.owner, "ghost");
    assert!(
        matches!(
            store
                .update_key(&ghost, 1, &key_op(&ghost, "key.update"))
                .await,
            Err(StoreError::Stale)
        ),
        "updating a missing key is Stale"
    );
}

/// `update_key` replaces the secrets: a rotation keeps the old one as secondary, a later update
/// without it makes its hash unknown.
pub async fn update_key_replaces_secrets(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let key = new_key(&t.owner, "k");
    insert_key(&store, &key).await;
    let old_hash = key.secrets[0].hash;

    let mut rotated = key.clone();
    let mut old = rotated.secrets[0].clone();
    old.slot = SecretSlot::Secondary;
    old.expires_at = Some(at(3_600_000_000));
    let mut fresh = new_secret(SecretSlot::Primary);
    fresh.created_at = at(20);
    rotated.secrets = vec![fresh.clone(), old];
    rotated.last_rotated_at = Some(at(20));
    rotated.version = 2;
    store
        .update_key(&rotated, 1, &key_op(&rotated, "key.rotate"))
        .await
        .expect("rotate");
    assert_eq!(store.key(key.id).await.expect("key"), Some(rotated.clone()));
    for hash in [old_hash, fresh.hash] {
        assert_eq!(
            store.key_by_secret_hash(&hash).await.expect("lookup"),
            Some(rotated.clone()),
            "both live secrets find the key"
        );
    }

    let mut settled = rotated.clone();
    settled.secrets = vec![fresh.clone()];
    settled.version = 3;
    store
        .update_key(&settled, 2, &key_op(&settled, "key.rotate"))
        .await
        .expect("drop the old secret");
    assert_eq!(
        store.key_by_secret_hash(&old_hash).await.expect("lookup"),
        None
    );
    assert_eq!(
        store.key_by_secret_hash(&fresh.hash).await.expect("lookup"),
        Some(settled)
    );
}

/// `record_last_used` only moves `last_used_at` forward (latest of a batch wins, unknown keys are
/// skipped), touches nothing else, and `update_key` never moves it.
pub async fn last_used_moves_forward_only(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let key = new_key(&t.owner, "k");
    let other = new_key(&t.owner, "other");
    insert_key(&store, &key).await;
    insert_key(&store, &other).await;
    let last_used = |k: Option<keyward_core::model::ApiKey>| k.expect("key exists").last_used_at;

    store.record_last_used(&[]).await.expect("an empty batch");
    store
        .record_last_used(&[(key.id, at(1_000))])
        .await
        .expect("record");
    assert_eq!(
        last_used(store.key(key.id).await.expect("key")),
        Some(at(1_000))
    );

    store
        .record_last_used(&[(key.id, at(500))])
        .await
        .expect("record an older use");
    assert_eq!(
        last_used(store.key(key.id).await.expect("key")),
        Some(at(1_000)),
        "an older use does not move it back"
    );

    store
        .record_last_used(&[
            (key.id, at(3_000)),
            (KeyId::new(), at(9_999)),
            (other.id, at(2_000)),
            (key.id, at(2_500)),
        ])
        .await
        .expect("a mixed batch");
    let stored = store.key(key.id).await.expect("key").expect("exists");
    assert_eq!(
        stored.last_used_at,
        Some(at(3_000)),
        "the latest use of a batch wins"
    );
    assert_eq!(
        last_used(store.key(other.id).await.expect("key")),
        Some(at(2_000))
    );
    assert_eq!(
        stored.version, key.version,
        "last use is not a management change"
    );
    assert_eq!(stored.updated_at, key.updated_at);

    // A management change made from a snapshot read before the use must not erase it.
    let mut edit = key.clone();
    edit.last_used_at = None;
    edit.version = 2;
    store
        .update_key(&edit, 1, &key_op(&edit, "key.update"))
        .await
        .expect("update_key");
    assert_eq!(
        last_used(store.key(key.id).await.expect("key")),
        Some(at(3_000))
    );
    let mut edit = edit.clone();
    edit.last_used_at = Some(at(9_000_000));
    edit.version = 3;
    store
        .update_key(&edit, 2, &key_op(&edit, "key.update"))
        .await
        .expect("update_key");
    assert_eq!(
        last_used(store.key(key.id).await.expect("key")),
        Some(at(3_000)),
        "update_key never writes last_used_at"
    );
}

/// Deleting a key removes it and its secrets; deleting it again (or any missing key) is `Stale`.
pub async fn delete_key_removes_its_secrets(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let mut key = new_key(&t.owner, "k");
    key.secrets.push(new_secret(SecretSlot::Secondary));
    insert_key(&store, &key).await;
    store
        .delete_key(key.id, &key_op(&key, "key.delete"))
        .await
        .expect("delete_key");
    assert_eq!(store.key(key.id).await.expect("key"), None);
    for secret in &key.secrets {
        assert_eq!(
            store
                .key_by_secret_hash(&secret.hash)
                .await
                .expect("lookup"),
            None
        );
    }
    let again = key_op(&key, "key.delete");
    assert!(matches!(
        store.delete_key(key.id, &again).await,
        Err(StoreError::Stale)
    ));
    assert_eq!(store.operation(again.id).await.expect("operation"), None);
    // The name is free again.
    insert_key(&store, &new_key(&t.owner, "k")).await;
}

/// Any of a key's secrets — expired grace-period ones too: the verifier judges expiry — finds the
/// whole key with all its secrets; an unknown hash finds nothing.
pub async fn key_by_secret_hash_finds_every_secret(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let mut key = new_key(&t.owner, "k");
    let mut expired = new_secret(SecretSlot::Secondary);
    expired.expires_at = Some(at(-1));
    key.secrets.push(expired);
    insert_key(&store, &key).await;
    insert_key(&store, &new_key(&t.owner, "neighbour")).await;
    for secret in &key.secrets {
        assert_eq!(
            store
                .key_by_secret_hash(&secret.hash)
                .await
                .expect("lookup"),
            Some(key.clone())
        );
    }
    assert_eq!(
        store
            .key_by_secret_hash(&SecretHash([7; 32]))
            .await
            .expect("lookup"),
        None
    );
}

/// Writers racing on one key: exactly one wins each version, the rest are `Stale` (never a
/// driver error such as SQLITE_BUSY). Writers on different keys all succeed.
pub async fn concurrent_writes_settle(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let key = new_key(&t.owner, "contested");
    insert_key(&store, &key).await;

    let mut racers = Vec::new();
    for i in 0..8 {
        let store = Arc::clone(&store);
        let mut next = key.clone();
        next.roles = tokens(&[&format!("writer-{i}")]);
        next.version = 2;
        racers.push(tokio::spawn(async move {
            store
                .update_key(&next, 1, &key_op(&next, "key.update"))
                .await
        }));
    }
    let mut won = 0;
    for racer in racers {
        match racer.await.expect("task") {
            Ok(()) => won += 1,
            Err(StoreError::Stale) => {}
            Err(other) => panic!("a racing writer failed with {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one writer wins version 2");

    let mut writers = Vec::new();
    for i in 0..16 {
        let store = Arc::clone(&store);
        let fresh = new_key(&t.owner, &format!("parallel-{i}"));
        writers.push(tokio::spawn(async move {
            store
                .insert_key(&fresh, &key_op(&fresh, "key.create"))
                .await?;
            store
                .record_last_used(&[(fresh.id, at(i))])
                .await
                .map(|()| fresh.id)
        }));
    }
    for writer in writers {
        let id = writer
            .await
            .expect("task")
            .expect("parallel writes all succeed");
        assert!(store.key(id).await.expect("key").is_some());
    }
}

/// `key_in_domain` finds a key only in its own domain: another domain's key misses like an id
/// that was never used, and `key` (root's view) still finds it.
pub async fn key_in_domain_sees_only_its_domain(store: Arc<dyn Store>) {
    let home = tenant(&store, "home").await;
    let other = tenant(&store, "other").await;
    let key = new_key(&home.owner, "k");
    insert_key(&store, &key).await;

    let found = store.key_in_domain(key.id, home.domain.id).await;
    assert_eq!(found.expect("key_in_domain"), Some(key.clone()));
    let foreign = store.key_in_domain(key.id, other.domain.id).await;
    assert_eq!(
        foreign.expect("key_in_domain"),
        None,
        "another domain's key"
    );
    let unknown = store.key_in_domain(KeyId::new(), home.domain.id).await;
    assert_eq!(unknown.expect("key_in_domain"), None, "an unknown id");
    assert_eq!(store.key(key.id).await.expect("key"), Some(key));
}
