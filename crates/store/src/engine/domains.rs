//! Domains (tenants).

use keyward_core::error::{Entity, StoreError};
use keyward_core::ids::DomainId;
use keyward_core::model::{Domain, Operation};
use keyward_core::store::StoreResult;
use sea_query::{
    Asterisk, DeleteStatement, Expr, InsertStatement, Order, SelectStatement, UpdateStatement,
};
use sqlx::error::ErrorKind;

use super::operations::insert_operation;
use super::retry::retrying;
use super::Engine;
use crate::error::{conflict, corrupt, db_error, violation};
use crate::rows;
use crate::schema::{micros, Domains, Principals};

fn name_conflict(error: sqlx::Error, domain: &Domain, context: &str) -> StoreError {
    match violation(&error) {
        Some(ErrorKind::UniqueViolation) if domain.is_root => conflict(
            Entity::Domain,
            "a root domain, or a domain of this name, already exists",
        ),
        Some(ErrorKind::UniqueViolation) => conflict(
            Entity::Domain,
            format!("a domain named `{}` already exists", domain.name),
        ),
        _ => db_error(error, context),
    }
}

impl Engine {
    pub async fn is_empty(&self) -> StoreResult<bool> {
        let mut select = SelectStatement::new();
        select.column(Domains::Id).from(Domains::Table).limit(1);
        let row = self
            .fetch_optional(self.dialect().build(&select))
            .await
            .map_err(|e| db_error(e, "checking for domains"))?;
        Ok(row.is_none())
    }

    pub async fn insert_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Domain, || self.insert_domain_once(domain, op)).await
    }

    async fn insert_domain_once(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut insert = InsertStatement::new();
        insert
            .into_table(Domains::Table)
            .columns([
                Domains::Id,
                Domains::Name,
                Domains::Description,
                Domains::IsRoot,
                Domains::CreatedAt,
                Domains::UpdatedAt,
            ])
            .values_panic([
                dialect.uuid(domain.id.as_uuid()).into(),
                domain.name.as_str().into(),
                domain.description.as_str().into(),
                domain.is_root.into(),
                micros(domain.created_at).into(),
                micros(domain.updated_at).into(),
            ]);
        let mut tx = self.begin_write().await?;
        tx.execute(dialect.build(&insert))
            .await
            .map_err(|e| name_conflict(e, domain, "inserting a domain"))?;
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }

    pub async fn domain(&self, id: DomainId) -> StoreResult<Option<Domain>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Domains::Table)
            .and_where(Expr::col(Domains::Id).eq(dialect.uuid(id.as_uuid())));
        self.one_domain(select).await
    }

    pub async fn root_domain(&self) -> StoreResult<Option<Domain>> {
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Domains::Table)
            .and_where(Expr::col(Domains::IsRoot).eq(true));
        self.one_domain(select).await
    }

    async fn one_domain(&self, select: SelectStatement) -> StoreResult<Option<Domain>> {
        let stmt = self.dialect().build(&select);
        let row = self
            .fetch_optional(stmt)
            .await
            .map_err(|e| db_error(e, "loading a domain"))?;
        row.as_ref().map(rows::domain).transpose().map_err(corrupt)
    }

    /// Ordered by id, strictly after `after`; up to `limit + 1` rows.
    pub async fn list_domains(
        &self,
        after: Option<DomainId>,
        limit: u32,
    ) -> StoreResult<Vec<Domain>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select.column(Asterisk).from(Domains::Table);
        if let Some(after) = after {
            select.and_where(Expr::col(Domains::Id).gt(dialect.uuid(after.as_uuid())));
        }
        select
            .order_by(Domains::Id, Order::Asc)
            .limit(u64::from(limit) + 1);
        let found = self
            .fetch_all(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "listing domains"))?;
        found
            .iter()
            .map(rows::domain)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }

    /// Writes name, description and `updated_at` (id, root flag and creation time never change).
    /// `Stale` when the domain is gone.
    pub async fn update_domain(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Domain, || self.update_domain_once(domain, op)).await
    }

    async fn update_domain_once(&self, domain: &Domain, op: &Operation) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut update = UpdateStatement::new();
        update
            .table(Domains::Table)
            .values([
                (Domains::Name, domain.name.as_str().into()),
                (Domains::Description, domain.description.as_str().into()),
                (Domains::UpdatedAt, micros(domain.updated_at).into()),
            ])
            .and_where(Expr::col(Domains::Id).eq(dialect.uuid(domain.id.as_uuid())));
        let mut tx = self.begin_write().await?;
        let changed = tx
            .execute(dialect.build(&update))
            .await
            .map_err(|e| name_conflict(e, domain, "updating a domain"))?;
        if changed == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }

    /// `Conflict` while principals remain (the foreign key backs the check up against a racing
    /// insert); `Stale` when the domain is already gone. Its operations stay.
    pub async fn delete_domain(&self, id: DomainId, op: &Operation) -> StoreResult<()> {
        retrying(Entity::Domain, || self.delete_domain_once(id, op)).await
    }

    async fn delete_domain_once(&self, id: DomainId, op: &Operation) -> StoreResult<()> {
        let dialect = self.dialect();
        let not_empty = || conflict(Entity::Domain, "the domain still has principals");
        let mut tx = self.begin_write().await?;
        let mut select = SelectStatement::new();
        select
            .column(Principals::Id)
            .from(Principals::Table)
            .and_where(Expr::col(Principals::DomainId).eq(dialect.uuid(id.as_uuid())))
            .limit(1);
        let principal = tx
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "checking a domain for principals"))?;
        if principal.is_some() {
            return Err(not_empty());
        }
        let mut delete = DeleteStatement::new();
        delete
            .from_table(Domains::Table)
            .and_where(Expr::col(Domains::Id).eq(dialect.uuid(id.as_uuid())));
        let deleted =
            tx.execute(dialect.build(&delete))
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::ForeignKeyViolation) => not_empty(),
                    _ => db_error(e, "deleting a domain"),
                })?;
        if deleted == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }
}
