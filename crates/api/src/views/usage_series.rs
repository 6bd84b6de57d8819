//! A key's usage, as `/v1/keys/{id}/usage` answers it.

use keyward_core::service::UsageBucket;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A key's verifications over a range, one entry per UTC hour or day, oldest first; every bucket
/// of the range is present.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageSeriesView {
    pub series: Vec<UsageBucketView>,
}

/// The verifications of one bucket, by outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageBucketView {
    /// The bucket's start: a whole UTC hour, or a UTC midnight for daily buckets.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// Verifications answered `VALID`.
    pub valid: u64,
    /// Refused `RATE_LIMITED`.
    pub rate_limited: u64,
    /// Refused `USAGE_EXCEEDED`.
    pub usage_exceeded: u64,
    /// Every other refusal of this key (disabled, expired, address, subscription, scope).
    pub refused: u64,
}

impl From<Vec<UsageBucket>> for UsageSeriesView {
    fn from(series: Vec<UsageBucket>) -> Self {
        Self {
            series: series
                .into_iter()
                .map(|b| UsageBucketView {
                    start: super::utc(b.start),
                    valid: b.valid,
                    rate_limited: b.rate_limited,
                    usage_exceeded: b.usage_exceeded,
                    refused: b.refused,
                })
                .collect(),
        }
    }
}
