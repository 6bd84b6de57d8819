//! The gRPC transport of generation C (`spaceone.generation = "1.12"`): tonic's `APIKey` trait
//! generated from `proto/spaceone-1.12`, on the same [`Service`] (same credential, same
//! authentication), each method handing its message to [`super::generation_c`]. The rpcs
//! generation C dropped (`update_role`, `update_allowed_hosts`) are not in its service, so tonic
//! answers them `UNIMPLEMENTED`.

use keyward_core::model::KeyState;
use tonic::{Request, Response, Status};

use super::generation_c as rpc;
use super::grpc::Service;
use super::proto::generation_c::identity::api_key_server::ApiKey;
use super::proto::generation_c::identity::{
    ApiKeyInfo, ApiKeyQuery, ApiKeyRequest, ApiKeyStatQuery, ApiKeysInfo, CreateApiKeyRequest,
    GetApiKeyRequest,
};

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
            rpc::stat(&core, &caller, m).await
        })
        .await
    }
}
