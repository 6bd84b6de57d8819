//! The gRPC transport: tonic's generated `APIKey` trait, each method authenticating the call
//! and handing its message to [`super::rpc`] or [`super::stat`]. SpaceONE clients (spacectl,
//! spaceone-core) send their credential as `token: <key>` metadata; `authorization: Bearer`
//! is accepted too. Here the token is a keyward management key.

use std::future::Future;
use std::sync::Arc;

use axum::http::HeaderMap;
use keyward_core::auth::Caller;
use keyward_core::model::KeyState;
use keyward_core::Keyward;
use keyward_edge::{credentials::bearer_token, ApiState};
use tonic::{Request, Response, Status};

use super::error::SpaceoneError;
use super::proto::identity::api_key_server::ApiKey;
use super::proto::identity::{
    ApiKeyInfo, ApiKeyQuery, ApiKeyRequest, ApiKeyStatQuery, ApiKeysInfo, CreateApiKeyRequest,
    GetApiKeyRequest, UpdateApiKeyHostsRequest, UpdateApiKeyRoleRequest,
};
use super::{rpc, stat};
use crate::grpc_peer;

/// The service shares the state of every face: the core and the trusted proxies.
#[derive(Debug, Clone)]
pub struct Service {
    state: ApiState,
}

impl Service {
    pub fn new(state: ApiState) -> Self {
        Self { state }
    }

    /// Authenticates the call (`token`, or `authorization: Bearer`, metadata), then runs `rpc`
    /// with the caller and the message.
    pub(super) async fn call<T, R, F, Fut>(
        &self,
        request: Request<T>,
        rpc: F,
    ) -> Result<Response<R>, Status>
    where
        F: FnOnce(Arc<Keyward>, Caller, T) -> Fut,
        Fut: Future<Output = Result<R, SpaceoneError>>,
    {
        grpc_peer::call(&self.state, request, token, rpc).await
    }
}

/// SpaceONE's credential: `token` metadata, or `authorization: Bearer`.
fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .or_else(|| bearer_token(headers))
}

#[tonic::async_trait]
impl ApiKey for Service {
    async fn create(
        &self,
        request: Request<CreateApiKeyRequest>,
    ) -> Result<Response<ApiKeyInfo>, Status> {
        self.call(request, |core, caller, m| async move {
            rpc::create(&core, &caller, m).await
        })
        .await
    }

    async fn enable(
        &self,
        request: Request<ApiKeyRequest>,
    ) -> Result<Response<ApiKeyInfo>, Status> {
        self.call(request, |core, caller, m| async move {
            rpc::set_state(&core, &caller, m, KeyState::Enabled).await
        })
        .await
    }

    async fn disable(
        &self,
        request: Request<ApiKeyRequest>,
    ) -> Result<Response<ApiKeyInfo>, Status> {
        self.call(request, |core, caller, m| async move {
            rpc::set_state(&core, &caller, m, KeyState::Disabled).await
        })
        .await
    }

    async fn update_role(
        &self,
        request: Request<UpdateApiKeyRoleRequest>,
    ) -> Result<Response<ApiKeyInfo>, Status> {
        self.call(request, |core, caller, m| async move {
            rpc::update_role(&core, &caller, m).await
        })
        .await
    }

    async fn update_allowed_hosts(
        &self,
        request: Request<UpdateApiKeyHostsRequest>,
    ) -> Result<Response<ApiKeyInfo>, Status> {
        self.call(request, |core, caller, m| async move {
            rpc::update_allowed_hosts(&core, &caller, m).await
        })
        .await
    }

    async fn delete(&self, request: Request<ApiKeyRequest>) -> Result<Response<()>, Status> {
        self.call(request, |core, caller, m| async move {
            rpc::delete(&core, &caller, m).await
        })
        .await
    }

    async fn get(
        &self,
        request: Request<GetApiKeyRequest>,
    ) -> Result<Response<ApiKeyInfo>, Status> {
        self.call(request, |core, caller, m| async move {
            rpc::get(&core, &caller, m).await
        })
        .await
    }

    async fn list(&self, request: Request<ApiKeyQuery>) -> Result<Response<ApiKeysInfo>, Status> {
        self.call(request, |core, caller, m| async move {
            rpc::list(&core, &caller, m).await
        })
        .await
    }

    async fn stat(
        &self,
        request: Request<ApiKeyStatQuery>,
    ) -> Result<Response<prost_types::Struct>, Status> {
        self.call(request, |core, caller, m| async move {
            stat::stat(&core, &caller, m).await
        })
        .await
    }
}
