//! Calendar windows in UTC: a day starts at 00:00, a week on Monday 00:00, a month on its 1st.

use time::{Date, Duration, Month, OffsetDateTime, Time};

use crate::model::wire_enum;

wire_enum!(
    /// A calendar period: what a quota counts over and how often credits refill.
    Calendar, "per" { Day => "day", Week => "week", Month => "month" }
);

impl Calendar {
    /// The start of the window holding `at`.
    pub fn start_of(self, at: OffsetDateTime) -> OffsetDateTime {
        let at = at.to_offset(time::UtcOffset::UTC);
        let date = at.date();
        let start = match self {
            Calendar::Day => date,
            Calendar::Week => {
                date - Duration::days(i64::from(date.weekday().number_days_from_monday()))
            }
            Calendar::Month => Date::from_calendar_date(date.year(), date.month(), 1)
                .expect("the 1st exists in every month"),
        };
        start.with_time(Time::MIDNIGHT).assume_utc()
    }

    /// The start of the window after the one holding `at`.
    pub fn end_of(self, at: OffsetDateTime) -> OffsetDateTime {
        let start = self.start_of(at);
        match self {
            Calendar::Day => start + Duration::days(1),
            Calendar::Week => start + Duration::days(7),
            Calendar::Month => {
                let date = start.date();
                let (year, month) = match date.month() {
                    Month::December => (date.year() + 1, Month::January),
                    month => (date.year(), month.next()),
                };
                Date::from_calendar_date(year, month, 1)
                    .expect("the 1st exists in every month")
                    .with_time(Time::MIDNIGHT)
                    .assume_utc()
            }
        }
    }

    /// How many window starts lie in `(from, to]`: the refills due between two times.
    pub fn boundaries_between(self, from: OffsetDateTime, to: OffsetDateTime) -> u64 {
        let mut count = 0;
        let mut next = self.end_of(from);
        while next <= to && count < 1_000 {
            count += 1;
            next = self.end_of(next);
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn windows_start_at_utc_midnight_monday_and_the_first() {
        let at = datetime!(2026-12-09 15:30 UTC); // a Wednesday
        assert_eq!(Calendar::Day.start_of(at), datetime!(2026-12-09 00:00 UTC));
        assert_eq!(Calendar::Week.start_of(at), datetime!(2026-12-07 00:00 UTC));
        assert_eq!(
            Calendar::Month.start_of(at),
            datetime!(2026-12-01 00:00 UTC)
        );
        assert_eq!(Calendar::Month.end_of(at), datetime!(2027-01-01 00:00 UTC));
        assert_eq!(Calendar::Week.end_of(at), datetime!(2026-12-14 00:00 UTC));
        let offset = datetime!(2026-12-09 01:00 +03:00);
        assert_eq!(
            Calendar::Day.start_of(offset),
            datetime!(2026-12-08 00:00 UTC)
        );
    }

    #[test]
    fn boundaries_count_the_refills_due() {
        let from = datetime!(2026-01-31 23:00 UTC);
        assert_eq!(Calendar::Day.boundaries_between(from, from), 0);
        assert_eq!(
            Calendar::Day.boundaries_between(from, datetime!(2026-02-01 00:00 UTC)),
            1
        );
        assert_eq!(
            Calendar::Month.boundaries_between(from, datetime!(2026-04-01 00:00:01 UTC)),
            3
        );
    }
}
