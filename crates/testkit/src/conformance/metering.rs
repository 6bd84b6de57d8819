//! Usage metering's rows: batches add up per key and hour, reads are ranged and ordered, rows of
//! deleted keys go (or are never written), pruning deletes by age.

use std::sync::Arc;

use keyward_core::ids::KeyId;
use keyward_core::store::Store;
use keyward_core::usage::UsageCount;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::{insert_key, key_op, new_key, tenant};

const H0: OffsetDateTime = datetime!(2026-01-02 03:00 UTC);

fn hour(n: i64) -> OffsetDateTime {
    H0 + Duration::hours(n)
}

fn count(key: KeyId, at: OffsetDateTime, valid: u64, refused: u64) -> UsageCount {
    UsageCount {
        key,
        hour_start: at,
        valid,
        rate_limited: 0,
        usage_exceeded: 0,
        refused,
    }
}

/// Every batch adds to the stored row of its key and hour (a row twice in one batch adds too);
/// `key_usage` answers the hours in `[from, to)` of that key only, oldest first.
pub async fn usage_adds_up_per_key_and_hour(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let a = new_key(&t.owner, "a");
    let b = new_key(&t.owner, "b");
    insert_key(&store, &a).await;
    insert_key(&store, &b).await;

    store
        .record_usage(&[
            count(a.id, hour(1), 3, 1),
            count(b.id, hour(1), 100, 0),
            count(a.id, hour(0), 2, 0),
        ])
        .await
        .expect("record_usage");
    let mut limited = count(a.id, hour(1), 1, 0);
    limited.rate_limited = 4;
    limited.usage_exceeded = 5;
    store
        .record_usage(&[
            limited,
            count(a.id, hour(2), 7, 0),
            count(a.id, hour(2), 1, 1),
        ])
        .await
        .expect("record_usage adds");
    store.record_usage(&[]).await.expect("an empty batch");

    let rows = store
        .key_usage(a.id, hour(0), hour(3))
        .await
        .expect("key_usage");
    let mut h1 = count(a.id, hour(1), 4, 1);
    h1.rate_limited = 4;
    h1.usage_exceeded = 5;
    assert_eq!(
        rows,
        vec![count(a.id, hour(0), 2, 0), h1, count(a.id, hour(2), 8, 1)]
    );
    assert_eq!(
        store
            .key_usage(a.id, hour(1), hour(2))
            .await
            .expect("key_usage"),
        vec![h1],
        "`from` is inclusive, `to` exclusive"
    );
    assert_eq!(
        store
            .key_usage(b.id, hour(-100), hour(100))
            .await
            .expect("key_usage"),
        vec![count(b.id, hour(1), 100, 0)]
    );
    assert!(store
        .key_usage(KeyId::new(), hour(-100), hour(100))
        .await
        .expect("an unknown key has no usage")
        .is_empty());
}

/// A batch holding rows of a key deleted since they were counted stores the rest; deleting a
/// key deletes its usage.
pub async fn usage_goes_with_its_key(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let kept = new_key(&t.owner, "kept");
    let gone = new_key(&t.owner, "gone");
    insert_key(&store, &kept).await;
    insert_key(&store, &gone).await;
    store
        .record_usage(&[count(gone.id, hour(0), 1, 0)])
        .await
        .expect("record_usage");
    store
        .delete_key(gone.id, &key_op(&gone, "key.delete"))
        .await
        .expect("delete_key");
    assert!(store
        .key_usage(gone.id, hour(-1), hour(1))
        .await
        .expect("key_usage")
        .is_empty());

    store
        .record_usage(&[
            count(gone.id, hour(0), 5, 0),
            count(KeyId::new(), hour(0), 5, 0),
            count(kept.id, hour(0), 6, 0),
        ])
        .await
        .expect("rows of missing keys are skipped, not an error");
    assert_eq!(
        store
            .key_usage(kept.id, hour(-1), hour(1))
            .await
            .expect("key_usage"),
        vec![count(kept.id, hour(0), 6, 0)]
    );
    assert!(store
        .key_usage(gone.id, hour(-1), hour(1))
        .await
        .expect("key_usage")
        .is_empty());
}

/// `prune_usage` deletes the hours that start before its bound, of every key, and says how many.
pub async fn prune_usage_deletes_old_hours(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let a = new_key(&t.owner, "a");
    let b = new_key(&t.owner, "b");
    insert_key(&store, &a).await;
    insert_key(&store, &b).await;
    let batch: Vec<UsageCount> = (0..5)
        .flat_map(|n| [count(a.id, hour(n), 1, 0), count(b.id, hour(n), 0, 1)])
        .collect();
    store.record_usage(&batch).await.expect("record_usage");

    assert_eq!(store.prune_usage(hour(0)).await.expect("prune"), 0);
    assert_eq!(
        store
            .prune_usage(hour(2) + Duration::microseconds(1))
            .await
            .expect("prune"),
        6,
        "hours 0, 1 and 2 of both keys"
    );
    let left = store
        .key_usage(a.id, hour(-10), hour(10))
        .await
        .expect("key_usage");
    assert_eq!(
        left.iter().map(|r| r.hour_start).collect::<Vec<_>>(),
        vec![hour(3), hour(4)]
    );
    assert_eq!(store.prune_usage(hour(2)).await.expect("prune again"), 0);
}
