//! Group commit of key inserts on SQLite.
//!
//! SQLite has one writer at a time, and with `synchronous=FULL` every commit waits for an fsync
//! of the WAL (a few hundred µs on a good disk). Concurrent creators would otherwise queue on the
//! write lock, each paying a commit of its own, and SQLite's busy handler makes the queue sleep
//! in growing steps. Instead, every `insert_key` is handed to one writer task, which takes all the
//! inserts waiting at that moment and writes them in one transaction: each key still commits
//! together with its secrets and its operation, and its caller hears back only after the commit,
//! so an acknowledged key survives a crash exactly as before. A lone caller waits for nobody: its
//! batch is itself.
//!
//! If anything in a batch fails (a name clash, say), the batch is rolled back and its inserts are
//! written again one by one, so each caller gets the very answer a direct insert would give.
//! An insert whose caller stops waiting is still written (as when a client disconnects after the
//! commit). PostgreSQL commits concurrently on its own and does not use this.

use std::marker::PhantomData;
use std::sync::Mutex;

use keyward_core::error::StoreError;
use keyward_core::model::{ApiKey, Operation};
use keyward_core::store::StoreResult;
use tokio::sync::{mpsc, oneshot};

use super::{Backend, SqlStore};

/// Most inserts in one transaction: bounds how long the write lock is held at once.
const MAX_BATCH: usize = 256;

struct Job {
    key: ApiKey,
    op: Operation,
    done: oneshot::Sender<StoreResult<()>>,
}

/// The queue to the writer task, started on first use from the caller's runtime (and again if
/// that runtime went away, as between tests). The writer runs on a store of backend `B`.
pub(crate) struct KeyInserts<B> {
    queue: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    backend: PhantomData<fn() -> B>,
}

impl<B> Default for KeyInserts<B> {
    fn default() -> Self {
        Self {
            queue: Mutex::default(),
            backend: PhantomData,
        }
    }
}

impl<B> std::fmt::Debug for KeyInserts<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyInserts")
    }
}

impl<B: Backend> KeyInserts<B> {
    /// Inserts through the writer task of `store`; answers once the batch holding it committed.
    pub async fn insert(
        &self,
        store: &SqlStore<B>,
        key: &ApiKey,
        op: &Operation,
    ) -> StoreResult<()> {
        let (done, answer) = oneshot::channel();
        let job = Job {
            key: key.clone(),
            op: op.clone(),
            done,
        };
        self.enqueue(store, job)?;
        answer.await.map_err(|_| lost(WRITER_GONE))?
    }

    /// Hands `job` to the writer, starting one when there is none (or it ended with its runtime).
    fn enqueue(&self, store: &SqlStore<B>, job: Job) -> StoreResult<()> {
        let mut queue = self
            .queue
            .lock()
            .map_err(|_| lost("the insert queue is poisoned"))?;
        let job = match queue.as_ref() {
            Some(sender) => match sender.send(job) {
                Ok(()) => return Ok(()),
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(write(store.direct(), receiver));
        sender.send(job).map_err(|_| lost(WRITER_GONE))?;
        *queue = Some(sender);
        Ok(())
    }
}

const WRITER_GONE: &str = "the key insert writer stopped";

fn lost(what: &'static str) -> StoreError {
    StoreError::Internal(what.into())
}

/// The writer: one transaction for whatever is waiting. Ends when the store is dropped.
async fn write<B: Backend>(store: SqlStore<B>, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if jobs.len() > 1 {
            let pairs: Vec<(&ApiKey, &Operation)> = jobs.iter().map(|j| (&j.key, &j.op)).collect();
            if store.insert_keys_together(&pairs).await.is_ok() {
                for job in jobs {
                    let _ = job.done.send(Ok(()));
                }
                continue;
            }
        }
        for job in jobs {
            let answer = store.insert_key_now(&job.key, &job.op).await;
            let _ = job.done.send(answer);
        }
    }
}
