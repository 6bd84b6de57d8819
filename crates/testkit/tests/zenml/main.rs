//! The ZenML face (`/api/v1/...`, docs/compat-zenml.md) through the real doors: each test spawns
//! the whole server on port 0 (`spawn_app`) and talks HTTP to it the way ZenML's client does,
//! comparing status codes and JSON shapes with the transcript of a real ZenML 0.98 server
//! (`../shared/reference/zenml_wire_transcript.txt`). `client` drives ZenML's own Python client,
//! `cli` the `zenml` command line (both from `venv`: zenml 0.98.0 from PyPI).
//!
//! One test binary with many modules, for compile time.

mod accounts;
mod cli;
mod client;
mod filters;
mod fixture;
mod helpers;
mod paging;
mod sessions;
mod venv;
mod wire;
