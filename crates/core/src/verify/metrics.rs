//! What the verifier counts for Prometheus: every decision by face and reason, how long it took,
//! cache hits and misses, and the decisions of usage limits; and which decisions it logs
//! ([`LogVerifications`]: none by default, so a busy gateway writes no line per check).
//!
//! Every handle is registered once, when the application starts, on the recorder it owns (no
//! global recorder): a verification only bumps an atomic it already holds, so counting costs no
//! allocation, no lock and no map lookup. Without a recorder (`VerifyMetrics::default()`) every
//! handle is a no-op and no clock is read.

use std::time::Instant;

use metrics::{Counter, Histogram, Key, Label, Level, Metadata, Recorder};

use super::face::Face;
use super::{Decision, Reason};

/// Which verifications are logged at INFO: face, reason, and the key id of a valid one (never
/// anything of the secret).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogVerifications {
    #[default]
    Off,
    Refusals,
    All,
}

/// The metadata every keyward metric is registered with (the Prometheus exporter ignores it).
pub const METADATA: Metadata<'static> = Metadata::new("keyward", Level::INFO, None);

pub const VERIFICATIONS: &str = "keyward_verifications_total";
pub const VERIFICATION_DURATION: &str = "keyward_verification_duration_seconds";
pub const CACHE_HITS: &str = "keyward_cache_hits_total";
pub const CACHE_MISSES: &str = "keyward_cache_misses_total";
pub const LIMIT_DECISIONS: &str = "keyward_rate_limit_decisions_total";

const REASONS: usize = Reason::ALL.len();
const FACES: usize = Face::ALL.len();

/// The verifier's pre-registered handles.
pub struct VerifyMetrics {
    /// False without a recorder: then no clock is read for the duration.
    enabled: bool,
    /// `[face][reason]`, in the order of `Face::ALL` and `Reason::ALL`.
    verifications: [[Counter; REASONS]; FACES],
    duration: Histogram,
    cache_hits: Counter,
    cache_misses: Counter,
    /// Decisions of keys with limits or credits: admitted, rate_limited, usage_exceeded.
    limit_admitted: Counter,
    limit_rate_limited: Counter,
    limit_usage_exceeded: Counter,
    log: LogVerifications,
}

impl Default for VerifyMetrics {
    fn default() -> Self {
        Self {
            enabled: false,
            verifications: std::array::from_fn(|_| std::array::from_fn(|_| Counter::noop())),
            duration: Histogram::noop(),
            cache_hits: Counter::noop(),
            cache_misses: Counter::noop(),
            limit_admitted: Counter::noop(),
            limit_rate_limited: Counter::noop(),
            limit_usage_exceeded: Counter::noop(),
            log: LogVerifications::Off,
        }
    }
}

impl VerifyMetrics {
    /// Registers every handle on `recorder`, each `{face, reason}` pair included, so that all of
    /// them show (at 0) from the first scrape.
    pub fn register(recorder: &dyn Recorder) -> Self {
        let verifications = std::array::from_fn(|f| {
            std::array::from_fn(|r| {
                let labels = vec![
                    Label::from_static_parts("face", Face::ALL[f].as_str()),
                    Label::from_static_parts("reason", Reason::ALL[r].as_str()),
                ];
                recorder.register_counter(&Key::from_parts(VERIFICATIONS, labels), &METADATA)
            })
        });
        let counter =
            |name: &'static str| recorder.register_counter(&Key::from_static_name(name), &METADATA);
        let limit = |decision: &'static str| {
            let labels = vec![Label::from_static_parts("decision", decision)];
            recorder.register_counter(&Key::from_parts(LIMIT_DECISIONS, labels), &METADATA)
        };
        Self {
            enabled: true,
            verifications,
            duration: recorder
                .register_histogram(&Key::from_static_name(VERIFICATION_DURATION), &METADATA),
            cache_hits: counter(CACHE_HITS),
            cache_misses: counter(CACHE_MISSES),
            limit_admitted: limit("admitted"),
            limit_rate_limited: limit("rate_limited"),
            limit_usage_exceeded: limit("usage_exceeded"),
            log: LogVerifications::Off,
        }
    }

    /// Logs the verifications `log` names.
    pub fn logging(mut self, log: LogVerifications) -> Self {
        self.log = log;
        self
    }

    /// When a verification started, if its duration is wanted.
    pub(crate) fn start(&self) -> Option<Instant> {
        self.enabled.then(Instant::now)
    }

    /// Counts one decision, and its duration from `started`; logs it if asked to.
    pub(crate) fn decided(&self, face: Face, decision: &Decision, started: Option<Instant>) {
        let reason = decision.reason;
        self.verifications[face.index()][reason.index()].increment(1);
        if let Some(started) = started {
            self.duration.record(started.elapsed().as_secs_f64());
        }
        let logged = match self.log {
            LogVerifications::Off => false,
            LogVerifications::Refusals => reason != Reason::Valid,
            LogVerifications::All => true,
        };
        if logged {
            match &decision.key {
                Some(key) => tracing::info!(
                    face = face.as_str(),
                    reason = reason.as_str(),
                    key_id = %key.key_id,
                    "verification"
                ),
                None => tracing::info!(
                    face = face.as_str(),
                    reason = reason.as_str(),
                    "verification"
                ),
            }
        }
    }

    pub(crate) fn cache_hit(&self) {
        self.cache_hits.increment(1);
    }

    pub(crate) fn cache_miss(&self) {
        self.cache_misses.increment(1);
    }

    /// Counts what the limits and credits of a key that has some decided.
    pub(crate) fn limited(&self, reason: Reason) {
        match reason {
            Reason::RateLimited => self.limit_rate_limited.increment(1),
            Reason::UsageExceeded => self.limit_usage_exceeded.increment(1),
            _ => self.limit_admitted.increment(1),
        }
    }
}
