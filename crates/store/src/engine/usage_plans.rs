//! Usage plans, the plan of a product and of one subscription, and NCP's stage associations
//! (`migrations/<backend>/0006_usage_plans.sql`). A write that changes which limits apply to
//! keys reads those keys' secret hashes in its transaction, publishes them like a key write
//! (`Tx::publish_key_change`) and answers them, so the writing node forgets them too.

use keyward_core::error::{Entity, StoreError};
use keyward_core::ids::{DomainId, KeyId, ProductId, UsagePlanId};
use keyward_core::model::{
    Description, GatewayRef, Name, Operation, PlanCompat, PlanQuery, StageAssociation,
    SubscriptionStatus, UsagePlan,
};
use keyward_core::secret::SecretHash;
use keyward_core::store::StoreResult;
use keyward_core::usage::Limits;
use sea_query::{
    Asterisk, Cond, DeleteStatement, Expr, Func, Iden, InsertStatement, IntoIden, LikeExpr,
    OnConflict, Order, SelectStatement, UpdateStatement,
};
use sqlx::error::ErrorKind;

use super::keys::lock_key;
use super::operations::insert_operation;
use super::products::Products;
use super::subscriptions::which_subscription;
use super::{Backend, SqlStore, Tx};
use crate::error::{conflict, corrupt, db_error, violation};
use crate::query_sql::escape_like;
use crate::rows::{self, Row};
use crate::schema::{json, micros, Dialect, KeySecrets, Subscriptions};

#[derive(Iden, Clone, Copy)]
pub(super) enum UsagePlans {
    Table,
    Id,
    DomainId,
    Name,
    Description,
    Limits,
    Compat,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(super) enum UsagePlanStages {
    Table,
    ProductId,
    ApiId,
    StageId,
    UsagePlanId,
    CreatedAt,
}

pub(super) fn plan_row(row: &Row) -> anyhow::Result<UsagePlan> {
    Ok(UsagePlan {
        id: UsagePlanId::from_uuid(row.uuid("id")?),
        domain: DomainId::from_uuid(row.uuid("domain_id")?),
        name: Name::from_stored(row.get::<String>("name")?),
        description: Description::from_stored(row.get::<String>("description")?),
        limits: Limits::from_stored(row.get("limits")?),
        compat: PlanCompat::from_stored(row.get("compat")?),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

fn stage_row(row: &Row) -> anyhow::Result<StageAssociation> {
    Ok(StageAssociation {
        product_id: ProductId::from_uuid(row.uuid("product_id")?),
        api_id: GatewayRef::from_stored(row.get::<String>("api_id")?),
        stage_id: GatewayRef::from_stored(row.get::<String>("stage_id")?),
        usage_plan_id: UsagePlanId::from_uuid(row.uuid("usage_plan_id")?),
        created_at: row.time("created_at")?,
    })
}

fn name_in_use(plan: &UsagePlan) -> StoreError {
    conflict(
        Entity::UsagePlan,
        format!(
            "a usage plan named `{}` already exists in this domain",
            plan.name
        ),
    )
}

/// The plans a `PlanQuery` walks through, without its window.
pub(super) fn plans_matching(dialect: Dialect, query: &PlanQuery) -> SelectStatement {
    let mut select = SelectStatement::new();
    select
        .from(UsagePlans::Table)
        .and_where(Expr::col(UsagePlans::DomainId).eq(dialect.uuid(query.domain.as_uuid())));
    if let Some(name) = query.name_contains.as_deref().filter(|n| !n.is_empty()) {
        let pattern = LikeExpr::new(format!("%{}%", escape_like(name))).escape('\\');
        select.and_where(Expr::col(UsagePlans::Name).like(pattern));
    }
    select
}

/// The keys `ACCEPTED` for `product`.
fn accepted_for_product(dialect: Dialect, product: ProductId) -> SelectStatement {
    let mut select = SelectStatement::new();
    select
        .column(Subscriptions::KeyId)
        .from(Subscriptions::Table)
        .and_where(Expr::col(Subscriptions::ProductId).eq(dialect.uuid(product.as_uuid())))
        .and_where(Expr::col(Subscriptions::Status).eq(SubscriptionStatus::Accepted.as_str()));
    select
}

/// The keys `plan` may apply to: `ACCEPTED` with it on their subscription or for a product that
/// has it (a subscription's own plan may override it; dropping such a key too costs a reload).
fn accepted_under_plan(dialect: Dialect, plan: UsagePlanId) -> SelectStatement {
    let mut products = SelectStatement::new();
    products
        .column(Products::Id)
        .from(Products::Table)
        .and_where(Expr::col(Products::UsagePlanId).eq(dialect.uuid(plan.as_uuid())));
    let mut select = SelectStatement::new();
    select
        .column(Subscriptions::KeyId)
        .from(Subscriptions::Table)
        .and_where(Expr::col(Subscriptions::Status).eq(SubscriptionStatus::Accepted.as_str()))
        .cond_where(
            Cond::any()
                .add(Expr::col(Subscriptions::UsagePlanId).eq(dialect.uuid(plan.as_uuid())))
                .add(Expr::col(Subscriptions::ProductId).in_subquery(products)),
        );
    select
}

/// Reads the secret hashes of the keys `keys` selects and publishes them, in the caller's
/// transaction; answers them.
async fn publish_keys(
    tx: &mut Tx,
    dialect: Dialect,
    origin: &str,
    keys: SelectStatement,
) -> StoreResult<Vec<SecretHash>> {
    let mut select = SelectStatement::new();
    select
        .column(KeySecrets::Hash)
        .from(KeySecrets::Table)
        .and_where(Expr::col(KeySecrets::KeyId).in_subquery(keys));
    let found = tx
        .fetch_all(dialect.build(&select))
        .await
        .map_err(|e| db_error(e, "reading the secret hashes of a plan's keys"))?;
    let hashes: Vec<SecretHash> = found
        .iter()
        .map(|row| rows::secret_hash(row, "hash"))
        .collect::<anyhow::Result<_>>()
        .map_err(corrupt)?;
    if !hashes.is_empty() {
        tx.publish_key_change(origin, &hashes).await?;
    }
    Ok(hashes)
}

fn set_product_plan_stmt(
    dialect: Dialect,
    product: ProductId,
    plan: Option<UsagePlanId>,
) -> UpdateStatement {
    let mut update = UpdateStatement::new();
    update
        .table(Products::Table)
        .values([(
            Products::UsagePlanId,
            dialect.opt_uuid(plan.map(|p| p.as_uuid())).into(),
        )])
        .and_where(Expr::col(Products::Id).eq(dialect.uuid(product.as_uuid())));
    update
}

fn which_stage(dialect: Dialect, a: &StageAssociation) -> [sea_query::SimpleExpr; 4] {
    [
        Expr::col(UsagePlanStages::ProductId).eq(dialect.uuid(a.product_id.as_uuid())),
        Expr::col(UsagePlanStages::ApiId).eq(a.api_id.as_str()),
        Expr::col(UsagePlanStages::StageId).eq(a.stage_id.as_str()),
        Expr::col(UsagePlanStages::UsagePlanId).eq(dialect.uuid(a.usage_plan_id.as_uuid())),
    ]
}

impl<B: Backend> SqlStore<B> {
    pub(super) async fn insert_usage_plan_once(
        &self,
        plan: &UsagePlan,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut insert = InsertStatement::new();
        insert
            .into_table(UsagePlans::Table)
            .columns([
                UsagePlans::Id,
                UsagePlans::DomainId,
                UsagePlans::Name,
                UsagePlans::Description,
                UsagePlans::Limits,
                UsagePlans::Compat,
                UsagePlans::CreatedAt,
                UsagePlans::UpdatedAt,
            ])
            .values_panic([
                dialect.uuid(plan.id.as_uuid()).into(),
                dialect.uuid(plan.domain.as_uuid()).into(),
                plan.name.as_str().into(),
                plan.description.as_str().into(),
                json(plan.limits.to_value()).into(),
                json(plan.compat.to_value()).into(),
                micros(plan.created_at).into(),
                micros(plan.updated_at).into(),
            ]);
        let mut tx = self.begin_write().await?;
        tx.execute(dialect.build(&insert))
            .await
            .map_err(|e| match violation(&e) {
                Some(ErrorKind::UniqueViolation) => name_in_use(plan),
                Some(ErrorKind::ForeignKeyViolation) => {
                    conflict(Entity::Domain, "the usage plan's domain does not exist")
                }
                _ => db_error(e, "inserting a usage plan"),
            })?;
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }

    pub(super) async fn usage_plan_by_id(&self, id: UsagePlanId) -> StoreResult<Option<UsagePlan>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(UsagePlans::Table)
            .and_where(Expr::col(UsagePlans::Id).eq(dialect.uuid(id.as_uuid())));
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "loading a usage plan"))?;
        row.as_ref().map(plan_row).transpose().map_err(corrupt)
    }

    pub(super) async fn usage_plan_page(&self, query: &PlanQuery) -> StoreResult<Vec<UsagePlan>> {
        let dialect = self.dialect();
        let mut select = plans_matching(dialect, query);
        select.column(Asterisk);
        if let Some(after) = query.after {
            select.and_where(Expr::col(UsagePlans::Id).gt(dialect.uuid(after.as_uuid())));
        }
        select
            .order_by(UsagePlans::Id, Order::Asc)
            .limit(u64::from(query.limit) + 1)
            .offset(query.offset);
        let found = self
            .fetch_all(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "listing usage plans"))?;
        found
            .iter()
            .map(plan_row)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }

    pub(super) async fn usage_plan_count(&self, query: &PlanQuery) -> StoreResult<u64> {
        let dialect = self.dialect();
        let mut select = plans_matching(dialect, query);
        select.expr(Func::count(Expr::col(UsagePlans::Id)));
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "counting usage plans"))?;
        row.map_or(Ok(0), |r| r.count().map_err(corrupt))
    }

    pub(super) async fn update_usage_plan_once(
        &self,
        plan: &UsagePlan,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let dialect = self.dialect();
        let mut update = UpdateStatement::new();
        update
            .table(UsagePlans::Table)
            .values([
                (UsagePlans::Name, plan.name.as_str().into()),
                (UsagePlans::Description, plan.description.as_str().into()),
                (UsagePlans::Limits, json(plan.limits.to_value()).into()),
                (UsagePlans::Compat, json(plan.compat.to_value()).into()),
                (UsagePlans::UpdatedAt, micros(plan.updated_at).into()),
            ])
            .and_where(Expr::col(UsagePlans::Id).eq(dialect.uuid(plan.id.as_uuid())));
        let mut tx = self.begin_write().await?;
        let changed =
            tx.execute(dialect.build(&update))
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::UniqueViolation) => name_in_use(plan),
                    _ => db_error(e, "updating a usage plan"),
                })?;
        if changed == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        let keys = accepted_under_plan(dialect, plan.id);
        let hashes = publish_keys(&mut tx, dialect, &self.origin, keys).await?;
        tx.commit().await?;
        Ok(hashes)
    }

    pub(super) async fn delete_usage_plan_once(
        &self,
        id: UsagePlanId,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let in_use = || {
            conflict(
                Entity::UsagePlan,
                "the usage plan is in use by a product, a subscription or a stage association; \
                 detach it first",
            )
        };
        let plan = dialect.uuid(id.as_uuid());
        let mut tx = self.begin_write().await?;
        let uses = [
            (
                Products::Table.into_iden(),
                Products::UsagePlanId.into_iden(),
            ),
            (
                Subscriptions::Table.into_iden(),
                Subscriptions::UsagePlanId.into_iden(),
            ),
            (
                UsagePlanStages::Table.into_iden(),
                UsagePlanStages::UsagePlanId.into_iden(),
            ),
        ];
        for (table, column) in uses {
            let mut select = SelectStatement::new();
            select
                .expr(Expr::val(1))
                .from(table)
                .and_where(Expr::col(column).eq(plan.clone()))
                .limit(1);
            let used = tx
                .fetch_optional(dialect.build(&select))
                .await
                .map_err(|e| db_error(e, "checking a usage plan for uses"))?;
            if used.is_some() {
                return Err(in_use());
            }
        }
        let mut delete = DeleteStatement::new();
        delete
            .from_table(UsagePlans::Table)
            .and_where(Expr::col(UsagePlans::Id).eq(plan));
        let deleted =
            tx.execute(dialect.build(&delete))
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::ForeignKeyViolation) => in_use(),
                    _ => db_error(e, "deleting a usage plan"),
                })?;
        if deleted == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }

    /// Runs `update` on a product's plan column, then writes `op` and publishes the product's
    /// accepted keys. `Stale` when the product is gone.
    async fn write_product_plan(
        &self,
        tx: &mut Tx,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let dialect = self.dialect();
        let changed = tx
            .execute(dialect.build(&set_product_plan_stmt(dialect, product, plan)))
            .await
            .map_err(|e| match violation(&e) {
                Some(ErrorKind::ForeignKeyViolation) => StoreError::Stale,
                _ => db_error(e, "setting a product's usage plan"),
            })?;
        if changed == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(tx, dialect, op).await?;
        let keys = accepted_for_product(dialect, product);
        publish_keys(tx, dialect, &self.origin, keys).await
    }

    pub(super) async fn set_product_plan_once(
        &self,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let mut tx = self.begin_write().await?;
        let hashes = self.write_product_plan(&mut tx, product, plan, op).await?;
        tx.commit().await?;
        Ok(hashes)
    }

    pub(super) async fn set_subscription_plan_once(
        &self,
        key: KeyId,
        product: ProductId,
        plan: Option<UsagePlanId>,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let dialect = self.dialect();
        let mut update = UpdateStatement::new();
        update.table(Subscriptions::Table).values([(
            Subscriptions::UsagePlanId,
            dialect.opt_uuid(plan.map(|p| p.as_uuid())).into(),
        )]);
        for condition in which_subscription(dialect, key, product) {
            update.and_where(condition);
        }
        let mut tx = self.begin_write().await?;
        if !lock_key(&mut tx, dialect, key).await? {
            return Err(StoreError::Stale);
        }
        let changed =
            tx.execute(dialect.build(&update))
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::ForeignKeyViolation) => StoreError::Stale,
                    _ => db_error(e, "setting a subscription's usage plan"),
                })?;
        if changed == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        let mut keys = SelectStatement::new();
        keys.expr(Expr::val(dialect.uuid(key.as_uuid())));
        let hashes = publish_keys(&mut tx, dialect, &self.origin, keys).await?;
        tx.commit().await?;
        Ok(hashes)
    }

    pub(super) async fn associate_stage_once(
        &self,
        association: &StageAssociation,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let dialect = self.dialect();
        let mut insert = InsertStatement::new();
        insert
            .into_table(UsagePlanStages::Table)
            .columns([
                UsagePlanStages::ProductId,
                UsagePlanStages::ApiId,
                UsagePlanStages::StageId,
                UsagePlanStages::UsagePlanId,
                UsagePlanStages::CreatedAt,
            ])
            .values_panic([
                dialect.uuid(association.product_id.as_uuid()).into(),
                association.api_id.as_str().into(),
                association.stage_id.as_str().into(),
                dialect.uuid(association.usage_plan_id.as_uuid()).into(),
                micros(association.created_at).into(),
            ])
            .on_conflict(
                OnConflict::columns([
                    UsagePlanStages::ProductId,
                    UsagePlanStages::ApiId,
                    UsagePlanStages::StageId,
                    UsagePlanStages::UsagePlanId,
                ])
                .do_nothing()
                .to_owned(),
            );
        let mut tx = self.begin_write().await?;
        tx.execute(dialect.build(&insert))
            .await
            .map_err(|e| match violation(&e) {
                Some(ErrorKind::ForeignKeyViolation) => StoreError::Stale,
                _ => db_error(e, "recording a stage association"),
            })?;
        let plan = Some(association.usage_plan_id);
        let hashes = self
            .write_product_plan(&mut tx, association.product_id, plan, op)
            .await?;
        tx.commit().await?;
        Ok(hashes)
    }

    pub(super) async fn disassociate_stage_once(
        &self,
        association: &StageAssociation,
        op: &Operation,
    ) -> StoreResult<Vec<SecretHash>> {
        let dialect = self.dialect();
        let mut delete = DeleteStatement::new();
        delete.from_table(UsagePlanStages::Table);
        for condition in which_stage(dialect, association) {
            delete.and_where(condition);
        }
        let mut tx = self.begin_write().await?;
        let deleted = tx
            .execute(dialect.build(&delete))
            .await
            .map_err(|e| db_error(e, "removing a stage association"))?;
        if deleted == 0 {
            return Err(StoreError::Stale);
        }
        // The product keeps the plan while another of its stages is associated with it.
        let (product, plan) = (association.product_id, association.usage_plan_id);
        let mut remaining = SelectStatement::new();
        remaining
            .expr(Expr::val(1))
            .from(UsagePlanStages::Table)
            .and_where(Expr::col(UsagePlanStages::ProductId).eq(dialect.uuid(product.as_uuid())))
            .and_where(Expr::col(UsagePlanStages::UsagePlanId).eq(dialect.uuid(plan.as_uuid())))
            .limit(1);
        let still = tx
            .fetch_optional(dialect.build(&remaining))
            .await
            .map_err(|e| db_error(e, "checking a product's stage associations"))?;
        let mut clear = set_product_plan_stmt(dialect, product, None);
        clear.and_where(Expr::col(Products::UsagePlanId).eq(dialect.uuid(plan.as_uuid())));
        let cleared = if still.is_none() {
            tx.execute(dialect.build(&clear))
                .await
                .map_err(|e| db_error(e, "clearing a product's usage plan"))?
        } else {
            0
        };
        insert_operation(&mut tx, dialect, op).await?;
        let hashes = if cleared > 0 {
            let keys = accepted_for_product(dialect, product);
            publish_keys(&mut tx, dialect, &self.origin, keys).await?
        } else {
            Vec::new()
        };
        tx.commit().await?;
        Ok(hashes)
    }

    pub(super) async fn stage_associations_of(
        &self,
        plans: &[UsagePlanId],
    ) -> StoreResult<Vec<StageAssociation>> {
        if plans.is_empty() {
            return Ok(Vec::new());
        }
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(UsagePlanStages::Table)
            .and_where(
                Expr::col(UsagePlanStages::UsagePlanId)
                    .is_in(plans.iter().map(|p| dialect.uuid(p.as_uuid()))),
            )
            .order_by(UsagePlanStages::UsagePlanId, Order::Asc)
            .order_by(UsagePlanStages::ProductId, Order::Asc)
            .order_by(UsagePlanStages::ApiId, Order::Asc)
            .order_by(UsagePlanStages::StageId, Order::Asc);
        let found = self
            .fetch_all(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "listing stage associations"))?;
        found
            .iter()
            .map(stage_row)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }
}
