//! iCalendar (RFC 5545): the whole programme, or one person's favourite
//! slots and shifts, for a phone's calendar.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use lineup_core::DocumentId;

use crate::formats::guid::{derived_guid, exchange_guid};
use crate::model::{Area, Artist, Programme, Shift, Slot, SlotStatus, Stored};

/// The longest line, in octets, without its line break.
const LINE_OCTETS: usize = 75;

/// Every slot of the programme as an event, cancelled ones with
/// `STATUS:CANCELLED`. `stamp` is the time of the export (`DTSTAMP`).
pub fn programme_ical(programme: &Programme, stamp: Timestamp) -> String {
    let mut calendar = Calendar::new(programme, &programme.festival.name);
    for slot in sorted(programme.slots.iter()) {
        calendar.slot(slot, stamp);
    }
    calendar.finish()
}

/// One person's calendar: the slots among `favourites` (cancelled ones
/// with `STATUS:CANCELLED`) and their `shifts` (`SUMMARY:Shift: <role>`, at
/// their area), in order of start. `stamp` is the time of the export
/// (`DTSTAMP`).
pub fn personal_ical(
    programme: &Programme,
    favourites: &BTreeSet<DocumentId>,
    shifts: &[Stored<Shift>],
    stamp: Timestamp,
) -> String {
    enum Entry<'a> {
        Slot(&'a Stored<Slot>),
        Shift(&'a Stored<Shift>),
    }
    let mut entries: Vec<(Timestamp, DocumentId, Entry<'_>)> = programme
        .slots
        .iter()
        .filter(|slot| favourites.contains(&slot.id))
        .map(|slot| (slot.start, slot.id, Entry::Slot(slot)))
        .chain(
            shifts
                .iter()
                .map(|shift| (shift.start, shift.id, Entry::Shift(shift))),
        )
        .collect();
    entries.sort_by_key(|(start, id, _)| (*start, *id));
    let name = format!("{} – my programme", programme.festival.name);
    let mut calendar = Calendar::new(programme, &name);
    for (_, _, entry) in entries {
        match entry {
            Entry::Slot(slot) => calendar.slot(slot, stamp),
            Entry::Shift(shift) => calendar.shift(shift, stamp),
        }
    }
    calendar.finish()
}

fn sorted<'a>(slots: impl Iterator<Item = &'a Stored<Slot>>) -> Vec<&'a Stored<Slot>> {
    let mut slots: Vec<_> = slots.collect();
    slots.sort_by_key(|slot| (slot.start, slot.id));
    slots
}

/// A calendar being written: content lines, folded, with CRLF.
struct Calendar<'a> {
    out: String,
    areas: BTreeMap<DocumentId, &'a Stored<Area>>,
    artists: BTreeMap<DocumentId, &'a Stored<Artist>>,
}

impl<'a> Calendar<'a> {
    fn new(programme: &'a Programme, name: &str) -> Self {
        let mut calendar = Self {
            out: String::new(),
            areas: programme.areas.iter().map(|area| (area.id, area)).collect(),
            artists: programme
                .artists
                .iter()
                .map(|artist| (artist.id, artist))
                .collect(),
        };
        calendar.line("BEGIN", "VCALENDAR");
        calendar.line("VERSION", "2.0");
        calendar.line(
            "PRODID",
            concat!("-//Lineup//Lineup ", env!("CARGO_PKG_VERSION"), "//EN"),
        );
        calendar.line("CALSCALE", "GREGORIAN");
        calendar.line("METHOD", "PUBLISH");
        calendar.text("X-WR-CALNAME", name);
        calendar.text("X-WR-TIMEZONE", &programme.festival.time_zone);
        calendar
    }

    fn slot(&mut self, slot: &Stored<Slot>, stamp: Timestamp) {
        let artists: Vec<&str> = slot
            .artists
            .iter()
            .filter_map(|id| self.artists.get(id))
            .map(|artist| artist.name.as_str())
            .collect();
        let summary = match (slot.title.is_empty(), artists.is_empty()) {
            (true, false) => artists.join(", "),
            _ => slot.title.clone(),
        };
        let description = [
            if artists.is_empty() {
                String::new()
            } else {
                artists.join(", ")
            },
            slot.description.clone(),
        ]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
        self.event_start(&exchange_guid(&slot.id, &slot.guid), stamp, slot.start, slot.end);
        self.text("SUMMARY", &summary);
        if let Some(area) = self.areas.get(&slot.area) {
            let name = area.name.clone();
            self.text("LOCATION", &name);
        }
        if !description.is_empty() {
            self.text("DESCRIPTION", &description);
        }
        if !slot.track.is_empty() {
            self.text("CATEGORIES", &slot.track);
        }
        let status = match slot.status {
            SlotStatus::Scheduled => "CONFIRMED",
            SlotStatus::Cancelled => "CANCELLED",
        };
        self.line("STATUS", status);
        self.line("END", "VEVENT");
    }

    fn shift(&mut self, shift: &Stored<Shift>, stamp: Timestamp) {
        self.event_start(&derived_guid(&shift.id), stamp, shift.start, shift.end);
        self.text("SUMMARY", &format!("Shift: {}", shift.role));
        if let Some(area) = self.areas.get(&shift.area) {
            let name = area.name.clone();
            self.text("LOCATION", &name);
        }
        if !shift.description.is_empty() {
            self.text("DESCRIPTION", &shift.description);
        }
        self.line("STATUS", "CONFIRMED");
        self.line("END", "VEVENT");
    }

    fn event_start(&mut self, uid: &str, stamp: Timestamp, start: Timestamp, end: Timestamp) {
        self.line("BEGIN", "VEVENT");
        self.text("UID", uid);
        self.line("DTSTAMP", &utc(stamp));
        // Calendars that import a file again take an event's new version
        // only if its sequence is higher; the minute of the export is, for
        // every later export.
        self.line("SEQUENCE", &(stamp.as_second().max(0) / 60).to_string());
        self.line("DTSTART", &utc(start));
        self.line("DTEND", &utc(end));
    }

    /// A property whose value is text, escaped.
    fn text(&mut self, name: &str, text: &str) {
        self.line(name, &escape(text));
    }

    /// A content line, folded at 75 octets without splitting a character.
    fn line(&mut self, name: &str, value: &str) {
        let mut octets = 0;
        for char in name.chars().chain([':']).chain(value.chars()) {
            if octets + char.len_utf8() > LINE_OCTETS {
                self.out.push_str("\r\n ");
                octets = 1;
            }
            self.out.push(char);
            octets += char.len_utf8();
        }
        self.out.push_str("\r\n");
    }

    fn finish(mut self) -> String {
        self.line("END", "VCALENDAR");
        self.out
    }
}

/// A UTC date-time: `20260703T190000Z`.
fn utc(instant: Timestamp) -> String {
    instant.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaped (RFC 5545 3.3.11): backslash, semicolon, comma and line
/// breaks; control characters, which TEXT cannot hold, are left out.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(char) = chars.next() {
        match char {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\t' => out.push('\t'),
            char if char.is_control() => {}
            char => out.push(char),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a;b,c\\d\r\ne\nf\u{7}"), "a\\;b\\,c\\\\d\\ne\\nf");
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_between_characters() {
        let mut calendar = Calendar {
            out: String::new(),
            areas: BTreeMap::new(),
            artists: BTreeMap::new(),
        };
        let summary = "Ä".repeat(100);
        calendar.text("SUMMARY", &summary);
        let lines: Vec<&str> = calendar
            .out
            .split("\r\n")
            .filter(|line| !line.is_empty())
            .collect();
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|line| line.len() <= LINE_OCTETS), "{lines:?}");
        assert!(lines[1..].iter().all(|line| line.starts_with(' ')));
        let unfolded = calendar.out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("SUMMARY:{summary}\r\n"));
    }
}
