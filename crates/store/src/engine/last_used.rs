//! Write-behind of "last used": the verifier's batches, in as few statements as possible.

use std::collections::BTreeMap;

use keyward_core::ids::KeyId;
use keyward_core::store::StoreResult;
use sea_query_binder::SqlxValues;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, SqlStore};
use crate::error::db_error;
use crate::schema::{micros, Dialect, Stmt};

/// Most `(id, time)` pairs in one `record_last_used` statement: well under both backends' limits
/// on bound parameters, big enough that a busy second is a handful of statements.
const LAST_USED_CHUNK: usize = 500;

impl<B: Backend> SqlStore<B> {
    pub(super) async fn record_last_used_once(
        &self,
        uses: &[(KeyId, OffsetDateTime)],
    ) -> StoreResult<()> {
        let mut latest: BTreeMap<Uuid, i64> = BTreeMap::new();
        for (id, at) in uses {
            let at = micros(*at);
            latest
                .entry(id.as_uuid())
                .and_modify(|t| *t = (*t).max(at))
                .or_insert(at);
        }
        if latest.is_empty() {
            return Ok(());
        }
        let dialect = self.dialect();
        let latest: Vec<(Uuid, i64)> = latest.into_iter().collect();
        let mut tx = self.begin_write().await?;
        for chunk in latest.chunks(LAST_USED_CHUNK) {
            tx.execute(last_used_statement(dialect, chunk))
                .await
                .map_err(|e| db_error(e, "recording last use"))?;
        }
        tx.commit().await
    }
}

/// `UPDATE … FROM (VALUES …)`: written as text because sea-query cannot express it; only
/// placeholders are interpolated. Both backends name VALUES columns `column1`, `column2`.
fn last_used_statement(dialect: Dialect, chunk: &[(Uuid, i64)]) -> Stmt {
    let mut values = Vec::with_capacity(chunk.len() * 2);
    let mut rows = Vec::with_capacity(chunk.len());
    for (i, (id, at)) in chunk.iter().enumerate() {
        rows.push(format!(
            "({}, {})",
            dialect.placeholder(2 * i + 1),
            dialect.placeholder(2 * i + 2)
        ));
        values.push(dialect.uuid(*id));
        values.push(sea_query::Value::BigInt(Some(*at)));
    }
    let sql = format!(
        "UPDATE api_keys SET last_used_at = u.column2 \
         FROM (VALUES {}) AS u \
         WHERE api_keys.id = u.column1 \
         AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < u.column2)",
        rows.join(", ")
    );
    Stmt {
        sql,
        values: SqlxValues(sea_query::Values(values)),
    }
}
