//! keyward's test harness: `app` (the real server on port 0 over a fresh SQLite file or
//! PostgreSQL database), `fixtures`, `db`, the store `conformance` suite, and `relay` (a TCP relay
//! a test can cut or silence, for outage tests).
pub mod app;
pub mod conformance;
pub mod db;
pub mod fixtures;
pub mod relay;
