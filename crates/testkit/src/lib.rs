//! keyward's test harness: `app` (the real server on port 0 over a fresh SQLite file or
//! PostgreSQL database), `fixtures`, `db`, the store `conformance` suite, `relay` (a TCP relay
//! a test can cut or silence, for outage tests), `redis` (the Redis server for the shared
//! usage counter tests, or a loud skip), `nginx` (real nginx in front of keyward, running the
//! README's snippet, or a loud skip), `echo` (an application that reports what reached it) and
//! `python` (venvs for the clients that are not ours).
pub mod app;
pub mod conformance;
pub mod db;
pub mod echo;
pub mod fixtures;
pub mod nginx;
pub mod python;
pub mod redis;
pub mod relay;
