//! The Yandex Cloud IAM face (`crates/compat/src/yandex`), through the real doors: a whole
//! keyward on port 0, spoken to over gRPC with a tonic client generated from keyward's own
//! protos (`grpc_*.rs`), over the REST paths with plain HTTP (`rest.rs`), and with the vendor's
//! own generated Python stubs from the `yandexcloud` package (`sdk.rs` runs `sdk_probe.py`).
//!
//! One test binary with many modules, for compile time.

mod grpc_errors;
mod grpc_keys;
mod grpc_operations;
mod grpc_scopes;
mod rest;
mod sdk;
mod support;
