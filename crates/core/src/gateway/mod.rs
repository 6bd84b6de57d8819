//! Route policies for the gateway verifier: the operator's rules about which original requests
//! need which scopes, product and cost, and which need no key at all (`public`). Pure: the faces
//! say what the gateway reported (method, host, path) and this module decides which rule applies.
//!
//! Map:
//! - `route.rs`: [`RouteSpec`] (the configuration's text) and [`Route`] (checked): host pattern,
//!   method set, path pattern, what the route asks of the key.
//! - `path.rs`: [`PathPattern`] (`/billing/**`, `/users/*/orders`) and how a request path is read:
//!   query stripped, empty segments skipped, escapes decoded, ambiguous paths refused
//!   ([`PathRefusal`]).
//! - `table.rs`: [`RouteTable`] (first match wins, at most [`ROUTES_MAX`]) and
//!   [`OriginalRequest`], what a route is matched against.

mod path;
mod route;
mod table;

pub use path::{PathPattern, PathRefusal, PATTERN_MAX};
pub use route::{Route, RouteSpec, HOST_MAX};
pub use table::{OriginalRequest, RouteError, RouteTable, ROUTES_MAX};
