//! Envoy's gRPC doors on keyward's port, driven through the real server: ext_authz v3 `Check`
//! (`check.rs`) and the rate limit service (`rls.rs`) with grpcio stubs generated
//! from Envoy's own protos (`probe.rs`, `envoy_probe.py`), and with a tonic client built on the
//! `envoy-types` crate (`tonic_client.rs`).

mod check;
mod probe;
mod rls;
mod tonic_client;
