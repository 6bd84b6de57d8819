//! The change log: written inside every mutating transaction, read newest first.

use keyward_core::ids::OperationId;
use keyward_core::model::Operation;
use keyward_core::query::OperationQuery;
use keyward_core::store::StoreResult;
use sea_query::{Asterisk, Expr, InsertStatement, Order, SelectStatement};

use super::{Engine, Tx};
use crate::error::{corrupt, db_error};
use crate::rows::{self, actor_json};
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

impl Engine {
    pub async fn operation(&self, id: OperationId) -> StoreResult<Option<Operation>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select
            .column(Asterisk)
            .from(Operations::Table)
            .and_where(Expr::col(Operations::Id).eq(dialect.uuid(id.as_uuid())));
        let row = self
            .fetch_optional(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "loading an operation"))?;
        row.as_ref()
            .map(rows::operation)
            .transpose()
            .map_err(corrupt)
    }

    /// Newest first (ids are UUIDv7, so id order is time order); up to `limit + 1` rows, so the
    /// caller can tell whether an older page exists.
    pub async fn list_operations(&self, query: &OperationQuery) -> StoreResult<Vec<Operation>> {
        let dialect = self.dialect();
        let mut select = SelectStatement::new();
        select.column(Asterisk).from(Operations::Table);
        if let Some(domain) = query.domain {
            select.and_where(Expr::col(Operations::DomainId).eq(dialect.uuid(domain.as_uuid())));
        }
        if let Some(target) = query.target_id {
            select.and_where(Expr::col(Operations::TargetId).eq(dialect.uuid(target)));
        }
        if let Some(action) = &query.action {
            select.and_where(Expr::col(Operations::Action).eq(action.as_str()));
        }
        if let Some(before) = query.before {
            select.and_where(Expr::col(Operations::Id).lt(dialect.uuid(before)));
        }
        select
            .order_by(Operations::Id, Order::Desc)
            .limit(u64::from(query.limit) + 1);
        let found = self
            .fetch_all(dialect.build(&select))
            .await
            .map_err(|e| db_error(e, "listing operations"))?;
        found
            .iter()
            .map(rows::operation)
            .collect::<anyhow::Result<_>>()
            .map_err(corrupt)
    }
}
