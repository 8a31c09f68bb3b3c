//! The programme as `schedule.xml` and `schedule.json` lay it out: festival
//! days, rooms, and in each the events, with the ids those formats want.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use lineup_core::{DocumentId, Hash};

use crate::formats::guid::{exchange_guid, is_uuid};
use crate::model::{Area, AreaKind, Artist, Programme, Slot, SlotStatus, Stored};
use crate::rules::DAY_CHANGE;

/// What writes the exports, in the formats' `generator`.
pub(crate) const GENERATOR: &str = "Lineup";

/// The programme, laid out.
pub(crate) struct Timetable<'a> {
    pub(crate) title: &'a str,
    pub(crate) description: &'a str,
    /// Lower-case letters, digits and `_`, at least 4: what both formats allow.
    pub(crate) acronym: String,
    pub(crate) zone: TimeZone,
    pub(crate) time_zone_name: &'a str,
    /// Changes whenever an exported event does: apps that poll compare it.
    pub(crate) version: String,
    pub(crate) rooms: Vec<Room<'a>>,
    pub(crate) days: Vec<Day<'a>>,
}

pub(crate) struct Room<'a> {
    pub(crate) area: &'a Stored<Area>,
    /// The area's name, made unique among the rooms (events name their room).
    pub(crate) name: String,
    pub(crate) guid: String,
}

pub(crate) struct Day<'a> {
    /// From 1.
    pub(crate) index: usize,
    pub(crate) date: Date,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    /// The events of each room (in the order of the timetable's rooms).
    pub(crate) rooms: Vec<Vec<Event<'a>>>,
}

pub(crate) struct Event<'a> {
    pub(crate) slot: &'a Stored<Slot>,
    pub(crate) guid: String,
    /// A positive number both formats still require, derived from the guid.
    pub(crate) id: u32,
    pub(crate) persons: Vec<Person<'a>>,
}

pub(crate) struct Person<'a> {
    pub(crate) artist: &'a Stored<Artist>,
    pub(crate) guid: String,
    /// The artist's key when it is a frab person id.
    pub(crate) id: Option<u64>,
    /// The artist's key when it is a pretalx person code.
    pub(crate) code: Option<&'a str>,
}

impl<'a> Timetable<'a> {
    pub(crate) fn new(programme: &'a Programme) -> Self {
        let festival = &programme.festival;
        let zone = festival.zone();
        let areas: BTreeMap<DocumentId, &Stored<Area>> =
            programme.areas.iter().map(|area| (area.id, area)).collect();
        let artists: BTreeMap<DocumentId, &Stored<Artist>> = programme
            .artists
            .iter()
            .map(|artist| (artist.id, artist))
            .collect();

        // Scheduled slots on a known area; a slot whose area has not arrived
        // yet has no room to be in.
        let mut slots: Vec<(&Stored<Slot>, String)> = programme
            .slots
            .iter()
            .filter(|slot| slot.status == SlotStatus::Scheduled && areas.contains_key(&slot.area))
            .map(|slot| (slot, exchange_guid(&slot.id, &slot.guid)))
            .collect();
        slots.sort_by(|(a, a_guid), (b, b_guid)| (a.start, a_guid).cmp(&(b.start, b_guid)));

        let used: BTreeSet<DocumentId> = slots.iter().map(|(slot, _)| slot.area).collect();
        let mut rooms: Vec<Room<'a>> = programme
            .areas
            .iter()
            .filter(|area| area.kind == AreaKind::Stage || used.contains(&area.id))
            .map(|area| Room {
                area,
                name: area.name.clone(),
                guid: exchange_guid(&area.id, &area.guid),
            })
            .collect();
        rooms.sort_by(|a, b| (&a.name, &a.guid).cmp(&(&b.name, &b.guid)));
        let mut names = BTreeSet::new();
        for room in &mut rooms {
            let mut count = 1;
            while !names.insert(room.name.clone()) {
                count += 1;
                room.name = format!("{} ({count})", room.area.name);
            }
        }
        let room_of: BTreeMap<DocumentId, usize> = rooms
            .iter()
            .enumerate()
            .map(|(index, room)| (room.area.id, index))
            .collect();

        let mut dates: BTreeSet<Date> = BTreeSet::new();
        if festival.start < festival.end {
            let last = festival_day(
                &zone,
                festival
                    .end
                    .checked_sub(SignedDuration::from_secs(1))
                    .unwrap_or(festival.end),
            );
            let mut date = festival_day(&zone, festival.start);
            // A year at most: a festival's dates typed wrong do not make an
            // export of a thousand empty days.
            while date <= last && dates.len() < 366 {
                dates.insert(date);
                match date.tomorrow() {
                    Ok(next) => date = next,
                    Err(_) => break,
                }
            }
        }
        dates.extend(slots.iter().map(|(slot, _)| festival_day(&zone, slot.start)));
        let mut days: Vec<Day<'a>> = dates
            .into_iter()
            .enumerate()
            .map(|(index, date)| Day {
                index: index + 1,
                date,
                start: day_start(&zone, date),
                end: day_start(&zone, date.tomorrow().unwrap_or(date)),
                rooms: rooms.iter().map(|_| Vec::new()).collect(),
            })
            .collect();

        let mut ids = BTreeSet::new();
        for (slot, guid) in slots {
            let date = festival_day(&zone, slot.start);
            let (Some(day), Some(room)) = (
                days.iter_mut().find(|day| day.date == date),
                room_of.get(&slot.area),
            ) else {
                continue;
            };
            let persons = slot
                .artists
                .iter()
                .filter_map(|id| artists.get(id))
                .map(|artist| Person {
                    artist,
                    guid: exchange_guid(&artist.id, &artist.guid),
                    id: artist
                        .guid
                        .bytes()
                        .all(|byte| byte.is_ascii_digit())
                        .then(|| artist.guid.parse().ok())
                        .flatten()
                        .filter(|id| *id > 0),
                    code: Some(artist.guid.as_str()).filter(|key| {
                        !key.is_empty()
                            && !is_uuid(key)
                            && key
                                .bytes()
                                .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
                    }),
                })
                .collect();
            let id = event_id(&guid, &mut ids);
            day.rooms[*room].push(Event {
                slot,
                guid,
                id,
                persons,
            });
        }

        let version = version(&rooms, &days);
        Self {
            title: &festival.name,
            description: &festival.description,
            acronym: acronym(&festival.name),
            zone,
            time_zone_name: &festival.time_zone,
            version,
            rooms,
            days,
        }
    }

    /// `instant` in the festival's time zone, RFC 3339 with its offset.
    pub(crate) fn local(&self, instant: Timestamp) -> String {
        instant
            .display_with_offset(self.zone.to_offset(instant))
            .to_string()
    }

    /// The local time of day of `instant`: `HH:MM`.
    pub(crate) fn clock(&self, instant: Timestamp) -> String {
        let time = self.zone.to_datetime(instant).time();
        format!("{:02}:{:02}", time.hour(), time.minute())
    }

    /// The first and last festival dates.
    pub(crate) fn dates(&self) -> (Option<Date>, Option<Date>) {
        (
            self.days.first().map(|day| day.date),
            self.days.last().map(|day| day.date),
        )
    }

    /// A slug for an event: the acronym, its id and its title in lower case.
    pub(crate) fn slug(&self, event: &Event<'_>) -> String {
        let title = words(&event.slot.title, '-');
        let title: String = title.chars().take(60).collect();
        let slug = format!("{}-{}-{}", self.acronym, event.id, title);
        slug.trim_end_matches(['-', '_']).to_owned()
    }
}

/// The festival day `instant` is listed on: the app's rule, frab's
/// `day_change` ([`DAY_CHANGE`], 06:00 local time).
fn festival_day(zone: &TimeZone, instant: Timestamp) -> Date {
    crate::rules::festival_day(instant, zone, DAY_CHANGE)
}

fn day_start(zone: &TimeZone, date: Date) -> Timestamp {
    let local = date.to_datetime(DAY_CHANGE);
    zone.to_timestamp(local)
        .or_else(|_| TimeZone::UTC.to_timestamp(local))
        .unwrap_or_default()
}

/// From `start` to `end` as `(hours, minutes, seconds)`.
pub(crate) fn length(start: Timestamp, end: Timestamp) -> (i64, i64, i64) {
    let seconds = end.duration_since(start).as_secs().max(0);
    (seconds / 3600, seconds / 60 % 60, seconds % 60)
}

/// A number from 1 to 2³¹ − 1 derived from `guid`, the next free one when
/// another event already has it.
fn event_id(guid: &str, taken: &mut BTreeSet<u32>) -> u32 {
    let digest = Hash::of(guid.as_bytes());
    let [a, b, c, d, ..] = *digest.digest();
    let mut id = (u32::from_be_bytes([a, b, c, d]) & 0x7fff_ffff).max(1);
    while !taken.insert(id) {
        id = if id == 0x7fff_ffff { 1 } else { id + 1 };
    }
    id
}

/// Lower-case ASCII letters and digits of `text`, other runs of characters
/// made one `separator`.
fn words(text: &str, separator: char) -> String {
    let mut out = String::new();
    for char in text.chars() {
        if char.is_ascii_alphanumeric() {
            out.push(char.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with(separator) {
            out.push(separator);
        }
    }
    out.trim_end_matches(separator).to_owned()
}

/// The festival's name as an acronym both formats accept.
pub(crate) fn acronym(name: &str) -> String {
    let acronym = words(name, '_');
    if acronym.len() >= 4 {
        acronym
    } else if acronym.is_empty() {
        "festival".to_owned()
    } else {
        format!("{acronym}_festival")
    }
}

/// A short hash of everything the exports say about each event.
fn version(rooms: &[Room<'_>], days: &[Day<'_>]) -> String {
    let mut text = String::new();
    for room in rooms {
        text.push_str(&format!("{}\0{}\0", room.name, room.guid));
    }
    for day in days {
        for (room, events) in day.rooms.iter().enumerate() {
            for event in events {
                let slot = &event.slot.value;
                text.push_str(&format!(
                    "{}\0{room}\0{}\0{}\0{}\0{}\0{}\0{}\0{}\0",
                    event.guid,
                    slot.title,
                    slot.description,
                    slot.start,
                    slot.end,
                    slot.track,
                    slot.language,
                    event.id
                ));
                for person in &event.persons {
                    text.push_str(&format!("{}\0{}\0", person.guid, person.artist.name));
                }
            }
        }
    }
    Hash::of(text.as_bytes()).to_hex()[4..16].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acronym_has_only_what_both_formats_allow() {
        assert_eq!(acronym("Fusion Festival 2026"), "fusion_festival_2026");
        assert_eq!(acronym("Lärz & Co."), "l_rz_co");
        assert_eq!(acronym("OHM"), "ohm_festival");
        assert_eq!(acronym("☀"), "festival");
    }

    #[test]
    fn event_ids_are_stable_and_distinct() {
        let mut taken = BTreeSet::new();
        let first = event_id("a", &mut taken);
        assert_eq!(event_id("a", &mut taken), first + 1, "taken: the next one");
        assert_eq!(event_id("a", &mut BTreeSet::new()), first);
        assert!(first >= 1);
    }
}
