//! The request log, request ids and HTTP metrics. A request's span names its method, its route
//! pattern (not the raw path: `/v1/auth/{*path}` carries a proxied client's path), its
//! `x-request-id`, the trace id of a W3C `traceparent` header, and, once a face has
//! authenticated the caller, its `domain` and `actor_key_id` (the core writes them,
//! `Keyward::authenticate`). A management request ends with an access line at INFO (status and
//! duration in the span); health probes, `/metrics` and verifications (`/v1/keys/verify`, Envoy's
//! gRPC services, gateway checks) at DEBUG, so a busy gateway does not pay for a line per request.
//! 5xx failures log at ERROR. Headers and bodies are never logged: `Authorization` carries a
//! secret.
//!
//! Two doors, one log: routed requests get it from [`apply`]'s layers; gateway checks, which the
//! connection service answers before the router (`connection.rs`), get the same request id, lines
//! and levels from [`DirectRequestLog`]. Both count `keyward_http_requests_total` and
//! `keyward_http_request_duration_seconds` (`keyward_edge::metrics`).

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tracing::{Instrument, Level};

use crate::ApiState;

/// The header a request id travels in, both ways.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The W3C trace context header.
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Wraps every route of `router` (the native face's and the vendor faces', merged): a request id
/// (kept from the client or made), the request span, access line and metrics, and the id echoed
/// on the response.
pub fn apply(router: Router, state: ApiState) -> Router {
    router
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::from_fn_with_state(state, observe))
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
}

/// The span, access line and metrics of one routed request.
async fn observe(State(state): State<ApiState>, request: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let headers = request.headers();
    let request_id = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let trace_id = trace_id(headers).unwrap_or("");
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        request_id = %request_id,
        trace_id,
        domain = tracing::field::Empty,
        actor_key_id = tracing::field::Empty,
    );
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.http_metrics.record(&route, status, elapsed);
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, duration_ms, "request failed");
        } else if is_management(&route) {
            tracing::info!(status, duration_ms, "request");
        } else {
            tracing::debug!(status, duration_ms, "request");
        }
    });
    response
}

/// Whether `route` is a management request (an access line at INFO), rather than a probe, the
/// metrics or a verification.
fn is_management(route: &str) -> bool {
    !matches!(
        route,
        "/healthz" | "/readyz" | "/metrics" | "/v1/keys/verify"
    ) && !route.starts_with("/envoy.service.")
}

/// The trace id of a well-formed W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`); anything
/// else is ignored, so no client text reaches the log.
pub(crate) fn trace_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(TRACEPARENT)?.to_str().ok()?;
    let mut parts = value.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && hex(parent, 16)
        && hex(flags, 2);
    valid.then_some(trace)
}

/// Request ids for requests that arrive without one: random (version 4) UUIDs, like
/// tower-http's `MakeRequestUuid`, but drawn from the thread's CSPRNG instead of a `getrandom`
/// system call per request, which the gateway path would otherwise pay on every check.
#[derive(Debug, Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        Some(RequestId::new(new_request_id()))
    }
}

/// A new random request id (see `RandomRequestId`).
pub(crate) fn new_request_id() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut buffer = uuid::Uuid::encode_buffer();
    let text = id.hyphenated().encode_lower(&mut buffer);
    HeaderValue::from_str(text).expect("a hyphenated UUID is a valid header value")
}

/// What [`apply`]'s layers do for a request, done by hand for a gateway check answered before
/// the router: its request id (the client's own, or a new one) echoed on the response, the DEBUG
/// response line, the ERROR line of a 5xx. Costs nothing more when DEBUG is off.
pub(crate) struct DirectRequestLog {
    request_id: HeaderValue,
    /// When the request started, taken only if the DEBUG line will be written or metrics are on.
    started: Option<Instant>,
}

impl DirectRequestLog {
    /// The route every direct request is logged under (the gateway check's).
    const ROUTE: &'static str = keyward_edge::metrics::GATEWAY_ROUTE;

    pub(crate) fn start(state: &ApiState, headers: &HeaderMap) -> Self {
        let timed = state.http_metrics.is_enabled() || tracing::enabled!(Level::DEBUG);
        Self {
            request_id: headers
                .get(REQUEST_ID)
                .cloned()
                .unwrap_or_else(new_request_id),
            started: timed.then(Instant::now),
        }
    }

    pub(crate) fn finish(self, state: &ApiState, mut response: Response) -> Response {
        let status = response.status();
        let elapsed = self.started.map(|started| started.elapsed());
        if let Some(elapsed) = elapsed {
            state.http_metrics.record_gateway(status.as_u16(), elapsed);
        }
        if status.is_server_error() {
            tracing::error!(
                route = Self::ROUTE,
                status = status.as_u16(),
                request_id = ?self.request_id,
                "request failed"
            );
        } else if let Some(elapsed) = elapsed.filter(|_| tracing::enabled!(Level::DEBUG)) {
            tracing::debug!(
                route = Self::ROUTE,
                status = status.as_u16(),
                request_id = ?self.request_id,
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "request"
            );
        }
        response.headers_mut().insert(REQUEST_ID, self.request_id);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_traceparent_gives_a_trace_id() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                TRACEPARENT,
                HeaderValue::from_str(value).expect("a header value"),
            );
            trace_id(&headers).map(str::to_owned)
        };
        assert_eq!(
            with("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-kw_secretsecretsecretsecretsecre-00f067aa0ba902b7-01",
        ] {
            assert_eq!(with(bad), None, "{bad}");
        }
    }

    #[test]
    fn made_request_ids_are_distinct_version_4_uuids() {
        let request = Request::new(());
        let mut make = RandomRequestId;
        let a = make.make_request_id(&request).expect("an id");
        let b = make.make_request_id(&request).expect("an id");
        let parse = |id: &RequestId| {
            uuid::Uuid::parse_str(id.header_value().to_str().expect("ascii")).expect("a uuid")
        };
        assert_eq!(parse(&a).get_version_num(), 4);
        assert_ne!(parse(&a), parse(&b));
    }
}
