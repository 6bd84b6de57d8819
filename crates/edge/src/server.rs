//! The accept loop and the life of one connection.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use http_body::Body as _;
use hyper::body::Incoming;
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::body::DeadlineBody;
use crate::watchdog::{Activity, Watched};
use crate::ConnectionLimits;

/// File descriptors kept free of connections for the database pool, the SQLite files, the
/// change feed and logs, when the connection cap has to come down to fit the process's limit.
const RESERVED_FDS: u64 = 128;
/// After the watchdog asks a connection to close, how long it may take to say goodbye (an
/// HTTP/2 GOAWAY) before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// The longest pause after `accept` fails for lack of resources (file descriptors, memory).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// Refused connections are logged at most this often, with the count since the last line.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Where the server is in its life; connections watch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Serving,
    /// Shutdown began: finish the requests in progress, take no new ones.
    Draining,
    /// The drain time ran out: close now.
    Closing,
}

/// Serves HTTP/1.1 and HTTP/2 (h2c) on `listener` until `shutdown` completes, then stops
/// accepting, lets open connections finish for at most `limits.drain_timeout`, and returns.
///
/// `service_for` makes the service for one connection from its peer's address. Every connection
/// is held to `limits`; above `limits.max_connections` (lowered to fit the process's open-file
/// limit if needed) a new connection is closed as soon as it is accepted, so a flood of idle
/// sockets can neither exhaust file descriptors nor stall `accept` for everyone else.
pub async fn serve<M, S>(
    listener: TcpListener,
    limits: ConnectionLimits,
    service_for: M,
    shutdown: impl Future<Output = ()>,
) where
    M: Fn(SocketAddr) -> S,
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    let max_connections = fitted_connection_cap(limits.max_connections);
    let permits = Arc::new(Semaphore::new(max_connections));
    let builder = Arc::new(builder());
    let limits = Arc::new(limits);
    let (phase, watch_phase) = watch::channel(Phase::Serving);
    let mut refusals = Refusals::default();
    let mut backoff = Duration::ZERO;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => {
                backoff = Duration::ZERO;
                pair
            }
            // The peer gave up before we took it: nothing wrong on our side.
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                backoff = (backoff * 2).clamp(Duration::from_millis(5), MAX_ACCEPT_BACKOFF);
                tracing::warn!(%error, pause_ms = backoff.as_millis() as u64, "cannot accept a connection");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(backoff) => continue,
                }
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            drop(stream);
            refusals.count(max_connections);
            continue;
        };
        // No Nagle delay: a gateway check is one small request and one small answer on a
        // kept-alive connection, and each answer should leave as soon as it is written.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot set TCP_NODELAY");
        }
        tokio::spawn(serve_connection(
            Arc::clone(&builder),
            stream,
            service_for(peer),
            Arc::clone(&limits),
            watch_phase.clone(),
            permit,
        ));
    }
    drop(listener);
    tracing::info!("shutting down: no new connections, draining open ones");
    let _ = phase.send(Phase::Draining);
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.drain_timeout, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open after {:?}: closing them",
            limits.drain_timeout
        );
        let _ = phase.send(Phase::Closing);
    }
}

/// hyper's connection settings. hyper's own HTTP/1 header timeout stays off: it also runs while
/// a kept-alive connection waits for its next request, so it would close idle connections long
/// before `idle_timeout`; the watchdog times heads and idleness apart, for both protocols.
fn builder() -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .keep_alive(true)
        .max_headers(100);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .max_header_list_size(64 * 1024);
    builder
}

/// `wanted`, lowered if needed so that connections cannot take the last file descriptors.
fn fitted_connection_cap(wanted: usize) -> usize {
    let Some(soft) = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .ok()
        .map(|(soft, _)| soft)
    else {
        return wanted;
    };
    let room = usize::try_from(soft.saturating_sub(RESERVED_FDS))
        .unwrap_or(usize::MAX)
        .max(1);
    if room < wanted {
        tracing::warn!(
            max_connections = wanted,
            open_file_limit = soft,
            lowered_to = room,
            "max_connections does not fit the open-file limit: lowered"
        );
    }
    wanted.min(room)
}

/// Errors of one incoming connection rather than of the listener: skip it and go on.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Counts connections refused at the cap and says so now and then, not once per connection.
#[derive(Default)]
struct Refusals {
    since_last_line: u64,
    last_line: Option<Instant>,
}

impl Refusals {
    fn count(&mut self, max_connections: usize) {
        self.since_last_line += 1;
        if self
            .last_line
            .is_some_and(|at| at.elapsed() < REFUSAL_LOG_INTERVAL)
        {
            return;
        }
        tracing::warn!(
            max_connections,
            refused = self.since_last_line,
            "connection limit reached: closing new connections"
        );
        self.since_last_line = 0;
        self.last_line = Some(Instant::now());
    }
}

/// Serves one connection until it ends, the watchdog closes it, or shutdown does.
async fn serve_connection<S>(
    builder: Arc<Builder<TokioExecutor>>,
    stream: TcpStream,
    service: S,
    limits: Arc<ConnectionLimits>,
    mut phase: watch::Receiver<Phase>,
    _permit: OwnedSemaphorePermit,
) where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity)));
    let service = EdgeService {
        inner: service,
        activity: Arc::clone(&activity),
        body_read_timeout: limits.body_read_timeout,
    };
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let watchdog = activity.expired(limits.header_read_timeout, limits.idle_timeout);
    tokio::pin!(watchdog);
    let mut closing = false;
    let mut grace: Option<Pin<Box<tokio::time::Sleep>>> = None;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(error = %error, "connection ended with an error");
                }
                return;
            }
            expiry = &mut watchdog, if !closing => {
                tracing::debug!(?expiry, "closing a connection");
                connection.as_mut().graceful_shutdown();
                closing = true;
                grace = Some(Box::pin(tokio::time::sleep(CLOSE_GRACE)));
            }
            () = async { grace.as_mut().expect("set with closing").await }, if grace.is_some() => return,
            changed = phase.changed() => match changed.map(|()| *phase.borrow()) {
                Ok(Phase::Serving) => {}
                Ok(Phase::Draining) => {
                    if !closing {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                }
                Ok(Phase::Closing) | Err(_) => return,
            },
        }
    }
}

/// The connection's service as hyper calls it: notes requests for the watchdog and puts a
/// deadline on request bodies, then hands the request to the face's service.
struct EdgeService<S> {
    inner: S,
    activity: Arc<Activity>,
    body_read_timeout: Duration,
}

impl<S> Service<Request<Incoming>> for EdgeService<S>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Tracked<S::Future>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.activity.request_started();
        let request = request.map(|body| {
            if body.is_end_stream() {
                Body::empty()
            } else {
                Body::new(DeadlineBody::new(
                    body,
                    Instant::now() + self.body_read_timeout,
                ))
            }
        });
        Tracked {
            inner: self.inner.call(request),
            finished: Some(Finished(Arc::clone(&self.activity))),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's answer, telling the watchdog when it is ready or abandoned.
    pub struct Tracked<F> {
        #[pin]
        inner: F,
        finished: Option<Finished>,
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let output = std::task::ready!(this.inner.poll(cx));
        this.finished.take();
        Poll::Ready(output)
    }
}

/// Ends a request for the watchdog when dropped: at its answer, or when hyper drops it unanswered.
pub struct Finished(Arc<Activity>);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}
