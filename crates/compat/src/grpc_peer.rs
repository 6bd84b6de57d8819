//! What every gRPC face shares around its rpcs: the client address of a call, and `call` — the
//! caller behind the call's credential (checked against the key's allow-list with that address),
//! then the rpc with the caller and the message, its refusals in the face's own error.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use keyward_core::auth::Caller;
use keyward_core::error::CoreError;
use keyward_core::secret::PresentedSecret;
use keyward_core::verify::Face;
use keyward_core::Keyward;
use keyward_edge::{client_ip, ApiState};
use tonic::{Request, Response, Status};

/// A gRPC face's error as the shared plumbing needs it: the core's refusals become it, it
/// becomes a status, and it has the face's own answer for a call without a credential.
pub(crate) trait GrpcFaceError: From<CoreError> + Into<Status> {
    /// The face, as the core counts its verifications.
    const FACE: Face;

    fn unauthenticated() -> Self;
}

/// Reads a face's credential (a key) from a call's metadata.
pub(crate) type Credential = fn(&HeaderMap) -> Option<&str>;

/// Authenticates the call with the credential `credential` reads, then runs `rpc` with the core,
/// the caller and the message.
pub(crate) async fn call<T, R, E, F, Fut>(
    state: &ApiState,
    request: Request<T>,
    credential: Credential,
    rpc: F,
) -> Result<Response<R>, Status>
where
    E: GrpcFaceError,
    F: FnOnce(Arc<Keyward>, Caller, T) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let caller = authenticate::<T, E>(state, &request, credential)
        .await
        .map_err(Into::into)?;
    let message = request.into_inner();
    rpc(Arc::clone(&state.core), caller, message)
        .await
        .map(Response::new)
        .map_err(Into::into)
}

async fn authenticate<T, E: GrpcFaceError>(
    state: &ApiState,
    request: &Request<T>,
    credential: Credential,
) -> Result<Caller, E> {
    let secret = credential(request.metadata().as_ref())
        .map(PresentedSecret::new)
        .ok_or_else(E::unauthenticated)?;
    let ip = client_address(state, request);
    Ok(state.core.authenticate(E::FACE, secret, ip).await?)
}

/// The client address of a gRPC call: the TCP peer (the binary serves with connect info), or the
/// forwarded one behind a trusted proxy, resolved exactly as on the REST face, so a key's
/// allow-list is checked the same way on every face.
pub(crate) fn client_address<T>(state: &ApiState, request: &Request<T>) -> Option<IpAddr> {
    let headers = request.metadata().as_ref();
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| client_ip::resolve(peer.ip(), headers, &state.trusted_proxies))
}
