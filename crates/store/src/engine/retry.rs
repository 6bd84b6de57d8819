//! Running a write transaction again when PostgreSQL broke it to settle a race.
//!
//! PostgreSQL aborts a transaction with SQLSTATE `40P01` (deadlock detected) or `40001`
//! (serialization failure) when it collided with a concurrent one. Nothing is wrong with the
//! database or the request: the whole transaction may simply run again. Key writes take their
//! row locks in one order (the key row first, see `keys::lock_key`), so collisions are rare; the
//! few that remain are retried here a bounded number of times with a small jittered backoff, and
//! if they persist the caller gets `Conflict` (409), never `Unavailable`: the database is up.
//! Every write transaction of the engine runs through it (SQLite's group-committed key inserts
//! aside: SQLite has one writer at a time and never reports either).

use std::future::Future;
use std::time::Duration;

use keyward_core::error::Entity;
use keyward_core::store::StoreResult;

use crate::error::{conflict, is_collision};

/// Runs of one transaction before its collisions are reported as a conflict.
const ATTEMPTS: u32 = 5;
/// The wait before the first rerun; doubled for each later one, up to `MAX_BACKOFF`. Each wait is
/// drawn uniformly from its upper half, so two colliding writers do not collide again in step.
const FIRST_BACKOFF: Duration = Duration::from_millis(2);
const MAX_BACKOFF: Duration = Duration::from_millis(50);

/// What the client is told when every attempt collided.
const GAVE_UP: &str = "concurrent changes to it kept colliding; retry";

/// Runs `transaction` (a whole transaction, from `BEGIN` to `COMMIT`) until it does not collide
/// with a concurrent one, at most `ATTEMPTS` times; then answers `Conflict` about `entity`.
pub(super) async fn retrying<T, F, Fut>(entity: Entity, mut transaction: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StoreResult<T>>,
{
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        match transaction().await {
            Err(error) if is_collision(&error) => {
                tracing::debug!(attempt, %error, "write transaction collided; running it again");
                if attempt < ATTEMPTS {
                    tokio::time::sleep(jittered(backoff)).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            done => return done,
        }
    }
    tracing::warn!(
        attempts = ATTEMPTS,
        entity = entity.as_str(),
        "write transaction kept colliding; answering conflict"
    );
    Err(conflict(entity, GAVE_UP))
}

/// A wait drawn uniformly from `[wait / 2, wait]`.
fn jittered(wait: Duration) -> Duration {
    let half = wait / 2;
    half + half.mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use keyward_core::error::StoreError;

    use super::*;
    use crate::error::collision;

    #[tokio::test]
    async fn collisions_are_retried_then_answered_as_conflicts() {
        let runs = AtomicU32::new(0);
        let outcome: StoreResult<()> = retrying(Entity::Key, || async {
            runs.fetch_add(1, Ordering::Relaxed);
            Err(collision(anyhow::anyhow!("deadlock detected")))
        })
        .await;
        assert_eq!(runs.load(Ordering::Relaxed), ATTEMPTS);
        assert!(
            matches!(
                outcome,
                Err(StoreError::Conflict {
                    entity: Entity::Key,
                    ..
                })
            ),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_collision_then_success_succeeds_and_other_errors_are_not_retried() {
        let runs = AtomicU32::new(0);
        let outcome = retrying(Entity::Key, || async {
            match runs.fetch_add(1, Ordering::Relaxed) {
                0 => Err(collision(anyhow::anyhow!("could not serialize access"))),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(outcome.ok(), Some(7));
        let runs = AtomicU32::new(0);
        let outcome: StoreResult<()> = retrying(Entity::Key, || async {
            runs.fetch_add(1, Ordering::Relaxed);
            Err(StoreError::Stale)
        })
        .await;
        assert!(matches!(outcome, Err(StoreError::Stale)));
        assert_eq!(runs.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn waits_stay_within_their_bounds() {
        for _ in 0..100 {
            let wait = jittered(Duration::from_millis(8));
            assert!(wait >= Duration::from_millis(4) && wait <= Duration::from_millis(8));
        }
    }
}
