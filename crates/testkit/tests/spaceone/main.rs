//! The SpaceONE identity v1 face (`crates/compat/src/spaceone`), through the real doors: a whole
//! keyward on port 0, spoken to over gRPC with a tonic client generated from keyward's own
//! SpaceONE protos, with `token` metadata as spacectl sends it.
//!
//! One test binary with many modules, for compile time.

mod keys;
mod query;
mod reflection;
mod rest;
mod rest_c;
mod spacectl;
mod stat;
mod stubs;
mod stubs_c;
mod support;
