//! The `[gateway]` section of the configuration file: how gateway checks read a request.
//!
//! ```toml
//! [gateway]
//! key_sources = ["bearer", "api-key", "header:x-api-key", "header:x-ncp-apigw-api-key"]
//! query_parameter = "api_key"   # off unless set: keys in URLs end up in logs
//! allow_preflight = true
//! strip_key = true              # Envoy gRPC Check: remove the key's header upstream
//!
//! [[gateway.routes]]
//! path = "/billing/**"
//! methods = ["POST", "PUT"]
//! scopes = ["billing:write"]
//!
//! [[gateway.routes]]
//! path = "/public/**"
//! public = true
//! ```
//!
//! File only (lists of routes make poor flags); checked at startup, naming the bad entry.

use anyhow::anyhow;
use keyward_core::gateway::{RouteSpec, RouteTable};
use keyward_edge::key_sources::KeySources;
use keyward_edge::GatewaySettings;
use serde::Deserialize;

/// The section as written; absent keys keep the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileGateway {
    /// Where a key may be presented, in order: `bearer`, `api-key`, `header:<name>`.
    pub key_sources: Option<Vec<String>>,
    /// A query parameter keys may also come in (the original request's query). Off by default.
    pub query_parameter: Option<String>,
    pub allow_preflight: Option<bool>,
    /// Envoy's gRPC `Check` removes the key's header upstream (default true).
    pub strip_key: Option<bool>,
    #[serde(default)]
    pub routes: Vec<RouteSpec>,
}

impl FileGateway {
    /// Checks the section and lays it over the defaults.
    pub fn resolve(self) -> anyhow::Result<GatewaySettings> {
        let defaults = GatewaySettings::default();
        let key_sources = match (&self.key_sources, &self.query_parameter) {
            (None, None) => defaults.key_sources,
            (texts, query) => {
                let default_texts = || {
                    [
                        "bearer",
                        "api-key",
                        "header:x-api-key",
                        "header:x-ncp-apigw-api-key",
                    ]
                    .map(String::from)
                    .to_vec()
                };
                let texts = texts.clone().unwrap_or_else(default_texts);
                KeySources::parse(&texts, query.as_deref()).map_err(|e| anyhow!("gateway.{e}"))?
            }
        };
        let routes = RouteTable::parse(&self.routes)?;
        Ok(GatewaySettings {
            key_sources,
            routes,
            allow_preflight: self.allow_preflight.unwrap_or(defaults.allow_preflight),
            strip_key: self.strip_key.unwrap_or(defaults.strip_key),
        })
    }
}
