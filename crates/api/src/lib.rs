//! keyward's native REST face and gateway verifier (axum). The contract is `docs/rest-api.md`.
//!
//! The face is thin: it parses the wire format into the core's validated types, calls one
//! [`keyward_core::Keyward`] method, and renders its own views. Every rule about keys (expiry,
//! tenancy, who may grant what) lives in the core.
//!
//! Map:
//! - [`router`]: the whole HTTP surface, its layers (body limit, request id, request log) and the
//!   JSON 404/405 fallbacks. [`openapi`]: the OpenAPI 3.1 document (`openapi.rs`), shown as an
//!   interactive reference at `/docs` (`routes/docs.rs`, RapiDoc vendored under `assets/`).
//! - [`extract`]: the extractors: [`extract::Auth`] (bearer key → `Caller`, so no handler can
//!   forget authentication), client IP, path ids, JSON bodies; all refuse with [`ApiError`].
//! - [`connection`]: what `keyward_edge::serve` runs per connection: gateway checks go straight to
//!   `routes::gateway::check` (the router has no route for them), everything else through [`router`].
//! - [`envoy`]: Envoy's gRPC ext_authz v3 `Check` (the gateway check again, through the same
//!   `routes::gateway` function) and its rate limit service, merged onto the port by the binary.
//! - [`ApiState`], [`client_ip`], the credential extraction and JSON body parsing are the edge's
//!   (`keyward-edge`, shared with the vendor faces), re-exported here.
//! - [`json`]: body parsing, sorting serde's failures into the API's error codes.
//! - [`list_query`]: the list query-string dialect (`field=[op:]value`, `sort`, `limit`, `cursor`).
//! - [`error`]: [`ApiError`], the one `CoreError` → HTTP mapping and the error body.
//! - `field_schemas`: the OpenAPI schemas of request fields the core validates (names, roles...),
//!   built from the core's limits and patterns so the document says exactly what is accepted.
//! - [`views`]: the wire views (`KeyView`, `CreatedKeyView`, `ProductView`, ...), every one the
//!   face answers with; core types are never serialized.
//! - [`routes`]: handlers, one file per resource, plus the gateway verifier (`routes/gateway/`: the
//!   doors, the original request a gateway reports, what a check asks, the answers).
//! - `trace` ([`observe`]): the request log and HTTP metrics: method, route pattern, status,
//!   duration, request id, W3C trace id, the authenticated caller's domain and key id; never
//!   headers or bodies (the `Authorization` header carries a secret). An access line at INFO
//!   per management request. One log for both doors: the router's layers and
//!   `DirectRequestLog` for gateway checks answered by [`connection`].

pub mod connection;
pub mod envoy;
pub mod error;
pub mod extract;
mod field_schemas;
pub mod json;
pub mod list_query;
mod openapi;
pub mod routes;
mod trace;
pub mod views;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use axum::Router;

pub use error::{ApiError, ErrorCode};
pub use keyward_edge::{client_ip, ApiState};
pub use openapi::openapi;
use routes::{
    access_keys, docs, domains, health, key_credits, key_usage, keys, operations, principals,
    products, usage_plans, verify,
};

/// The whole HTTP surface: /healthz, /readyz, /v1/... (wrapped by [`observe`] once merged with
/// the vendor faces). Served through
/// [`connection::GatewayFirst`], which puts each request's peer address in its `ConnectInfo`
/// (without it, client IPs are unknown and keys with an allow-list do not verify).
pub fn router(state: ApiState) -> Router {
    let body_limit = state.body_limit;
    let routes = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/v1/openapi.json", get(health::openapi_json))
        .route("/docs", get(docs::page))
        .route(docs::SCRIPT_PATH, get(docs::script))
        .route("/v1/domains", get(domains::list).post(domains::create))
        .route(
            "/v1/domains/{id}",
            get(domains::get)
                .patch(domains::update)
                .delete(domains::delete),
        )
        .route(
            "/v1/principals",
            get(principals::list).post(principals::create),
        )
        .route(
            "/v1/principals/{id}",
            get(principals::get)
                .patch(principals::update)
                .delete(principals::delete),
        )
        .route("/v1/keys", get(keys::list).post(keys::create))
        .route("/v1/keys/verify", post(verify::verify))
        .route(
            "/v1/keys/{id}",
            get(keys::get).patch(keys::update).delete(keys::delete),
        )
        .route("/v1/keys/{id}/enable", post(keys::enable))
        .route("/v1/keys/{id}/disable", post(keys::disable))
        .route("/v1/keys/{id}/rotate", post(keys::rotate))
        .route("/v1/keys/{id}/credits", post(key_credits::top_up))
        .route("/v1/keys/{id}/operations", get(operations::list_for_key))
        .route("/v1/keys/{id}/usage", get(key_usage::get))
        .route("/v1/keys/{id}/access-keys", post(access_keys::create))
        .route("/v1/access-keys/{id}", delete(access_keys::delete))
        .route("/v1/products", get(products::list).post(products::create))
        .route(
            "/v1/products/{id}",
            get(products::get)
                .patch(usage_plans::set_product_plan)
                .delete(products::delete),
        )
        .route(
            "/v1/keys/{id}/subscriptions",
            get(products::list_subscriptions),
        )
        .route(
            "/v1/keys/{id}/subscriptions/{product_id}",
            put(products::put_subscription).delete(products::delete_subscription),
        )
        .route(
            "/v1/keys/{id}/subscriptions/{product_id}/usage-plan",
            put(usage_plans::set_subscription_plan),
        )
        .route(
            "/v1/usage-plans",
            get(usage_plans::list).post(usage_plans::create),
        )
        .route(
            "/v1/usage-plans/{id}",
            get(usage_plans::get)
                .patch(usage_plans::update)
                .delete(usage_plans::delete),
        )
        .route("/v1/operations", get(operations::list))
        .route("/v1/operations/{id}", get(operations::get))
        // `/v1/auth…` (gateway checks) never reach the router: `connection.rs` serves them.
        .fallback(routes::route_not_found)
        // Must follow every route: it applies to the method routers registered so far.
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit));
    routes.with_state(state)
}

/// Wraps the whole HTTP surface (this face's [`router`] merged with the vendor faces'): request
/// ids, the request span and access line, HTTP metrics (see `trace`).
pub fn observe(router: Router, state: ApiState) -> Router {
    trace::apply(router, state)
}
