//! Products and subscriptions: round trips, per-domain names, delete rules, status-checked
//! subscription writes, and the accepted products every key read carries.

use std::sync::Arc;

use keyward_core::error::StoreError;
use keyward_core::ids::ProductId;
use keyward_core::model::{Description, Product, Subscription, SubscriptionStatus, TargetKind};
use keyward_core::query::Filter;
use keyward_core::store::Store;

use super::{at, base_time, insert_key, key_op, key_query, name, new_key, op, tenant};

pub(super) fn new_product(domain: keyward_core::ids::DomainId, product_name: &str) -> Product {
    Product {
        id: ProductId::new(),
        domain,
        name: name(product_name),
        description: Description::default(),
        usage_plan_id: None,
        created_at: base_time(),
        updated_at: at(1),
    }
}

pub(super) async fn insert_product(store: &Arc<dyn Store>, product: &Product) {
    let record = op(
        product.domain,
        "product.create",
        TargetKind::Product,
        product.id.as_uuid(),
    );
    store
        .insert_product(product, &record)
        .await
        .expect("insert_product");
}

pub(super) fn subscription(
    key: &keyward_core::model::ApiKey,
    product: &Product,
    status: SubscriptionStatus,
) -> Subscription {
    Subscription {
        key_id: key.id,
        product_id: product.id,
        status,
        usage_plan_id: None,
        created_at: base_time(),
        updated_at: at(5),
    }
}

/// Products come back as written, names are unique per domain, lists stay in their domain and
/// page by id, and a product with subscribers cannot be deleted.
pub async fn products_round_trip(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let other = tenant(&store, "other").await;
    let a = new_product(t.domain.id, "payments");
    let b = new_product(t.domain.id, "search");
    insert_product(&store, &a).await;
    insert_product(&store, &b).await;
    insert_product(&store, &new_product(other.domain.id, "payments")).await;
    assert_eq!(store.product(a.id).await.expect("product"), Some(a.clone()));
    let clash = new_product(t.domain.id, "payments");
    let record = op(
        t.domain.id,
        "product.create",
        TargetKind::Product,
        clash.id.as_uuid(),
    );
    assert!(matches!(
        store.insert_product(&clash, &record).await,
        Err(StoreError::Conflict { .. })
    ));
    let all = store
        .list_products(t.domain.id, None, 10)
        .await
        .expect("list");
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort_by_key(|p| p.id);
    assert_eq!(all, expected);
    let first = store
        .list_products(t.domain.id, None, 1)
        .await
        .expect("page");
    assert_eq!(first.len(), 2, "limit + 1 rows tell a next page exists");
    let rest = store
        .list_products(t.domain.id, Some(expected[0].id), 1)
        .await
        .expect("page 2");
    assert_eq!(rest, vec![expected[1].clone()]);

    let key = new_key(&t.owner, "k");
    insert_key(&store, &key).await;
    store
        .put_subscription(
            &subscription(&key, &a, SubscriptionStatus::Request),
            None,
            &key_op(&key, "subscription.request"),
        )
        .await
        .expect("subscribe");
    let delete = op(
        t.domain.id,
        "product.delete",
        TargetKind::Product,
        a.id.as_uuid(),
    );
    assert!(matches!(
        store.delete_product(a.id, &delete).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.operation(delete.id).await.expect("op"), None);
    let delete = op(
        t.domain.id,
        "product.delete",
        TargetKind::Product,
        b.id.as_uuid(),
    );
    store.delete_product(b.id, &delete).await.expect("delete");
    assert!(store.operation(delete.id).await.expect("op").is_some());
    assert_eq!(store.product(b.id).await.expect("product"), None);
    assert!(matches!(
        store.delete_product(b.id, &delete).await,
        Err(StoreError::Stale)
    ));
}

/// A subscription is created only where none exists and changed or deleted only from the status
/// the writer read; otherwise `Stale`, writing nothing.
pub async fn subscription_writes_check_the_status(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let product = new_product(t.domain.id, "payments");
    insert_product(&store, &product).await;
    let key = new_key(&t.owner, "k");
    insert_key(&store, &key).await;

    let requested = subscription(&key, &product, SubscriptionStatus::Request);
    store
        .put_subscription(&requested, None, &key_op(&key, "subscription.request"))
        .await
        .expect("subscribe");
    assert!(matches!(
        store
            .put_subscription(&requested, None, &key_op(&key, "subscription.request"))
            .await,
        Err(StoreError::Stale)
    ));
    let accepted = Subscription {
        status: SubscriptionStatus::Accepted,
        updated_at: at(9),
        ..requested.clone()
    };
    let wrong = key_op(&key, "subscription.accept");
    assert!(matches!(
        store
            .put_subscription(&accepted, Some(SubscriptionStatus::Rejected), &wrong)
            .await,
        Err(StoreError::Stale)
    ));
    assert_eq!(store.operation(wrong.id).await.expect("op"), None);
    store
        .put_subscription(
            &accepted,
            Some(SubscriptionStatus::Request),
            &key_op(&key, "subscription.accept"),
        )
        .await
        .expect("accept");
    assert_eq!(
        store.subscription(key.id, product.id).await.expect("read"),
        Some(accepted.clone())
    );
    assert_eq!(
        store.key_subscriptions(key.id).await.expect("by key"),
        vec![accepted.clone()]
    );
    assert_eq!(
        store
            .product_subscriptions(product.id, &[SubscriptionStatus::Request])
            .await
            .expect("by product"),
        vec![]
    );
    assert_eq!(
        store
            .product_subscriptions(product.id, &[])
            .await
            .expect("by product"),
        vec![accepted.clone()]
    );
    assert!(matches!(
        store
            .delete_subscription(
                key.id,
                product.id,
                SubscriptionStatus::Request,
                &key_op(&key, "subscription.delete"),
            )
            .await,
        Err(StoreError::Stale)
    ));
    store
        .delete_subscription(
            key.id,
            product.id,
            SubscriptionStatus::Accepted,
            &key_op(&key, "subscription.delete"),
        )
        .await
        .expect("unsubscribe");
    assert_eq!(
        store.subscription(key.id, product.id).await.expect("read"),
        None
    );
}

/// `key`, `key_by_secret_hash` and `list_keys` carry the products with an `ACCEPTED`
/// subscription, and only those; deleting a key deletes its subscriptions.
pub async fn subscriptions_fill_key_products(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let accepted = new_product(t.domain.id, "accepted");
    let requested = new_product(t.domain.id, "requested");
    insert_product(&store, &accepted).await;
    insert_product(&store, &requested).await;
    let key = new_key(&t.owner, "k");
    insert_key(&store, &key).await;
    for product in [&accepted, &requested] {
        store
            .put_subscription(
                &subscription(&key, product, SubscriptionStatus::Request),
                None,
                &key_op(&key, "subscription.request"),
            )
            .await
            .expect("subscribe");
    }
    store
        .put_subscription(
            &subscription(&key, &accepted, SubscriptionStatus::Accepted),
            Some(SubscriptionStatus::Request),
            &key_op(&key, "subscription.accept"),
        )
        .await
        .expect("accept");
    let read = store.key(key.id).await.expect("key").expect("exists");
    assert_eq!(read.products, vec![accepted.id]);
    let by_hash = store
        .key_by_secret_hash(&key.secrets[0].hash)
        .await
        .expect("by hash")
        .expect("exists");
    assert_eq!(by_hash.products, vec![accepted.id]);
    let listed = store
        .list_keys(&key_query(t.domain.id, Filter::All(Vec::new())))
        .await
        .expect("list");
    assert_eq!(listed[0].products, vec![accepted.id]);

    store
        .delete_key(key.id, &key_op(&key, "key.delete"))
        .await
        .expect("delete key");
    assert_eq!(store.key_subscriptions(key.id).await.expect("subs"), vec![]);
    let delete = op(
        t.domain.id,
        "product.delete",
        TargetKind::Product,
        accepted.id.as_uuid(),
    );
    store
        .delete_product(accepted.id, &delete)
        .await
        .expect("a product whose subscribers are gone can be deleted");
}

/// Access keys come back with their sealed secret byte for byte, ids are unique, deletes are
/// `Stale` once gone, and deleting the key deletes its access keys.
pub async fn access_keys_round_trip(store: Arc<dyn Store>) {
    use keyward_core::model::AccessKey;

    let t = tenant(&store, "acme").await;
    let key = new_key(&t.owner, "k");
    insert_key(&store, &key).await;
    let access_key = AccessKey {
        id: "KWAKCONFORMANCE000001".into(),
        domain: t.domain.id,
        key_id: key.id,
        sealed_secret: (0u8..=255).collect(),
        created_at: at(3),
    };
    store
        .insert_access_key(&access_key, &key_op(&key, "access_key.create"))
        .await
        .expect("insert");
    assert_eq!(
        store.access_key(&access_key.id).await.expect("read"),
        Some(access_key.clone())
    );
    assert!(matches!(
        store
            .insert_access_key(&access_key, &key_op(&key, "access_key.create"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.access_key("KWAKNONE").await.expect("read"), None);
    let delete = key_op(&key, "access_key.delete");
    store
        .delete_access_key(&access_key.id, &delete)
        .await
        .expect("delete");
    assert!(store.operation(delete.id).await.expect("op").is_some());
    assert!(matches!(
        store.delete_access_key(&access_key.id, &delete).await,
        Err(StoreError::Stale)
    ));
    let again = AccessKey {
        id: "KWAKCONFORMANCE000002".into(),
        ..access_key
    };
    store
        .insert_access_key(&again, &key_op(&key, "access_key.create"))
        .await
        .expect("insert");
    store
        .delete_key(key.id, &key_op(&key, "key.delete"))
        .await
        .expect("delete key");
    assert_eq!(store.access_key(&again.id).await.expect("read"), None);
}

/// A product's subscribers are a condition of the key query, run by the store in one statement:
/// over 2,000 keys, `Filter::subscribed` finds exactly the keys subscribed with one of the
/// statuses, combines with other conditions, counts, and pages by offset without a key missed or
/// repeated — one `list_keys` call per page, no walk over subscriptions.
pub async fn keys_filter_by_their_subscription(store: Arc<dyn Store>) {
    use keyward_core::query::{Condition, KeyField, Op, Value, Window};
    use std::collections::BTreeSet;

    const KEYS: usize = 2_000;
    let t = tenant(&store, "acme").await;
    let product = new_product(t.domain.id, "payments");
    let other_product = new_product(t.domain.id, "search");
    insert_product(&store, &product).await;
    insert_product(&store, &other_product).await;
    let statuses = [
        SubscriptionStatus::Request,
        SubscriptionStatus::Accepted,
        SubscriptionStatus::Rejected,
    ];
    let mut accepted = BTreeSet::new();
    let mut subscribed = BTreeSet::new();
    for i in 0..KEYS {
        let key = new_key(&t.owner, &format!("key-{i:05}"));
        insert_key(&store, &key).await;
        // Every fourth key has no subscription to the product (but one to the other product).
        let (target, status) = match i % 4 {
            3 => (&other_product, SubscriptionStatus::Accepted),
            n => (&product, statuses[n]),
        };
        let row = subscription(&key, target, status);
        let op = key_op(&key, "subscription.create");
        if status == SubscriptionStatus::Request {
            store.put_subscription(&row, None, &op).await.expect("put");
        } else {
            let requested = subscription(&key, target, SubscriptionStatus::Request);
            store
                .put_subscription(&requested, None, &op)
                .await
                .expect("put");
            let op = key_op(&key, "subscription.decide");
            store
                .put_subscription(&row, Some(SubscriptionStatus::Request), &op)
                .await
                .expect("decide");
        }
        if std::ptr::eq(target, &product) {
            subscribed.insert(key.id);
            if status == SubscriptionStatus::Accepted {
                accepted.insert(key.id);
            }
        }
    }

    let mut query = key_query(
        t.domain.id,
        Filter::subscribed(product.id, &[SubscriptionStatus::Accepted]),
    );
    assert_eq!(
        store.count_keys(&query).await.expect("count") as usize,
        accepted.len()
    );
    query.limit = 150;
    let mut seen = BTreeSet::new();
    for page in 0.. {
        query.window = Window::Offset(page * 150);
        let keys = store.list_keys(&query).await.expect("page");
        if keys.is_empty() {
            break;
        }
        // The store reads one row past the page (so the core knows whether more follow).
        assert!(keys.len() <= 151);
        for key in keys.into_iter().take(150) {
            assert!(seen.insert(key.id), "a key was listed twice");
        }
    }
    assert_eq!(seen, accepted, "every accepted subscriber, once");

    // No status named: any subscription to the product.
    let any = key_query(t.domain.id, Filter::subscribed(product.id, &[]));
    assert_eq!(
        store.count_keys(&any).await.expect("count") as usize,
        subscribed.len()
    );
    // Combined with a name condition, and negated.
    let named = Condition::new(
        KeyField::Name,
        Op::StartsWith,
        Value::Text("key-001".into()),
    )
    .expect("condition");
    let both = key_query(
        t.domain.id,
        Filter::All(vec![
            Filter::subscribed(product.id, &[SubscriptionStatus::Accepted]),
            Filter::Cond(named),
        ]),
    );
    let expected = (100..200).filter(|i| i % 4 == 1).count();
    assert_eq!(
        store.count_keys(&both).await.expect("count") as usize,
        expected
    );
    let not_subscribed = key_query(
        t.domain.id,
        Filter::Not(Box::new(Filter::subscribed(product.id, &[]))),
    );
    assert_eq!(
        store.count_keys(&not_subscribed).await.expect("count") as usize,
        KEYS - subscribed.len()
    );
}
