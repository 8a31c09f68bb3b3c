//! What an imported schedule file holds, whichever its format: rooms,
//! persons and events with their times resolved; and the rules both formats
//! read values by.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::formats::guid::named_guid;

/// Why a schedule file cannot be imported. An import is all or nothing: a
/// file with any of these gives no plan at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The file is not well-formed XML or JSON, or (JSON) a value has a type
    /// its field cannot have.
    #[error("line {line}, column {column}: {problem}")]
    Malformed {
        /// The line, from 1.
        line: usize,
        /// The column, in characters from 1.
        column: usize,
        /// What is wrong.
        problem: String,
    },
    /// A value is missing, or is not what its field allows.
    #[error("{}", describe(*line, place, field, problem))]
    Invalid {
        /// The line of the element (`schedule.xml` only).
        line: Option<usize>,
        /// Where in the schedule: `day 2 / room "Saal 1" / event "Opening"
        /// (guid …)`.
        place: String,
        /// The field: an element, attribute or key of the format.
        field: String,
        /// What is wrong.
        problem: String,
    },
}

fn describe(line: Option<usize>, place: &str, field: &str, problem: &str) -> String {
    let line = line.map(|line| format!("line {line}: ")).unwrap_or_default();
    format!("{line}{place}: {field}: {problem}")
}

/// What is wrong with one field, before the reader says where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) field: &'static str,
    pub(crate) problem: String,
}

impl Problem {
    pub(crate) fn new(field: &'static str, problem: impl Into<String>) -> Self {
        Self {
            field,
            problem: problem.into(),
        }
    }

    /// The error, at `place` (and `line`).
    pub(crate) fn at(self, line: Option<usize>, place: &str) -> ImportError {
        ImportError::Invalid {
            line,
            place: place.to_owned(),
            field: self.field.to_owned(),
            problem: self.problem,
        }
    }
}

/// Names an event by its day, room, title and guid: where an error is.
pub(crate) fn place(day: usize, room: &str, (title, guid): (&str, &str)) -> String {
    match guid {
        "" => format!("day {day} / room {room:?} / event {title:?}"),
        guid => format!("day {day} / room {room:?} / event {title:?} (guid {guid})"),
    }
}

/// A schedule as read from a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ImportedSchedule {
    /// Distinct by name, in the order the file names them.
    pub(crate) rooms: Vec<ImportedRoom>,
    /// Distinct by guid, code or id (by name for those with none).
    pub(crate) persons: Vec<ImportedPerson>,
    pub(crate) events: Vec<ImportedEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImportedRoom {
    pub(crate) name: String,
    /// None when the file gives none, or gives the same to rooms of other names.
    pub(crate) guid: Option<String>,
    pub(crate) capacity: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ImportedPerson {
    pub(crate) name: String,
    pub(crate) guid: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) id: Option<String>,
    pub(crate) bio: Option<String>,
    /// Absolute, or as the file has them when there is no base URL.
    pub(crate) links: Vec<String>,
}

impl ImportedPerson {
    /// The ids the file gives them, the one an artist keeps first.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        [&self.guid, &self.code, &self.id]
            .into_iter()
            .filter_map(|key| key.as_deref())
    }

    fn shares_a_key_with(&self, other: &ImportedPerson) -> bool {
        let same = |mine: &Option<String>, theirs: &Option<String>| mine.is_some() && mine == theirs;
        same(&self.guid, &other.guid) || same(&self.code, &other.code) || same(&self.id, &other.id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImportedEvent {
    pub(crate) guid: String,
    pub(crate) title: String,
    pub(crate) description: String,
    pub(crate) track: String,
    pub(crate) language: String,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    /// Index into the rooms.
    pub(crate) room: usize,
    /// Indices into the persons, in the file's order, without repeats.
    pub(crate) persons: Vec<usize>,
}

/// Collects a schedule while a format reads its file.
pub(crate) struct ScheduleBuilder {
    schedule: ImportedSchedule,
    /// The conference's acronym, for guids of events that have none.
    acronym: String,
    base_url: Option<String>,
    /// The room names each room guid is given to.
    room_guids: BTreeMap<String, BTreeSet<String>>,
    /// Where each event guid was seen first.
    event_guids: BTreeMap<String, String>,
}

/// An event's fields, as text, before they are checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventText<'a> {
    pub(crate) guid: Option<&'a str>,
    pub(crate) id: Option<String>,
    pub(crate) code: Option<&'a str>,
    pub(crate) title: Option<&'a str>,
    pub(crate) subtitle: Option<&'a str>,
    pub(crate) abstract_: Option<&'a str>,
    pub(crate) description: Option<&'a str>,
    pub(crate) track: Option<&'a str>,
    pub(crate) language: Option<&'a str>,
    pub(crate) date: Option<&'a str>,
    pub(crate) start: Option<&'a str>,
    pub(crate) duration: Option<&'a str>,
    pub(crate) end: Option<&'a str>,
}

impl<'a> EventText<'a> {
    /// The title and guid an error names the event by.
    pub(crate) fn name(&self) -> (&'a str, &'a str) {
        (
            self.title.map(str::trim).unwrap_or_default(),
            self.guid.map(str::trim).unwrap_or_default(),
        )
    }
}

/// What a day of the file says about the dates of its events.
#[derive(Debug, Clone, Default)]
pub(crate) struct DayDates {
    /// The day's date.
    pub(crate) date: Option<Date>,
    /// The local time the day starts at: a `<start>` before it is on the
    /// next calendar date.
    pub(crate) change: Option<Time>,
}

impl ScheduleBuilder {
    pub(crate) fn new(acronym: Option<&str>, base_url: Option<&str>) -> Self {
        Self {
            schedule: ImportedSchedule::default(),
            acronym: acronym.map(str::trim).unwrap_or_default().to_owned(),
            base_url: base_url
                .map(str::trim)
                .filter(|url| !url.is_empty())
                .map(str::to_owned),
            room_guids: BTreeMap::new(),
            event_guids: BTreeMap::new(),
        }
    }

    /// The room named `name`, added if new; gives its index.
    pub(crate) fn room(&mut self, name: &str, guid: Option<&str>, capacity: Option<u32>) -> usize {
        let guid = guid.map(str::trim).filter(|guid| !guid.is_empty());
        if let Some(guid) = guid {
            self.room_guids
                .entry(guid.to_owned())
                .or_default()
                .insert(name.to_owned());
        }
        let rooms = &mut self.schedule.rooms;
        let index = match rooms.iter().position(|room| room.name == name) {
            Some(index) => index,
            None => {
                rooms.push(ImportedRoom {
                    name: name.to_owned(),
                    guid: None,
                    capacity: None,
                });
                rooms.len() - 1
            }
        };
        let room = &mut rooms[index];
        if room.guid.is_none() {
            room.guid = guid.map(str::to_owned);
        }
        room.capacity = room.capacity.or(capacity);
        index
    }

    /// The person, added if new; gives their index, or none for a person
    /// without a name (there is nothing to show of them).
    pub(crate) fn person(&mut self, mut person: ImportedPerson) -> Option<usize> {
        person.name = person.name.trim().to_owned();
        if person.name.is_empty() {
            return None;
        }
        for key in [&mut person.guid, &mut person.code, &mut person.id] {
            *key = key
                .take()
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty());
        }
        person.bio = person
            .bio
            .map(|bio| bio.trim().to_owned())
            .filter(|bio| !bio.is_empty());
        person.links = person
            .links
            .iter()
            .map(|link| resolve_url(link.trim(), self.base_url.as_deref()))
            .filter(|link| !link.is_empty())
            .collect();
        let persons = &mut self.schedule.persons;
        let has_keys = person.keys().next().is_some();
        let found = persons
            .iter()
            .position(|known| known.shares_a_key_with(&person) || (!has_keys && known.name == person.name));
        Some(match found {
            Some(index) => index,
            None => {
                persons.push(person);
                persons.len() - 1
            }
        })
    }

    /// Checks an event's fields and adds it to room `room` with the persons
    /// at `persons`.
    pub(crate) fn event(
        &mut self,
        text: &EventText<'_>,
        times: Result<(Timestamp, Timestamp), Problem>,
        room: usize,
        persons: &[usize],
        place: &str,
        line: Option<usize>,
    ) -> Result<(), ImportError> {
        let guid = match text.guid.map(str::trim).filter(|guid| !guid.is_empty()) {
            Some(guid) => guid.to_owned(),
            None => {
                let id = text.id.as_deref().map(str::trim).filter(|id| !id.is_empty());
                let code = text.code.map(str::trim).filter(|code| !code.is_empty());
                match (id, code) {
                    (Some(id), _) => named_guid(&["event", &self.acronym, "id", id]),
                    (None, Some(code)) => named_guid(&["event", &self.acronym, "code", code]),
                    (None, None) => {
                        return Err(
                            Problem::new("guid", "missing, and no id or code to derive one from")
                                .at(line, place),
                        )
                    }
                }
            }
        };
        let Some(title) = text.title else {
            return Err(Problem::new("title", "missing").at(line, place));
        };
        let (start, end) = times.map_err(|problem| problem.at(line, place))?;
        if let Some(first) = self.event_guids.get(&guid) {
            return Err(Problem::new("guid", format!("{guid} is also the guid of {first}")).at(line, place));
        }
        self.event_guids.insert(guid.clone(), place.to_owned());
        let mut unique = Vec::with_capacity(persons.len());
        for person in persons {
            if !unique.contains(person) {
                unique.push(*person);
            }
        }
        self.schedule.events.push(ImportedEvent {
            guid,
            title: title.trim().to_owned(),
            description: paragraphs(&[text.subtitle, text.abstract_, text.description]),
            track: text.track.map(str::trim).unwrap_or_default().to_owned(),
            language: text.language.map(str::trim).unwrap_or_default().to_owned(),
            start,
            end,
            room,
            persons: unique,
        });
        Ok(())
    }

    /// The schedule, with each room guid that the file gives to rooms of
    /// different names dropped (those rooms are matched by name).
    pub(crate) fn finish(mut self) -> ImportedSchedule {
        for room in &mut self.schedule.rooms {
            let shared = room
                .guid
                .as_ref()
                .is_some_and(|guid| self.room_guids.get(guid).is_some_and(|names| names.len() > 1));
            if shared {
                room.guid = None;
            }
        }
        self.schedule
    }
}

/// The subtitle, abstract and description as one text: those that are not
/// empty, each once, separated by a blank line.
fn paragraphs(parts: &[Option<&str>]) -> String {
    let mut kept: Vec<&str> = Vec::new();
    for part in parts.iter().flatten().map(|part| part.trim()) {
        if !part.is_empty() && !kept.contains(&part) {
            kept.push(part);
        }
    }
    kept.join("\n\n")
}

/// A URL as a file gives it: kept when absolute, else resolved against the
/// file's base URL, else kept as it is.
pub(crate) fn resolve_url(url: &str, base: Option<&str>) -> String {
    let Some(base) = base.filter(|base| has_scheme(base)) else {
        return url.to_owned();
    };
    if url.is_empty() || has_scheme(url) {
        return url.to_owned();
    }
    let Some((scheme, rest)) = base.split_once("://") else {
        return url.to_owned();
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if let Some(url) = url.strip_prefix("//") {
        format!("{scheme}://{url}")
    } else if url.starts_with('/') {
        format!("{scheme}://{host}{url}")
    } else {
        let directory = &path[..path.rfind('/').map_or(0, |slash| slash + 1)];
        let directory = if directory.is_empty() { "/" } else { directory };
        format!("{scheme}://{host}{directory}{url}")
    }
}

fn has_scheme(url: &str) -> bool {
    url.split_once(':').is_some_and(|(scheme, _)| {
        scheme
            .chars()
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|char| char.is_ascii_alphanumeric() || matches!(char, '+' | '-' | '.'))
    })
}

/// An event's start and end from its fields, by the rules in the module
/// documentation of [`crate::formats`].
pub(crate) fn event_times(
    text: &EventText<'_>,
    day: &DayDates,
    zone: &TimeZone,
) -> Result<(Timestamp, Timestamp), Problem> {
    let clock = present(text.start)
        .map(|start| {
            parse_clock(start).ok_or_else(|| Problem::new("start", format!("{start:?} is not a time")))
        })
        .transpose()?;
    let duration = present(text.duration)
        .map(|duration| {
            parse_duration(duration)
                .ok_or_else(|| Problem::new("duration", format!("{duration:?} is not a duration")))
        })
        .transpose()?;
    let start = match present(text.date) {
        Some(date) => parse_instant(date, zone)
            .ok_or_else(|| Problem::new("date", format!("{date:?} is not a date and time")))?,
        None => {
            let clock = clock.ok_or_else(|| Problem::new("date", "missing, and no start either"))?;
            let date = day
                .date
                .ok_or_else(|| Problem::new("date", "missing, on a day without a date"))?;
            let date = match day.change {
                Some(change) if clock < change => date.tomorrow().unwrap_or(date),
                _ => date,
            };
            zone.to_timestamp(date.to_datetime(clock)).map_err(|_| {
                Problem::new(
                    "start",
                    format!("{date} {clock} is not a time in {}", zone_name(zone)),
                )
            })?
        }
    };
    let (end, field) = match present(text.end) {
        Some(end) => (
            parse_instant(end, zone)
                .ok_or_else(|| Problem::new("end", format!("{end:?} is not a date and time")))?,
            "end",
        ),
        None => {
            let duration = duration.ok_or_else(|| Problem::new("duration", "missing"))?;
            let end = start
                .checked_add(duration)
                .map_err(|_| Problem::new("duration", "ends after the end of time"))?;
            (end, "duration")
        }
    };
    if end <= start {
        return Err(Problem::new(
            field,
            format!("ends at {end}, not after the start {start}"),
        ));
    }
    Ok((start, end))
}

/// A value that is there and not blank.
fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

fn zone_name(zone: &TimeZone) -> &str {
    zone.iana_name().unwrap_or("the festival's time zone")
}

/// An instant, to the second: RFC 3339 with an offset, or a local date and
/// time in `zone`.
pub(crate) fn parse_instant(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    let instant = match text.parse::<Timestamp>() {
        Ok(instant) => instant,
        Err(_) => zone.to_timestamp(text.parse::<DateTime>().ok()?).ok()?,
    };
    Timestamp::from_second(instant.as_second()).ok()
}

/// A time of day: `H:MM`, `HH:MM` or `HH:MM:SS`, from 00:00 to 23:59:59.
pub(crate) fn parse_clock(text: &str) -> Option<Time> {
    let (hours, minutes, seconds) = hours_minutes_seconds(text)?;
    let hour = i8::try_from(hours).ok().filter(|hour| *hour < 24)?;
    Time::new(hour, minutes, seconds, 0).ok()
}

/// A duration: `HH:MM` or `HH:MM:SS`, any number of hours.
pub(crate) fn parse_duration(text: &str) -> Option<SignedDuration> {
    let (hours, minutes, seconds) = hours_minutes_seconds(text)?;
    let seconds = i64::from(hours) * 3600 + i64::from(minutes) * 60 + i64::from(seconds);
    Some(SignedDuration::from_secs(seconds))
}

fn hours_minutes_seconds(text: &str) -> Option<(u32, i8, i8)> {
    let mut parts = text.split(':');
    let number = |part: Option<&str>, digits: std::ops::RangeInclusive<usize>| {
        part.filter(|part| digits.contains(&part.len()) && part.bytes().all(|byte| byte.is_ascii_digit()))
            .and_then(|part| part.parse::<u32>().ok())
    };
    let hours = number(parts.next(), 1..=4)?;
    let minutes = number(parts.next(), 2..=2).filter(|minutes| *minutes < 60)?;
    let seconds = match parts.next() {
        Some(part) => number(Some(part), 2..=2).filter(|seconds| *seconds < 60)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Some((hours, i8::try_from(minutes).ok()?, i8::try_from(seconds).ok()?))
}

/// A conference's time zone, when it names one this build knows.
pub(crate) fn conference_zone(name: Option<&str>) -> Option<TimeZone> {
    TimeZone::get(name?.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    fn times(
        date: Option<&str>,
        start: Option<&str>,
        duration: Option<&str>,
    ) -> Result<(String, String), Problem> {
        let text = EventText {
            date,
            start,
            duration,
            ..EventText::default()
        };
        let day = DayDates {
            date: Some(jiff::civil::date(2026, 7, 3)),
            change: Some(Time::constant(4, 0, 0, 0)),
        };
        event_times(&text, &day, &berlin()).map(|(start, end)| (start.to_string(), end.to_string()))
    }

    #[test]
    fn durations_are_hours_and_minutes_with_or_without_seconds() {
        assert_eq!(parse_duration("00:30"), Some(SignedDuration::from_mins(30)));
        assert_eq!(parse_duration("1:30"), Some(SignedDuration::from_mins(90)));
        assert_eq!(parse_duration("01:30:15"), Some(SignedDuration::from_secs(5415)));
        assert_eq!(parse_duration("26:00"), Some(SignedDuration::from_hours(26)));
        for bad in ["", "30", "1:5", "00:60", "1:00:00:00", "a:00", "-1:00"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_clock_time_stops_before_24_hours() {
        assert_eq!(parse_clock("09:05"), Some(Time::constant(9, 5, 0, 0)));
        assert_eq!(parse_clock("23:59:59"), Some(Time::constant(23, 59, 59, 0)));
        assert_eq!(parse_clock("24:00"), None);
        assert_eq!(parse_clock("25:00"), None);
    }

    #[test]
    fn the_full_date_with_its_offset_decides_over_start() {
        let (start, end) = times(Some("2026-07-03T21:00:00+02:00"), Some("08:00"), Some("01:30")).unwrap();
        assert_eq!(
            (start.as_str(), end.as_str()),
            ("2026-07-03T19:00:00Z", "2026-07-03T20:30:00Z")
        );
    }

    #[test]
    fn a_date_without_offset_is_local_time_in_the_conference_zone() {
        let (start, _) = times(Some("2026-07-03T21:00:00"), None, Some("01:00")).unwrap();
        assert_eq!(start, "2026-07-03T19:00:00Z");
    }

    #[test]
    fn without_a_date_start_before_the_day_change_is_on_the_next_calendar_day() {
        let (start, _) = times(None, Some("22:00"), Some("01:00")).unwrap();
        assert_eq!(start, "2026-07-03T20:00:00Z");
        let (start, end) = times(None, Some("01:30"), Some("00:45")).unwrap();
        assert_eq!(
            (start.as_str(), end.as_str()),
            ("2026-07-03T23:30:00Z", "2026-07-04T00:15:00Z")
        );
    }

    #[test]
    fn a_start_that_is_not_a_time_is_refused_even_beside_a_date() {
        let problem = times(Some("2026-07-03T21:00:00+02:00"), Some("25:00"), Some("01:00")).unwrap_err();
        assert_eq!(problem, Problem::new("start", "\"25:00\" is not a time"));
    }

    #[test]
    fn an_event_needs_a_positive_duration() {
        let problem = times(Some("2026-07-03T21:00:00+02:00"), None, Some("00:00")).unwrap_err();
        assert_eq!(problem.field, "duration");
        assert_eq!(
            times(Some("2026-07-03T21:00:00+02:00"), None, None)
                .unwrap_err()
                .field,
            "duration"
        );
    }

    #[test]
    fn a_path_is_resolved_against_the_base_url() {
        let base = Some("https://pretalx.example/democon/schedule/");
        assert_eq!(resolve_url("https://a.example/x", base), "https://a.example/x");
        assert_eq!(
            resolve_url("/media/a.png", base),
            "https://pretalx.example/media/a.png"
        );
        assert_eq!(
            resolve_url("speaker/AB12/", base),
            "https://pretalx.example/democon/schedule/speaker/AB12/"
        );
        assert_eq!(resolve_url("//cdn.example/a", base), "https://cdn.example/a");
        assert_eq!(
            resolve_url("speaker/AB12/", Some("https://pretalx.example")),
            "https://pretalx.example/speaker/AB12/"
        );
        assert_eq!(resolve_url("speaker/AB12/", None), "speaker/AB12/");
    }

    #[test]
    fn room_guids_given_to_rooms_of_different_names_are_dropped() {
        let mut builder = ScheduleBuilder::new(None, None);
        let shared = Some("b379c473-93b9-4eae-9a09-d482e86cede3");
        builder.room("Gray Room", shared, None);
        builder.room("Tan Room", shared, None);
        builder.room("Main", Some("0e1f4b8a-3c11-4f5e-9a51-7d9b1d0c2e31"), None);
        builder.room("Main", None, Some(300));
        let schedule = builder.finish();
        let guids: Vec<_> = schedule.rooms.iter().map(|room| room.guid.as_deref()).collect();
        assert_eq!(guids, [None, None, Some("0e1f4b8a-3c11-4f5e-9a51-7d9b1d0c2e31")]);
        assert_eq!(schedule.rooms[2].capacity, Some(300));
    }

    #[test]
    fn the_same_person_in_two_events_is_one_person() {
        let mut builder = ScheduleBuilder::new(None, None);
        let anna = |id: &str| ImportedPerson {
            name: "Anna".into(),
            id: Some(id.into()),
            ..ImportedPerson::default()
        };
        let first = builder.person(anna("7"));
        assert_eq!(builder.person(anna("7")), first);
        assert_ne!(builder.person(anna("8")), first, "another Anna");
        let nameless = ImportedPerson {
            name: " ".into(),
            ..ImportedPerson::default()
        };
        assert_eq!(builder.person(nameless), None);
    }
}
