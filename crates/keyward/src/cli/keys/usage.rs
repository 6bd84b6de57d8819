//! Usage-control flags of `keyward keys`: `--rate-limit requests=100/1m`, `--quota daily=10000/day`,
//! `--credits 5000`, and `keyward keys credits add|set ID AMOUNT`.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use crate::config::parse_duration;

/// The usage flags `create` and `update` share.
#[derive(Debug, Args)]
pub(super) struct UsageFields {
    /// Rate limit `NAME=LIMIT/PERIOD[/BURST]` (repeatable), e.g. requests=100/1m.
    #[arg(long = "rate-limit", value_name = "NAME=LIMIT/PERIOD", value_parser = parse_rate_limit)]
    rate_limits: Vec<Value>,
    /// Quota `NAME=LIMIT/day|week|month` (repeatable), e.g. daily=10000/day.
    #[arg(long = "quota", value_name = "NAME=LIMIT/PER", value_parser = parse_quota)]
    quotas: Vec<Value>,
    /// A credit balance: each admitted request spends its cost.
    #[arg(long, value_name = "N")]
    credits: Option<u64>,
    /// Credits refill `AMOUNT/day|week|month[/add]` (with --credits; default mode set).
    #[arg(long, value_name = "AMOUNT/EVERY", value_parser = parse_refill, requires = "credits")]
    refill: Option<Value>,
}

impl UsageFields {
    pub(super) fn add_to(self, body: &mut Map<String, Value>) {
        if !self.rate_limits.is_empty() {
            body.insert("rate_limits".into(), Value::Array(self.rate_limits));
        }
        if !self.quotas.is_empty() {
            body.insert("quotas".into(), Value::Array(self.quotas));
        }
        if let Some(remaining) = self.credits {
            let mut credits = json!({"remaining": remaining});
            if let Some(refill) = self.refill {
                credits["refill"] = refill;
            }
            body.insert("credits".into(), credits);
        }
    }
}

/// `keyward keys credits …`.
#[derive(Debug, Subcommand)]
pub(super) enum CreditsAction {
    /// Add to a key's balance.
    Add { id: String, amount: u64 },
    /// Set a key's balance (gives a key without one a balance).
    Set { id: String, amount: u64 },
}

impl CreditsAction {
    pub(super) fn request(self) -> (String, Value) {
        match self {
            CreditsAction::Add { id, amount } => (id, json!({"op": "add", "amount": amount})),
            CreditsAction::Set { id, amount } => (id, json!({"op": "set", "amount": amount})),
        }
    }
}

fn split_name(text: &str) -> anyhow::Result<(&str, &str)> {
    text.split_once('=')
        .filter(|(name, _)| !name.is_empty())
        .context("expected NAME=…")
}

fn parse_rate_limit(text: &str) -> anyhow::Result<Value> {
    let (name, rest) = split_name(text)?;
    let mut parts = rest.split('/');
    let limit: u64 = parts
        .next()
        .unwrap_or_default()
        .parse()
        .context("LIMIT must be a whole number")?;
    let period = parts
        .next()
        .context("expected NAME=LIMIT/PERIOD, e.g. requests=100/1m")?;
    parse_duration(period).map_err(anyhow::Error::msg)?;
    let mut value = json!({"name": name, "limit": limit, "period": period});
    if let Some(burst) = parts.next() {
        value["burst"] = json!(burst
            .parse::<u64>()
            .context("BURST must be a whole number")?);
    }
    if parts.next().is_some() {
        bail!("expected NAME=LIMIT/PERIOD[/BURST]");
    }
    Ok(value)
}

fn parse_quota(text: &str) -> anyhow::Result<Value> {
    let (name, rest) = split_name(text)?;
    let (limit, per) = rest
        .split_once('/')
        .context("expected NAME=LIMIT/day|week|month")?;
    let limit: u64 = limit.parse().context("LIMIT must be a whole number")?;
    if !matches!(per, "day" | "week" | "month") {
        bail!("the period must be day, week or month");
    }
    Ok(json!({"name": name, "limit": limit, "per": per}))
}

fn parse_refill(text: &str) -> anyhow::Result<Value> {
    let mut parts = text.split('/');
    let amount: u64 = parts
        .next()
        .unwrap_or_default()
        .parse()
        .context("AMOUNT must be a whole number")?;
    let every = parts.next().context("expected AMOUNT/day|week|month")?;
    if !matches!(every, "day" | "week" | "month") {
        bail!("the refill period must be day, week or month");
    }
    let mode = parts.next().unwrap_or("set");
    if !matches!(mode, "set" | "add") {
        bail!("the refill mode must be set or add");
    }
    Ok(json!({"amount": amount, "every": every, "mode": mode}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_the_api_fields() {
        assert_eq!(
            parse_rate_limit("requests=100/1m").expect("valid"),
            json!({"name": "requests", "limit": 100, "period": "1m"})
        );
        assert_eq!(
            parse_rate_limit("r=5/1s/10").expect("valid")["burst"],
            json!(10)
        );
        assert_eq!(
            parse_quota("daily=10000/day").expect("valid"),
            json!({"name": "daily", "limit": 10000, "per": "day"})
        );
        assert_eq!(
            parse_refill("50/month/add").expect("valid"),
            json!({"amount": 50, "every": "month", "mode": "add"})
        );
        for bad in ["requests", "=1/1m", "r=x/1m", "r=1", "r=1/forever"] {
            assert!(parse_rate_limit(bad).is_err(), "{bad}");
        }
        assert!(parse_quota("q=1/year").is_err());
        assert!(parse_refill("1/day/double").is_err());
    }
}
