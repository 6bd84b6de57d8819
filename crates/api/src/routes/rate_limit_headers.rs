//! The IETF RateLimit header fields (`RateLimit-Limit`, `RateLimit-Remaining`,
//! `RateLimit-Reset`, draft-ietf-httpapi-ratelimit-headers), `Retry-After` on a refusal, and
//! `X-Keyward-Credits-Remaining`, from a verification's usage report. The fields describe the
//! tightest limit: the one that refused, else the one with the least left.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use keyward_core::verify::{Reason, UsageReport};
use time::OffsetDateTime;

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const CREDITS: HeaderName = HeaderName::from_static("x-keyward-credits-remaining");

/// Adds the fields for `usage` at `now`; `refused` adds `Retry-After` (whole seconds, rounded up).
pub(crate) fn add(
    headers: &mut HeaderMap,
    usage: &UsageReport,
    now: OffsetDateTime,
    refused: Option<Reason>,
) {
    if let Some(tightest) = usage.tightest() {
        let reset = seconds_until(tightest.reset_at, now);
        headers.insert(LIMIT, HeaderValue::from(tightest.limit));
        headers.insert(REMAINING, HeaderValue::from(tightest.remaining));
        headers.insert(RESET, HeaderValue::from(reset));
    }
    if let Some(credits) = usage.credits {
        headers.insert(CREDITS, HeaderValue::from(credits.remaining));
    }
    if refused.is_some() {
        if let Some(wait) = usage.retry_after(now) {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
    }
}

fn seconds_until(at: OffsetDateTime, now: OffsetDateTime) -> u64 {
    let nanos = (at - now).whole_nanoseconds().max(0);
    u64::try_from((nanos + 999_999_999) / 1_000_000_000).unwrap_or(u64::MAX)
}
