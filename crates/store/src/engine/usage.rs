//! Usage metering's table: the verifier's per-key, per-hour counts added to in batches
//! (`record_usage`), read back for one key (`key_usage`) and pruned by age (`prune_usage`).

use std::collections::BTreeMap;

use anyhow::Context as _;
use keyward_core::ids::KeyId;
use keyward_core::store::StoreResult;
use keyward_core::usage::UsageCount;
use sea_query::{DeleteStatement, Expr, Order, SelectStatement};
use sea_query_binder::SqlxValues;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, SqlStore};
use crate::error::{corrupt, db_error};
use crate::rows::Row;
use crate::schema::{from_micros, micros, Dialect, KeyUsage, Stmt};

/// Most rows in one `record_usage` statement: six parameters each, well under both backends'
/// limits on bound parameters.
const USAGE_CHUNK: usize = 500;

/// One row to add: the four counts of a key's hour, as stored (`i64`).
type Counts = [i64; 4];

impl<B: Backend> SqlStore<B> {
    pub(super) async fn record_usage_once(&self, counts: &[UsageCount]) -> StoreResult<()> {
        // One row per key and hour (PostgreSQL refuses to upsert a row twice in one statement),
        // in one order, so two nodes' batches lock shared rows in the same order.
        let mut rows: BTreeMap<(Uuid, i64), Counts> = BTreeMap::new();
        for count in counts {
            let sum = rows
                .entry((count.key.as_uuid(), micros(count.hour_start)))
                .or_insert([0; 4]);
            let add = [
                count.valid,
                count.rate_limited,
                count.usage_exceeded,
                count.refused,
            ];
            for (sum, add) in sum.iter_mut().zip(add) {
                *sum = sum.saturating_add(stored(add));
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        let rows: Vec<((Uuid, i64), Counts)> = rows.into_iter().collect();
        let dialect = self.dialect();
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(USAGE_CHUNK) {
            tx.execute(upsert_statement(dialect, chunk))
                .await
                .map_err(|e| db_error(e, "recording usage"))?;
        }
        tx.commit().await
    }

    pub(super) async fn key_usage_rows(
        &self,
        key: KeyId,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> StoreResult<Vec<UsageCount>> {
        let mut select = SelectStatement::new();
        select
            .columns([
                KeyUsage::Hour,
                KeyUsage::Valid,
                KeyUsage::RateLimited,
                KeyUsage::UsageExceeded,
                KeyUsage::Refused,
            ])
            .from(KeyUsage::Table)
            .and_where(Expr::col(KeyUsage::KeyId).eq(self.dialect().uuid(key.as_uuid())))
            .and_where(Expr::col(KeyUsage::Hour).gte(micros(from)))
            .and_where(Expr::col(KeyUsage::Hour).lt(micros(to)))
            .order_by(KeyUsage::Hour, Order::Asc);
        let rows = self
            .fetch_all(self.dialect().build(&select))
            .await
            .map_err(|e| db_error(e, "reading usage"))?;
        rows.iter()
            .map(|row| usage_row(key, row).map_err(corrupt))
            .collect()
    }

    pub(super) async fn prune_usage_once(&self, before: OffsetDateTime) -> StoreResult<u64> {
        let mut delete = DeleteStatement::new();
        delete
            .from_table(KeyUsage::Table)
            .and_where(Expr::col(KeyUsage::Hour).lt(micros(before)));
        let mut tx = self.begin_write().await?;
        let deleted = tx
            .execute(self.dialect().build(&delete))
            .await
            .map_err(|e| db_error(e, "pruning usage"))?;
        tx.commit().await?;
        Ok(deleted)
    }
}

/// A count as stored: `BIGINT` holds up to `i64::MAX`, which no real count reaches.
fn stored(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

fn usage_row(key: KeyId, row: &Row) -> anyhow::Result<UsageCount> {
    let count = |column: &str| -> anyhow::Result<u64> {
        u64::try_from(row.get::<i64>(column)?)
            .with_context(|| format!("column `{column}` is negative"))
    };
    Ok(UsageCount {
        key,
        hour_start: from_micros(row.get("hour")?)?,
        valid: count("valid")?,
        rate_limited: count("rate_limited")?,
        usage_exceeded: count("usage_exceeded")?,
        refused: count("refused")?,
    })
}

/// `INSERT … SELECT … FROM (VALUES …) WHERE the key exists ON CONFLICT DO UPDATE` adding the
/// counts: written as text because sea-query cannot express it; only placeholders are
/// interpolated. The `WHERE` drops rows of keys deleted since they were counted (and SQLite needs
/// a `WHERE` there to parse `ON CONFLICT` after a `SELECT`). Both backends name VALUES columns
/// `column1`…`column6`.
fn upsert_statement(dialect: Dialect, chunk: &[((Uuid, i64), Counts)]) -> Stmt {
    const COLUMNS: usize = 6;
    let mut values = Vec::with_capacity(chunk.len() * COLUMNS);
    let mut rows = Vec::with_capacity(chunk.len());
    for (i, ((key, hour), counts)) in chunk.iter().enumerate() {
        let placeholders: Vec<String> = (1..=COLUMNS)
            .map(|n| dialect.placeholder(COLUMNS * i + n))
            .collect();
        rows.push(format!("({})", placeholders.join(", ")));
        values.push(dialect.uuid(*key));
        values.push(sea_query::Value::BigInt(Some(*hour)));
        values.extend(counts.iter().map(|c| sea_query::Value::BigInt(Some(*c))));
    }
    let sql = format!(
        "INSERT INTO key_usage (key_id, hour, valid, rate_limited, usage_exceeded, refused) \
         SELECT u.column1, u.column2, u.column3, u.column4, u.column5, u.column6 \
         FROM (VALUES {}) AS u \
         WHERE EXISTS (SELECT 1 FROM api_keys WHERE api_keys.id = u.column1) \
         ON CONFLICT (key_id, hour) DO UPDATE SET \
         valid = key_usage.valid + excluded.valid, \
         rate_limited = key_usage.rate_limited + excluded.rate_limited, \
         usage_exceeded = key_usage.usage_exceeded + excluded.usage_exceeded, \
         refused = key_usage.refused + excluded.refused",
        rows.join(", ")
    );
    Stmt {
        sql,
        values: SqlxValues(sea_query::Values(values)),
    }
}
