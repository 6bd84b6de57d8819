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
//! SpaceONE and NCP API Gateway will be sibling modules.

pub mod yandex;
pub mod zenml;
