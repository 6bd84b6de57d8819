//! A key's credit balance: read, and compare-and-set. Nodes lease credits from it on the verify
//! path (no operation, nothing published: usage is not a change); a top-up writes an operation
//! and tells the other nodes, whose cached snapshot of the key shows its balance.

use keyward_core::error::Entity;
use keyward_core::ids::KeyId;
use keyward_core::model::Operation;
use keyward_core::store::StoreResult;
use keyward_core::usage::StoredCredits;
use sea_query::{Expr, SelectStatement, UpdateStatement, Value};

use super::operations::insert_operation;
use super::retry::retrying;
use super::subscriptions::publish_key;
use super::{Backend, SqlStore};
use crate::error::{corrupt, db_error};
use crate::rows;
use crate::schema::{micros, ApiKeys};

fn stored_i64(amount: u64) -> i64 {
    i64::try_from(amount).unwrap_or(i64::MAX)
}

impl<B: Backend> SqlStore<B> {
    pub(super) async fn key_credits_now(&self, key: KeyId) -> StoreResult<Option<StoredCredits>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .columns([
                ApiKeys::CreditsRemaining,
                ApiKeys::CreditsRefill,
                ApiKeys::CreditsRefilledAt,
                ApiKeys::CreditsEpoch,
            ])
            .from(ApiKeys::Table)
            .and_where(Expr::col(ApiKeys::Id).eq(dialect.uuid(key.as_uuid())));
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "reading a key's credits"))?;
        match row {
            Some(row) => rows::credits(&row).map_err(corrupt),
            None => Ok(None),
        }
    }

    pub(super) async fn swap_credits_now(
        &self,
        key: KeyId,
        expected: &StoredCredits,
        next: &StoredCredits,
        op: Option<&Operation>,
    ) -> StoreResult<bool> {
        retrying(Entity::Key, || {
            self.swap_credits_once(key, expected, next, op)
        })
        .await
    }

    async fn swap_credits_once(
        &self,
        key: KeyId,
        expected: &StoredCredits,
        next: &StoredCredits,
        op: Option<&Operation>,
    ) -> StoreResult<bool> {
        let dialect = self.dialect();
        let refill = Value::Json(
            next.credits
                .refill
                .and_then(|r| serde_json::to_value(r).ok())
                .map(Box::new),
        );
        let mut update = UpdateStatement::new();
        update
            .table(ApiKeys::Table)
            .values([
                (
                    ApiKeys::CreditsRemaining,
                    stored_i64(next.credits.remaining).into(),
                ),
                (ApiKeys::CreditsRefill, refill.into()),
                (
                    ApiKeys::CreditsRefilledAt,
                    micros(next.credits.refilled_at).into(),
                ),
                (ApiKeys::CreditsEpoch, next.epoch.into()),
            ])
            .and_where(Expr::col(ApiKeys::Id).eq(dialect.uuid(key.as_uuid())))
            .and_where(
                Expr::col(ApiKeys::CreditsRemaining).eq(stored_i64(expected.credits.remaining)),
            )
            .and_where(
                Expr::col(ApiKeys::CreditsRefilledAt).eq(micros(expected.credits.refilled_at)),
            )
            .and_where(Expr::col(ApiKeys::CreditsEpoch).eq(expected.epoch));
        let mut tx = self.begin_write().await?;
        let changed = tx
            .execute(dialect.build(&update))
            .await
            .map_err(|e| db_error(e, "writing a key's credits"))?;
        if changed == 0 {
            return Ok(false);
        }
        if let Some(op) = op {
            insert_operation(&mut tx, dialect, op).await?;
            publish_key(&mut tx, dialect, &self.origin, key).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
