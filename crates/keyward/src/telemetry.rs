//! Logging: `tracing` events on stderr, as text or as one JSON object per line (`log_format`),
//! filtered by an `EnvFilter` directive string. A JSON line carries the event's fields at the top
//! level and the fields of the span it happened in (a request's method, route, request id,
//! trace id, domain and actor key id) under `span`.
//!
//! stdout is kept for what a command prints on purpose (tables, JSON, the one-time root key
//! banner), so a script can capture it without log lines mixed in. No secret is ever passed to
//! `tracing`: the core's secret types print redacted, and nothing here formats request bodies.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Calling it twice (tests building several applications in one
/// process) keeps the first one and is not an error.
pub fn init(filter: &str, format: LogFormat) -> anyhow::Result<()> {
    let filter = parse_filter(filter)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _already_installed = match format {
        LogFormat::Text => builder
            // Colour codes only for a person at a terminal; tests and log shippers read plain text.
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    Ok(())
}

/// The levels a bare directive may name.
const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// Parses a filter directive string. (The parser's error repeats itself as its own source, so
/// only its message is kept.)
///
/// Stricter than `EnvFilter`: a directive without `=` must be a level. `EnvFilter` would read a
/// bare word as a target at TRACE, so `--log json` (meant as a format) would silently log
/// nothing of keyward's; here it is an error naming `--log-format`. A target is written with its
/// level: `keyward=debug`.
pub fn parse_filter(filter: &str) -> anyhow::Result<EnvFilter> {
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let bare = !directive.contains('=') && !directive.contains('[');
        if bare && !LEVELS.contains(&directive.to_ascii_lowercase().as_str()) {
            anyhow::bail!(
                "invalid log filter `{filter}`: `{directive}` is not a level (trace, debug, info, \
                 warn, error, off); name a target with its level, e.g. `keyward=debug` (the \
                 format of log lines is --log-format text|json)"
            );
        }
    }
    EnvFilter::try_new(filter).map_err(|e| anyhow::anyhow!("invalid log filter `{filter}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_word_that_is_no_level_is_refused() {
        for good in [
            "info",
            "DEBUG",
            "keyward=debug,tower_http=info",
            "warn,sqlx=off",
            "",
        ] {
            assert!(parse_filter(good).is_ok(), "{good}");
        }
        for bad in ["json", "info,json", "keyward=loud"] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
        let error = parse_filter("json")
            .expect_err("json is a format")
            .to_string();
        assert!(error.contains("--log-format"), "{error}");
    }
}
