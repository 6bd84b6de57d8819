//! keyward's benchmarks and load harnesses. They measure; they assert nothing, and none of them
//! runs under `cargo test`. Each is a binary in `src/bin/`:
//!
//! - `propagation`: how long a key change made on one node takes to change the answer of
//!   another node's verifier (PostgreSQL `LISTEN/NOTIFY`, issue 3's "revocation seen on every
//!   node"). `cargo run --release -p keyward-bench --bin propagation -- --help`.
//!
//! This library holds what the binaries share: a scratch PostgreSQL database and percentiles.

pub mod scratch;
pub mod stats;
// Issue 4 (verification speed): the 1,000,000-key SQLite fixture, built once with bulk inserts
// and reused; and the HTTP load harness (`--bin loadtest`, keyward against `--bin ceiling` and
// optionally ZenML). The criterion benches of the core are `benches/verify.rs`, `benches/keys.rs`.
pub mod fixture;
pub mod harness;
