//! Who presented what: the bearer token of a request and the client's address (the TCP peer, or
//! the forwarded client behind a trusted proxy), for every face.

use std::net::{IpAddr, SocketAddr};

use axum::extract::connect_info::MockConnectInfo;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};

use crate::{client_ip, ApiState};

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    crate::key_sources::authorization(headers, "bearer")
}

/// The client's address; `None` only when the server was not started with connect info.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<ApiState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_address(
            &parts.extensions,
            &parts.headers,
            state,
        )))
    }
}

/// The TCP peer, or the forwarded client when the peer is a trusted proxy.
pub fn client_address(
    extensions: &Extensions,
    headers: &HeaderMap,
    state: &ApiState,
) -> Option<IpAddr> {
    let peer = peer_address(extensions)?;
    Some(client_ip::resolve(peer, headers, &state.trusted_proxies))
}

/// The TCP peer the connection service recorded. Read in place rather than through the
/// `ConnectInfo` extractor, which clones; like that extractor, falls back to the
/// `MockConnectInfo` that router tests install.
pub fn peer_address(extensions: &Extensions) -> Option<IpAddr> {
    match extensions.get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => Some(addr.ip()),
        None => extensions
            .get::<MockConnectInfo<SocketAddr>>()
            .map(|mock| mock.0.ip()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, HeaderValue};

    fn auth(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn bearer_tokens_are_read_leniently_but_only_from_bearer() {
        assert_eq!(bearer_token(&auth("Bearer kw_abc")), Some("kw_abc"));
        assert_eq!(bearer_token(&auth("bearer   kw_abc ")), Some("kw_abc"));
        assert_eq!(bearer_token(&auth("Basic a2V5Og==")), None);
        assert_eq!(bearer_token(&auth("Bearer ")), None);
        assert_eq!(bearer_token(&auth("Bearer")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
