//! Usage reports: a key's metered verifications (`usage::meter`) as a series of UTC hours or
//! days, every bucket of the range present. Who may read them is who may read the key.

use time::{Duration, OffsetDateTime};

use super::Keyward;
use crate::auth::Caller;
use crate::error::{CoreResult, ValidationError};
use crate::ids::KeyId;
use crate::usage::meter::hour_start;
use crate::usage::UsageCount;

/// Most buckets one hourly report holds: 31 days.
pub const MAX_HOURLY_BUCKETS: i64 = 744;
/// Most buckets one daily report holds: a little over a year.
pub const MAX_DAILY_BUCKETS: i64 = 400;

/// How wide a report's buckets are. Both are aligned to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Granularity {
    #[default]
    Hour,
    Day,
}

impl Granularity {
    pub const ALL: &'static [Granularity] = &[Granularity::Hour, Granularity::Day];

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
        }
    }

    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .iter()
            .copied()
            .find(|g| g.as_str() == text)
            .ok_or_else(|| ValidationError::new("granularity", "must be `hour` or `day`"))
    }

    fn width(self) -> Duration {
        match self {
            Granularity::Hour => Duration::HOUR,
            Granularity::Day => Duration::DAY,
        }
    }

    /// How far back a report reaches when it names no `from`.
    fn default_span(self) -> Duration {
        match self {
            Granularity::Hour => Duration::HOUR * 24,
            Granularity::Day => Duration::DAY * 30,
        }
    }

    fn max_buckets(self) -> i64 {
        match self {
            Granularity::Hour => MAX_HOURLY_BUCKETS,
            Granularity::Day => MAX_DAILY_BUCKETS,
        }
    }

    /// The start of the bucket holding `at`.
    fn floor(self, at: OffsetDateTime) -> OffsetDateTime {
        let hour = hour_start(at);
        match self {
            Granularity::Hour => hour,
            Granularity::Day => hour.replace_time(time::Time::MIDNIGHT),
        }
    }
}

/// One bucket of a usage report: the verifications of the key in `[start, start + width)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageBucket {
    pub start: OffsetDateTime,
    pub valid: u64,
    pub rate_limited: u64,
    pub usage_exceeded: u64,
    pub refused: u64,
}

impl UsageBucket {
    fn empty(start: OffsetDateTime) -> Self {
        Self {
            start,
            valid: 0,
            rate_limited: 0,
            usage_exceeded: 0,
            refused: 0,
        }
    }

    fn add(&mut self, count: &UsageCount) {
        self.valid = self.valid.saturating_add(count.valid);
        self.rate_limited = self.rate_limited.saturating_add(count.rate_limited);
        self.usage_exceeded = self.usage_exceeded.saturating_add(count.usage_exceeded);
        self.refused = self.refused.saturating_add(count.refused);
    }
}

/// What a usage report asks for; absent times take the defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsageRange {
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub granularity: Granularity,
}

impl UsageRange {
    /// The first bucket's start and the end of the last bucket: every bucket that overlaps
    /// `[from, to)`, where `to` defaults to `now` and `from` to `to` minus a day (hourly) or 30
    /// days (daily). Refuses an empty range and one of more buckets than a report holds.
    fn buckets(
        &self,
        now: OffsetDateTime,
    ) -> Result<(OffsetDateTime, OffsetDateTime), ValidationError> {
        let granularity = self.granularity;
        let out_of_range = |field: &'static str| {
            ValidationError::new(field, "is too far in the past or the future")
        };
        let to = self.to.unwrap_or(now);
        let from = match self.from {
            Some(from) => from,
            None => to
                .checked_sub(granularity.default_span())
                .ok_or_else(|| out_of_range("to"))?,
        };
        if from >= to {
            return Err(ValidationError::new("from", "must be before `to`"));
        }
        let first = granularity.floor(from);
        let last = granularity.floor(to);
        let end = if last == to {
            last
        } else {
            last.checked_add(granularity.width())
                .ok_or_else(|| out_of_range("to"))?
        };
        let buckets = (end - first).whole_seconds() / granularity.width().whole_seconds();
        if buckets > granularity.max_buckets() {
            return Err(ValidationError::new(
                "from",
                format!(
                    "the range holds {buckets} {}s; at most {} fit in one report (narrow `from`..`to`)",
                    granularity.as_str(),
                    granularity.max_buckets()
                ),
            ));
        }
        Ok((first, end))
    }
}

impl Keyward {
    /// The usage of key `id` over `range`, one bucket per UTC hour or day, oldest first, every
    /// bucket present (zero when the key was not used). Counts reach the store about a second
    /// after the verifications (write-behind). The caller must be able to read the key.
    pub async fn key_usage(
        &self,
        caller: &Caller,
        id: KeyId,
        range: UsageRange,
    ) -> CoreResult<Vec<UsageBucket>> {
        let key = self.get_key(caller, id).await?;
        let (first, end) = range.buckets(self.clock.now())?;
        let rows = self.store.key_usage(key.id, first, end).await?;
        let width = range.granularity.width();
        let mut series = Vec::new();
        let mut start = first;
        while start < end {
            series.push(UsageBucket::empty(start));
            start += width;
        }
        let seconds = width.whole_seconds();
        for row in &rows {
            let index = (row.hour_start - first).whole_seconds().div_euclid(seconds);
            if let Some(bucket) = usize::try_from(index).ok().and_then(|i| series.get_mut(i)) {
                bucket.add(row);
            }
        }
        Ok(series)
    }
}

impl Keyward {
    /// Deletes the usage rows older than `retention` (hours that started before now minus it);
    /// answers how many. The node runs it about once an hour.
    pub async fn prune_usage(&self, retention: std::time::Duration) -> CoreResult<u64> {
        let retention = Duration::try_from(retention).unwrap_or(Duration::MAX);
        let Some(before) = self.clock.now().checked_sub(retention) else {
            return Ok(0);
        };
        Ok(self.store.prune_usage(before).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-04 05:06:07 UTC);

    fn range(
        from: Option<OffsetDateTime>,
        to: Option<OffsetDateTime>,
        granularity: Granularity,
    ) -> UsageRange {
        UsageRange {
            from,
            to,
            granularity,
        }
    }

    #[test]
    fn defaults_reach_back_a_day_of_hours_or_a_month_of_days() {
        let (first, end) = range(None, None, Granularity::Hour)
            .buckets(NOW)
            .expect("valid");
        assert_eq!(first, datetime!(2026-03-03 05:00 UTC));
        assert_eq!(end, datetime!(2026-03-04 06:00 UTC));
        let (first, end) = range(None, None, Granularity::Day)
            .buckets(NOW)
            .expect("valid");
        assert_eq!(first, datetime!(2026-02-02 00:00 UTC));
        assert_eq!(end, datetime!(2026-03-05 00:00 UTC));
    }

    #[test]
    fn aligned_bounds_add_no_bucket() {
        let from = datetime!(2026-03-01 00:00 UTC);
        let to = datetime!(2026-03-02 00:00 UTC);
        let (first, end) = range(Some(from), Some(to), Granularity::Hour)
            .buckets(NOW)
            .expect("valid");
        assert_eq!((first, end), (from, to));
        let (first, end) = range(Some(from), Some(to), Granularity::Day)
            .buckets(NOW)
            .expect("valid");
        assert_eq!((first, end), (from, to));
    }

    #[test]
    fn empty_reversed_and_oversized_ranges_are_refused() {
        let at = datetime!(2026-03-01 00:00 UTC);
        for (from, to) in [(at, at), (at + Duration::HOUR, at)] {
            let error = range(Some(from), Some(to), Granularity::Hour)
                .buckets(NOW)
                .expect_err("empty");
            assert_eq!(error.field, "from");
        }
        assert!(
            range(Some(at), Some(at + Duration::HOUR * 744), Granularity::Hour)
                .buckets(NOW)
                .is_ok()
        );
        assert!(
            range(Some(at), Some(at + Duration::HOUR * 745), Granularity::Hour)
                .buckets(NOW)
                .is_err()
        );
        assert!(
            range(Some(at), Some(at + Duration::DAY * 400), Granularity::Day)
                .buckets(NOW)
                .is_ok()
        );
        assert!(
            range(Some(at), Some(at + Duration::DAY * 401), Granularity::Day)
                .buckets(NOW)
                .is_err()
        );
        let edge = datetime!(9999-12-31 23:30 UTC);
        assert!(
            range(Some(edge - Duration::HOUR), Some(edge), Granularity::Hour)
                .buckets(NOW)
                .is_err()
        );
    }

    #[test]
    fn granularity_words() {
        assert_eq!(Granularity::parse("hour"), Ok(Granularity::Hour));
        assert_eq!(Granularity::parse("day"), Ok(Granularity::Day));
        assert!(Granularity::parse("Hour").is_err());
        assert!(Granularity::parse("minute").is_err());
    }
}
