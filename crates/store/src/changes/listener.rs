//! One task per watching node: `LISTEN keyward_keys` on a connection of its own, each
//! notification from another node handed to the node's sink, and the connection's loss reported
//! and repaired.
//!
//! The sink hears `Lost` once when the feed breaks (the core starts its stale window) and
//! `Restored` every time a `LISTEN` is in place again, including the first: changes committed
//! before it were not heard, so the core drops its whole cache. Reconnection backs off from
//! 100 ms to 2 s. The task ends when its store is closed or dropped.
//!
//! A dead connection is not always closed: a network that drops packets (a firewall or NAT that
//! forgot the flow, a black-holed route) sends neither FIN nor RST, and a `LISTEN` that merely
//! waits would wait for ever while the node serves a cache nobody invalidates. So a connection
//! silent for `HEARTBEAT` is asked `SELECT 1`, which must answer within `HEARTBEAT_DEADLINE`:
//! a black-holed feed is reported `Lost` (and the stale window starts) at most 3 s after its
//! last sign of life. Each session has a pool of its own, dropped with it, so a reconnect never
//! reuses (and waits on) the dead connection. sqlx 0.8 exposes no client socket options, so TCP
//! keepalive is asked of the server for this session (`tcp_keepalives_*`): the server drops the
//! session of a node that vanished; the node's own deadline is the heartbeat.

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
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long the server has to answer a heartbeat before the feed counts as lost. Generous next
/// to a `SELECT 1` round trip, so a busy server is not mistaken for a dead one (which would cost
/// every node's cache a drop), and short enough that `HEARTBEAT + HEARTBEAT_DEADLINE` is a few
/// seconds.
const HEARTBEAT_DEADLINE: Duration = Duration::from_secs(2);
/// Server-side TCP keepalive for the listener's session: idle seconds before the first probe,
/// seconds between probes, probes lost before the server drops the session.
const SERVER_KEEPALIVE: [(&str, &str); 3] = [
    ("tcp_keepalives_idle", "10"),
    ("tcp_keepalives_interval", "5"),
    ("tcp_keepalives_count", "3"),
];

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
    let options = options
        .clone()
        .application_name("keyward-listener")
        .options(SERVER_KEEPALIVE);
    runtime.spawn(run(options, Feed { origin, sink }, stop));
    true
}

/// A pool of one connection for one listening session, kept apart so the listener never waits
/// behind (or takes a connection from) the requests' pool, and new for every session so a
/// connection that went silent is never handed back.
fn session_pool(options: &PgConnectOptions) -> PgPool {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_TIMEOUT)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_lazy_with(options.clone())
}

/// Where notifications go, and which ones are this store's own.
struct Feed {
    origin: Arc<str>,
    sink: ChangeSink,
}

async fn run(options: PgConnectOptions, feed: Feed, mut stop: watch::Receiver<bool>) {
    let sink = &feed.sink;
    let mut backoff = MIN_BACKOFF;
    // Whether `Lost` has been said since the last `Restored`: say it once per outage.
    let mut lost = false;
    loop {
        let pool = session_pool(&options);
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
                    () = stopped(&mut stop) => {
                        end_session(pool, listener);
                        break;
                    }
                    why = receive(&mut listener, &feed) => why,
                };
                end_session(pool, listener);
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
}

/// Closes a session's connection and pool in the background. The pool is marked closed before the
/// listener hands its connection back, so the connection is closed rather than pinged for reuse:
/// a ping on a connection that went silent would wait for ever.
fn end_session(pool: PgPool, listener: PgListener) {
    tokio::spawn(async move {
        let closing = pool.close();
        drop(listener);
        let _ = tokio::time::timeout(CONNECT_TIMEOUT, closing).await;
    });
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
                match tokio::time::timeout(HEARTBEAT_DEADLINE, listener.execute("SELECT 1")).await {
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
