//! frab's `schedule.xml`, as frab, pretalx and the c3voc XSD have it.

use jiff::civil::Date;
use quick_xml::events::{BytesRef, BytesStart, Event as XmlEvent};
use quick_xml::{Reader, XmlVersion};

use crate::formats::import::{
    conference_zone, event_times, parse_instant, place, DayDates, EventText, ImportError, ImportedPerson,
    ImportedSchedule, Problem, ScheduleBuilder,
};
use crate::formats::matching;
use crate::formats::timetable::{length, Event, Timetable, GENERATOR};
use crate::model::{Festival, Programme};
use crate::plan::Plan;

/// What an exported event's `<type>` says: the model has no kinds of slot.
pub(crate) const EVENT_TYPE: &str = "other";

/// The granularity apps lay the timetable out by.
pub(crate) const TIMESLOT_DURATION: &str = "00:05";

/// The programme as a frab `schedule.xml`, valid against the c3voc XSD.
pub fn schedule_xml(programme: &Programme) -> String {
    let timetable = Timetable::new(programme);
    let mut xml = XmlWriter::default();
    xml.out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.open("schedule", &[]);
    xml.leaf(
        "generator",
        &[("name", GENERATOR), ("version", env!("CARGO_PKG_VERSION"))],
        "",
    );
    xml.leaf("version", &[], &timetable.version);
    xml.open("conference", &[]);
    xml.leaf("acronym", &[], &timetable.acronym);
    xml.leaf("title", &[], timetable.title);
    let (first, last) = timetable.dates();
    if let (Some(first), Some(last)) = (first, last) {
        xml.leaf("start", &[], &first.to_string());
        xml.leaf("end", &[], &last.to_string());
    }
    xml.leaf("days", &[], &timetable.days.len().to_string());
    xml.leaf("timeslot_duration", &[], TIMESLOT_DURATION);
    xml.leaf("time_zone_name", &[], timetable.time_zone_name);
    xml.close("conference");
    for day in &timetable.days {
        xml.open(
            "day",
            &[
                ("index", &day.index.to_string()),
                ("date", &day.date.to_string()),
                ("start", &timetable.local(day.start)),
                ("end", &timetable.local(day.end)),
            ],
        );
        for (room, events) in timetable.rooms.iter().zip(&day.rooms) {
            let attributes = [("name", room.name.as_str()), ("guid", room.guid.as_str())];
            if events.is_empty() {
                xml.leaf("room", &attributes, "");
                continue;
            }
            xml.open("room", &attributes);
            for event in events {
                write_event(&mut xml, &timetable, &room.name, event);
            }
            xml.close("room");
        }
        xml.close("day");
    }
    xml.close("schedule");
    xml.out
}

fn write_event(xml: &mut XmlWriter, timetable: &Timetable<'_>, room: &str, event: &Event<'_>) {
    let slot = &event.slot.value;
    xml.open("event", &[("guid", &event.guid), ("id", &event.id.to_string())]);
    xml.leaf("room", &[], room);
    xml.leaf("title", &[], &slot.title);
    xml.leaf("type", &[], EVENT_TYPE);
    xml.leaf("date", &[], &timetable.local(slot.start));
    xml.leaf("start", &[], &timetable.clock(slot.start));
    let duration = match length(slot.start, slot.end) {
        (hours, minutes, 0) => format!("{hours:02}:{minutes:02}"),
        (hours, minutes, seconds) => format!("{hours:02}:{minutes:02}:{seconds:02}"),
    };
    xml.leaf("duration", &[], &duration);
    xml.leaf("abstract", &[], &slot.description);
    xml.leaf("track", &[], &slot.track);
    if !slot.language.is_empty() {
        xml.leaf("language", &[], &slot.language);
    }
    if event.persons.is_empty() {
        xml.leaf("persons", &[], "");
        xml.close("event");
        return;
    }
    xml.open("persons", &[]);
    for person in &event.persons {
        let id = person.id.map(|id| id.to_string());
        let mut attributes = vec![("guid", person.guid.as_str())];
        if let Some(id) = &id {
            attributes.push(("id", id));
        }
        xml.leaf("person", &attributes, &person.artist.name);
    }
    xml.close("persons");
    xml.close("event");
}

/// Writes indented XML.
#[derive(Default)]
struct XmlWriter {
    out: String,
    depth: usize,
}

impl XmlWriter {
    fn tag(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.out.push_str(&"  ".repeat(self.depth));
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out
                .push_str(&format!(" {key}=\"{}\"", escape_attribute(value)));
        }
    }

    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.tag(name, attributes);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.out.push_str(&"  ".repeat(self.depth));
        self.out.push_str(&format!("</{name}>\n"));
    }

    /// An element with only text in it (or nothing).
    fn leaf(&mut self, name: &str, attributes: &[(&str, &str)], text: &str) {
        self.tag(name, attributes);
        if text.is_empty() {
            self.out.push_str("/>\n");
        } else {
            let text = quick_xml::escape::partial_escape(xml_chars(text));
            self.out.push_str(&format!(">{text}</{name}>\n"));
        }
    }
}

/// `text` without the characters XML 1.0 does not allow at all.
fn xml_chars(text: &str) -> String {
    text.chars()
        .filter(|char| {
            matches!(char, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        })
        .collect()
}

/// An attribute value that reads back as it is: line breaks and tabs as
/// character references, which attribute normalisation keeps.
fn escape_attribute(value: &str) -> String {
    quick_xml::escape::escape(xml_chars(value))
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

/// The changes that import a frab or pretalx `schedule.xml` into the
/// programme's festival, by the rules of [`crate::formats`]; none if any of
/// the file is malformed.
pub fn import_schedule_xml(text: &str, programme: &Programme) -> Result<Plan, ImportError> {
    let root = read_tree(text.strip_prefix('\u{feff}').unwrap_or(text))?;
    let schedule = read_schedule(&root, &programme.festival)?;
    Ok(matching::plan(&schedule, programme))
}

fn read_schedule(root: &Element, festival: &Festival) -> Result<ImportedSchedule, ImportError> {
    if root.name != "schedule" {
        return Err(Problem::new(
            "schedule",
            format!("the root element is <{}>, not <schedule>", root.name),
        )
        .at(Some(root.line), "file"));
    }
    let conference = root.child("conference");
    let conference_text = |name: &str| conference.and_then(|conference| conference.child_text(name));
    let zone = conference_zone(conference_text("time_zone_name")).unwrap_or_else(|| festival.zone());
    let mut builder = ScheduleBuilder::new(conference_text("acronym"), conference_text("base_url"));
    for (position, day) in root.children_named("day").enumerate() {
        let index = day
            .attribute("index")
            .and_then(|index| index.trim().parse().ok())
            .unwrap_or(position + 1);
        let day_start = day
            .attribute("start")
            .and_then(|start| parse_instant(start.trim(), &zone));
        let dates = DayDates {
            date: day
                .attribute("date")
                .and_then(|date| date.trim().parse::<Date>().ok())
                .or_else(|| day_start.map(|start| zone.to_datetime(start).date())),
            change: day_start.map(|start| zone.to_datetime(start).time()),
        };
        for room in day.children_named("room") {
            let name = room.attribute("name").map(str::trim).unwrap_or_default();
            if name.is_empty() {
                return Err(
                    Problem::new("name", "missing").at(Some(room.line), &format!("day {index} / room"))
                );
            }
            let room_index = builder.room(name, room.attribute("guid"), None);
            for event in room.children_named("event") {
                let text = EventText {
                    guid: event.attribute("guid"),
                    id: event.attribute("id").map(str::to_owned),
                    code: event.attribute("code"),
                    title: event.child_text("title"),
                    subtitle: event.child_text("subtitle"),
                    abstract_: event.child_text("abstract"),
                    description: event.child_text("description"),
                    track: event.child_text("track"),
                    language: event.child_text("language"),
                    date: event.child_text("date"),
                    start: event.child_text("start"),
                    duration: event.child_text("duration"),
                    end: None,
                };
                let place = place(index, name, text.name());
                let persons: Vec<usize> = event
                    .child("persons")
                    .into_iter()
                    .flat_map(|persons| persons.children_named("person"))
                    .filter_map(|person| {
                        builder.person(ImportedPerson {
                            name: person.text.clone(),
                            guid: person.attribute("guid").map(str::to_owned),
                            code: person.attribute("code").map(str::to_owned),
                            id: person.attribute("id").map(str::to_owned),
                            bio: None,
                            links: Vec::new(),
                        })
                    })
                    .collect();
                let times = event_times(&text, &dates, &zone);
                // An error about a time names the line of its element.
                let line = match &times {
                    Err(problem) => event.child(problem.field).map_or(event.line, |child| child.line),
                    Ok(_) => event.line,
                };
                builder.event(&text, times, room_index, &persons, &place, Some(line))?;
            }
        }
    }
    Ok(builder.finish())
}

/// An XML element with its attributes, child elements, text and line.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    /// The text directly in it, all pieces joined.
    text: String,
    line: usize,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |child| child.name == name)
    }

    fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|child| child.text.as_str())
    }
}

/// Byte positions as lines and columns.
struct Lines<'a> {
    text: &'a str,
    /// Where each line starts.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(index, _)| index + 1))
            .collect();
        Self { text, starts }
    }

    fn line(&self, position: usize) -> usize {
        self.starts.partition_point(|start| *start <= position).max(1)
    }

    fn malformed(&self, position: u64, problem: impl std::fmt::Display) -> ImportError {
        let position = usize::try_from(position)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        let line = self.line(position);
        let start = self.starts[line - 1];
        let column = self
            .text
            .get(start..position)
            .map_or(1, |before| before.chars().count() + 1);
        ImportError::Malformed {
            line,
            column,
            problem: problem.to_string(),
        }
    }
}

/// The file's root element, with everything in it.
fn read_tree(text: &str) -> Result<Element, ImportError> {
    let lines = Lines::new(text);
    let mut reader = Reader::from_str(text);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let position = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|error| lines.malformed(reader.error_position(), error))?;
        let line = lines.line(usize::try_from(position).unwrap_or(usize::MAX));
        let text = match event {
            XmlEvent::Start(tag) => {
                open.push(element(&tag, line).map_err(|error| lines.malformed(position, error))?);
                continue;
            }
            XmlEvent::Empty(tag) => {
                let element = element(&tag, line).map_err(|error| lines.malformed(position, error))?;
                close(element, &mut open, &mut root).map_err(|error| lines.malformed(position, error))?;
                continue;
            }
            XmlEvent::End(_) => {
                if let Some(element) = open.pop() {
                    close(element, &mut open, &mut root).map_err(|error| lines.malformed(position, error))?;
                }
                continue;
            }
            XmlEvent::Text(text) => text
                .xml_content(XmlVersion::Implicit1_0)
                .map(|text| text.into_owned()),
            XmlEvent::CData(data) => data
                .xml_content(XmlVersion::Implicit1_0)
                .map(|text| text.into_owned()),
            XmlEvent::GeneralRef(reference) => {
                let text = resolve(&reference).map_err(|error| lines.malformed(position, error))?;
                Ok(text)
            }
            XmlEvent::Eof => break,
            _ => continue,
        };
        let text = text.map_err(|error| lines.malformed(position, error))?;
        if let Some(element) = open.last_mut() {
            element.text.push_str(&text);
        }
    }
    if let Some(element) = open.last() {
        let problem = format!("<{}> of line {} is not closed", element.name, element.line);
        return Err(lines.malformed(text.len() as u64, problem));
    }
    root.ok_or_else(|| lines.malformed(text.len() as u64, "no element"))
}

fn element(tag: &BytesStart<'_>, line: usize) -> Result<Element, String> {
    let mut attributes = Vec::new();
    for attribute in tag.attributes() {
        let attribute = attribute.map_err(|error| error.to_string())?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|error| error.to_string())?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        attributes.push((key, value.into_owned()));
    }
    Ok(Element {
        name: String::from_utf8_lossy(tag.local_name().as_ref()).into_owned(),
        attributes,
        line,
        ..Element::default()
    })
}

/// Puts a finished element into its parent, or makes it the root.
fn close(element: Element, open: &mut [Element], root: &mut Option<Element>) -> Result<(), String> {
    match open.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return Err(format!("a second root element <{}>", element.name)),
    }
    Ok(())
}

/// A character or predefined entity reference.
fn resolve(reference: &BytesRef<'_>) -> Result<String, String> {
    if let Some(char) = reference.resolve_char_ref().map_err(|error| error.to_string())? {
        return Ok(char.to_string());
    }
    let name = reference.decode().map_err(|error| error.to_string())?;
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(str::to_owned)
        .ok_or_else(|| format!("unknown entity &{name};"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_read_with_lines_and_resolved_references() {
        let root = read_tree("<?xml version=\"1.0\"?>\n<a x=\"1 &amp; 2\">\n  <b>Rock &amp; Roll &#x263A;<![CDATA[ <raw> ]]></b>\n</a>\n").unwrap();
        assert_eq!((root.name.as_str(), root.line), ("a", 2));
        assert_eq!(root.attribute("x"), Some("1 & 2"));
        let b = root.child("b").unwrap();
        assert_eq!((b.text.as_str(), b.line), ("Rock & Roll ☺ <raw> ", 3));
    }

    #[test]
    fn malformed_xml_is_refused_naming_the_line() {
        let error = read_tree("<a>\n  <b>\n  </c>\n</a>\n").unwrap_err();
        assert!(matches!(error, ImportError::Malformed { line: 3, .. }), "{error}");
        let error = read_tree("<a>\n  <b>\n").unwrap_err();
        assert!(
            error.to_string().contains("<b> of line 2 is not closed"),
            "{error}"
        );
        let error = read_tree("<a>&nbsp;</a>").unwrap_err();
        assert!(error.to_string().contains("unknown entity &nbsp;"), "{error}");
    }

    #[test]
    fn text_and_attributes_are_escaped_and_read_back_as_they_were() {
        let mut xml = XmlWriter::default();
        let value = "a \"quoted\" <tag> & 'more'\nsecond line\u{1}";
        xml.leaf("x", &[("v", value)], value);
        let root = read_tree(&xml.out).unwrap();
        let clean = value.trim_end_matches('\u{1}');
        assert_eq!(root.attribute("v"), Some(clean));
        assert_eq!(root.text, clean);
    }
}
