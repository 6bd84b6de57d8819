//! HTTP request metrics: `keyward_http_requests_total{route, status}` and
//! `keyward_http_request_duration_seconds{route}`, where `route` is the matched route pattern
//! (`/v1/keys/{id}`), never the raw path, so a client cannot grow the label set.
//!
//! The gateway check's handles (`/v1/auth`, the hot path) are registered once at start for the
//! statuses it answers; any other route registers its handle per request on the recorder (a
//! lookup in the recorder's map), which management traffic can afford.

use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Histogram, Key, Label, Recorder};

use keyward_core::verify::metrics::METADATA;

pub const HTTP_REQUESTS: &str = "keyward_http_requests_total";
pub const HTTP_REQUEST_DURATION: &str = "keyward_http_request_duration_seconds";

/// The route every gateway check is counted under (`/v1/auth` and `/v1/auth/{*path}` alike).
pub const GATEWAY_ROUTE: &str = "/v1/auth";

/// What a gateway check answers: 200, 400, 401, 403, 405, 429, 500 and 503.
const GATEWAY_STATUSES: [u16; 8] = [200, 400, 401, 403, 405, 429, 500, 503];

/// The recorder HTTP metrics go to, and the gateway route's pre-registered handles.
#[derive(Clone, Default)]
pub struct HttpMetrics {
    inner: Option<Arc<Registered>>,
}

struct Registered {
    recorder: Arc<dyn Recorder + Send + Sync>,
    /// In the order of `GATEWAY_STATUSES`.
    gateway_requests: [Counter; GATEWAY_STATUSES.len()],
    gateway_duration: Histogram,
}

impl std::fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMetrics")
            .field("enabled", &self.is_enabled())
            .finish()
    }
}

impl HttpMetrics {
    /// Counts on `recorder`.
    pub fn register(recorder: Arc<dyn Recorder + Send + Sync>) -> Self {
        let gateway_requests = GATEWAY_STATUSES.map(|status| {
            recorder.register_counter(&requests_key(GATEWAY_ROUTE, status), &METADATA)
        });
        let gateway_duration = recorder.register_histogram(&duration_key(GATEWAY_ROUTE), &METADATA);
        Self {
            inner: Some(Arc::new(Registered {
                recorder,
                gateway_requests,
                gateway_duration,
            })),
        }
    }

    /// False when metrics are off: then callers need not read the clock.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Counts one request to `route` answered with `status` after `elapsed`.
    pub fn record(&self, route: &str, status: u16, elapsed: Duration) {
        let Some(inner) = &self.inner else { return };
        inner
            .recorder
            .register_counter(&requests_key(route, status), &METADATA)
            .increment(1);
        inner
            .recorder
            .register_histogram(&duration_key(route), &METADATA)
            .record(elapsed.as_secs_f64());
    }

    /// Counts one gateway check, without registering anything for the usual statuses.
    pub fn record_gateway(&self, status: u16, elapsed: Duration) {
        let Some(inner) = &self.inner else { return };
        match GATEWAY_STATUSES.iter().position(|s| *s == status) {
            Some(i) => {
                inner.gateway_requests[i].increment(1);
                inner.gateway_duration.record(elapsed.as_secs_f64());
            }
            None => self.record(GATEWAY_ROUTE, status, elapsed),
        }
    }
}

fn requests_key(route: &str, status: u16) -> Key {
    Key::from_parts(
        HTTP_REQUESTS,
        vec![
            Label::new("route", route.to_owned()),
            Label::new("status", status.to_string()),
        ],
    )
}

fn duration_key(route: &str) -> Key {
    Key::from_parts(
        HTTP_REQUEST_DURATION,
        vec![Label::new("route", route.to_owned())],
    )
}
