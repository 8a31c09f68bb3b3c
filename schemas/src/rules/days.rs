//! Which festival day a time is shown on.

use jiff::civil::{self, Date};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// When a festival day begins, local time: until 06:00 the night still
/// belongs to the day before.
pub const DAY_CHANGE: civil::Time = civil::time(6, 0, 0, 0);

/// The festival day `time` belongs to, in the festival's `zone`: its local
/// date, or the date before when its local time is before `day_change`. A
/// set at 01:00 on Saturday is on Friday's programme, and a slot listed by
/// its start is on the day it starts, however far past midnight it runs.
pub fn festival_day(time: Timestamp, zone: &TimeZone, day_change: civil::Time) -> Date {
    let local = zone.to_datetime(time);
    if local.time() < day_change {
        // The earliest date there is has no day before; it is no festival's.
        local.date().yesterday().unwrap_or(local.date())
    } else {
        local.date()
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::rules::test_utils::*;

    #[test]
    fn a_time_before_the_day_change_belongs_to_the_day_before() {
        let zone = berlin_zone();
        assert_eq!(
            festival_day(berlin("2026-07-11T05:59:59"), &zone, DAY_CHANGE),
            date(2026, 7, 10)
        );
        assert_eq!(
            festival_day(berlin("2026-07-11T00:00"), &zone, DAY_CHANGE),
            date(2026, 7, 10)
        );
    }

    #[test]
    fn the_day_change_itself_begins_the_new_day() {
        let zone = berlin_zone();
        assert_eq!(
            festival_day(berlin("2026-07-11T06:00"), &zone, DAY_CHANGE),
            date(2026, 7, 11)
        );
        assert_eq!(
            festival_day(berlin("2026-07-10T23:59"), &zone, DAY_CHANGE),
            date(2026, 7, 10)
        );
    }

    #[test]
    fn the_day_is_the_festivals_local_day_not_the_utc_one() {
        // 23:30 UTC on the 10th is 01:30 on the 11th in Berlin; 00:30 UTC
        // on the 11th is 08:30 in Tokyo.
        let late = "2026-07-10T23:30:00Z".parse().unwrap();
        let early: Timestamp = "2026-07-11T00:30:00Z".parse().unwrap();
        let midnight = civil::time(0, 0, 0, 0);
        assert_eq!(festival_day(late, &berlin_zone(), midnight), date(2026, 7, 11));
        assert_eq!(festival_day(late, &TimeZone::UTC, midnight), date(2026, 7, 10));
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(festival_day(early, &tokyo, DAY_CHANGE), date(2026, 7, 11));
    }

    #[test]
    fn both_passes_of_the_repeated_hour_on_the_autumn_night_belong_to_the_day_before() {
        let zone = berlin_zone();
        for time in [
            berlin_earlier("2026-10-25T02:30"),
            berlin_later("2026-10-25T02:30"),
        ] {
            assert_eq!(festival_day(time, &zone, DAY_CHANGE), date(2026, 10, 24));
        }
    }
}
