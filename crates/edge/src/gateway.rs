//! [`GatewaySettings`]: how every gateway door (`/v1/auth`, Envoy's gRPC `Check`) reads a check —
//! where the key may come from, the route policies, whether CORS preflights pass without a key,
//! and whether the key's header is removed upstream (Envoy's gRPC `Check`).

use keyward_core::gateway::RouteTable;

use crate::key_sources::KeySources;

/// The `[gateway]` section of the configuration, checked.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    pub key_sources: KeySources,
    /// Route policies, first match wins; empty (the default) costs nothing per request.
    pub routes: RouteTable,
    /// Answer a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`, no
    /// key) with 200 and no identity: a browser never sends credentials on a preflight, so
    /// without this every cross-origin call would fail at the gateway. Default on.
    pub allow_preflight: bool,
    /// Envoy's gRPC `Check` removes the header that carried the key before the request reaches
    /// the application, which then never sees the secret. Default on.
    pub strip_key: bool,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            key_sources: KeySources::default(),
            routes: RouteTable::default(),
            allow_preflight: true,
            strip_key: true,
        }
    }
}
