//! The gRPC transport: tonic's generated `ApiKeyService` and `OperationService` traits, each
//! method authenticating the call and handing its message to the matching function of
//! [`super::rpc`]. The SDK sends its credential as `authorization: Bearer <token>` metadata;
//! here the token is a keyward management key.

use std::future::Future;
use std::sync::Arc;

use keyward_core::auth::Caller;
use keyward_core::Keyward;
use keyward_edge::{credentials::bearer_token, ApiState};
use tonic::{Request, Response, Status};

use super::error::YandexError;
use super::proto::iam::api_key_service_server::ApiKeyService;
use super::proto::iam::{
    ApiKey, CreateApiKeyRequest, CreateApiKeyResponse, DeleteApiKeyRequest, GetApiKeyRequest,
    ListApiKeyOperationsRequest, ListApiKeyOperationsResponse, ListApiKeyScopesRequest,
    ListApiKeyScopesResponse, ListApiKeysRequest, ListApiKeysResponse, UpdateApiKeyRequest,
};
use super::proto::operation::operation_service_server::OperationService;
use super::proto::operation::{CancelOperationRequest, GetOperationRequest, Operation};
use super::rpc;
use crate::grpc_peer;

/// Both services share the state of every face: the core and the trusted proxies.
#[derive(Debug, Clone)]
pub struct Services {
    state: ApiState,
}

impl Services {
    pub fn new(state: ApiState) -> Self {
        Self { state }
    }

    /// Authenticates the call (`authorization: Bearer <key>`), then runs `rpc` with the caller
    /// and the message.
    async fn call<T, R, F, Fut>(&self, request: Request<T>, rpc: F) -> Result<Response<R>, Status>
    where
        F: FnOnce(Arc<Keyward>, Caller, T) -> Fut,
        Fut: Future<Output = Result<R, YandexError>>,
    {
        grpc_peer::call(&self.state, request, bearer_token, rpc).await
    }
}

#[tonic::async_trait]
impl ApiKeyService for Services {
    async fn list(
        &self,
        request: Request<ListApiKeysRequest>,
    ) -> Result<Response<ListApiKeysResponse>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::list(&core, &caller, message).await
        })
        .await
    }

    async fn get(&self, request: Request<GetApiKeyRequest>) -> Result<Response<ApiKey>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::get(&core, &caller, message).await
        })
        .await
    }

    async fn create(
        &self,
        request: Request<CreateApiKeyRequest>,
    ) -> Result<Response<CreateApiKeyResponse>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::create(&core, &caller, message).await
        })
        .await
    }

    async fn update(
        &self,
        request: Request<UpdateApiKeyRequest>,
    ) -> Result<Response<Operation>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::update(&core, &caller, message).await
        })
        .await
    }

    async fn delete(
        &self,
        request: Request<DeleteApiKeyRequest>,
    ) -> Result<Response<Operation>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::delete(&core, &caller, message).await
        })
        .await
    }

    async fn list_operations(
        &self,
        request: Request<ListApiKeyOperationsRequest>,
    ) -> Result<Response<ListApiKeyOperationsResponse>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::list_operations(&core, &caller, message).await
        })
        .await
    }

    async fn list_scopes(
        &self,
        request: Request<ListApiKeyScopesRequest>,
    ) -> Result<Response<ListApiKeyScopesResponse>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::list_scopes(&core, &caller, message).await
        })
        .await
    }
}

#[tonic::async_trait]
impl OperationService for Services {
    async fn get(
        &self,
        request: Request<GetOperationRequest>,
    ) -> Result<Response<Operation>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::get_operation(&core, &caller, message).await
        })
        .await
    }

    async fn cancel(
        &self,
        request: Request<CancelOperationRequest>,
    ) -> Result<Response<Operation>, Status> {
        self.call(request, |core, caller, message| async move {
            rpc::cancel_operation(&core, &caller, message).await
        })
        .await
    }
}
