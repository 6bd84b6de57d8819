//! keyward's vendor-compatible faces: clients written for another vendor's API point at keyward
//! and work. Each vendor is one module with its wire types, its query dialect parsed into the
//! core's query model, its routes and its one error mapping; like the native face
//! (`keyward-api`) each is thin: parse, call one [`keyward_core::Keyward`] method, render. No
//! rule about keys lives here.
//!
//! Map:
//! - [`zenml`]: ZenML 0.98 service accounts and their API keys (`/api/v1/service_accounts/...`,
//!   rotation with a retain period, API-key login with access tokens, `/api/v1/info`,
//!   `/health`). `zenml::router` is merged into the binary's router.
//! - [`yandex`]: Yandex Cloud IAM `ApiKeyService` and `OperationService`, over gRPC
//!   (`yandex::grpc_router`, tonic, code generated from `proto/yandex/**` by `build.rs`) and
//!   over their REST paths (`yandex::rest_router`: `/iam/v1/apiKeys...`, `/operations/{id}`).
//!
//! - [`spaceone`]: SpaceONE identity v1 `APIKey` over gRPC with server reflection
//!   (`spaceone::grpc_router`, in the configured `spaceone::Generation`: spaceone-api 1.5.1's
//!   wire or 1.12.x-2.0.x's) and REST (`spaceone::rest_router`, both generations' paths),
//!   `Query`/`StatisticsQuery` run in the store.
//!
//! - [`ncp`]: NCP API Gateway's API keys (`/api/v1/api-keys...`, `/api/v1/products/{id}/api-keys/...`):
//!   primary and secondary secrets, products and subscription approval. `ncp::router` is merged
//!   into the binary's router beside ZenML's (distinct paths under the same `/api/v1`).
//!
//! - `grpc_peer`: what the gRPC faces share: `call` (the caller behind the call's credential,
//!   then the rpc) and the client address of a call.
//!
//! Every face depends on the shared edge (`keyward-edge`: state, credentials, client IP, JSON
//! bodies) and on the core, never on another face.
//!
//! - `fuzzing` (only under `--cfg fuzzing`): the faces' request translations, for `fuzz/`.

#[cfg(fuzzing)]
pub mod fuzzing;
mod grpc_peer;
pub mod ncp;
pub mod spaceone;
pub mod yandex;
pub mod zenml;
