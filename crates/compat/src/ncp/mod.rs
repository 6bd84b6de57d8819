//! NAVER Cloud Platform API Gateway's API keys, wire-compatible (docs/compat-ncp.md): keys with
//! a primary and a secondary secret, products and subscription approval, searches, NCP's error
//! shape. Thin over the core: products, subscriptions, two-slot keys and the lookup by secret
//! are the core's (`service/products.rs`, `service/dual_keys.rs`).
//!
//! Map:
//! - [`router`]: the routes, each at its full `/api/v1/...` path. The ZenML face also lives under
//!   `/api/v1` with a catch-all fallback; full static paths take precedence over it, and this
//!   router adds no fallback of its own, so the two merge without clashing.
//! - [`auth`]: the caller (a bearer keyward key) and the JSON body extractor.
//! - [`keys`], [`products`], [`usage_plans`]: the handlers; [`key_products`]: what one key is
//!   subscribed to (`/api-keys/{id}/products`, `/api-keys/{id}/subscription-detail`). [`wire`], [`plan_wire`]: NCP's
//!   bodies (`plan_wire` also maps `rateRps`/`dayQuotaRequest`/`monthQuotaRequest` to limits).
//!   [`error`]: [`NcpError`].

pub mod auth;
pub mod error;
pub mod key_products;
pub mod keys;
pub mod plan_wire;
pub mod products;
pub mod usage_plans;
pub mod wire;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post, put};
use axum::Router;
use keyward_core::model::SubscriptionStatus;
use keyward_core::query::MAX_OFFSET_PAGE_SIZE;
use keyward_edge::ApiState;

pub use error::NcpError;

/// The NCP face, to merge into the binary's router.
pub fn router(state: ApiState) -> Router {
    let body_limit = state.body_limit;
    Router::new()
        .route("/api/v1/api-keys", get(keys::list).post(keys::create))
        .route("/api/v1/api-keys/search", post(keys::search))
        .route(
            "/api/v1/api-keys/{id}",
            get(keys::get)
                .put(keys::update)
                .patch(keys::regenerate)
                .delete(keys::delete),
        )
        .route(
            "/api/v1/api-keys/{id}/products",
            get(key_products::products),
        )
        .route(
            "/api/v1/api-keys/{id}/subscription-detail",
            get(key_products::subscription_detail),
        )
        .route("/api/v1/api-keys/{id}/subscribe", post(products::subscribe))
        .route(
            "/api/v1/api-keys/{id}/unsubscribe",
            post(products::unsubscribe),
        )
        .route(
            "/api/v1/products/{product}/api-keys/search",
            post(products::search),
        )
        .route(
            "/api/v1/products/{product}/api-keys/{id}",
            patch(products::change_status),
        )
        .route(
            "/api/v1/usage-plans",
            get(usage_plans::list).post(usage_plans::create),
        )
        .route("/api/v1/usage-plans/search", post(usage_plans::search))
        .route(
            "/api/v1/usage-plans/{id}",
            get(usage_plans::get)
                .put(usage_plans::update)
                .delete(usage_plans::delete),
        )
        .route(
            "/api/v1/products/{product}/apis/{api}/stages/{stage}/associate-usage-plan",
            post(usage_plans::associate),
        )
        .route(
            "/api/v1/products/{product}/apis/{api}/stages/{stage}/disassociate-usage-plan",
            post(usage_plans::disassociate),
        )
        .route(
            "/api/v1/products/{product}/api-keys/{id}/stages/{stage}",
            put(usage_plans::set_key_plan),
        )
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// NCP's `offset` (default 0) and `limit` (default 10, at most `MAX_OFFSET_PAGE_SIZE`).
pub(crate) fn page_window(offset: Option<u64>, limit: Option<u64>) -> Result<(u64, u32), NcpError> {
    let limit = limit.unwrap_or(10);
    if limit == 0 || limit > u64::from(MAX_OFFSET_PAGE_SIZE) {
        return Err(NcpError::bad_request(format!(
            "limit must be between 1 and {MAX_OFFSET_PAGE_SIZE}"
        )));
    }
    Ok((offset.unwrap_or(0), limit as u32))
}

/// `statusSet`: NCP's status names; empty means every status.
pub(crate) fn parse_statuses(set: &[String]) -> Result<Vec<SubscriptionStatus>, NcpError> {
    set.iter()
        .map(|s| SubscriptionStatus::parse(s).map_err(NcpError::from))
        .collect()
}
