//! `envoy.service.auth.v3.Authorization/Check`: Envoy's gRPC ext_authz asks about one HTTP
//! request; keyward answers with the same gateway check as `/v1/auth` (`routes::gateway`), read
//! from the request Envoy describes and translated back into Envoy's terms.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use envoy_types::pb::envoy::service::auth::v3::authorization_server::Authorization;
use envoy_types::pb::envoy::service::auth::v3::{CheckRequest, CheckResponse};
use keyward_edge::ApiState;
use tonic::{Request, Status};

use super::request::CheckedRequest;
use super::response::check_response;
use crate::routes::gateway;

/// The ext_authz service. Whether the key's header is removed before the request reaches the
/// application is the gateway settings' `strip_key`.
#[derive(Debug, Clone)]
pub(super) struct AuthorizationService {
    pub state: ApiState,
}

#[tonic::async_trait]
impl Authorization for AuthorizationService {
    async fn check(
        &self,
        request: Request<CheckRequest>,
    ) -> Result<tonic::Response<CheckResponse>, Status> {
        let grpc_peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        let checked = CheckedRequest::read(request.into_inner())?;
        let client = checked.client_ip(grpc_peer, &self.state.trusted_proxies);
        let strip = if self.state.gateway.strip_key {
            self.state.gateway.key_sources.header_of(&checked.headers)
        } else {
            None
        };
        let answer = gateway_answer(
            &self.state,
            client,
            &checked.method,
            &checked.host,
            &checked.path,
            &checked.headers,
        )
        .await;
        Ok(tonic::Response::new(check_response(answer, strip).await))
    }
}

/// The gateway check of the request `client` sent (`method`, `host`, `path` with the
/// application's query, `headers`): the HTTP answer `/v1/auth` would give. The one call from
/// this door into the gateway.
///
/// `client` is already the client: the gateway resolves `X-Forwarded-For` on top only when it is
/// itself a trusted proxy, as on the HTTP door. The query in `path` is the application's, so none
/// is passed as keyward's own; `host` and `path` are for route policies.
async fn gateway_answer(
    state: &ApiState,
    client: Option<IpAddr>,
    method: &Method,
    host: &str,
    path: &str,
    headers: &HeaderMap,
) -> Response {
    let host = Some(host).filter(|h| !h.is_empty());
    match gateway::check_original(state, client, method.as_str(), host, path, headers) {
        Ok(answer) => answer,
        Err(pending) => gateway::finish(state, pending).await,
    }
}
