//! Usage plans: round trips, per-domain names, name search and offset paging; a product's and a
//! subscription's plan; NCP stage associations; a plan in use cannot be deleted; and every write
//! that changes which limits apply answers the hashes of the keys it touched.

use std::sync::Arc;

use keyward_core::error::StoreError;
use keyward_core::ids::UsagePlanId;
use keyward_core::model::{
    Description, GatewayRef, PlanCompat, PlanQuery, StageAssociation, SubscriptionStatus,
    TargetKind, UsagePlan,
};
use keyward_core::store::Store;
use keyward_core::usage::Limits;
use serde_json::json;

use super::products::{insert_product, new_product, subscription};
use super::{at, base_time, insert_key, key_op, name, new_key, op, tenant};

fn new_plan(domain: keyward_core::ids::DomainId, plan_name: &str, per_day: u64) -> UsagePlan {
    UsagePlan {
        id: UsagePlanId::new(),
        domain,
        name: name(plan_name),
        description: Description::default(),
        limits: Limits::from_json(
            "limits",
            json!({"quotas": [{"name": "day", "limit": per_day, "per": "day"}]}),
        )
        .expect("limits"),
        compat: PlanCompat {
            quota_condition: Some("2xx".into()),
        },
        created_at: base_time(),
        updated_at: at(1),
    }
}

fn plan_op(plan: &UsagePlan, action: &str) -> keyward_core::model::Operation {
    op(
        plan.domain,
        action,
        TargetKind::UsagePlan,
        plan.id.as_uuid(),
    )
}

async fn insert_plan(store: &Arc<dyn Store>, plan: &UsagePlan) {
    store
        .insert_usage_plan(plan, &plan_op(plan, "usage_plan.create"))
        .await
        .expect("insert_usage_plan");
}

/// The plans in force for `key` as every key read carries them, checked to agree between `key`,
/// `key_by_secret_hash` and `list_keys`.
async fn plans_of(
    store: &Arc<dyn Store>,
    key: &keyward_core::model::ApiKey,
) -> Vec<(keyward_core::ids::ProductId, UsagePlanId, Limits)> {
    let read = store.key(key.id).await.expect("key").expect("exists");
    let by_hash = store
        .key_by_secret_hash(&key.secrets[0].hash)
        .await
        .expect("by hash")
        .expect("exists");
    let listed = store
        .list_keys(&super::key_query(
            key.domain,
            keyward_core::query::Filter::default(),
        ))
        .await
        .expect("list");
    let in_list = listed.iter().find(|k| k.id == key.id).expect("listed");
    assert_eq!(by_hash.usage.plans, read.usage.plans);
    assert_eq!(in_list.usage.plans, read.usage.plans);
    read.usage
        .plans
        .into_iter()
        .map(|p| (p.product, p.plan, p.limits))
        .collect()
}

fn query(domain: keyward_core::ids::DomainId, name: Option<&str>, offset: u64) -> PlanQuery {
    PlanQuery {
        domain,
        name_contains: name.map(str::to_owned),
        after: None,
        offset,
        limit: 2,
    }
}

/// Plans come back as written, names are unique per domain, lists stay in their domain, search
/// by name and page by offset or id, updates are checked, deletes of unused plans work.
pub async fn usage_plans_round_trip(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let other = tenant(&store, "other").await;
    let plans: Vec<UsagePlan> = ["gold", "silver", "bronze"]
        .iter()
        .enumerate()
        .map(|(i, n)| new_plan(t.domain.id, n, 10 + i as u64))
        .collect();
    for plan in &plans {
        insert_plan(&store, plan).await;
    }
    assert_eq!(
        store.usage_plan(plans[0].id).await.expect("read"),
        Some(plans[0].clone())
    );
    let clash = new_plan(t.domain.id, "gold", 1);
    assert!(matches!(
        store
            .insert_usage_plan(&clash, &plan_op(&clash, "usage_plan.create"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    insert_plan(&store, &new_plan(other.domain.id, "gold", 1)).await;

    let mut ids: Vec<UsagePlanId> = plans.iter().map(|p| p.id).collect();
    ids.sort();
    let first = store
        .list_usage_plans(&query(t.domain.id, None, 0))
        .await
        .expect("list");
    assert_eq!(
        first.iter().map(|p| p.id).collect::<Vec<_>>(),
        ids,
        "limit + 1 rows"
    );
    let second = store
        .list_usage_plans(&query(t.domain.id, None, 2))
        .await
        .expect("list");
    assert_eq!(second.iter().map(|p| p.id).collect::<Vec<_>>(), ids[2..]);
    let after = PlanQuery {
        after: Some(ids[0]),
        ..query(t.domain.id, None, 0)
    };
    assert_eq!(store.list_usage_plans(&after).await.expect("list").len(), 2);
    assert_eq!(
        store
            .count_usage_plans(&query(t.domain.id, None, 1))
            .await
            .expect("count"),
        3
    );
    let searched = query(t.domain.id, Some("l"), 0);
    assert_eq!(
        store.count_usage_plans(&searched).await.expect("count"),
        2,
        "gold, silver"
    );
    let percent = query(t.domain.id, Some("%"), 0);
    assert_eq!(
        store.count_usage_plans(&percent).await.expect("count"),
        0,
        "LIKE is escaped"
    );

    let mut renamed = plans[1].clone();
    renamed.name = name("gold");
    assert!(matches!(
        store
            .update_usage_plan(&renamed, &plan_op(&renamed, "usage_plan.update"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    renamed.name = name("platinum");
    renamed.updated_at = at(7);
    store
        .update_usage_plan(&renamed, &plan_op(&renamed, "usage_plan.update"))
        .await
        .expect("update");
    assert_eq!(
        store.usage_plan(renamed.id).await.expect("read"),
        Some(renamed.clone())
    );

    store
        .delete_usage_plan(plans[2].id, &plan_op(&plans[2], "usage_plan.delete"))
        .await
        .expect("delete");
    assert_eq!(store.usage_plan(plans[2].id).await.expect("read"), None);
    assert!(matches!(
        store
            .delete_usage_plan(plans[2].id, &plan_op(&plans[2], "usage_plan.delete"))
            .await,
        Err(StoreError::Stale)
    ));
    let missing = new_plan(t.domain.id, "ghost", 1);
    assert!(matches!(
        store
            .update_usage_plan(&missing, &plan_op(&missing, "usage_plan.update"))
            .await,
        Err(StoreError::Stale)
    ));
}

/// Attaching plans: to a product, to one subscription, to an NCP stage; each answers the
/// accepted keys' hashes; a plan in use cannot be deleted until everything lets go of it.
pub async fn usage_plans_attach_and_detach(store: Arc<dyn Store>) {
    let t = tenant(&store, "acme").await;
    let plan = new_plan(t.domain.id, "gold", 3);
    let own = new_plan(t.domain.id, "vip", 100);
    insert_plan(&store, &plan).await;
    insert_plan(&store, &own).await;
    let product = new_product(t.domain.id, "payments");
    insert_product(&store, &product).await;
    let (accepted, pending) = (new_key(&t.owner, "a"), new_key(&t.owner, "p"));
    for (key, status) in [
        (&accepted, SubscriptionStatus::Accepted),
        (&pending, SubscriptionStatus::Request),
    ] {
        insert_key(&store, key).await;
        let request = subscription(key, &product, SubscriptionStatus::Request);
        store
            .put_subscription(&request, None, &key_op(key, "subscription.request"))
            .await
            .expect("subscribe");
        if status == SubscriptionStatus::Accepted {
            let accept = subscription(key, &product, status);
            store
                .put_subscription(
                    &accept,
                    Some(SubscriptionStatus::Request),
                    &key_op(key, "subscription.accept"),
                )
                .await
                .expect("accept");
        }
    }
    let accepted_hashes: Vec<_> = accepted.secrets.iter().map(|s| s.hash).collect();
    let product_op = || {
        op(
            t.domain.id,
            "product.set_usage_plan",
            TargetKind::Product,
            product.id.as_uuid(),
        )
    };

    let touched = store
        .set_product_plan(product.id, Some(plan.id), &product_op())
        .await
        .expect("set product plan");
    assert_eq!(
        touched.len(),
        accepted_hashes.len(),
        "only the accepted key"
    );
    assert!(accepted_hashes.iter().all(|h| touched.contains(h)));
    let read = store
        .product(product.id)
        .await
        .expect("read")
        .expect("product");
    assert_eq!(read.usage_plan_id, Some(plan.id));
    assert_eq!(
        plans_of(&store, &accepted).await,
        vec![(product.id, plan.id, plan.limits.clone())],
        "the product's plan, for the accepted key only"
    );
    assert_eq!(plans_of(&store, &pending).await, vec![]);

    let touched = store
        .update_usage_plan(&plan, &plan_op(&plan, "usage_plan.update"))
        .await
        .expect("update");
    assert!(accepted_hashes.iter().all(|h| touched.contains(h)));

    let touched = store
        .set_subscription_plan(
            accepted.id,
            product.id,
            Some(own.id),
            &key_op(&accepted, "subscription.set_usage_plan"),
        )
        .await
        .expect("set subscription plan");
    assert!(accepted_hashes.iter().all(|h| touched.contains(h)));
    // The subscription's own plan wins over the product's; a pending key has none.
    assert_eq!(
        plans_of(&store, &accepted).await,
        vec![(product.id, own.id, own.limits.clone())]
    );
    assert_eq!(plans_of(&store, &pending).await, vec![]);
    let sub = store
        .subscription(accepted.id, product.id)
        .await
        .expect("read")
        .expect("sub");
    assert_eq!(sub.usage_plan_id, Some(own.id));
    assert!(matches!(
        store
            .delete_usage_plan(own.id, &plan_op(&own, "usage_plan.delete"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let stranger = new_key(&t.owner, "s");
    insert_key(&store, &stranger).await;
    assert!(matches!(
        store
            .set_subscription_plan(
                stranger.id,
                product.id,
                Some(own.id),
                &key_op(&stranger, "x")
            )
            .await,
        Err(StoreError::Stale)
    ));

    // NCP stages: associating records the stage and sets the product's plan; removing the
    // product's last association with the plan clears it.
    let stage = |stage_id: &str| StageAssociation {
        product_id: product.id,
        api_id: GatewayRef::parse("api-id", "api1").expect("ref"),
        stage_id: GatewayRef::parse("stage-id", stage_id).expect("ref"),
        usage_plan_id: plan.id,
        created_at: at(3),
    };
    store
        .set_product_plan(product.id, None, &product_op())
        .await
        .expect("clear");
    for s in ["dev", "prod", "prod"] {
        store
            .associate_stage(&stage(s), &plan_op(&plan, "usage_plan.associate_stage"))
            .await
            .expect("associate");
    }
    assert_eq!(
        store
            .stage_associations(&[plan.id])
            .await
            .expect("list")
            .len(),
        2,
        "recorded once each"
    );
    assert_eq!(
        store
            .product(product.id)
            .await
            .expect("read")
            .expect("p")
            .usage_plan_id,
        Some(plan.id)
    );
    store
        .disassociate_stage(&stage("dev"), &plan_op(&plan, "x"))
        .await
        .expect("dis");
    assert_eq!(
        store
            .product(product.id)
            .await
            .expect("read")
            .expect("p")
            .usage_plan_id,
        Some(plan.id),
        "prod remains"
    );
    assert!(matches!(
        store
            .disassociate_stage(&stage("dev"), &plan_op(&plan, "x"))
            .await,
        Err(StoreError::Stale)
    ));
    assert!(matches!(
        store
            .delete_usage_plan(plan.id, &plan_op(&plan, "usage_plan.delete"))
            .await,
        Err(StoreError::Conflict { .. })
    ));
    let touched = store
        .disassociate_stage(&stage("prod"), &plan_op(&plan, "x"))
        .await
        .expect("dis");
    assert!(accepted_hashes.iter().all(|h| touched.contains(h)));
    assert_eq!(
        store
            .product(product.id)
            .await
            .expect("read")
            .expect("p")
            .usage_plan_id,
        None
    );
    store
        .delete_usage_plan(plan.id, &plan_op(&plan, "usage_plan.delete"))
        .await
        .expect("nothing uses it now");
}
