//! Medians over rounds and the printed tables.

use std::fmt::Write as _;

use super::wrk::Outcome;

/// One measured run.
#[derive(Debug, Clone)]
pub struct Sample {
    pub outcome: Outcome,
    pub peak_rss: Option<u64>,
}

/// The middle value (the mean of the two middle ones for an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Medians of a server's runs of one scenario.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub peak_rss: Option<f64>,
}

pub fn summarize(samples: &[Sample]) -> Summary {
    let rss: Vec<f64> = samples
        .iter()
        .filter_map(|s| s.peak_rss.map(|b| b as f64))
        .collect();
    Summary {
        per_second: median(samples.iter().map(|s| s.outcome.per_second()).collect()),
        p50_us: median(samples.iter().map(|s| s.outcome.p50_us as f64).collect()),
        p99_us: median(samples.iter().map(|s| s.outcome.p99_us as f64).collect()),
        peak_rss: (!rss.is_empty()).then(|| median(rss)),
    }
}

/// Median of per-round ratios `a[i] / b[i]` (paired A/B runs of the same round).
pub fn paired_ratio(a: &[Sample], b: &[Sample]) -> f64 {
    median(
        a.iter()
            .zip(b)
            .map(|(a, b)| a.outcome.per_second() / b.outcome.per_second())
            .collect(),
    )
}

pub fn rate(per_second: f64) -> String {
    if per_second >= 100.0 {
        format!("{per_second:.0}/s")
    } else {
        format!("{per_second:.1}/s")
    }
}

pub fn latency(us: f64) -> String {
    if us >= 1_000_000.0 {
        format!("{:.2} s", us / 1e6)
    } else if us >= 1_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{us:.0} µs")
    }
}

pub fn megabytes(bytes: Option<f64>) -> String {
    bytes.map_or_else(|| "?".to_owned(), |b| format!("{:.0} MB", b / 1e6))
}

/// A markdown table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        header.iter().map(|_| "---|").collect::<String>()
    );
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out
}
