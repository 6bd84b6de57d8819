//! The request log and request ids. A request's span names its method, its route pattern (not the
//! raw path: `/v1/auth/{*path}` carries a proxied client's path) and its `x-request-id`; the
//! response line adds status and latency, at DEBUG so a busy gateway does not pay for a log line
//! per request (5xx failures still log at ERROR). Headers and bodies are never logged: `Authorization`
//! carries a secret.

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
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
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
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
