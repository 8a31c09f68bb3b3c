//! c3voc's `schedule.json` (version 1 of its JSON schema), as pretalx and
//! frab write it.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::formats::frab::{EVENT_TYPE, TIMESLOT_DURATION};
use crate::formats::import::{
    conference_zone, event_times, parse_instant, place, DayDates, EventText, ImportError, ImportedPerson,
    ImportedSchedule, Problem, ScheduleBuilder,
};
use crate::formats::matching;
use crate::formats::timetable::{length, Event, Timetable, GENERATOR};
use crate::model::{AreaKind, Festival, Programme};
use crate::plan::Plan;

/// The programme as a c3voc `schedule.json`, valid against its schema.
pub fn schedule_json(programme: &Programme) -> String {
    let timetable = Timetable::new(programme);
    let (first, last) = timetable.dates();
    let date = |date: Option<Date>| date.map(|date| date.to_string()).unwrap_or_default();
    let file = FileOut {
        schema: "https://c3voc.de/schedule/schema.json",
        generator: GeneratorOut {
            name: GENERATOR,
            version: env!("CARGO_PKG_VERSION"),
        },
        schedule: ScheduleOut {
            version: &timetable.version,
            conference: ConferenceOut {
                acronym: &timetable.acronym,
                title: timetable.title,
                description: Some(timetable.description).filter(|text| !text.is_empty()),
                start: date(first),
                end: date(last),
                days_count: timetable.days.len(),
                timeslot_duration: TIMESLOT_DURATION,
                time_zone_name: Some(timetable.time_zone_name).filter(|name| fits_schema_zone(name)),
                rooms: timetable
                    .rooms
                    .iter()
                    .map(|room| RoomOut {
                        name: &room.name,
                        guid: &room.guid,
                        kind: match room.area.kind {
                            AreaKind::Stage => "stage",
                            _ => "other",
                        },
                        description: Some(room.area.description.as_str()).filter(|text| !text.is_empty()),
                        capacity: Some(room.area.capacity).filter(|capacity| *capacity > 0),
                    })
                    .collect(),
                days: timetable
                    .days
                    .iter()
                    .map(|day| DayOut {
                        index: day.index,
                        date: day.date.to_string(),
                        day_start: timetable.local(day.start),
                        day_end: timetable.local(day.end),
                        rooms: timetable
                            .rooms
                            .iter()
                            .zip(&day.rooms)
                            .map(|(room, events)| {
                                let events = events
                                    .iter()
                                    .map(|event| event_out(&timetable, &room.name, event))
                                    .collect();
                                (room.name.as_str(), events)
                            })
                            .collect(),
                    })
                    .collect(),
            },
        },
    };
    serde_json::to_string_pretty(&file)
        .unwrap_or_else(|error| unreachable!("a schedule of strings and numbers is JSON: {error}"))
}

fn event_out<'a>(timetable: &Timetable<'a>, room: &'a str, event: &'a Event<'a>) -> EventOut<'a> {
    let slot = &event.slot.value;
    let (hours, minutes, _) = length(slot.start, slot.end);
    EventOut {
        guid: &event.guid,
        id: event.id,
        date: timetable.local(slot.start),
        start: timetable.clock(slot.start),
        end: timetable.local(slot.end),
        duration: format!("{hours:02}:{minutes:02}"),
        room,
        slug: timetable.slug(event),
        // There is no web page of a slot; a URN names it all the same.
        url: format!("urn:uuid:{}", event.guid),
        title: &slot.title,
        subtitle: "",
        track: Some(slot.track.as_str()).filter(|track| !track.is_empty()),
        kind: EVENT_TYPE,
        language: Some(slot.language.as_str()).filter(|language| !language.is_empty()),
        abstract_: &slot.description,
        description: None,
        persons: event
            .persons
            .iter()
            .map(|person| PersonOut {
                guid: &person.guid,
                name: &person.artist.name,
                code: person.code,
                id: person.id,
                biography: Some(person.artist.bio.as_str()).filter(|bio| !bio.is_empty()),
                links: person
                    .artist
                    .links
                    .iter()
                    .filter(|link| is_plain_web_url(link))
                    .map(|url| LinkOut { url })
                    .collect(),
            })
            .collect(),
        links: [],
    }
}

/// Whether the schema's `time_zone_name` pattern takes `name`
/// (`^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$`, which is not anchored at both ends).
fn fits_schema_zone(name: &str) -> bool {
    let word = |text: &str| {
        let mut chars = text.chars();
        chars.next().is_some_and(|first| first.is_ascii_uppercase())
            && chars.next().is_some_and(|second| second.is_ascii_lowercase())
    };
    name.ends_with("UTC")
        || name.split_once('/').is_some_and(|(area, place)| {
            word(area) && word(place) && area.chars().skip(1).all(|char| char.is_ascii_lowercase())
        })
}

/// An absolute http(s) URL of plain ASCII, which the schema's `uri` format
/// takes.
fn is_plain_web_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && url.chars().all(|char| {
            char.is_ascii_graphic() && !matches!(char, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        })
}

#[derive(Serialize)]
struct FileOut<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    generator: GeneratorOut,
    schedule: ScheduleOut<'a>,
}

#[derive(Serialize)]
struct GeneratorOut {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct ScheduleOut<'a> {
    version: &'a str,
    conference: ConferenceOut<'a>,
}

#[derive(Serialize)]
struct ConferenceOut<'a> {
    acronym: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    start: String,
    end: String,
    #[serde(rename = "daysCount")]
    days_count: usize,
    timeslot_duration: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone_name: Option<&'a str>,
    rooms: Vec<RoomOut<'a>>,
    days: Vec<DayOut<'a>>,
}

#[derive(Serialize)]
struct RoomOut<'a> {
    name: &'a str,
    guid: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    description: Option<&'a str>,
    capacity: Option<u32>,
}

#[derive(Serialize)]
struct DayOut<'a> {
    index: usize,
    date: String,
    day_start: String,
    day_end: String,
    rooms: BTreeMap<&'a str, Vec<EventOut<'a>>>,
}

#[derive(Serialize)]
struct EventOut<'a> {
    guid: &'a str,
    id: u32,
    date: String,
    start: String,
    end: String,
    duration: String,
    room: &'a str,
    slug: String,
    url: String,
    title: &'a str,
    subtitle: &'static str,
    track: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
    language: Option<&'a str>,
    #[serde(rename = "abstract")]
    abstract_: &'a str,
    description: Option<&'a str>,
    persons: Vec<PersonOut<'a>>,
    links: [LinkOut<'a>; 0],
}

#[derive(Serialize)]
struct PersonOut<'a> {
    guid: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    biography: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<LinkOut<'a>>,
}

#[derive(Serialize)]
struct LinkOut<'a> {
    url: &'a str,
}

/// The changes that import a pretalx or frab `schedule.json` into the
/// programme's festival, by the rules of [`crate::formats`]; none if any of
/// the file is malformed.
pub fn import_schedule_json(text: &str, programme: &Programme) -> Result<Plan, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file: FileIn = serde_json::from_str(text).map_err(|error| {
        let suffix = format!(" at line {} column {}", error.line(), error.column());
        let problem = error.to_string();
        ImportError::Malformed {
            line: error.line(),
            column: error.column(),
            problem: problem.strip_suffix(&suffix).unwrap_or(&problem).to_owned(),
        }
    })?;
    let schedule = read_schedule(&file.schedule, &programme.festival)?;
    Ok(matching::plan(&schedule, programme))
}

fn read_schedule(schedule: &ScheduleIn, festival: &Festival) -> Result<ImportedSchedule, ImportError> {
    let conference = &schedule.conference;
    let zone = conference_zone(conference.time_zone_name.as_deref()).unwrap_or_else(|| festival.zone());
    let mut builder = ScheduleBuilder::new(conference.acronym.as_deref(), schedule.base_url.as_deref());
    for room in conference
        .rooms
        .iter()
        .flatten()
        .filter(|room| !room.name.trim().is_empty())
    {
        builder.room(room.name.trim(), room.guid.as_deref(), capacity(room.capacity));
    }
    for (position, day) in conference.days.iter().flatten().enumerate() {
        let index = day
            .index
            .map_or(position + 1, |index| usize::try_from(index).unwrap_or(usize::MAX));
        let day_start = day
            .day_start
            .as_deref()
            .and_then(|start| parse_instant(start.trim(), &zone));
        let dates = DayDates {
            date: day
                .date
                .as_deref()
                .and_then(|date| date.trim().parse::<Date>().ok())
                .or_else(|| day_start.map(|start| zone.to_datetime(start).date())),
            change: day_start.map(|start| zone.to_datetime(start).time()),
        };
        for (name, events) in day.rooms.iter().flatten() {
            let name = name.trim();
            if name.is_empty() {
                if events.is_empty() {
                    continue;
                }
                return Err(Problem::new("rooms", "a room without a name").at(None, &format!("day {index}")));
            }
            let room = builder.room(name, None, None);
            for event in events {
                let text = EventText {
                    guid: event.guid.as_deref(),
                    id: event.id.as_ref().map(Key::text),
                    code: event.code.as_deref(),
                    title: event.title.as_deref(),
                    subtitle: event.subtitle.as_deref(),
                    abstract_: event.abstract_.as_deref(),
                    description: event.description.as_deref(),
                    track: event.track.as_deref(),
                    language: event.language.as_deref(),
                    date: event.date.as_deref(),
                    start: event.start.as_deref(),
                    duration: event.duration.as_deref(),
                    end: event.end.as_deref(),
                };
                let place = place(index, name, text.name());
                let persons: Vec<usize> = event
                    .persons
                    .iter()
                    .flatten()
                    .filter_map(|person| builder.person(imported_person(person)))
                    .collect();
                let times = event_times(&text, &dates, &zone);
                builder.event(&text, times, room, &persons, &place, None)?;
            }
        }
    }
    Ok(builder.finish())
}

fn imported_person(person: &PersonIn) -> ImportedPerson {
    let name = [&person.name, &person.public_name]
        .into_iter()
        .flatten()
        .map(|name| name.trim())
        .find(|name| !name.is_empty())
        .unwrap_or_default();
    ImportedPerson {
        name: name.to_owned(),
        guid: person.guid.clone(),
        code: person.code.clone(),
        id: person.id.as_ref().map(Key::text),
        bio: person.biography.clone(),
        links: person
            .url
            .iter()
            .chain(person.links.iter().flatten().filter_map(|link| link.url.as_ref()))
            .cloned()
            .collect(),
    }
}

/// A capacity the file gives as a whole number of people.
fn capacity(value: Option<f64>) -> Option<u32> {
    let value = value?;
    let whole = value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX);
    // A whole number in range, checked just above.
    whole.then_some(value as u32)
}

// What is read of a file: unknown keys are ignored, null is as missing.

#[derive(Deserialize)]
struct FileIn {
    schedule: ScheduleIn,
}

#[derive(Deserialize)]
struct ScheduleIn {
    base_url: Option<String>,
    conference: ConferenceIn,
}

#[derive(Deserialize)]
struct ConferenceIn {
    acronym: Option<String>,
    time_zone_name: Option<String>,
    rooms: Option<Vec<RoomIn>>,
    days: Option<Vec<DayIn>>,
}

#[derive(Deserialize)]
struct RoomIn {
    name: String,
    guid: Option<String>,
    capacity: Option<f64>,
}

#[derive(Deserialize)]
struct DayIn {
    index: Option<u64>,
    date: Option<String>,
    day_start: Option<String>,
    rooms: Option<BTreeMap<String, Vec<EventIn>>>,
}

#[derive(Deserialize)]
struct EventIn {
    guid: Option<String>,
    id: Option<Key>,
    code: Option<String>,
    title: Option<String>,
    subtitle: Option<String>,
    #[serde(rename = "abstract")]
    abstract_: Option<String>,
    description: Option<String>,
    track: Option<String>,
    language: Option<String>,
    date: Option<String>,
    start: Option<String>,
    end: Option<String>,
    duration: Option<String>,
    persons: Option<Vec<PersonIn>>,
}

#[derive(Deserialize)]
struct PersonIn {
    name: Option<String>,
    public_name: Option<String>,
    guid: Option<String>,
    code: Option<String>,
    id: Option<Key>,
    biography: Option<String>,
    url: Option<String>,
    links: Option<Vec<LinkIn>>,
}

#[derive(Deserialize)]
struct LinkIn {
    url: Option<String>,
}

/// An id, as a number or as text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Key {
    Number(u64),
    Text(String),
}

impl Key {
    fn text(&self) -> String {
        match self {
            Key::Number(number) => number.to_string(),
            Key::Text(text) => text.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_zone_is_written_only_where_the_schema_pattern_takes_it() {
        for name in ["Europe/Berlin", "America/New_York", "UTC", "Etc/UTC"] {
            assert!(fits_schema_zone(name), "{name}");
        }
        for name in ["EST5EDT", "Etc/GMT+1", "europe/berlin"] {
            assert!(!fits_schema_zone(name), "{name}");
        }
    }

    #[test]
    fn capacities_are_whole_numbers_of_people() {
        assert_eq!(capacity(Some(300.0)), Some(300));
        assert_eq!(capacity(Some(12.5)), None);
        assert_eq!(capacity(Some(-1.0)), None);
        assert_eq!(capacity(None), None);
    }
}
