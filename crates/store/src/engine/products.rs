//! Products (`migrations/<backend>/0002_products_subscriptions.sql`); keys' subscriptions to
//! them are in `subscriptions.rs`.

use keyward_core::error::{Entity, StoreError};
use keyward_core::ids::{DomainId, ProductId, UsagePlanId};
use keyward_core::model::{Description, Name, Operation, Product};
use keyward_core::store::StoreResult;
use sea_query::{DeleteStatement, Expr, Iden, InsertStatement, SelectStatement};
use sqlx::error::ErrorKind;

use super::operations::insert_operation;
use super::{Backend, SqlStore};
use crate::error::{conflict, db_error, violation};
use crate::rows::Row;
use crate::schema::{micros, Subscriptions};

#[derive(Iden, Clone, Copy)]
pub(super) enum Products {
    Table,
    Id,
    DomainId,
    Name,
    Description,
    UsagePlanId,
    CreatedAt,
    UpdatedAt,
}

pub(super) fn product_row(row: &Row) -> anyhow::Result<Product> {
    Ok(Product {
        id: ProductId::from_uuid(row.uuid("id")?),
        domain: DomainId::from_uuid(row.uuid("domain_id")?),
        name: Name::from_stored(row.get::<String>("name")?),
        description: Description::from_stored(row.get::<String>("description")?),
        usage_plan_id: row.opt_uuid("usage_plan_id")?.map(UsagePlanId::from_uuid),
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

impl<B: Backend> SqlStore<B> {
    pub(super) async fn insert_product_once(
        &self,
        product: &Product,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut insert = InsertStatement::new();
        insert
            .into_table(Products::Table)
            .columns([
                Products::Id,
                Products::DomainId,
                Products::Name,
                Products::Description,
                Products::UsagePlanId,
                Products::CreatedAt,
                Products::UpdatedAt,
            ])
            .values_panic([
                dialect.uuid(product.id.as_uuid()).into(),
                dialect.uuid(product.domain.as_uuid()).into(),
                product.name.as_str().into(),
                product.description.as_str().into(),
                dialect
                    .opt_uuid(product.usage_plan_id.map(|p| p.as_uuid()))
                    .into(),
                micros(product.created_at).into(),
                micros(product.updated_at).into(),
            ]);
        let mut tx = self.begin_write().await?;
        tx.execute(dialect.build(&insert))
            .await
            .map_err(|e| match violation(&e) {
                Some(ErrorKind::UniqueViolation) => conflict(
                    Entity::Product,
                    format!(
                        "a product named `{}` already exists in this domain",
                        product.name
                    ),
                ),
                Some(ErrorKind::ForeignKeyViolation) => conflict(
                    Entity::Domain,
                    "the product's domain or usage plan does not exist",
                ),
                _ => db_error(e, "inserting a product"),
            })?;
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }

    pub(super) async fn delete_product_once(
        &self,
        id: ProductId,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let in_use = || conflict(Entity::Product, "keys are still subscribed to the product");
        let mut tx = self.begin_write().await?;
        let mut select = SelectStatement::new();
        select
            .column(Subscriptions::KeyId)
            .from(Subscriptions::Table)
            .and_where(Expr::col(Subscriptions::ProductId).eq(dialect.uuid(id.as_uuid())))
            .limit(1);
        let subscribed = tx
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "checking a product for subscriptions"))?;
        if subscribed.is_some() {
            return Err(in_use());
        }
        let mut delete = DeleteStatement::new();
        delete
            .from_table(Products::Table)
            .and_where(Expr::col(Products::Id).eq(dialect.uuid(id.as_uuid())));
        let deleted =
            tx.execute(dialect.build(&delete))
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::ForeignKeyViolation) => in_use(),
                    _ => db_error(e, "deleting a product"),
                })?;
        if deleted == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }
}
