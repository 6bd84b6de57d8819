//! Usage control in the store: limits round-trip on keys and principals, every key read carries
//! its owner's limits, and a credit balance changes only by compare-and-set (or when `update_key`
//! is given a new credit epoch).

use std::sync::Arc;

use keyward_core::model::TargetKind;
use keyward_core::store::Store;
use keyward_core::usage::{Calendar, Credits, Limits, Quota, RateLimit, Refill, RefillMode};

use super::{at, insert_key, key_op, new_key, op, tenant};

fn limits() -> Limits {
    Limits {
        rate_limits: vec![RateLimit {
            name: "requests".into(),
            limit: 100,
            period: std::time::Duration::from_secs(60),
            burst: 10,
            mode: None,
        }],
        quotas: vec![Quota {
            name: "daily".into(),
            limit: 5,
            per: Calendar::Day,
            mode: None,
        }],
    }
}

pub async fn usage_limits_round_trip(store: Arc<dyn Store>) {
    let mut t = tenant(&store, "metered").await;
    t.owner.limits = limits();
    t.owner.updated_at = at(9);
    let record = op(
        t.domain.id,
        "principal.update",
        TargetKind::Principal,
        t.owner.id.as_uuid(),
    );
    store
        .update_principal(&t.owner, &record)
        .await
        .expect("update_principal");
    assert_eq!(
        store
            .principal(t.owner.id)
            .await
            .expect("principal")
            .map(|p| p.limits),
        Some(limits())
    );

    let mut key = new_key(&t.owner, "metered");
    key.limits = limits();
    key.credits = Some(Credits {
        remaining: 42,
        refill: Some(Refill {
            amount: 50,
            every: Calendar::Month,
            mode: RefillMode::Add,
        }),
        refilled_at: at(1),
    });
    insert_key(&store, &key).await;
    let read = store.key(key.id).await.expect("key").expect("found");
    assert_eq!(read.limits, limits());
    assert_eq!(read.credits, key.credits);
    assert_eq!(
        read.usage.owner,
        limits(),
        "a key read carries its owner's limits"
    );
    let by_hash = store
        .key_by_secret_hash(&key.secrets[0].hash)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(by_hash.usage.owner, limits());
}

pub async fn credits_change_by_compare_and_set(store: Arc<dyn Store>) {
    let t = tenant(&store, "credits").await;
    let plain = new_key(&t.owner, "plain");
    insert_key(&store, &plain).await;
    assert_eq!(store.key_credits(plain.id).await.expect("read"), None);

    let mut key = new_key(&t.owner, "metered");
    key.credits = Some(Credits::new(10, None, at(0)));
    insert_key(&store, &key).await;
    let stored = store
        .key_credits(key.id)
        .await
        .expect("read")
        .expect("a balance");
    assert_eq!((stored.credits.remaining, stored.epoch), (10, 0));

    let mut taken = stored;
    taken.credits.remaining = 7;
    assert!(store
        .swap_credits(key.id, &stored, &taken, None)
        .await
        .expect("swap"));
    assert!(
        !store
            .swap_credits(key.id, &stored, &taken, None)
            .await
            .expect("swap"),
        "the stored balance is no longer what the second swap expected"
    );
    assert_eq!(
        store
            .key_credits(key.id)
            .await
            .expect("read")
            .map(|c| c.credits.remaining),
        Some(7)
    );

    // An update that keeps the epoch leaves the balance alone (nodes lease from it) ...
    let mut renamed = store.key(key.id).await.expect("key").expect("found");
    renamed.credits = Some(Credits::new(1_000, None, at(2)));
    renamed.version += 1;
    store
        .update_key(&renamed, key.version, &key_op(&renamed, "key.update"))
        .await
        .expect("update_key");
    assert_eq!(
        store
            .key_credits(key.id)
            .await
            .expect("read")
            .map(|c| c.credits.remaining),
        Some(7)
    );
    // ... and one with a new epoch sets it.
    let mut set = store.key(key.id).await.expect("key").expect("found");
    set.credits = Some(Credits::new(1_000, None, at(3)));
    set.credits_epoch += 1;
    set.version += 1;
    store
        .update_key(&set, renamed.version, &key_op(&set, "key.update"))
        .await
        .expect("update_key");
    let after = store
        .key_credits(key.id)
        .await
        .expect("read")
        .expect("a balance");
    assert_eq!((after.credits.remaining, after.epoch), (1_000, 1));

    // A top-up writes its operation with the balance.
    let mut topped = after;
    topped.credits.remaining = 1_500;
    let record = key_op(&set, "key.credits");
    assert!(store
        .swap_credits(key.id, &after, &topped, Some(&record))
        .await
        .expect("swap"));
    assert!(store
        .operation(record.id)
        .await
        .expect("operation")
        .is_some());
}
