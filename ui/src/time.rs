//! Times as a festival's people read them: in the festival's time zone,
//! with festival days that change at 06:00.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use lineup_schemas::rules::{festival_day, DAY_CHANGE};

/// "21:30"
pub fn clock(time: Timestamp, zone: &TimeZone) -> String {
    zone.to_datetime(time).strftime("%H:%M").to_string()
}

/// "Sat 21:30"
pub fn day_and_clock(time: Timestamp, zone: &TimeZone) -> String {
    zone.to_datetime(time).strftime("%a %H:%M").to_string()
}

/// "21:30–23:00"
pub fn span(start: Timestamp, end: Timestamp, zone: &TimeZone) -> String {
    format!("{}–{}", clock(start, zone), clock(end, zone))
}

/// "Saturday 12 July"
pub fn day_name(day: Date) -> String {
    day.strftime("%A %-d %B").to_string()
}

/// The festival day a time belongs to.
pub fn day_of(time: Timestamp, zone: &TimeZone) -> Date {
    festival_day(time, zone, DAY_CHANGE)
}

/// The last festival day of something that ends at `end`: an end at 06:00
/// closes the day before.
pub fn last_day(end: Timestamp, zone: &TimeZone) -> Date {
    day_of(Timestamp::from_second(end.as_second() - 1).unwrap_or(end), zone)
}

/// When a festival day begins and ends (06:00 to 06:00 the next morning).
pub fn day_bounds(day: Date, zone: &TimeZone) -> (Timestamp, Timestamp) {
    let begins = |date: Date| {
        zone.to_timestamp(DateTime::from_parts(date, DAY_CHANGE))
            .unwrap_or(Timestamp::UNIX_EPOCH)
    };
    (begins(day), begins(day.saturating_add(1.day())))
}

/// The festival days from the day of `start` to the day of `end`.
pub fn days_between(start: Timestamp, end: Timestamp, zone: &TimeZone) -> Vec<Date> {
    let (first, last) = (day_of(start, zone), day_of(end, zone));
    let mut days = vec![first];
    while let Some(&day) = days.last() {
        if day >= last || days.len() > 60 {
            break;
        }
        days.push(day.saturating_add(1.day()));
    }
    days
}

/// The browser's clock.
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// A local date and time as an `<input type="datetime-local">` shows it.
pub fn to_input(time: Timestamp, zone: &TimeZone) -> String {
    zone.to_datetime(time).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// What an `<input type="datetime-local">` holds, in the festival's zone.
pub fn from_input(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    let local: DateTime = text.parse().ok()?;
    zone.to_timestamp(local).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").expect("the bundled tz database has Berlin")
    }

    #[test]
    fn a_set_after_midnight_belongs_to_the_night_before() {
        let late = from_input("2026-07-12T01:30", &berlin()).expect("a time");
        assert_eq!(day_of(late, &berlin()).to_string(), "2026-07-11");
        assert_eq!(clock(late, &berlin()), "01:30");
    }

    #[test]
    fn an_input_round_trips_in_the_festival_zone() {
        let time = from_input("2026-07-11T21:30", &berlin()).expect("a time");
        assert_eq!(to_input(time, &berlin()), "2026-07-11T21:30");
        assert_eq!(time.to_string(), "2026-07-11T19:30:00Z");
        assert_eq!(from_input("tomorrow", &berlin()), None);
    }

    #[test]
    fn a_festival_day_runs_from_six_to_six() {
        let day: Date = "2026-07-11".parse().expect("a date");
        let (start, end) = day_bounds(day, &berlin());
        assert_eq!(clock(start, &berlin()), "06:00");
        assert_eq!((end - start).as_hours(), 24);
        assert_eq!(last_day(end, &berlin()), day);
        let festival = days_between(
            start,
            from_input("2026-07-13T03:00", &berlin()).expect("a time"),
            &berlin(),
        );
        assert_eq!(festival.len(), 2);
    }
}
