//! Table and column names (one place, typed), the two SQL dialects, and the value conversions both
//! share. The schema itself is in `migrations/<backend>/`.

use sea_query::{Iden, PostgresQueryBuilder, SqliteQueryBuilder, Value};
use sea_query_binder::{SqlxBinder, SqlxValues};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Iden, Clone, Copy)]
pub(crate) enum Domains {
    Table,
    Id,
    Name,
    Description,
    IsRoot,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Principals {
    Table,
    Id,
    DomainId,
    Kind,
    Name,
    Description,
    External,
    Limits,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Subscriptions {
    Table,
    KeyId,
    ProductId,
    Status,
    UsagePlanId,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum ApiKeys {
    Table,
    Id,
    DomainId,
    OwnerId,
    Name,
    Description,
    KeyType,
    State,
    Roles,
    Scopes,
    AllowedCidrs,
    ExpiresAt,
    Metadata,
    CreatedAt,
    UpdatedAt,
    LastUsedAt,
    LastRotatedAt,
    Version,
    Limits,
    CreditsRemaining,
    CreditsRefill,
    CreditsRefilledAt,
    CreditsEpoch,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum KeySecrets {
    Table,
    KeyId,
    Slot,
    Hash,
    Hint,
    CreatedAt,
    ExpiresAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Operations {
    Table,
    Id,
    DomainId,
    Actor,
    Action,
    TargetKind,
    TargetId,
    At,
    Metadata,
    Result,
}

/// Usage counts per key per UTC hour (`engine/usage.rs`).
#[derive(Iden, Clone, Copy)]
pub(crate) enum KeyUsage {
    Table,
    KeyId,
    Hour,
    Valid,
    RateLimited,
    UsageExceeded,
    Refused,
}

/// A statement ready to run: SQL text with placeholders, and the values bound to them.
pub struct Stmt {
    pub sql: String,
    pub values: SqlxValues,
}

/// Which SQL the statements are rendered in. Everything else about a statement is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Renders a sea-query statement with this dialect's placeholders and quoting.
    pub fn build<S: SqlxBinder>(self, statement: &S) -> Stmt {
        let (sql, values) = match self {
            Dialect::Sqlite => statement.build_sqlx(SqliteQueryBuilder),
            Dialect::Postgres => statement.build_sqlx(PostgresQueryBuilder),
        };
        Stmt { sql, values }
    }

    /// An id as this backend stores it: canonical UUID text in SQLite, `uuid` in PostgreSQL.
    pub fn uuid(self, id: Uuid) -> Value {
        match self {
            Dialect::Sqlite => Value::String(Some(Box::new(id.hyphenated().to_string()))),
            Dialect::Postgres => Value::Uuid(Some(Box::new(id))),
        }
    }

    /// An optional id: NULL when `None`.
    pub fn opt_uuid(self, id: Option<Uuid>) -> Value {
        match (self, id) {
            (_, Some(id)) => self.uuid(id),
            (Dialect::Sqlite, None) => Value::String(None),
            (Dialect::Postgres, None) => Value::Uuid(None),
        }
    }

    /// The n-th (1-based) placeholder, for the few statements written as text.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

/// A JSON value: text in SQLite, `jsonb` in PostgreSQL (the binder picks the wire type).
pub(crate) fn json(value: serde_json::Value) -> Value {
    Value::Json(Some(Box::new(value)))
}

/// Unix microseconds, the stored form of every time. Floors, so sub-microsecond parts never
/// round a time up past its real value.
pub(crate) fn micros(time: OffsetDateTime) -> i64 {
    // Every representable OffsetDateTime is within ±10^5 years, far inside i64 microseconds.
    time.unix_timestamp_nanos().div_euclid(1_000) as i64
}

pub(crate) fn opt_micros(time: Option<OffsetDateTime>) -> Value {
    Value::BigInt(time.map(micros))
}

pub(crate) fn from_micros(micros: i64) -> anyhow::Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|e| anyhow::anyhow!("stored time {micros} µs is out of range: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_round_trip_at_microsecond_precision() {
        let t = datetime!(2026-03-04 05:06:07.123456 UTC);
        assert_eq!(from_micros(micros(t)).expect("in range"), t);
        let before_epoch = datetime!(1969-12-31 23:59:59.999999 UTC);
        assert_eq!(micros(before_epoch), -1);
        assert_eq!(from_micros(-1).expect("in range"), before_epoch);
    }

    #[test]
    fn sub_microsecond_parts_are_floored() {
        let t = datetime!(2026-03-04 05:06:07.123456789 UTC);
        assert_eq!(
            from_micros(micros(t)).expect("in range"),
            datetime!(2026-03-04 05:06:07.123456 UTC)
        );
    }
}
