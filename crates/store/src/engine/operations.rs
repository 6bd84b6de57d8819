//! The change log: written inside every mutating transaction, read newest first.

use keyward_core::model::Operation;
use keyward_core::store::StoreResult;
use sea_query::InsertStatement;

use super::{Backend, SqlStore, Tx};
use crate::error::db_error;
use crate::rows::actor_json;
use crate::schema::{json, micros, Dialect, Operations};

/// Writes `op` in the caller's transaction, so the record exists exactly when the change does.
pub(super) async fn insert_operation(
    tx: &mut Tx,
    dialect: Dialect,
    op: &Operation,
) -> StoreResult<()> {
    insert_operations(tx, dialect, &[op]).await
}

/// Writes `ops` in one statement, in the caller's transaction.
pub(super) async fn insert_operations(
    tx: &mut Tx,
    dialect: Dialect,
    ops: &[&Operation],
) -> StoreResult<()> {
    if ops.is_empty() {
        return Ok(());
    }
    let mut insert = InsertStatement::new();
    insert.into_table(Operations::Table).columns([
        Operations::Id,
        Operations::DomainId,
        Operations::Actor,
        Operations::Action,
        Operations::TargetKind,
        Operations::TargetId,
        Operations::At,
        Operations::Metadata,
        Operations::Result,
    ]);
    for op in ops {
        insert.values_panic([
            dialect.uuid(op.id.as_uuid()).into(),
            dialect.uuid(op.domain.as_uuid()).into(),
            json(actor_json(&op.actor)).into(),
            op.action.clone().into(),
            op.target_kind.as_str().into(),
            dialect.uuid(op.target_id).into(),
            micros(op.at).into(),
            json(op.metadata.clone()).into(),
            json(op.result.clone()).into(),
        ]);
    }
    tx.execute(dialect.build(&insert))
        .await
        .map_err(|e| db_error(e, "recording an operation"))?;
    Ok(())
}

impl<B: Backend> SqlStore<B> {}
