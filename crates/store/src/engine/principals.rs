//! Principals: the users and service accounts that own keys.

use keyward_core::error::{Entity, StoreError};
use keyward_core::ids::PrincipalId;
use keyward_core::model::{Operation, Principal};
use keyward_core::secret::SecretHash;
use keyward_core::store::StoreResult;
use sea_query::{DeleteStatement, Expr, InsertStatement, SelectStatement, UpdateStatement};
use sqlx::error::ErrorKind;

use super::operations::insert_operation;
use super::{Backend, SqlStore, Tx};
use crate::error::{conflict, corrupt, db_error, violation};
use crate::rows;
use crate::schema::{json, micros, ApiKeys, Dialect, KeySecrets, Principals};

/// The secret hashes of every key `owner` owns.
async fn owned_key_hashes(
    tx: &mut Tx,
    dialect: Dialect,
    owner: PrincipalId,
) -> StoreResult<Vec<SecretHash>> {
    let mut select = SelectStatement::new();
    select
        .column((KeySecrets::Table, KeySecrets::Hash))
        .from(KeySecrets::Table)
        .inner_join(
            ApiKeys::Table,
            Expr::col((ApiKeys::Table, ApiKeys::Id)).equals((KeySecrets::Table, KeySecrets::KeyId)),
        )
        .and_where(Expr::col((ApiKeys::Table, ApiKeys::OwnerId)).eq(dialect.uuid(owner.as_uuid())));
    let found = tx
        .fetch_all(dialect.build(&select))
        .await
        .map_err(|e| db_error(e, "listing a principal's keys"))?;
    found
        .iter()
        .map(|row| rows::secret_hash(row, "hash"))
        .collect::<anyhow::Result<_>>()
        .map_err(corrupt)
}

fn name_taken(principal: &Principal) -> StoreError {
    conflict(
        Entity::Principal,
        format!(
            "a principal named `{}` already exists in this domain",
            principal.name
        ),
    )
}

impl<B: Backend> SqlStore<B> {
    pub(super) async fn insert_principal_once(
        &self,
        principal: &Principal,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut insert = InsertStatement::new();
        insert
            .into_table(Principals::Table)
            .columns([
                Principals::Id,
                Principals::DomainId,
                Principals::Kind,
                Principals::Name,
                Principals::Description,
                Principals::External,
                Principals::Limits,
                Principals::CreatedAt,
                Principals::UpdatedAt,
            ])
            .values_panic([
                dialect.uuid(principal.id.as_uuid()).into(),
                dialect.uuid(principal.domain.as_uuid()).into(),
                principal.kind.as_str().into(),
                principal.name.as_str().into(),
                principal.description.as_str().into(),
                principal.external.into(),
                json(principal.limits.to_value()).into(),
                micros(principal.created_at).into(),
                micros(principal.updated_at).into(),
            ]);
        let mut tx = self.begin_write().await?;
        tx.execute(dialect.build(&insert))
            .await
            .map_err(|e| match violation(&e) {
                Some(ErrorKind::UniqueViolation) => name_taken(principal),
                Some(ErrorKind::ForeignKeyViolation) => {
                    conflict(Entity::Domain, "the domain does not exist")
                }
                _ => db_error(e, "inserting a principal"),
            })?;
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }

    pub(super) async fn update_principal_once(
        &self,
        principal: &Principal,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut update = UpdateStatement::new();
        update
            .table(Principals::Table)
            .values([
                (Principals::Kind, principal.kind.as_str().into()),
                (Principals::Name, principal.name.as_str().into()),
                (
                    Principals::Description,
                    principal.description.as_str().into(),
                ),
                (Principals::External, principal.external.into()),
                (Principals::Limits, json(principal.limits.to_value()).into()),
                (Principals::UpdatedAt, micros(principal.updated_at).into()),
            ])
            .and_where(Expr::col(Principals::Id).eq(dialect.uuid(principal.id.as_uuid())));
        let mut tx = self.begin_write().await?;
        let changed =
            tx.execute(dialect.build(&update))
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::UniqueViolation) => name_taken(principal),
                    _ => db_error(e, "updating a principal"),
                })?;
        if changed == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        // Every cached key of this principal carries its limits.
        let hashes = owned_key_hashes(&mut tx, dialect, principal.id).await?;
        tx.publish_key_change(&self.origin, &hashes).await?;
        tx.commit().await
    }

    pub(super) async fn delete_principal_once(
        &self,
        id: PrincipalId,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let owns_keys = || conflict(Entity::Principal, "the principal still owns keys");
        let mut tx = self.begin_write().await?;
        let mut select = SelectStatement::new();
        select
            .column(ApiKeys::Id)
            .from(ApiKeys::Table)
            .and_where(Expr::col(ApiKeys::OwnerId).eq(dialect.uuid(id.as_uuid())))
            .limit(1);
        let key = tx
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "checking a principal for keys"))?;
        if key.is_some() {
            return Err(owns_keys());
        }
        let mut delete = DeleteStatement::new();
        delete
            .from_table(Principals::Table)
            .and_where(Expr::col(Principals::Id).eq(dialect.uuid(id.as_uuid())));
        let deleted =
            tx.execute(dialect.build(&delete))
                .await
                .map_err(|e| match violation(&e) {
                    Some(ErrorKind::ForeignKeyViolation) => owns_keys(),
                    _ => db_error(e, "deleting a principal"),
                })?;
        if deleted == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }
}
