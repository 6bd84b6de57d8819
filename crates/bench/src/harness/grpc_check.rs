//! The gRPC `Check` scenario: Envoy's ext_authz v3 `Authorization/Check` on keyward's port, with
//! the valid keys of `GET /v1/auth, valid keys`, reported beside that scenario's keyward figures.
//!
//! wrk speaks HTTP/1 only (and ghz is not available), so the load comes from this small tonic
//! client: one HTTP/2 connection per "connection" of the run, each sending one `Check` after the
//! other (a closed loop, like wrk's), the key taken in turn from the key file. Its latencies are
//! kept whole (microseconds) for the percentiles. The client shares the machine's cores with
//! keyward, as wrk does, and costs more per request than wrk: the figure is a floor.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use envoy_types::pb::envoy::service::auth::v3::attribute_context::{HttpRequest, Request};
use envoy_types::pb::envoy::service::auth::v3::authorization_client::AuthorizationClient;
use envoy_types::pb::envoy::service::auth::v3::{AttributeContext, CheckRequest};
use tonic::transport::Channel;

use super::report::{self, Sample};
use super::wrk::{Load, Outcome};

/// The scenario's name (for `--only`).
pub const NAME: &str = "gRPC Check, valid keys";

/// One run of `load` against `base` (`http://127.0.0.1:port`) with the keys in `keys`.
pub async fn run(base: &str, keys: &Path, load: Load) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(keys).context("reading the key file")?;
    let keys: Vec<String> = text.lines().map(str::to_owned).collect();
    anyhow::ensure!(!keys.is_empty(), "the key file is empty");
    let mut workers = Vec::new();
    let started = Instant::now();
    let deadline = started + load.duration;
    for worker in 0..load.connections as usize {
        let channel = Channel::from_shared(base.to_owned())?
            .connect()
            .await
            .context("connecting the gRPC client")?;
        let requests: Vec<CheckRequest> = keys
            .iter()
            .skip(worker)
            .step_by(load.connections.max(1) as usize)
            .map(|key| check_request(key))
            .collect();
        workers.push(tokio::spawn(drive(
            AuthorizationClient::new(channel),
            requests,
            deadline,
        )));
    }
    let mut tally = Tally::default();
    for worker in workers {
        tally.merge(worker.await?);
    }
    Ok(tally.outcome(started.elapsed()))
}

/// What one worker saw.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u32>,
    denied: u64,
    errors: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.denied += other.denied;
        self.errors += other.errors;
    }

    fn outcome(mut self, elapsed: Duration) -> Outcome {
        self.latencies_us.sort_unstable();
        let at = |q: f64| {
            let n = self.latencies_us.len();
            if n == 0 {
                return 0;
            }
            let i = ((n as f64 * q).ceil() as usize).clamp(1, n) - 1;
            u64::from(self.latencies_us[i])
        };
        Outcome {
            requests: self.latencies_us.len() as u64,
            duration_us: elapsed.as_micros() as u64,
            non_2xx: self.denied,
            socket_errors: self.errors,
            p50_us: at(0.50),
            p99_us: at(0.99),
            statuses: Default::default(),
        }
    }
}

async fn drive(
    mut client: AuthorizationClient<Channel>,
    requests: Vec<CheckRequest>,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    if requests.is_empty() {
        return tally;
    }
    for request in requests.iter().cycle() {
        if Instant::now() >= deadline {
            break;
        }
        let sent = Instant::now();
        match client.check(request.clone()).await {
            Ok(answer) => {
                let micros = sent.elapsed().as_micros();
                tally
                    .latencies_us
                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
                if answer.get_ref().status.as_ref().map(|s| s.code) != Some(0) {
                    tally.denied += 1;
                }
            }
            Err(_) => tally.errors += 1,
        }
    }
    tally
}

/// What Envoy sends for `GET /api/orders` carrying `key` (a handful of ordinary headers).
fn check_request(key: &str) -> CheckRequest {
    let headers = [
        (":authority", "shop.example"),
        (":method", "GET"),
        (":path", "/api/orders?page=2"),
        ("user-agent", "loadtest"),
        ("accept", "application/json"),
        ("x-request-id", "5b0b6c2e-1f0e-4c55-9b3a-0c8a0e1f2d3c"),
        ("x-api-key", key),
    ];
    CheckRequest {
        attributes: Some(AttributeContext {
            request: Some(Request {
                http: Some(HttpRequest {
                    method: "GET".into(),
                    host: "shop.example".into(),
                    path: "/api/orders?page=2".into(),
                    protocol: "HTTP/1.1".into(),
                    headers: headers
                        .iter()
                        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                        .collect(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

/// Prints the gRPC runs' medians beside `/v1/auth`'s keyward runs of the same rounds.
pub fn print(grpc: &[Sample], http: &[Sample]) {
    let g = report::summarize(grpc);
    let denied: u64 = grpc.iter().map(|s| s.outcome.non_2xx).sum();
    let errors: u64 = grpc.iter().map(|s| s.outcome.socket_errors).sum();
    println!(
        "\n{NAME} (tonic client, one HTTP/2 connection per connection) beside GET /v1/auth (wrk):"
    );
    println!(
        "  gRPC Check : {:>10}  p50 {:>9}  p99 {:>9}  ({denied} not OK, {errors} errors)",
        report::rate(g.per_second),
        report::latency(g.p50_us),
        report::latency(g.p99_us)
    );
    if !http.is_empty() {
        let h = report::summarize(http);
        println!(
            "  /v1/auth   : {:>10}  p50 {:>9}  p99 {:>9}  (gRPC/HTTP throughput {:.2})",
            report::rate(h.per_second),
            report::latency(h.p50_us),
            report::latency(h.p99_us),
            g.per_second / h.per_second
        );
    }
}
