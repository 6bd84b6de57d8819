//! keyward's test harness: `app` (the real server on port 0 over a fresh SQLite file or
//! PostgreSQL database), `fixtures`, `db`, the store `conformance` suite, `relay` (a TCP relay
//! a test can cut or silence, for outage tests) and `redis` (the Redis server for the shared
//! usage counter tests, or a loud skip).
pub mod app;
pub mod conformance;
pub mod db;
pub mod fixtures;
pub mod redis;
pub mod relay;
