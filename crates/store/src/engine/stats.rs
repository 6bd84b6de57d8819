//! Statistics over keys: the core's [`AggregateQuery`] compiled to one parameterised
//! `SELECT <group columns>, COUNT(*), MIN(..), MAX(..) … WHERE domain AND filter GROUP BY …
//! ORDER BY … LIMIT n` for either dialect. Columns come from the same closed field → column
//! map as lists; result columns are named by position (`g0…`, `a0…`), never by user text.

use anyhow::Context as _;
use keyward_core::query::{
    AggregateOp, AggregateQuery, AggregateRow, AggregateValue, FieldKind, KeyField, QueryField,
    Value,
};
use sea_query::{Alias, Asterisk, Expr, Func, NullOrdering, Order, SelectStatement};

use crate::query_sql::{col, filter, in_domain, ListField};
use crate::rows::Row;
use crate::schema::{from_micros, Dialect, Stmt};

/// The statement for `query` (already validated by the core).
pub(crate) fn compile(dialect: Dialect, query: &AggregateQuery<KeyField>) -> anyhow::Result<Stmt> {
    let mut select = SelectStatement::new();
    select
        .from(KeyField::table())
        .and_where(in_domain::<KeyField>(dialect, query.domain))
        .and_where(filter(dialect, &query.filter)?);
    for (i, field) in query.group_by.iter().enumerate() {
        select.expr_as(col(*field), Alias::new(format!("g{i}")));
        select.group_by_col((KeyField::table(), field.column()));
        select.order_by_expr_with_nulls(col(*field).into(), Order::Asc, NullOrdering::First);
    }
    for (i, aggregate) in query.aggregates.iter().enumerate() {
        let expr = match (aggregate.op, aggregate.field) {
            (AggregateOp::Count, _) => Func::count(Expr::col(Asterisk)),
            (AggregateOp::Min, Some(field)) => Func::min(col(field)),
            (AggregateOp::Max, Some(field)) => Func::max(col(field)),
            (_, None) => anyhow::bail!("min and max need a field"),
        };
        select.expr_as(expr, Alias::new(format!("a{i}")));
    }
    select.limit(u64::from(query.limit));
    Ok(dialect.build(&select))
}

/// One result row as the core's [`AggregateRow`].
pub(super) fn decode(row: &Row, query: &AggregateQuery<KeyField>) -> anyhow::Result<AggregateRow> {
    let mut group = Vec::with_capacity(query.group_by.len());
    for (i, field) in query.group_by.iter().enumerate() {
        let column = format!("g{i}");
        let value = match field.kind() {
            FieldKind::Id => match row.get::<Option<String>>(&column) {
                // SQLite stores ids as text; PostgreSQL as uuid, read through `uuid`.
                Ok(text) => text.map_or(Value::Null, Value::Text),
                Err(_) => Value::Text(row.uuid(&column)?.to_string()),
            },
            FieldKind::Bool => row
                .get::<Option<bool>>(&column)?
                .map_or(Value::Null, Value::Bool),
            _ => row
                .get::<Option<String>>(&column)?
                .map_or(Value::Null, Value::Text),
        };
        group.push(value);
    }
    let mut values = Vec::with_capacity(query.aggregates.len());
    for (i, aggregate) in query.aggregates.iter().enumerate() {
        let column = format!("a{i}");
        values.push(match aggregate.op {
            AggregateOp::Count => {
                let n: i64 = row.get(&column)?;
                AggregateValue::Count(u64::try_from(n).context("negative count")?)
            }
            AggregateOp::Min | AggregateOp::Max => AggregateValue::Time(
                row.get::<Option<i64>>(&column)?
                    .map(from_micros)
                    .transpose()?,
            ),
        });
    }
    Ok(AggregateRow { group, values })
}
