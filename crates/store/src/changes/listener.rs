//! One task per watching node: `LISTEN keyward_keys` on a connection of its own, each
//! notification from another node handed to the node's sink, and the connection's loss reported
//! and repaired.
//!
//! The sink hears `Lost` once when the feed breaks (the core starts its stale window) and
//! `Restored` every time a `LISTEN` is in place again, including the first: changes committed
//! before it were not heard, so the core drops its whole cache. Reconnection backs off from
//! 100 ms to 2 s. A silent connection is pinged, so a network that drops packets without
//! resetting anything is noticed too. The task ends when its store is closed or dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyward_core::store::{ChangeEvent, ChangeSink};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::{Executor as _, PgPool};
use tokio::sync::watch;

use super::{decode, Changed, Notice, CHANNEL};

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How long connecting and `LISTEN` may take before the attempt counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// After this long without a notification, ask the server whether the connection still works.
const HEARTBEAT: Duration = Duration::from_secs(5);
const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(2);

/// Starts the feed task on the current runtime. `stop` turns true (or its sender is dropped)
/// when the store closes.
pub(crate) fn spawn(
    options: &PgConnectOptions,
    origin: Arc<str>,
    sink: ChangeSink,
    stop: watch::Receiver<bool>,
) -> bool {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::error!(
            "watch_changes called outside a tokio runtime: changes made by other nodes will not \
             reach this node's cache"
        );
        return false;
    };
    // A pool of one, for reconnecting; kept apart so the listener never waits behind (or takes a
    // connection from) the requests' pool.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(options.clone().application_name("keyward-listener"));
    runtime.spawn(run(pool, Feed { origin, sink }, stop));
    true
}

/// Where notifications go, and which ones are this store's own.
struct Feed {
    origin: Arc<str>,
    sink: ChangeSink,
}

async fn run(pool: PgPool, feed: Feed, mut stop: watch::Receiver<bool>) {
    let sink = &feed.sink;
    let mut backoff = MIN_BACKOFF;
    // Whether `Lost` has been said since the last `Restored`: say it once per outage.
    let mut lost = false;
    loop {
        let attempt = tokio::select! {
            () = stopped(&mut stop) => break,
            attempt = tokio::time::timeout(CONNECT_TIMEOUT * 2, listen(&pool)) => attempt,
        };
        match attempt {
            Ok(Ok(mut listener)) => {
                if lost {
                    tracing::info!("change feed: listening again");
                } else {
                    tracing::debug!(channel = CHANNEL, "change feed: listening");
                }
                sink(ChangeEvent::Restored);
                let listening_since = Instant::now();
                let why = tokio::select! {
                    () = stopped(&mut stop) => break,
                    why = receive(&mut listener, &feed) => why,
                };
                tracing::warn!(cause = %why, "change feed: connection lost; reconnecting");
                // A session only ends this way, so `lost` is true again from here.
                sink(ChangeEvent::Lost);
                lost = true;
                // Start over from the shortest wait only after a session that lasted: a server
                // that accepts and then drops every connection is not retried ten times a second.
                if listening_since.elapsed() > MAX_BACKOFF {
                    backoff = MIN_BACKOFF;
                }
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "change feed: cannot listen");
                report_lost(sink, &mut lost);
            }
            Err(_) => {
                tracing::warn!(
                    retry_in_ms = backoff.as_millis() as u64,
                    "change feed: connecting timed out"
                );
                report_lost(sink, &mut lost);
            }
        }
        tokio::select! {
            () = stopped(&mut stop) => break,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    tracing::debug!("change feed: store closed, stopping");
    pool.close().await;
}

fn report_lost(sink: &ChangeSink, lost: &mut bool) {
    if !*lost {
        sink(ChangeEvent::Lost);
        *lost = true;
    }
}

/// Completes when the store is closed or dropped.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // An error means the sender (the store) is gone: stop as well.
    let _ = stop.wait_for(|stop| *stop).await;
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // Reconnecting is ours to do (with backoff, and telling the sink), not the listener's.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Delivers notifications until the connection fails; returns why it did.
async fn receive(listener: &mut PgListener, feed: &Feed) -> String {
    loop {
        // `try_recv` is cancel-safe: a notification half-read when the heartbeat fires stays
        // buffered for the next call.
        match tokio::time::timeout(HEARTBEAT, listener.try_recv()).await {
            Ok(Ok(Some(notification))) => deliver(notification.payload(), feed),
            Ok(Ok(None)) => return "the server closed the connection".to_owned(),
            Ok(Err(error)) => return error.to_string(),
            Err(_) => {
                match tokio::time::timeout(HEARTBEAT_TIMEOUT, listener.execute("SELECT 1")).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => return error.to_string(),
                    Err(_) => return "no answer to a heartbeat".to_owned(),
                }
            }
        }
    }
}

fn deliver(payload: &str, feed: &Feed) {
    let sink = &feed.sink;
    match decode(payload) {
        // This node's own write: its core forgot the entries as the write returned.
        Some(notice) if *notice.origin == *feed.origin => {}
        Some(Notice {
            changed: Changed::Hashes(hashes),
            ..
        }) => {
            tracing::debug!(hashes = hashes.len(), "change feed: keys changed");
            sink(ChangeEvent::Keys(hashes));
        }
        Some(Notice {
            changed: Changed::Everything,
            ..
        }) => {
            tracing::debug!("change feed: every key may have changed");
            sink(ChangeEvent::Restored);
        }
        None => {
            // Not ours to read (another writer on the channel, or a newer keyward): the only
            // safe answer is to forget everything it might have meant.
            tracing::warn!(
                bytes = payload.len(),
                "change feed: unreadable notification; dropping the whole cache"
            );
            sink(ChangeEvent::Restored);
        }
    }
}
