//! Per connection: the clock that closes clients too slow to send a request head, and
//! connections idle for too long.
//!
//! The watchdog sees bytes and requests, not protocols: [`Watched`] notes when bytes move,
//! the connection's service notes when a request starts (its head has been read) and when its
//! answer is ready. From those it knows, for HTTP/1.1 and HTTP/2 alike:
//! - a **head is awaited** from the connection's start, and from the first byte that arrives
//!   while no request is in progress: it must become a request within `header_read_timeout`
//!   (a slowloris client trickling a head byte by byte is closed then, however steady it is);
//! - a connection is **idle** when no request is in progress and no byte has moved either way
//!   for `idle_timeout` (a kept-alive connection between requests, or a client that stopped
//!   reading its answer).
//!
//! A request in progress is never cut by the watchdog: its body has its own deadline
//! (`body.rs`), and a slow handler is the server's problem, not the client's.
//!
//! Times are milliseconds since the connection started, in atomics: the read and write paths
//! pay a clock read and a relaxed store, and no lock.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// Why the watchdog closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// A request head did not arrive whole within `header_read_timeout`.
    SlowHead,
    /// Nothing happened for `idle_timeout`.
    Idle,
}

/// What one connection has been doing.
#[derive(Debug)]
pub(crate) struct Activity {
    origin: Instant,
    /// When a byte last moved either way.
    last_io: AtomicU64,
    /// 1 + when bytes began arriving with no request in progress; 0 when no head is awaited.
    head_since: AtomicU64,
    /// Requests whose head was read and whose answer is not ready yet.
    in_flight: AtomicU32,
}

impl Activity {
    /// A new connection: a head is awaited from now on.
    pub(crate) fn new() -> Self {
        Self {
            origin: Instant::now(),
            last_io: AtomicU64::new(0),
            head_since: AtomicU64::new(1),
            in_flight: AtomicU32::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        self.origin.elapsed().as_millis() as u64
    }

    fn bytes_read(&self) {
        let now = self.now_ms();
        self.last_io.store(now, Relaxed);
        if self.in_flight.load(Relaxed) == 0 && self.head_since.load(Relaxed) == 0 {
            self.head_since.store(now + 1, Relaxed);
        }
    }

    fn bytes_written(&self) {
        self.last_io.store(self.now_ms(), Relaxed);
    }

    /// A request's head has been read: no head is awaited while it is in progress.
    pub(crate) fn request_started(&self) {
        self.in_flight.fetch_add(1, Relaxed);
        self.head_since.store(0, Relaxed);
    }

    /// A request's answer is ready (or the request was abandoned): the idle clock starts over.
    pub(crate) fn request_finished(&self) {
        self.last_io.store(self.now_ms(), Relaxed);
        self.in_flight.fetch_sub(1, Relaxed);
    }

    /// Completes when the connection should be closed, and says why. Wakes only at the next
    /// moment a limit could run out, so an active connection costs a timer every few seconds.
    pub(crate) async fn expired(&self, header_timeout: Duration, idle_timeout: Duration) -> Expiry {
        let header_ms = header_timeout.as_millis() as u64;
        let idle_ms = idle_timeout.as_millis() as u64;
        loop {
            let now = self.now_ms();
            let wake_at = if self.in_flight.load(Relaxed) > 0 {
                now + idle_ms
            } else {
                let idle_at = self.last_io.load(Relaxed) + idle_ms;
                if now >= idle_at {
                    return Expiry::Idle;
                }
                match self.head_since.load(Relaxed) {
                    0 => idle_at,
                    since => {
                        let head_at = since - 1 + header_ms;
                        if now >= head_at {
                            return Expiry::SlowHead;
                        }
                        head_at.min(idle_at)
                    }
                }
            };
            tokio::time::sleep_until(self.origin + Duration::from_millis(wake_at)).await;
        }
    }
}

/// A connection's byte stream, telling its [`Activity`] when bytes move.
pub(crate) struct Watched<T> {
    inner: T,
    activity: std::sync::Arc<Activity>,
}

impl<T> Watched<T> {
    pub(crate) fn new(inner: T, activity: std::sync::Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.bytes_written();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.bytes_written();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_silent_connection_is_a_slow_head() {
        let activity = Activity::new();
        let expiry = activity
            .expired(Duration::from_secs(10), Duration::from_secs(75))
            .await;
        assert_eq!(expiry, Expiry::SlowHead);
        assert!(activity.origin.elapsed() >= Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn between_requests_only_the_idle_clock_runs() {
        let activity = Activity::new();
        activity.request_started();
        activity.request_finished();
        let expiry = activity
            .expired(Duration::from_secs(10), Duration::from_secs(75))
            .await;
        assert_eq!(expiry, Expiry::Idle);
        assert!(activity.origin.elapsed() >= Duration::from_secs(75));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_progress_is_never_expired() {
        let activity = Activity::new();
        activity.request_started();
        let waited = tokio::time::timeout(
            Duration::from_secs(600),
            activity.expired(Duration::from_secs(10), Duration::from_secs(75)),
        )
        .await;
        assert!(waited.is_err(), "expired while a request was in progress");
    }
}
