//! Logging: `tracing` events as text on stderr, filtered by an `EnvFilter` directive string.
//!
//! stdout is kept for what a command prints on purpose (tables, JSON, the one-time root key
//! banner), so a script can capture it without log lines mixed in. No secret is ever passed to
//! `tracing`: the core's secret types print redacted, and nothing here formats request bodies.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Calling it twice (tests building several applications in one
/// process) keeps the first one and is not an error.
pub fn init(filter: &str) -> anyhow::Result<()> {
    let filter = parse_filter(filter)?;
    let _already_installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal; tests and log shippers read plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
    Ok(())
}

/// Parses a filter directive string. (The parser's error repeats itself as its own source, so
/// only its message is kept.)
pub fn parse_filter(filter: &str) -> anyhow::Result<EnvFilter> {
    EnvFilter::try_new(filter).map_err(|e| anyhow::anyhow!("invalid log filter `{filter}`: {e}"))
}
