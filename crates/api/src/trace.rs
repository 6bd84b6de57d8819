//! The request log and request ids. A request's span names its method, its route pattern (not the
//! raw path: `/v1/auth/{*path}` carries a proxied client's path) and its `x-request-id`; the
//! response line adds status and latency, at DEBUG so a busy gateway does not pay for a log line
//! per request (5xx failures still log at ERROR). Headers and bodies are never logged: `Authorization`
//! carries a secret.

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{HeaderValue, Request};
use axum::Router;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::{Level, Span};

use crate::ApiState;

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
        .get("x-request-id")
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
