//! Usage counters shared by many keyward nodes through Redis: [`RedisLimiter`] implements the
//! core's [`keyward_core::usage::Limiter`] port.
//!
//! - [`config`]: [`RedisConfig`] (URL, key prefix, default mode, timeout, interval).
//! - [`exact`]: `exact` limits: one Lua script (`exact.lua`, run with EVALSHA) checks every
//!   exact counter of a request and charges all or none, with `counter.rs`'s arithmetic in
//!   integers that Lua's doubles hold exactly.
//! - [`ledger`]: `local` limits: this node counts alone in a `LocalLimiter` and, every
//!   interval, pushes the units it admitted to Redis and takes in the other nodes'.
//! - [`health`]: the node's heartbeat (how many nodes are alive) and the fallback: with Redis
//!   unreachable every limit is counted on this node at `limit / nodes`, never an error.
//! - [`limiter`]: [`RedisLimiter`], which routes each charge by its mode and ties them together.
//!
//! Redis keys (under the prefix, `keyward:` by default), each with a TTL so Redis never grows
//! without bound:
//!
//! | key | holds | expires |
//! |---|---|---|
//! | `<prefix><counter>` | an exact rate limit: `unit base ahead limit` | when whole again, + 1 s |
//! | `<prefix><counter>:<window start>` | an exact quota: units used | window end + 1 min |
//! | `<prefix>l:<counter>[:<window start>]` | a local limit: hash node → units admitted | when whole / window end + margin |
//! | `<prefix>nodes` | sorted set node → last heartbeat (ms) | 3 intervals |
//!
//! `<counter>` is [`keyward_core::usage::CounterId::render`]. Times are the caller's `now`:
//! nodes must keep their clocks in step (NTP); a node whose clock runs ahead or behind shifts
//! the counters by its error, never more.

pub mod config;
pub mod exact;
pub mod health;
pub mod ledger;
pub mod limiter;

pub use config::{redact_url, RedisConfig};
pub use limiter::RedisLimiter;
