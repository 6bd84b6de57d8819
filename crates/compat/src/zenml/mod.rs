//! ZenML 0.98's service-account API keys, wire-compatible, so `RestZenStore` and
//! `zenml.client.Client` pointed at keyward with an API key work (docs/compat-zenml.md).
//!
//! Map:
//! - [`router`]: the routes, under `/api/v1/...` and `/health` (no clash with the native `/v1`).
//! - [`routes`]: `server` (info, login, current-user, health), `accounts`, `keys`, and
//!   `workspace`: the one `default` project and stack `zenml.client.Client()` needs.
//! - [`auth`]: the bearer token (from login, or a keyward key) → the core's `Caller`.
//! - [`query`]: ZenML's `op:value` filter / sort / page dialect → the core's query model.
//! - [`requests`] / [`wire`]: ZenML's request and response models; [`datetime`]: its times.
//! - [`error`]: [`ZenmlError`], the one mapping from the core's errors to ZenML's bodies.
//!
//! Where keyward and ZenML differ on purpose (keys are `kw_…`, not `ZENKEY_…`; management needs
//! a key with `keyward:admin`; what a service account does not keep) is said where it happens
//! and collected in docs/compat-zenml.md.

pub mod auth;
pub mod datetime;
pub mod error;
pub mod query;
pub mod requests;
pub mod routes;
pub mod wire;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use keyward_edge::ApiState;

pub use error::ZenmlError;
use routes::{accounts, keys, server, workspace};

/// The ZenML face, to merge into the binary's router. It shares the native face's state: the
/// core, the trusted proxies (for client addresses) and the body limit.
pub fn router(state: ApiState) -> Router {
    let body_limit = state.body_limit;
    let v1 = Router::new()
        .route("/info", get(server::info))
        .route("/login", post(server::login))
        .route("/current-user", get(server::current_user))
        .route("/projects", get(workspace::list_projects))
        .route("/projects/{name_or_id}", get(workspace::get_project))
        .route("/stacks", get(workspace::list_stacks))
        .route("/stacks/{id}", get(workspace::get_stack))
        .route(
            "/service_accounts",
            get(accounts::list).post(accounts::create),
        )
        .route(
            "/service_accounts/{account}",
            get(accounts::get)
                .put(accounts::update)
                .delete(accounts::delete),
        )
        .route(
            "/service_accounts/{account}/api_keys",
            get(keys::list).post(keys::create),
        )
        .route(
            "/service_accounts/{account}/api_keys/{key}",
            get(keys::get).put(keys::update).delete(keys::delete),
        )
        .route(
            "/service_accounts/{account}/api_keys/{key}/rotate",
            put(keys::rotate),
        )
        // Unknown ZenML routes answer like FastAPI, not like the native API.
        .fallback(not_found);
    Router::new()
        .nest("/api/v1", v1)
        // `get` answers HEAD too (without a body), which is what ZenML's probes send.
        .route("/health", get(server::health))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

async fn not_found() -> ZenmlError {
    ZenmlError::route_not_found()
}
