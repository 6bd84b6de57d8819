//! The request log and request ids. A request's span names its method, its route pattern (not the
//! raw path: `/v1/auth/{*path}` carries a proxied client's path) and its `x-request-id`; the
//! response line adds status and latency, at DEBUG so a busy gateway does not pay for a log line
//! per request (5xx failures still log at ERROR). Headers and bodies are never logged: `Authorization`
//! carries a secret.
//!
//! Two doors, one log: routed requests get it from [`apply`]'s layers; gateway checks, which the
//! connection service answers before the router (`connection.rs`), get the same request id, lines
//! and levels from [`DirectRequestLog`].

use std::time::Instant;

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request};
use axum::response::Response;
use axum::Router;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::{Level, Span};

use crate::ApiState;

/// The header a request id travels in, both ways.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps every route: a request id (kept from the client or made), the request log, and the id
/// echoed on the response.
pub(crate) fn apply(router: Router<ApiState>) -> Router<ApiState> {
    router
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http().make_span_with(span).on_response(
                DefaultOnResponse::new()
                    .level(Level::DEBUG)
                    .latency_unit(LatencyUnit::Micros),
            ),
        )
        .layer(SetRequestIdLayer::x_request_id(RandomRequestId))
}

fn span(request: &Request<Body>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::debug_span!(
        "request",
        method = %request.method(),
        route,
        request_id,
    )
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
    /// When the request started, taken only if the DEBUG line will be written.
    started: Option<Instant>,
}

impl DirectRequestLog {
    /// The route every direct request is logged under (the gateway check's).
    const ROUTE: &'static str = "/v1/auth";

    pub(crate) fn start(headers: &HeaderMap) -> Self {
        Self {
            request_id: headers
                .get(REQUEST_ID)
                .cloned()
                .unwrap_or_else(new_request_id),
            started: tracing::enabled!(Level::DEBUG).then(Instant::now),
        }
    }

    pub(crate) fn finish(self, mut response: Response) -> Response {
        response.headers_mut().insert(REQUEST_ID, self.request_id);
        let status = response.status();
        if status.is_server_error() {
            tracing::error!(
                route = Self::ROUTE,
                status = status.as_u16(),
                "request failed"
            );
        } else if let Some(started) = self.started {
            tracing::debug!(
                route = Self::ROUTE,
                status = status.as_u16(),
                latency_us = started.elapsed().as_micros() as u64,
                "finished processing request"
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
