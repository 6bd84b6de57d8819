//! How each accepted connection is served (the edge, `keyward_edge::serve`, accepts it and
//! holds it to the connection limits). Gateway checks (`/v1/auth`, `/v1/auth/…`) go straight
//! to `gateway::check` — their one door: the router has no route for them — and every other
//! request goes through the router and its layers.
//!
//! Why: a gateway check is the one request a busy deployment sends thousands of times a second,
//! and the router's generic machinery costs more than the check itself (an extension map filled
//! per request with the peer address, the matched route and its parameters, three layers, a boxed
//! handler future). The direct path keeps what those layers promise for this route — the peer
//! address for allow-lists, an `x-request-id` on every response (the client's own or a new one),
//! the DEBUG request line and the ERROR line of a 5xx (`trace::DirectRequestLog`, beside the
//! router's log so the two stay alike), the router's 405 for a method no proxy forwards — and
//! nothing else.

use std::convert::Infallible;
use std::future::{ready, Future, Ready};
use std::net::SocketAddr;
use std::pin::Pin;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::Router;
use futures_util::future::Either;
use tower::Service;

use crate::routes::gateway;
use crate::trace::DirectRequestLog;
use crate::ApiState;

/// Makes one [`ConnectionService`] per accepted connection (handed to `keyward_edge::serve`).
#[derive(Clone)]
pub struct GatewayFirst {
    router: Router,
    state: ApiState,
}

impl GatewayFirst {
    /// `router` serves everything but gateway checks; `state` is the gateway handler's.
    pub fn new(router: Router, state: ApiState) -> Self {
        Self { router, state }
    }

    /// The service for one connection from `peer`.
    pub fn for_peer(&self, peer: SocketAddr) -> ConnectionService {
        ConnectionService {
            peer,
            router: self.router.clone(),
            state: self.state.clone(),
        }
    }
}

/// Serves the requests of one connection from `peer`. A `hyper` service, called by reference:
/// a gateway check clones nothing; a routed request clones the router (one reference count).
#[derive(Clone)]
pub struct ConnectionService {
    peer: SocketAddr,
    router: Router,
    state: ApiState,
}

type GatewayFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl hyper::service::Service<Request> for ConnectionService {
    type Response = Response;
    type Error = Infallible;
    type Future =
        Either<Ready<Result<Response, Infallible>>, Either<GatewayFuture, RouteFuture<Infallible>>>;

    fn call(&self, mut request: Request) -> Self::Future {
        if !is_gateway_path(request.uri().path()) {
            request.extensions_mut().insert(ConnectInfo(self.peer));
            // axum's `Router` is always ready, so calling it without `poll_ready` is allowed.
            return Either::Right(Either::Right(self.router.clone().call(request)));
        }
        let log = DirectRequestLog::start(&self.state, request.headers());
        let checked = gateway::check(
            &self.state,
            Some(self.peer.ip()),
            request.method(),
            request.uri().path(),
            request.uri().query(),
            request.headers(),
        );
        match checked {
            // A cache hit (or a refusal that needs no store): answered without a future.
            Ok(response) => Either::Left(ready(Ok(log.finish(&self.state, response)))),
            Err(pending) => {
                let state = self.state.clone();
                Either::Right(Either::Left(Box::pin(async move {
                    let response = gateway::finish(&state, pending).await;
                    Ok(log.finish(&state, response))
                })))
            }
        }
    }
}

/// The gateway's paths: `/v1/auth`, `/v1/auth/` and `/v1/auth/{anything}` (Envoy's ext_authz
/// appends the original path). The router has no route for them.
fn is_gateway_path(path: &str) -> bool {
    match path.strip_prefix("/v1/auth") {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_paths_are_the_routers_gateway_routes() {
        for path in [
            "/v1/auth",
            "/v1/auth/",
            "/v1/auth/api/orders",
            "/v1/auth//x",
        ] {
            assert!(is_gateway_path(path), "{path}");
        }
        for path in ["/v1/authx", "/v1/aut", "/v1/keys", "/", "/v1/auth-keys"] {
            assert!(!is_gateway_path(path), "{path}");
        }
    }
}
