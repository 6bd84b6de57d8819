//! Prometheus metrics: the recorder this application counts on, and `GET /metrics`.
//!
//! The recorder belongs to the application (no global recorder): the core's, the edge's and this
//! module's handles are registered on it at start (`Metrics::new`), so two applications in one
//! process (the tests) count apart. What is a state rather than an event (cache entries, pending
//! last-used writes, the change feed, process figures) is read when Prometheus scrapes. The text
//! exposition format is rendered by `metrics-exporter-prometheus`; keyward serves it itself, on
//! its own port or on `metrics_listen`, behind a bearer token when `metrics_token_file` is set.

mod process;
mod timed_store;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keyward_core::store::Store;
use keyward_core::verify::metrics::METADATA;
use keyward_core::verify::VerifyMetrics;
use keyward_core::Keyward;
use keyward_edge::HttpMetrics;
use metrics::{Counter, Gauge, Key, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::config::MetricsToken;
pub use timed_store::TimedStore;

/// Buckets of every duration histogram, in seconds: a cached verification takes microseconds, a
/// management call milliseconds, a stuck database seconds.
const DURATION_BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into their buckets between scrapes (so that memory
/// does not grow with traffic when no one scrapes).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The application's recorder and the handles this module updates.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    /// Write-behind flushes of last-used times and usage counts.
    pub write_behind: WriteBehind,
    cache_entries: Gauge,
    last_used_pending: Gauge,
    change_feed_up: Gauge,
    since_last_change: Gauge,
    pool_idle: Gauge,
    pool_in_use: Gauge,
    process: process::ProcessGauges,
}

/// The flusher's counters.
#[derive(Clone)]
pub struct WriteBehind {
    pub batches: Counter,
    pub failures: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(DURATION_BUCKETS)
            .expect("the duration buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let gauge =
            |name: &'static str| recorder.register_gauge(&Key::from_static_name(name), &METADATA);
        let counter =
            |name: &'static str| recorder.register_counter(&Key::from_static_name(name), &METADATA);
        let pool = |state: &'static str| {
            let labels = vec![metrics::Label::from_static_parts("state", state)];
            let key = Key::from_parts("keyward_db_pool_connections", labels);
            recorder.register_gauge(&key, &METADATA)
        };
        let metrics = Self {
            write_behind: WriteBehind {
                batches: counter("keyward_write_behind_batches_total"),
                failures: counter("keyward_write_behind_failures_total"),
            },
            cache_entries: gauge("keyward_cache_entries"),
            last_used_pending: gauge("keyward_last_used_pending"),
            change_feed_up: gauge("keyward_change_feed_up"),
            since_last_change: gauge("keyward_change_feed_last_event_age_seconds"),
            pool_idle: pool("idle"),
            pool_in_use: pool("in_use"),
            process: process::ProcessGauges::register(&recorder),
            recorder: Arc::new(recorder),
            handle,
        };
        metrics.describe();
        metrics
    }

    fn describe(&self) {
        for (kind, name, help) in HELP {
            let name = metrics::KeyName::from_const_str(name);
            let help = metrics::SharedString::const_str(help);
            match kind {
                Kind::Counter => self.recorder.describe_counter(name, None, help),
                Kind::Gauge => self.recorder.describe_gauge(name, None, help),
                Kind::Histogram => self.recorder.describe_histogram(name, None, help),
            }
        }
    }

    /// The core's handles, registered on this recorder.
    pub fn verify(&self) -> VerifyMetrics {
        VerifyMetrics::register(self.recorder.as_ref())
    }

    /// `store`, each call timed.
    pub fn timed(&self, store: Arc<dyn Store>) -> Arc<dyn Store> {
        Arc::new(TimedStore::new(store, self.recorder.as_ref()))
    }

    /// The edge's handles, registered on this recorder.
    pub fn http(&self) -> HttpMetrics {
        HttpMetrics::register(self.recorder.clone())
    }

    /// Folds histogram samples into buckets every few seconds, until the runtime stops.
    pub fn spawn_upkeep(&self) {
        let handle = self.handle.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(UPKEEP_EVERY);
            loop {
                ticker.tick().await;
                handle.run_upkeep();
            }
        });
    }

    /// The text exposition of every metric, states read now.
    pub fn render(&self, core: &Keyward, store: &dyn Store) -> String {
        if let Some(pool) = store.pool_connections() {
            self.pool_idle.set(f64::from(pool.idle));
            self.pool_in_use.set(f64::from(pool.in_use));
        }
        let verifier = core.verifier();
        self.cache_entries.set(verifier.cache_entries() as f64);
        self.last_used_pending
            .set(verifier.last_used_pending() as f64);
        self.change_feed_up
            .set(if verifier.change_feed_up() { 1.0 } else { 0.0 });
        if let Some(age) = verifier.since_last_change() {
            self.since_last_change.set(age.as_secs_f64());
        }
        self.process.update();
        self.handle.render()
    }
}

enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// The `# HELP` of each keyward metric.
const HELP: &[(Kind, &str, &str)] = &[
    (Kind::Counter, "keyward_verifications_total", "Verification decisions, by face and reason code."),
    (Kind::Histogram, "keyward_verification_duration_seconds", "Time to decide one verification."),
    (Kind::Counter, "keyward_cache_hits_total", "Verifications answered from the cache."),
    (Kind::Counter, "keyward_cache_misses_total", "Verifications that had to read the store."),
    (Kind::Counter, "keyward_rate_limit_decisions_total", "Decisions of keys with limits or credits: admitted, rate_limited, usage_exceeded."),
    (Kind::Counter, "keyward_http_requests_total", "HTTP requests, by route pattern and status."),
    (Kind::Histogram, "keyward_http_request_duration_seconds", "HTTP request duration, by route pattern."),
    (Kind::Counter, "keyward_write_behind_batches_total", "Batches of last-used times and usage counts written behind."),
    (Kind::Counter, "keyward_write_behind_failures_total", "Write-behind batches that failed (kept for the next flush)."),
    (Kind::Gauge, "keyward_cache_entries", "Entries in the verification cache."),
    (Kind::Gauge, "keyward_last_used_pending", "Keys used since the last flush, waiting for their last-used time to be written."),
    (Kind::Gauge, "keyward_change_feed_up", "1 while the database's change feed (cache invalidation across nodes) is up, 0 while it is lost."),
    (Kind::Gauge, "keyward_change_feed_last_event_age_seconds", "Seconds since the change feed's last event (absent before its first)."),
    (Kind::Histogram, "keyward_store_operation_duration_seconds", "Time of one store call, by operation (the Store method)."),
    (Kind::Gauge, "keyward_db_pool_connections", "Open database connections, by state: idle, in_use."),
];

/// `/metrics` as a router of its own, to merge onto the main port or serve on `metrics_listen`.
pub fn router(
    metrics: Metrics,
    core: Arc<Keyward>,
    store: Arc<dyn Store>,
    token: Option<MetricsToken>,
) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape {
            metrics,
            core,
            store,
            token: token.map(Arc::new),
        })
}

#[derive(Clone)]
struct Scrape {
    metrics: Metrics,
    core: Arc<Keyward>,
    store: Arc<dyn Store>,
    token: Option<Arc<MetricsToken>>,
}

async fn scrape(State(scrape): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(token) = &scrape.token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !presented.is_some_and(|p| token.matches(p.trim())) {
            let mut refused = (
                StatusCode::UNAUTHORIZED,
                "a bearer token is required for /metrics\n",
            )
                .into_response();
            refused.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return refused;
        }
    }
    let body = scrape.metrics.render(&scrape.core, scrape.store.as_ref());
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}
