//! Envoy's gRPC doors, on keyward's one port beside the REST API: ext_authz v3
//! (`envoy.service.auth.v3.Authorization/Check`) and the rate limit service v3
//! (`envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`). The messages and servers are
//! the `envoy-types` crate's, compiled from Envoy's own protos. The contract and Envoy's
//! configuration are `docs/envoy.md`.
//!
//! Map:
//! - `check`: the `Authorization` service; one function calls the gateway check of
//!   `routes::gateway`, the same as `/v1/auth`.
//! - `request`: a `CheckRequest` as the gateway reads a request (method, host, path, headers;
//!   the client address, believed from a trusted Envoy; the route's `context_extensions`).
//! - `response`: the gateway's HTTP answer as a `CheckResponse` (OK with identity headers, or a
//!   denial with the HTTP status, headers and body).
//! - `ratelimit`: the rate limit service: descriptors naming a key (`api_key`) are verifications
//!   of that key costing their hits; `OVER_LIMIT` when keyward's limits refuse it.

mod check;
mod ratelimit;
mod request;
mod response;

use envoy_types::pb::envoy::service::auth::v3::authorization_server::AuthorizationServer;
use envoy_types::pb::envoy::service::ratelimit::v3::rate_limit_service_server::RateLimitServiceServer;
use keyward_edge::ApiState;

/// The Envoy gRPC services, accepting messages up to the configured body limit.
pub fn grpc_routes(state: ApiState) -> tonic::service::Routes {
    let limit = state.body_limit;
    let rate_limits = ratelimit::RateLimitDoor {
        state: state.clone(),
    };
    let authorization = check::AuthorizationService { state };
    tonic::service::Routes::new(
        AuthorizationServer::new(authorization).max_decoding_message_size(limit),
    )
    .add_service(RateLimitServiceServer::new(rate_limits).max_decoding_message_size(limit))
}

/// [`grpc_routes`] as an axum router to merge beside the REST routes (its fallback removed, so
/// the merged router keeps the native face's JSON 404).
pub fn grpc_router(state: ApiState) -> axum::Router {
    grpc_routes(state).into_axum_router().reset_fallback()
}
