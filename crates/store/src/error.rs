//! Turning sqlx errors into the core's `StoreError`. No sqlx type leaves this crate: the driver
//! error becomes the boxed source (with context saying what was being done), for the log only.

use keyward_core::error::{Entity, StoreError};
use sqlx::error::ErrorKind;

/// A driver error as the core sees it: `Unavailable` when the database cannot be reached or is
/// refusing work for now (worth retrying later), `Internal` for everything else. A collision
/// with a concurrent transaction is marked as one ([`Collision`]) for `engine::retry` to run the
/// transaction again, which answers `Conflict` if it keeps colliding.
pub(crate) fn db_error(error: sqlx::Error, context: &str) -> StoreError {
    let collided = is_collision_code(&error);
    let unavailable = is_unavailable(&error);
    let error = anyhow::Error::new(error).context(context.to_owned());
    if collided {
        collision(error)
    } else if unavailable {
        StoreError::Unavailable(error.into())
    } else {
        StoreError::Internal(error.into())
    }
}

/// PostgreSQL broke a deadlock (`40P01`) or refused a serializable transaction (`40001`): the
/// transaction lost a race with a concurrent one and may run again. Carried inside
/// `StoreError::Unavailable` only between `db_error` and `engine::retry`, which never lets it
/// reach the core.
#[derive(Debug)]
pub(crate) struct Collision(anyhow::Error);

impl std::fmt::Display for Collision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "collided with a concurrent transaction: {:#}", self.0)
    }
}

impl std::error::Error for Collision {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

pub(crate) fn collision(cause: anyhow::Error) -> StoreError {
    StoreError::Unavailable(Box::new(Collision(cause)))
}

/// Whether `error` is a collision `engine::retry` may run again.
pub(crate) fn is_collision(error: &StoreError) -> bool {
    matches!(error, StoreError::Unavailable(source) if source.is::<Collision>())
}

fn is_collision_code(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => matches!(db.code().as_deref(), Some("40001" | "40P01")),
        _ => false,
    }
}

/// A row that cannot be turned back into the model (a bug or a corrupt row).
pub(crate) fn corrupt(error: anyhow::Error) -> StoreError {
    StoreError::Internal(error.into())
}

pub(crate) fn conflict(entity: Entity, detail: impl Into<String>) -> StoreError {
    StoreError::Conflict {
        entity,
        detail: detail.into(),
    }
}

/// Which integrity rule a failed statement broke, if that is why it failed.
pub(crate) fn violation(error: &sqlx::Error) -> Option<ErrorKind> {
    match error {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::Other => None,
            kind => Some(kind),
        },
        _ => None,
    }
}

fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                Some(pg) => ends_the_session(pg.severity()) || pg_code_is_transient(&code),
                None => sqlite_code_is_transient(&code),
            }
        }
        _ => false,
    }
}

/// A FATAL (or PANIC) error ends the session: the server refused or dropped the connection
/// (terminated by an administrator, the database not accepting connections, shutting down), which
/// says nothing against the request itself. A query's own errors are ERRORs.
fn ends_the_session(severity: sqlx::postgres::PgSeverity) -> bool {
    use sqlx::postgres::PgSeverity;
    matches!(severity, PgSeverity::Fatal | PgSeverity::Panic)
}

/// SQLSTATE classes and codes that mean "not now" rather than "never".
fn pg_code_is_transient(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || code.starts_with("28") // authorization refused: credentials changed under us
        || code == "3D000" // the database does not exist (any more): dropped or not yet restored
        || code.starts_with("53") // insufficient resources (too many connections, disk full)
        || code.starts_with("57P") // admin/crash shutdown, cannot connect now
        || code == "25006" // read-only transaction: connected to a standby after a failover
}

/// SQLite reports extended result codes; the low byte is the primary code.
fn sqlite_code_is_transient(code: &str) -> bool {
    const BUSY: i64 = 5;
    const LOCKED: i64 = 6;
    const IOERR: i64 = 10;
    const FULL: i64 = 13;
    const CANTOPEN: i64 = 14;
    code.parse::<i64>()
        .is_ok_and(|c| matches!(c & 0xff, BUSY | LOCKED | IOERR | FULL | CANTOPEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_timeouts_are_unavailable() {
        assert!(matches!(
            db_error(sqlx::Error::PoolTimedOut, "x"),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            db_error(sqlx::Error::RowNotFound, "x"),
            StoreError::Internal(_)
        ));
    }

    #[test]
    fn transient_codes() {
        assert!(pg_code_is_transient("08006"));
        assert!(pg_code_is_transient("57P01"));
        assert!(pg_code_is_transient("3D000"));
        // "database is not currently accepting connections" is 55000, sent as FATAL.
        assert!(ends_the_session(sqlx::postgres::PgSeverity::Fatal));
        assert!(!ends_the_session(sqlx::postgres::PgSeverity::Error));
        assert!(!pg_code_is_transient("23505"));
        assert!(sqlite_code_is_transient("5"));
        assert!(sqlite_code_is_transient("517")); // SQLITE_BUSY_SNAPSHOT
        assert!(!sqlite_code_is_transient("2067")); // SQLITE_CONSTRAINT_UNIQUE
    }

    #[test]
    fn the_cause_chain_keeps_the_context() {
        let StoreError::Internal(source) = db_error(sqlx::Error::RowNotFound, "loading a key")
        else {
            panic!("expected Internal");
        };
        assert_eq!(source.to_string(), "loading a key");
        assert!(source.source().is_some());
    }
}
