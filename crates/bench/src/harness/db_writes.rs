//! Counts the commits other connections make to a SQLite database, from outside the server:
//! `PRAGMA data_version` changes on this connection whenever another connection has committed.
//! Polled every 10 ms, it sees every commit of a writer that commits at most every few tens of
//! milliseconds (keyward's last-used flusher commits about once a second), so it checks the
//! write-behind claim without trusting keyward's own log.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, Row as _, SqliteConnection};
use tokio::task::JoinHandle;

const POLL: Duration = Duration::from_millis(10);

/// A running count.
pub struct CommitCounter {
    stop: Arc<AtomicBool>,
    task: JoinHandle<anyhow::Result<u64>>,
}

impl CommitCounter {
    pub async fn start(db: &Path) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::new().filename(db);
        let mut conn = SqliteConnection::connect_with(&options).await?;
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let mut commits = 0u64;
                let mut last: Option<i64> = None;
                while !stop.load(Ordering::Relaxed) {
                    // `fetch_all` runs the statement to its end, which ends its read transaction:
                    // a reader that keeps one open stops SQLite from ever restarting the WAL.
                    let rows = sqlx::query("PRAGMA data_version")
                        .fetch_all(&mut conn)
                        .await?;
                    let version: i64 = match rows.first() {
                        Some(row) => row.try_get(0)?,
                        None => 0,
                    };
                    if last.is_some_and(|v| v != version) {
                        commits += 1;
                    }
                    last = Some(version);
                    tokio::time::sleep(POLL).await;
                }
                conn.close().await?;
                Ok(commits)
            })
        };
        Ok(Self { stop, task })
    }

    /// Stops polling and answers the commits seen.
    pub async fn finish(self) -> anyhow::Result<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await?
    }
}

/// Keyward's own account of a window: `(batches, rows)` from its "flushed last-used times" log
/// lines (`written=N`).
pub fn flushes_in(lines: &[String]) -> (u64, u64) {
    let mut batches = 0;
    let mut rows = 0;
    for line in lines
        .iter()
        .filter(|l| l.contains("flushed last-used times"))
    {
        batches += 1;
        rows += line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("written="))
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    (batches, rows)
}
