//! [`ApiState`]: what every face's handlers share — the core, the proxies whose
//! `X-Forwarded-For` is believed, the body limit and the gateway checks' settings.

use std::sync::Arc;

use crate::gateway::GatewaySettings;

/// What every handler of every face shares.
#[derive(Clone)]
pub struct ApiState {
    pub core: Arc<keyward_core::Keyward>,
    /// Peers whose `X-Forwarded-For` is believed (load balancers, nginx, Envoy). Empty: none.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// Largest request body accepted, in bytes (413 beyond it); the documented default is 256 KiB.
    pub body_limit: usize,
    /// Where gateway checks find the key, route policies, CORS preflights.
    pub gateway: Arc<GatewaySettings>,
    /// Request counts and durations by route (no-ops when metrics are off).
    pub http_metrics: crate::HttpMetrics,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState")
            .field("trusted_proxies", &self.trusted_proxies)
            .field("body_limit", &self.body_limit)
            .field("gateway", &self.gateway)
            .finish_non_exhaustive()
    }
}
