//! placeholder
pub mod app;
pub mod conformance;
pub mod db;
pub mod fixtures;
