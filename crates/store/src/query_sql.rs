//! Compiles the core's query model (filter tree, sort, window) into one parameterised statement,
//! for either dialect. Field names map to columns through a closed `match` (the whitelist); user
//! text only ever becomes a bound value, never SQL text.
//!
//! Semantics both backends share (the conformance suite checks them):
//! - a condition on a nullable time is two-valued: `eq`/`lt`/… never match NULL and `ne` always
//!   does, so `Not(x)` is exactly the rows `x` does not match;
//! - text compares bytewise and `contains`/`starts_with`/`ends_with` are case-sensitive, with `%`,
//!   `_` and `\` in the value matched literally;
//! - token sets (roles, scopes): `eq` has the token, `ne` lacks it, `in` has any, `not_in` has none;
//! - order is the sort field then the id, both in the sort's direction, NULLs first ascending and
//!   last descending; a cursor continues strictly after its (value, id).

use anyhow::{anyhow, bail, Context as _};
use keyward_core::ids::DomainId;
use keyward_core::query::{
    Condition, Cursor, FieldKind, Filter, KeyField, Op, PrincipalField, Query, QueryField, Sort,
    Value, Window,
};
use sea_query::{
    Asterisk, BinOper, DynIden, Expr, Func, LikeExpr, NullOrdering, Order, SeaRc, SelectStatement,
    SimpleExpr,
};
use uuid::Uuid;

use crate::schema::{micros, ApiKeys, Dialect, Principals, Stmt, Subscriptions};

/// A field of a list that lives in one table.
pub(crate) trait ListField: QueryField {
    fn table() -> DynIden;
    fn column(self) -> DynIden;
    fn id_column() -> DynIden;
    fn domain_column() -> DynIden;

    /// A condition on a field that is not a column of the table, as a subquery; `None` for a
    /// column.
    fn subquery_condition(
        _dialect: Dialect,
        _condition: &Condition<Self>,
    ) -> anyhow::Result<Option<SimpleExpr>> {
        Ok(None)
    }
}

impl ListField for KeyField {
    fn table() -> DynIden {
        SeaRc::new(ApiKeys::Table)
    }

    fn column(self) -> DynIden {
        use KeyField::*;
        SeaRc::new(match self {
            Id => ApiKeys::Id,
            Name => ApiKeys::Name,
            Description => ApiKeys::Description,
            Owner => ApiKeys::OwnerId,
            Type => ApiKeys::KeyType,
            State => ApiKeys::State,
            Role => ApiKeys::Roles,
            Scope => ApiKeys::Scopes,
            CreatedAt => ApiKeys::CreatedAt,
            UpdatedAt => ApiKeys::UpdatedAt,
            ExpiresAt => ApiKeys::ExpiresAt,
            LastUsedAt => ApiKeys::LastUsedAt,
            LastRotatedAt => ApiKeys::LastRotatedAt,
            // Not a column: `compile_condition` runs it as a subquery, and it does not sort.
            Subscription(_) => ApiKeys::Id,
        })
    }

    fn id_column() -> DynIden {
        SeaRc::new(ApiKeys::Id)
    }

    fn domain_column() -> DynIden {
        SeaRc::new(ApiKeys::DomainId)
    }

    /// `Subscription(product) in (statuses)`: `EXISTS` a subscription of the key to the product
    /// with one of them (`not_in`/`ne`: with none of them), in the same statement.
    fn subquery_condition(
        dialect: Dialect,
        condition: &Condition<Self>,
    ) -> anyhow::Result<Option<SimpleExpr>> {
        let KeyField::Subscription(product) = condition.field() else {
            return Ok(None);
        };
        let statuses: Vec<sea_query::Value> = match condition.value() {
            Value::Text(status) => vec![status.clone().into()],
            Value::List(items) => items
                .iter()
                .map(|item| match item {
                    Value::Text(status) => Ok(status.clone().into()),
                    _ => Err(anyhow!("a subscription status is text")),
                })
                .collect::<anyhow::Result<_>>()?,
            _ => bail!("a subscription condition needs statuses"),
        };
        let status = Expr::col((Subscriptions::Table, Subscriptions::Status));
        let status = match condition.op() {
            Op::Eq | Op::In => status.is_in(statuses),
            Op::Ne | Op::NotIn => status.is_not_in(statuses),
            other => bail!("`{}` does not apply to a subscription", other.as_str()),
        };
        let mut exists = SelectStatement::new();
        exists
            .expr(Expr::val(1))
            .from(Subscriptions::Table)
            .and_where(
                Expr::col((Subscriptions::Table, Subscriptions::KeyId))
                    .equals((ApiKeys::Table, ApiKeys::Id)),
            )
            .and_where(
                Expr::col((Subscriptions::Table, Subscriptions::ProductId))
                    .eq(dialect.uuid(product.as_uuid())),
            )
            .and_where(status);
        Ok(Some(Expr::exists(exists)))
    }
}

impl ListField for PrincipalField {
    fn table() -> DynIden {
        SeaRc::new(Principals::Table)
    }

    fn column(self) -> DynIden {
        use PrincipalField::*;
        SeaRc::new(match self {
            Id => Principals::Id,
            Name => Principals::Name,
            Description => Principals::Description,
            Kind => Principals::Kind,
            External => Principals::External,
            CreatedAt => Principals::CreatedAt,
            UpdatedAt => Principals::UpdatedAt,
        })
    }

    fn id_column() -> DynIden {
        SeaRc::new(Principals::Id)
    }

    fn domain_column() -> DynIden {
        SeaRc::new(Principals::DomainId)
    }
}

pub(crate) fn col<F: ListField>(field: F) -> Expr {
    Expr::col((F::table(), field.column()))
}

fn id_col<F: ListField>() -> Expr {
    Expr::col((F::table(), F::id_column()))
}

pub(crate) fn in_domain<F: ListField>(dialect: Dialect, domain: DomainId) -> SimpleExpr {
    Expr::col((F::table(), F::domain_column())).eq(dialect.uuid(domain.as_uuid()))
}

/// `SELECT table.* … WHERE domain AND filter AND after-cursor ORDER BY … LIMIT limit + 1 [OFFSET]`.
pub(crate) fn page<F: ListField>(dialect: Dialect, query: &Query<F>) -> anyhow::Result<Stmt> {
    let mut select = SelectStatement::new();
    select
        .column((F::table(), Asterisk))
        .from(F::table())
        .and_where(in_domain::<F>(dialect, query.domain))
        .and_where(filter(dialect, &query.filter)?);
    match &query.window {
        Window::After(Some(cursor)) => {
            select.and_where(after(dialect, &query.sort, cursor)?);
        }
        Window::After(None) => {}
        Window::Offset(offset) => {
            // The binder turns the offset into an i64 and panics past i64::MAX; no table is that big.
            select.offset((*offset).min(i64::MAX as u64));
        }
    }
    order(&mut select, &query.sort);
    select.limit(u64::from(query.limit) + 1);
    Ok(dialect.build(&select))
}

/// `SELECT COUNT(*) … WHERE domain AND filter`: the window and limit do not apply.
pub(crate) fn count<F: ListField>(dialect: Dialect, query: &Query<F>) -> anyhow::Result<Stmt> {
    let mut select = SelectStatement::new();
    select
        .expr(Func::count(Expr::col(Asterisk)))
        .from(F::table())
        .and_where(in_domain::<F>(dialect, query.domain))
        .and_where(filter(dialect, &query.filter)?);
    Ok(dialect.build(&select))
}

fn order<F: ListField>(select: &mut SelectStatement, sort: &Sort<F>) {
    let direction = if sort.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let column = (F::table(), sort.field.column());
    if is_nullable(sort.field) {
        // Spelled out: PostgreSQL's default puts NULLs last ascending, SQLite's first.
        let nulls = if sort.descending {
            NullOrdering::Last
        } else {
            NullOrdering::First
        };
        select.order_by_with_nulls(column, direction.clone(), nulls);
    } else {
        select.order_by(column, direction.clone());
    }
    select.order_by((F::table(), F::id_column()), direction);
}

fn is_nullable<F: QueryField>(field: F) -> bool {
    matches!(field.kind(), FieldKind::Time { nullable: true })
}

/// Rows strictly after `(cursor.value, cursor.id)` in the sort's order (NULLs first ascending,
/// last descending).
fn after<F: ListField>(
    dialect: Dialect,
    sort: &Sort<F>,
    cursor: &Cursor,
) -> anyhow::Result<SimpleExpr> {
    let field = sort.field;
    let id = dialect.uuid(cursor.id);
    let value = match &cursor.value {
        Value::Null => None,
        other => Some(scalar(dialect, field, other).context("the cursor does not fit its sort")?),
    };
    Ok(match (sort.descending, value) {
        (false, Some(v)) => col(field)
            .gt(v.clone())
            .or(col(field).eq(v).and(id_col::<F>().gt(id))),
        (false, None) => col(field)
            .is_null()
            .and(id_col::<F>().gt(id))
            .or(col(field).is_not_null()),
        (true, Some(v)) => col(field)
            .lt(v.clone())
            .or(col(field).eq(v).and(id_col::<F>().lt(id)))
            .or(col(field).is_null()),
        (true, None) => col(field).is_null().and(id_col::<F>().lt(id)),
    })
}

/// The WHERE expression of a filter tree. Empty `All` is true and empty `Any` false, as in logic.
pub(crate) fn filter<F: ListField>(
    dialect: Dialect,
    filter_tree: &Filter<F>,
) -> anyhow::Result<SimpleExpr> {
    Ok(match filter_tree {
        Filter::All(items) => {
            let mut parts = items.iter().map(|item| filter(dialect, item));
            match parts.next() {
                None => Expr::cust("1 = 1"),
                Some(first) => {
                    parts.try_fold(first?, |acc, next| Ok::<_, anyhow::Error>(acc.and(next?)))?
                }
            }
        }
        Filter::Any(items) => {
            let mut parts = items.iter().map(|item| filter(dialect, item));
            match parts.next() {
                None => Expr::cust("1 = 0"),
                Some(first) => {
                    parts.try_fold(first?, |acc, next| Ok::<_, anyhow::Error>(acc.or(next?)))?
                }
            }
        }
        Filter::Not(inner) => filter(dialect, inner)?.not(),
        Filter::Cond(condition) => compile_condition(dialect, condition)?,
    })
}

fn compile_condition<F: ListField>(
    dialect: Dialect,
    condition: &Condition<F>,
) -> anyhow::Result<SimpleExpr> {
    if let Some(expr) = F::subquery_condition(dialect, condition)? {
        return Ok(expr);
    }
    let field = condition.field();
    let value = condition.value();
    if field.kind() == FieldKind::TokenSet {
        return token_condition(dialect, field, condition.op(), value);
    }
    let one = || scalar(dialect, field, value);
    let many = || -> anyhow::Result<Vec<sea_query::Value>> {
        match value {
            Value::List(items) => items.iter().map(|v| scalar(dialect, field, v)).collect(),
            _ => bail!("`{}` needs a list of values", field.name()),
        }
    };
    let text = || match value {
        Value::Text(text) => Ok(escape_like(text)),
        _ => Err(anyhow!("`{}` needs a text value", field.name())),
    };
    let like = |pattern: String| LikeExpr::new(pattern).escape('\\');
    let expr = match condition.op() {
        Op::Eq => col(field).eq(one()?),
        Op::Ne if is_nullable(field) => col(field).is_null().or(col(field).ne(one()?)),
        Op::Ne => col(field).ne(one()?),
        Op::Lt => col(field).lt(one()?),
        Op::Lte => col(field).lte(one()?),
        Op::Gt => col(field).gt(one()?),
        Op::Gte => col(field).gte(one()?),
        Op::Contains => col(field).like(like(format!("%{}%", text()?))),
        Op::NotContains => col(field).not_like(like(format!("%{}%", text()?))),
        Op::StartsWith => col(field).like(like(format!("{}%", text()?))),
        Op::EndsWith => col(field).like(like(format!("%{}", text()?))),
        Op::In => in_list(dialect, field, many()?)?,
        Op::NotIn => in_list(dialect, field, many()?)?.not(),
        Op::IsNull => col(field).is_null(),
        Op::IsNotNull => col(field).is_not_null(),
    };
    // A comparison with NULL is unknown, and NOT unknown is unknown: make it false instead, so
    // negating a condition gives exactly the other rows.
    let two_valued = is_nullable(field)
        && matches!(
            condition.op(),
            Op::Eq | Op::Lt | Op::Lte | Op::Gt | Op::Gte | Op::In | Op::NotIn
        );
    Ok(if two_valued {
        col(field).is_not_null().and(expr)
    } else {
        expr
    })
}

/// `column IN (values)`. SQLite gets the list as one bound JSON array, which keeps the largest
/// filter a query may hold (64 lists of 1000) under SQLite's 32766 bound parameters; PostgreSQL
/// binds each value (its limit, 65535, is above that largest filter).
fn in_list<F: ListField>(
    dialect: Dialect,
    field: F,
    values: Vec<sea_query::Value>,
) -> anyhow::Result<SimpleExpr> {
    Ok(match dialect {
        Dialect::Sqlite => Expr::cust_with_values(
            format!(
                "({} IN (SELECT value FROM json_each(?)))",
                column_sql(field)
            ),
            [json_list(&values)?],
        ),
        Dialect::Postgres => col(field).is_in(values),
    })
}

/// A column as SQL text, for the few expressions sea-query cannot build. Only whitelisted
/// identifiers ever go into it.
fn column_sql<F: ListField>(field: F) -> String {
    format!(
        "\"{}\".\"{}\"",
        F::table().to_string(),
        field.column().to_string()
    )
}

/// Text values (as SQLite stores them) as one JSON array, bound as a single text parameter.
fn json_list(values: &[sea_query::Value]) -> anyhow::Result<sea_query::Value> {
    let texts = values
        .iter()
        .map(|value| match value {
            sea_query::Value::String(Some(text)) => Ok(text.as_str()),
            other => Err(anyhow!("a list value is not text: {other:?}")),
        })
        .collect::<anyhow::Result<Vec<&str>>>()?;
    Ok(sea_query::Value::String(Some(Box::new(
        serde_json::to_string(&texts)?,
    ))))
}

/// Matches `%`, `_` and `\` literally under `ESCAPE '\'`.
pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A value of the model as the column stores it.
fn scalar<F: QueryField>(
    dialect: Dialect,
    field: F,
    value: &Value,
) -> anyhow::Result<sea_query::Value> {
    Ok(match (field.kind(), value) {
        (FieldKind::Text | FieldKind::Enum(_) | FieldKind::TokenSet, Value::Text(text)) => {
            sea_query::Value::String(Some(Box::new(text.clone())))
        }
        (FieldKind::Id, Value::Text(text)) => dialect.uuid(
            Uuid::parse_str(text).with_context(|| format!("`{}` takes a UUID", field.name()))?,
        ),
        (FieldKind::Time { .. }, Value::Time(time)) => {
            sea_query::Value::BigInt(Some(micros(*time)))
        }
        (FieldKind::Bool, Value::Bool(flag)) => sea_query::Value::Bool(Some(*flag)),
        (kind, value) => bail!(
            "`{}` ({kind:?}) cannot be compared with {value:?}",
            field.name()
        ),
    })
}

/// Token-set membership. SQLite walks the JSON array with `json_each`; PostgreSQL uses jsonb's
/// `?` (has this element) operator, which a GIN index can serve.
fn token_condition<F: ListField>(
    dialect: Dialect,
    field: F,
    op: Op,
    value: &Value,
) -> anyhow::Result<SimpleExpr> {
    let tokens: Vec<sea_query::Value> = match (op, value) {
        (Op::Eq | Op::Ne, v @ Value::Text(_)) => vec![scalar(dialect, field, v)?],
        (Op::In | Op::NotIn, Value::List(items)) => items
            .iter()
            .map(|v| scalar(dialect, field, v))
            .collect::<anyhow::Result<_>>()?,
        _ => bail!(
            "operator `{}` does not apply to `{}`",
            op.as_str(),
            field.name()
        ),
    };
    let expr = match dialect {
        Dialect::Sqlite => Expr::cust_with_values(
            format!(
                "(EXISTS (SELECT 1 FROM json_each({}) AS t \
                 WHERE t.value IN (SELECT value FROM json_each(?))))",
                column_sql(field)
            ),
            [json_list(&tokens)?],
        ),
        Dialect::Postgres => {
            let mut any = tokens
                .into_iter()
                .map(|token| col(field).binary(BinOper::Custom("?"), token));
            let first = any.next().context("a token condition without tokens")?;
            any.fold(first, SimpleExpr::or)
        }
    };
    Ok(match op {
        Op::Ne | Op::NotIn => expr.not(),
        _ => expr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyward_core::query::Condition;

    fn key_query(filter: Filter<KeyField>) -> Query<KeyField> {
        Query {
            domain: DomainId::new(),
            filter,
            sort: Sort {
                field: KeyField::CreatedAt,
                descending: true,
            },
            window: Window::After(None),
            limit: 10,
        }
    }

    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(escape_like(r"50%_off\now"), r"50\%\_off\\now");
    }

    #[test]
    fn user_text_is_never_sql_text() {
        let hostile = "x'); DROP TABLE api_keys; --";
        let filter = Filter::All(vec![
            Filter::Cond(Condition::parse(KeyField::Name, Op::Contains, hostile).expect("valid")),
            Filter::Cond(Condition::parse(KeyField::Role, Op::In, "a,b").expect("valid")),
        ]);
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let stmt = page(dialect, &key_query(filter.clone())).expect("compiles");
            assert!(!stmt.sql.contains("DROP"), "{}", stmt.sql);
        }
    }

    #[test]
    fn token_sets_use_each_dialects_operators() {
        let filter = Filter::Cond(Condition::parse(KeyField::Scope, Op::In, "a,b").expect("ok"));
        let pg = page(Dialect::Postgres, &key_query(filter.clone())).expect("compiles");
        assert!(
            pg.sql
                .contains(r#"(("api_keys"."scopes" ? $2) OR ("api_keys"."scopes" ? $3))"#),
            "{}",
            pg.sql
        );
        assert!(pg.sql.ends_with("LIMIT $4"), "{}", pg.sql);
        let lite = page(Dialect::Sqlite, &key_query(filter)).expect("compiles");
        assert!(
            lite.sql.contains(
                r#"(EXISTS (SELECT 1 FROM json_each("api_keys"."scopes") AS t WHERE t.value IN (SELECT value FROM json_each(?))))"#
            ),
            "{}",
            lite.sql
        );
        assert_eq!(lite.values.0 .0.len(), 3);
    }

    #[test]
    fn nested_trees_keep_their_grouping() {
        let cond = |op, v: &str| Filter::Cond(Condition::parse(KeyField::Name, op, v).expect("ok"));
        let filter = Filter::All(vec![
            Filter::Any(vec![cond(Op::Eq, "a"), cond(Op::Eq, "b")]),
            Filter::Not(Box::new(Filter::Any(vec![
                cond(Op::Eq, "c"),
                cond(Op::Eq, "d"),
            ]))),
        ]);
        let stmt = page(Dialect::Postgres, &key_query(filter)).expect("compiles");
        assert!(
            stmt.sql
                .contains(r#"("api_keys"."name" = $2 OR "api_keys"."name" = $3)"#),
            "{}",
            stmt.sql
        );
        assert!(
            stmt.sql
                .contains(r#"NOT ("api_keys"."name" = $4 OR "api_keys"."name" = $5)"#),
            "{}",
            stmt.sql
        );
    }
}
