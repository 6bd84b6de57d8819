//! Usage plans: create, read, list, change, delete; attach one to a product, to one key's
//! subscription, or (NCP) to a product's API stage. Every change is an operation. A change of
//! which limits apply to keys drops those keys' cached snapshots on this node at once (the store
//! answers their hashes) and on every other node through the store's change feed.

use serde_json::json;

use super::operations::{changed_fields, Change, Subject};
use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreError, CoreResult, Entity, StoreError};
use crate::ids::{DomainId, KeyId, ProductId, UsagePlanId};
use crate::model::{
    Description, GatewayRef, Name, PlanCompat, PlanQuery, Product, StageAssociation, Subscription,
    TargetKind, UsagePlan,
};
use crate::query::MAX_OFFSET_PAGE_SIZE;
use crate::secret::SecretHash;
use crate::usage::Limits;

/// A plan to create. `domain: None` means the caller's own domain.
#[derive(Debug, Clone)]
pub struct NewUsagePlan {
    pub domain: Option<DomainId>,
    pub name: Name,
    pub description: Description,
    /// Already validated (`Limits::from_json` or a face's mapping).
    pub limits: Limits,
    pub compat: PlanCompat,
}

/// What to change in a plan; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UsagePlanPatch {
    pub name: Option<Name>,
    pub description: Option<Description>,
    pub limits: Option<Limits>,
    pub compat: Option<PlanCompat>,
}

/// A stage of an API of a product, as NCP names it.
#[derive(Debug, Clone)]
pub struct StageRef {
    pub product: ProductId,
    pub api_id: GatewayRef,
    pub stage_id: GatewayRef,
}

fn plan_gone(error: StoreError) -> CoreError {
    match error {
        StoreError::Stale => CoreError::NotFound(Entity::UsagePlan),
        other => other.into(),
    }
}

impl Keyward {
    /// Drops this node's cached snapshots of the keys a plan change touched.
    fn forget_hashes(&self, hashes: &[SecretHash]) {
        for hash in hashes {
            self.verifier.forget_hash(hash);
        }
    }

    pub async fn create_usage_plan(
        &self,
        caller: &Caller,
        input: NewUsagePlan,
    ) -> CoreResult<UsagePlan> {
        let domain = input.domain.unwrap_or_else(|| caller.home_domain());
        let cap = caller.admin_of(domain, Entity::Domain)?;
        input.limits.validate("limits")?;
        let now = self.clock.now();
        let plan = UsagePlan {
            id: UsagePlanId::new(),
            domain,
            name: input.name,
            description: input.description,
            limits: input.limits,
            compat: input.compat,
            created_at: now,
            updated_at: now,
        };
        let op = self.record(
            &cap,
            domain,
            now,
            Change {
                action: "usage_plan.create",
                target_kind: TargetKind::UsagePlan,
                target_id: plan.id.as_uuid(),
                metadata: json!({}),
                result: Subject::UsagePlan(&plan),
            },
        );
        self.store.insert_usage_plan(&plan, &op).await?;
        Ok(plan)
    }

    /// A plan the caller administers; another domain's plan is `NotFound`, like a missing one.
    pub async fn get_usage_plan(&self, caller: &Caller, id: UsagePlanId) -> CoreResult<UsagePlan> {
        let plan = self
            .store
            .usage_plan(id)
            .await?
            .ok_or(CoreError::NotFound(Entity::UsagePlan))?;
        caller.admin_of(plan.domain, Entity::UsagePlan)?;
        Ok(plan)
    }

    /// One page of a domain's plans by id, and whether more follow.
    pub async fn list_usage_plans(
        &self,
        caller: &Caller,
        mut query: PlanQuery,
    ) -> CoreResult<(Vec<UsagePlan>, bool)> {
        caller.admin_of(query.domain, Entity::Domain)?;
        query.limit = query.limit.clamp(1, MAX_OFFSET_PAGE_SIZE);
        let mut items = self.store.list_usage_plans(&query).await?;
        let more = items.len() > query.limit as usize;
        items.truncate(query.limit as usize);
        Ok((items, more))
    }

    /// How many plans `list_usage_plans` would walk through (paging ignored).
    pub async fn count_usage_plans(&self, caller: &Caller, query: &PlanQuery) -> CoreResult<u64> {
        caller.admin_of(query.domain, Entity::Domain)?;
        Ok(self.store.count_usage_plans(query).await?)
    }

    pub async fn update_usage_plan(
        &self,
        caller: &Caller,
        id: UsagePlanId,
        patch: UsagePlanPatch,
    ) -> CoreResult<UsagePlan> {
        let mut plan = self.get_usage_plan(caller, id).await?;
        let cap = caller.admin_of(plan.domain, Entity::UsagePlan)?;
        if let Some(limits) = &patch.limits {
            limits.validate("limits")?;
        }
        let metadata = changed_fields([
            ("name", patch.name.is_some()),
            ("description", patch.description.is_some()),
            ("limits", patch.limits.is_some()),
            ("compat", patch.compat.is_some()),
        ]);
        if let Some(name) = patch.name {
            plan.name = name;
        }
        if let Some(description) = patch.description {
            plan.description = description;
        }
        if let Some(limits) = patch.limits {
            plan.limits = limits;
        }
        if let Some(compat) = patch.compat {
            plan.compat = compat;
        }
        plan.updated_at = self.clock.now();
        let op = self.record(
            &cap,
            plan.domain,
            plan.updated_at,
            Change {
                action: "usage_plan.update",
                target_kind: TargetKind::UsagePlan,
                target_id: plan.id.as_uuid(),
                metadata,
                result: Subject::UsagePlan(&plan),
            },
        );
        let touched = self
            .store
            .update_usage_plan(&plan, &op)
            .await
            .map_err(plan_gone)?;
        self.forget_hashes(&touched);
        Ok(plan)
    }

    /// Deletes a plan nothing uses; a plan still attached to a product, a subscription or an
    /// NCP stage is a `Conflict` that says so.
    pub async fn delete_usage_plan(
        &self,
        caller: &Caller,
        id: UsagePlanId,
    ) -> CoreResult<UsagePlan> {
        let plan = self.get_usage_plan(caller, id).await?;
        let cap = caller.admin_of(plan.domain, Entity::UsagePlan)?;
        let op = self.record(
            &cap,
            plan.domain,
            self.clock.now(),
            Change {
                action: "usage_plan.delete",
                target_kind: TargetKind::UsagePlan,
                target_id: plan.id.as_uuid(),
                metadata: json!({}),
                result: Subject::UsagePlan(&plan),
            },
        );
        self.store
            .delete_usage_plan(id, &op)
            .await
            .map_err(plan_gone)?;
        Ok(plan)
    }

    /// The plan `id`, if given, checked to live in `domain` (another domain's is `NotFound`).
    pub(super) async fn plan_in(
        &self,
        caller: &Caller,
        domain: DomainId,
        id: Option<UsagePlanId>,
    ) -> CoreResult<()> {
        if let Some(id) = id {
            if self.get_usage_plan(caller, id).await?.domain != domain {
                return Err(CoreError::NotFound(Entity::UsagePlan));
            }
        }
        Ok(())
    }

    /// Sets or clears the plan that applies to every key `ACCEPTED` for the product.
    pub async fn set_product_usage_plan(
        &self,
        caller: &Caller,
        product: ProductId,
        plan: Option<UsagePlanId>,
    ) -> CoreResult<Product> {
        let mut product = self.get_product(caller, product).await?;
        let cap = caller.admin_of(product.domain, Entity::Product)?;
        self.plan_in(caller, product.domain, plan).await?;
        let from = product.usage_plan_id;
        product.usage_plan_id = plan;
        let op = self.record(
            &cap,
            product.domain,
            self.clock.now(),
            Change {
                action: "product.set_usage_plan",
                target_kind: TargetKind::Product,
                target_id: product.id.as_uuid(),
                metadata: json!({ "from": from, "to": plan }),
                result: Subject::Product(&product),
            },
        );
        let touched = self
            .store
            .set_product_plan(product.id, plan, &op)
            .await
            .map_err(|e| match e {
                StoreError::Stale => CoreError::NotFound(Entity::Product),
                other => other.into(),
            })?;
        self.forget_hashes(&touched);
        Ok(product)
    }

    /// Sets or clears one key's own plan for a product, overriding the product's.
    pub async fn set_subscription_usage_plan(
        &self,
        caller: &Caller,
        key: KeyId,
        product: ProductId,
        plan: Option<UsagePlanId>,
    ) -> CoreResult<Subscription> {
        let mut subscription = self.subscription(caller, key, product).await?;
        let owner = self.get_product(caller, product).await?;
        let cap = caller.admin_of(owner.domain, Entity::Key)?;
        self.plan_in(caller, owner.domain, plan).await?;
        let from = subscription.usage_plan_id;
        subscription.usage_plan_id = plan;
        let op = self.record(
            &cap,
            owner.domain,
            self.clock.now(),
            Change {
                action: "subscription.set_usage_plan",
                target_kind: TargetKind::Key,
                target_id: key.as_uuid(),
                metadata: json!({ "product_id": product, "from": from, "to": plan }),
                result: Subject::Subscription(&subscription),
            },
        );
        let touched = self
            .store
            .set_subscription_plan(key, product, plan, &op)
            .await
            .map_err(|e| match e {
                StoreError::Stale => CoreError::NotFound(Entity::Subscription),
                other => other.into(),
            })?;
        self.forget_hashes(&touched);
        Ok(subscription)
    }

    /// NCP: associates a plan with a stage of a product's API. keyward applies one plan per
    /// product, so the product takes this plan; a product already associated (through any
    /// stage) with a different plan is a `Conflict`: disassociate that one first.
    pub async fn associate_stage(
        &self,
        caller: &Caller,
        stage: StageRef,
        plan: UsagePlanId,
    ) -> CoreResult<StageAssociation> {
        self.change_stage(caller, stage, plan, true).await
    }

    /// NCP: removes a stage association; the product loses the plan with its last one.
    pub async fn disassociate_stage(
        &self,
        caller: &Caller,
        stage: StageRef,
        plan: UsagePlanId,
    ) -> CoreResult<StageAssociation> {
        self.change_stage(caller, stage, plan, false).await
    }

    async fn change_stage(
        &self,
        caller: &Caller,
        stage: StageRef,
        plan: UsagePlanId,
        associate: bool,
    ) -> CoreResult<StageAssociation> {
        let product = self.get_product(caller, stage.product).await?;
        let cap = caller.admin_of(product.domain, Entity::Product)?;
        self.plan_in(caller, product.domain, Some(plan)).await?;
        let other = product.usage_plan_id.filter(|current| *current != plan);
        if let (true, Some(other)) = (associate, other) {
            let recorded = self.store.stage_associations(&[other]).await?;
            if recorded.iter().any(|a| a.product_id == product.id) {
                return Err(CoreError::Conflict {
                    entity: Entity::UsagePlan,
                    detail: "the product is associated with another usage plan; keyward applies \
                             one plan per product: disassociate that one first"
                        .into(),
                });
            }
        }
        let now = self.clock.now();
        let association = StageAssociation {
            product_id: product.id,
            api_id: stage.api_id,
            stage_id: stage.stage_id,
            usage_plan_id: plan,
            created_at: now,
        };
        let op = self.record(
            &cap,
            product.domain,
            now,
            Change {
                action: if associate {
                    "usage_plan.associate_stage"
                } else {
                    "usage_plan.disassociate_stage"
                },
                target_kind: TargetKind::UsagePlan,
                target_id: plan.as_uuid(),
                metadata: json!({}),
                result: Subject::StageAssociation(&association),
            },
        );
        let touched = if associate {
            self.store.associate_stage(&association, &op).await
        } else {
            self.store.disassociate_stage(&association, &op).await
        }
        .map_err(|e| match e {
            StoreError::Stale if associate => CoreError::NotFound(Entity::Product),
            StoreError::Stale => CoreError::NotFound(Entity::UsagePlan),
            other => other.into(),
        })?;
        self.forget_hashes(&touched);
        Ok(association)
    }

    /// The recorded stage associations of these plans (NCP's `associatedStagesCount`).
    pub async fn stage_associations(
        &self,
        caller: &Caller,
        plans: &[UsagePlan],
    ) -> CoreResult<Vec<StageAssociation>> {
        for plan in plans {
            caller.admin_of(plan.domain, Entity::UsagePlan)?;
        }
        let ids: Vec<UsagePlanId> = plans.iter().map(|p| p.id).collect();
        Ok(self.store.stage_associations(&ids).await?)
    }
}
