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
//! The faces hand [`serve`] one service per connection (a `hyper` service, called by reference,
//! so a request costs no clone of it); the edge knows nothing of routes or keys.

mod body;
mod fd_limit;
mod limits;
mod server;
mod watchdog;

pub use body::BodyTimeout;
pub use fd_limit::raise_fd_limit;
pub use limits::ConnectionLimits;
pub use server::serve;
