//! What every gRPC face needs from a tonic request besides its message: the client address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use keyward_api::{client_ip, ApiState};
use tonic::Request;

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
