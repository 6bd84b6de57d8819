//! Access keys (`migrations/<backend>/0003_access_keys.sql`): the sealed secret goes in and out
//! as opaque bytes; only the core can open it.

use keyward_core::error::{Entity, StoreError};
use keyward_core::ids::{DomainId, KeyId};
use keyward_core::model::{AccessKey, Operation};
use keyward_core::store::StoreResult;
use sea_query::{DeleteStatement, Expr, Iden, InsertStatement};
use sqlx::error::ErrorKind;

use super::keys::lock_key;
use super::operations::insert_operation;
use super::{Backend, SqlStore};
use crate::error::{conflict, db_error, violation};
use crate::rows::Row;
use crate::schema::micros;

#[derive(Iden, Clone, Copy)]
pub(super) enum AccessKeys {
    Table,
    Id,
    DomainId,
    KeyId,
    SealedSecret,
    CreatedAt,
}

pub(super) fn access_key_row(row: &Row) -> anyhow::Result<AccessKey> {
    Ok(AccessKey {
        id: row.get("id")?,
        domain: DomainId::from_uuid(row.uuid("domain_id")?),
        key_id: KeyId::from_uuid(row.uuid("key_id")?),
        sealed_secret: row.get("sealed_secret")?,
        created_at: row.time("created_at")?,
    })
}

impl<B: Backend> SqlStore<B> {
    /// `insert_access_key`'s transaction, which locks its key first like every key write.
    pub(super) async fn insert_access_key_once(
        &self,
        access_key: &AccessKey,
        op: &Operation,
    ) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut insert = InsertStatement::new();
        insert
            .into_table(AccessKeys::Table)
            .columns([
                AccessKeys::Id,
                AccessKeys::DomainId,
                AccessKeys::KeyId,
                AccessKeys::SealedSecret,
                AccessKeys::CreatedAt,
            ])
            .values_panic([
                access_key.id.as_str().into(),
                dialect.uuid(access_key.domain.as_uuid()).into(),
                dialect.uuid(access_key.key_id.as_uuid()).into(),
                access_key.sealed_secret.clone().into(),
                micros(access_key.created_at).into(),
            ]);
        let mut tx = self.begin_write().await?;
        if !lock_key(&mut tx, dialect, access_key.key_id).await? {
            return Err(conflict(Entity::Key, "the access key's key does not exist"));
        }
        tx.execute(dialect.build(&insert))
            .await
            .map_err(|e| match violation(&e) {
                Some(ErrorKind::UniqueViolation) => conflict(
                    Entity::AccessKey,
                    "an access key with this id already exists",
                ),
                Some(ErrorKind::ForeignKeyViolation) => {
                    conflict(Entity::Key, "the access key's key does not exist")
                }
                _ => db_error(e, "inserting an access key"),
            })?;
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }

    pub(super) async fn delete_access_key_once(&self, id: &str, op: &Operation) -> StoreResult<()> {
        let dialect = self.dialect();
        let mut delete = DeleteStatement::new();
        delete
            .from_table(AccessKeys::Table)
            .and_where(Expr::col(AccessKeys::Id).eq(id));
        let mut tx = self.begin_write().await?;
        let deleted = tx
            .execute(dialect.build(&delete))
            .await
            .map_err(|e| db_error(e, "deleting an access key"))?;
        if deleted == 0 {
            return Err(StoreError::Stale);
        }
        insert_operation(&mut tx, dialect, op).await?;
        tx.commit().await
    }
}
