//! iCalendar exports, read back with the `icalendar` crate's parser.

use std::collections::BTreeSet;

use icalendar::{Calendar, CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike};
use lineup_schemas::formats::{exchange_guid, import_schedule_xml, personal_ical, programme_ical};
use lineup_schemas::model::{Programme, SlotStatus};

use crate::test_utils::*;

fn lakeside() -> Programme {
    let empty = empty_festival();
    applied(
        empty.clone(),
        &import_schedule_xml(&fixture("pretalx-style/schedule.xml"), &empty).unwrap(),
    )
}

fn events(text: &str) -> Vec<icalendar::Event> {
    let calendar: Calendar = text.parse().unwrap();
    calendar
        .components
        .into_iter()
        .filter_map(|component| match component {
            CalendarComponent::Event(event) => Some(event),
            _ => None,
        })
        .collect()
}

fn utc_seconds(time: Option<DatePerhapsTime>) -> i64 {
    match time {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(time))) => time.timestamp(),
        other => panic!("not a UTC time: {other:?}"),
    }
}

#[test]
fn the_programme_calendar_has_one_event_per_slot_at_its_utc_times() {
    let programme = lakeside();
    let text = programme_ical(&programme, utc("2026-06-01T12:00:00Z"));
    let events = events(&text);
    assert_eq!(events.len(), programme.slots.len());

    let drift = events
        .iter()
        .find(|event| event.get_summary() == Some("Midnight Drift"))
        .unwrap();
    assert_eq!(
        utc_seconds(drift.get_start()),
        utc("2026-07-03T21:30:00Z").as_second()
    );
    assert_eq!(
        utc_seconds(drift.get_end()),
        utc("2026-07-03T23:30:00Z").as_second()
    );
    assert_eq!(drift.get_uid(), Some("a0e1f2d3-c4b5-5a69-8106-000000000106"));
    assert_eq!(drift.get_location(), Some("Main Stage"));
    assert_eq!(
        drift.get_description(),
        Some("DJ Kollektiv Süd, Mira Vogel\n\nFrom the last light of Friday into Saturday.")
    );
    let talk = events
        .iter()
        .find(|event| event.get_uid() == Some("a0e1f2d3-c4b5-5a69-8104-000000000104"))
        .unwrap();
    assert_eq!(
        talk.get_summary(),
        Some("Talk: Ümlauts, commas; and semicolons"),
        "escaped and read back"
    );

    let calendar: Calendar = text.parse().unwrap();
    assert_eq!(calendar.get_name(), Some("Lakeside Open Air 2026"));
    assert_eq!(calendar.get_timezone(), Some("Europe/Berlin"));
}

#[test]
fn a_cancelled_slot_stays_in_the_calendar_as_cancelled() {
    let mut programme = lakeside();
    programme.slots[0].value.status = SlotStatus::Cancelled;
    let uid = exchange_guid(&programme.slots[0].id, &programme.slots[0].guid);
    let events = events(&programme_ical(&programme, utc("2026-06-01T12:00:00Z")));
    assert_eq!(events.len(), programme.slots.len());
    let cancelled: Vec<_> = events
        .iter()
        .filter(|event| event.get_status() == Some(icalendar::EventStatus::Cancelled))
        .map(|event| event.get_uid().unwrap().to_owned())
        .collect();
    assert_eq!(cancelled, [uid]);
}

#[test]
fn every_export_gives_a_slot_the_same_uid_so_calendars_update_it() {
    let programme = awkward_festival();
    let uids = |stamp: &str| -> BTreeSet<String> {
        events(&programme_ical(&programme, utc(stamp)))
            .iter()
            .map(|event| event.get_uid().unwrap().to_owned())
            .collect()
    };
    let first = uids("2026-06-01T12:00:00Z");
    assert_eq!(first.len(), programme.slots.len());
    assert_eq!(first, uids("2026-06-20T08:00:00Z"));
    let expected: BTreeSet<String> = programme
        .slots
        .iter()
        .map(|slot| exchange_guid(&slot.id, &slot.guid))
        .collect();
    assert_eq!(first, expected);
}

#[test]
fn a_later_export_has_a_higher_sequence() {
    let programme = lakeside();
    let sequence = |stamp: &str| -> i64 {
        let events = events(&programme_ical(&programme, utc(stamp)));
        events[0].property_value("SEQUENCE").unwrap().parse().unwrap()
    };
    assert!(sequence("2026-06-20T08:00:00Z") > sequence("2026-06-01T12:00:00Z"));
}

#[test]
fn the_personal_calendar_holds_the_favourite_slots_and_the_shifts_at_their_areas() {
    let programme = lakeside();
    let favourites: BTreeSet<_> = programme
        .slots
        .iter()
        .filter(|slot| ["Midnight Drift", "Zine making"].contains(&slot.title.as_str()))
        .map(|slot| slot.id)
        .collect();
    let shifts = [shift(&programme, "Bar", "2026-07-03T14:00", "2026-07-03T18:00")];
    let text = personal_ical(&programme, &favourites, &shifts, utc("2026-06-01T12:00:00Z"));
    let events = events(&text);
    let summaries: Vec<_> = events.iter().map(|event| event.get_summary().unwrap()).collect();
    assert_eq!(
        summaries,
        ["Shift: Bar", "Midnight Drift", "Zine making"],
        "in order of start"
    );
    let bar = &events[0];
    assert_eq!(bar.get_location(), Some(programme.areas[0].name.as_str()));
    assert_eq!(
        utc_seconds(bar.get_start()),
        utc("2026-07-03T12:00:00Z").as_second()
    );
    assert_eq!(
        bar.get_uid(),
        Some(lineup_schemas::formats::derived_guid(&shifts[0].id).as_str())
    );
}

#[test]
fn calendar_lines_end_in_crlf_and_fold_within_75_octets() {
    let text = programme_ical(&awkward_festival(), utc("2026-06-01T12:00:00Z"));
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'), "no bare line feed");
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert!(lines.iter().all(|line| line.len() <= 75), "a line over 75 octets");
    assert!(
        lines.iter().any(|line| line.starts_with(' ')),
        "the long title is folded"
    );
    let events = events(&text);
    let long = events
        .iter()
        .find(|event| {
            event
                .get_summary()
                .is_some_and(|summary| summary.starts_with("Long title"))
        })
        .unwrap();
    assert_eq!(
        long.get_summary(),
        Some("Long title ".repeat(20).as_str()),
        "unfolded whole"
    );
    let morning = events
        .iter()
        .find(|event| event.get_summary() == Some("Morning; songs, & more"))
        .unwrap();
    assert_eq!(
        morning.get_description(),
        Some("Ümit & Ögge, Code Person\n\nLine one;\nline two, with <markup> & \"quotes\"")
    );
}
