//! Domains (tenants).

use keyward_core::error::{Entity, StoreError};
use keyward_core::ids::DomainId;
use keyward_core::model::{Domain, Operation};
use keyward_core::store::StoreResult;
use sea_query::{DeleteStatement, Expr, InsertStatement, SelectStatement, UpdateStatement};
use sqlx::error::ErrorKind;

use super::operations::insert_operation;
use super::{Backend, SqlStore};
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

impl<B: Backend> SqlStore<B> {
    pub(super) async fn insert_domain_once(
        &self,
        domain: &Domain,
        op: &Operation,
    ) -> StoreResult<()> {
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

    pub(super) async fn one_domain(&self, select: SelectStatement) -> StoreResult<Option<Domain>> {
        let stmt = self.dialect().build(&select);
        let row = self
            .fetch_optional(stmt)
            .await
            .map_err(|e| db_error(e, "loading a domain"))?;
        row.as_ref().map(rows::domain).transpose().map_err(corrupt)
    }

    pub(super) async fn update_domain_once(
        &self,
        domain: &Domain,
        op: &Operation,
    ) -> StoreResult<()> {
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

    pub(super) async fn delete_domain_once(&self, id: DomainId, op: &Operation) -> StoreResult<()> {
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
