//! The keyward binary as a library: configuration, startup, and the command line. The binary's
//! `main` only calls [`cli::main`]; tests call [`Application::build`] directly.
//!
//! Map:
//! - [`config`]: [`Config`] and its layers (defaults → TOML file → `KEYWARD_*` → flags), the
//!   duration syntax (`10m`, `30d`), validation.
//! - [`app`]: [`Application`]: connect and migrate the store, bootstrap, bind, serve until a
//!   shutdown future completes, flush "last used" times behind the hot path.
//! - [`root_key`]: first start; the root key goes to a new 0600 file or back to the caller once.
//! - [`telemetry`]: `tracing` to stderr, as text or JSON; stdout is for command output.
//! - [`metrics`]: the application's Prometheus recorder and `GET /metrics` (on the main port or
//!   `metrics_listen`, behind an optional bearer token); process figures from `/proc/self`.
//! - [`cli`]: `serve`, `init`, `migrate`, and the REST client commands (`keys`, `principals`,
//!   `domains`, `operations`) with their tables and `--json` output.
//!
//! The arrows point one way: this crate wires `keyward-store` and `keyward-api` around
//! `keyward-core`; nothing depends on it but the integration tests.

pub mod app;
pub mod cli;
pub mod config;
pub mod metrics;
pub mod root_key;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
pub use keyward_edge::{ConnectionLimits, GatewaySettings};
