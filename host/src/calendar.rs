//! Business days: when a node hands a parcel to its carrier and when the parcel arrives.
//!
//! Carriers neither pick up nor deliver on weekends or the network's holidays. A node ships the
//! same day if the order reaches it on a business day before its local pickup cutoff, otherwise
//! on the next business day; transit is counted in business days after the ship date.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::model::PickupCutoff;

/// Weekends plus a set of holidays.
#[derive(Clone, Copy, Debug)]
pub struct Calendar<'a> {
    holidays: &'a BTreeSet<NaiveDate>,
}

impl<'a> Calendar<'a> {
    pub fn new(holidays: &'a BTreeSet<NaiveDate>) -> Calendar<'a> {
        Calendar { holidays }
    }

    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&date)
    }

    /// The first business day on or after `date`.
    pub fn on_or_after(&self, date: NaiveDate) -> NaiveDate {
        let mut day = date;
        while !self.is_business_day(day) {
            day = next_day(day);
        }
        day
    }

    /// The date `days` business days after `date`; `date` itself when `days` is 0.
    pub fn add_business_days(&self, date: NaiveDate, days: u32) -> NaiveDate {
        let mut day = date;
        for _ in 0..days {
            day = self.on_or_after(next_day(day));
        }
        day
    }

    /// How many business days fall after `from` and on or before `to`: the most transit days a
    /// parcel shipped on `from` may take to arrive by `to`. Negative when `to` is before `from`.
    pub fn business_days_between(&self, from: NaiveDate, to: NaiveDate) -> i32 {
        if to < from {
            return -1;
        }
        let mut count = 0;
        let mut day = from;
        while day < to {
            day = next_day(day);
            if self.is_business_day(day) {
                count += 1;
            }
        }
        count
    }

    /// The day a node ships an order placed at `placed_at`: today if that is a business day in
    /// the node's time zone and the cutoff has not passed, else the next business day; then
    /// `handling_days` more business days.
    pub fn ship_date(
        &self,
        placed_at: DateTime<Utc>,
        time_zone: Tz,
        cutoff: PickupCutoff,
        handling_days: u8,
    ) -> NaiveDate {
        let local = placed_at.with_timezone(&time_zone).naive_local();
        self.ship_date_local(local, cutoff, handling_days)
    }

    /// [`Calendar::ship_date`] for an order placed at `local`, the node's local time.
    pub fn ship_date_local(
        &self,
        local: NaiveDateTime,
        cutoff: PickupCutoff,
        handling_days: u8,
    ) -> NaiveDate {
        let today = local.date();
        let first = if self.is_business_day(today) && local.time() < cutoff.0 {
            today
        } else {
            self.on_or_after(next_day(today))
        };
        self.add_business_days(first, handling_days as u32)
    }
}

fn next_day(date: NaiveDate) -> NaiveDate {
    date.checked_add_days(Days::new(1)).unwrap_or(date)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};

    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let holidays = BTreeSet::from([date("2026-12-25")]);
        let calendar = Calendar::new(&holidays);
        // Thursday 2026-12-24 plus one business day skips Christmas and the weekend.
        assert_eq!(
            calendar.add_business_days(date("2026-12-24"), 1),
            date("2026-12-28")
        );
        assert_eq!(
            calendar.add_business_days(date("2026-12-24"), 0),
            date("2026-12-24")
        );
        assert_eq!(
            calendar.business_days_between(date("2026-12-24"), date("2026-12-28")),
            1
        );
        assert_eq!(
            calendar.business_days_between(date("2026-12-24"), date("2026-12-27")),
            0
        );
        assert_eq!(
            calendar.business_days_between(date("2026-12-24"), date("2026-12-23")),
            -1
        );
    }

    #[test]
    fn ship_date_respects_local_cutoff() {
        let holidays = BTreeSet::new();
        let calendar = Calendar::new(&holidays);
        let cutoff = PickupCutoff(NaiveTime::from_hms_opt(15, 0, 0).unwrap());
        let chicago = chrono_tz::America::Chicago;
        // Monday 2026-12-07 at 20:00 UTC is 14:00 in Chicago: before the cutoff.
        let before = Utc.with_ymd_and_hms(2026, 12, 7, 20, 0, 0).unwrap();
        assert_eq!(
            calendar.ship_date(before, chicago, cutoff, 0),
            date("2026-12-07")
        );
        // At 22:00 UTC it is 16:00 in Chicago: the parcel leaves on Tuesday.
        let after = Utc.with_ymd_and_hms(2026, 12, 7, 22, 0, 0).unwrap();
        assert_eq!(
            calendar.ship_date(after, chicago, cutoff, 0),
            date("2026-12-08")
        );
        // A day of handling moves it one more business day; Friday's order ships on Monday.
        assert_eq!(
            calendar.ship_date(after, chicago, cutoff, 1),
            date("2026-12-09")
        );
        let friday = Utc.with_ymd_and_hms(2026, 12, 11, 22, 0, 0).unwrap();
        assert_eq!(
            calendar.ship_date(friday, chicago, cutoff, 0),
            date("2026-12-14")
        );
    }
}
