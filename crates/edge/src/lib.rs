//! keyward's edge: the HTTP server that every face (native REST, gateway checks, gRPC, the vendor
//! faces) is served by, and the limits that keep one hostile client from exhausting it.
//!
//! Map:
//! - [`serve`] (`server.rs`): the accept loop. A cap on open connections (above it a new
//!   connection is closed at once), backoff when `accept` itself fails (out of file descriptors),
//!   HTTP/1.1 and HTTP/2 (h2c) on one port, graceful drain at shutdown.
//! - [`ConnectionLimits`] (`limits.rs`): the settings and their defaults, with the reasons for
//!   each number.
//! - `watchdog.rs`: per connection, the clock that closes a client that is too slow sending a
//!   request head or that sits idle between requests. It sees the connection's bytes, not its
//!   protocol, so the same rules hold for HTTP/1.1 and HTTP/2.
//! - `body.rs`: a request body must arrive whole within its deadline, however slowly it trickles.
//! - [`raise_fd_limit`] (`fd_limit.rs`): the soft `RLIMIT_NOFILE` raised to the hard limit.
//!
//! - [`ApiState`] (`state.rs`): what every face's handlers share (the core, trusted proxies, the
//!   body limit, the [`GatewaySettings`], the [`HttpMetrics`]).
//! - [`metrics`]: HTTP request counts and durations by route pattern and status.
//! - [`GatewaySettings`] (`gateway.rs`) and [`key_sources`]: how gateway checks read a request —
//!   where the key may be presented ([`key_sources::KeySources`]: `Authorization: Bearer`,
//!   `Authorization: Api-Key`, `X-API-Key`, `x-ncp-apigw-api-key`, a query parameter only when
//!   enabled), the route policies (`keyward_core::gateway`), CORS preflights.
//! - [`credentials`]: the bearer token of a request and the client's address
//!   ([`credentials::ClientIp`]); [`client_ip`]: the address behind trusted proxies (right-most
//!   `X-Forwarded-For`).
//! - [`json`]: request bodies read as JSON objects, refusals sorted into three kinds each face maps
//!   to its own error.
//!
//! The faces hand [`serve`] one service per connection (a `hyper` service, called by reference,
//! so a request costs no clone of it). The edge knows no routes and decides nothing about keys: the
//! faces depend on it and on the core, never on each other.

mod body;
pub mod client_ip;
pub mod credentials;
mod fd_limit;
mod gateway;
pub mod json;
pub mod key_sources;
mod limits;
pub mod metrics;
mod server;
mod state;
mod watchdog;

pub use self::metrics::HttpMetrics;
pub use body::BodyTimeout;
pub use fd_limit::raise_fd_limit;
pub use gateway::GatewaySettings;
pub use limits::ConnectionLimits;
pub use server::serve;
pub use state::ApiState;
