//! The REST contract of docs/rest-api.md, tested through the real doors: each test spawns the
//! whole server on port 0 against a fresh database (SQLite, or PostgreSQL when
//! `KEYWARD_TEST_DATABASE_URL` is set), talks HTTP to it, and asserts on status, `error.code`,
//! bodies and what a re-read shows is stored. Time moves by `app.clock`, never by sleeping.
//!
//! One test binary with many modules, for compile time.

mod access;
mod cancelled;
mod concurrency;
mod domains;
mod errors;
mod gateway;
mod gateway_nginx;
mod gateway_routes;
mod hostile;
mod input;
mod keys;
mod last_used;
mod lists;
mod meta;
mod metrics;
mod operations;
mod outage;
mod persistence;
mod principals;
mod products;
mod rotation;
mod schemathesis;
mod self_service;
mod tenancy;
mod usage;
mod usage_metering;
mod usage_plans;
mod verify;
