//! What the format tests share: festivals, applying a plan as a node would,
//! the fixtures, the c3voc validators, and reading exports back without the
//! importer under test.

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::{SignedDuration, Timestamp};
use lineup_core::{DocumentId, DocumentViewId, Hash, OperationId};
use lineup_schemas::fields::Fields;
use lineup_schemas::model::{
    Area, AreaKind, Artist, Document, Festival, Programme, Shift, Slot, SlotStatus, Stored,
};
use lineup_schemas::plan::{Action, Plan};
use lineup_schemas::Kind;
use quick_xml::events::Event;

/// A document id no other test uses.
pub(crate) fn made_up_id() -> DocumentId {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    DocumentId(Hash::of(format!("made-up document {n}").as_bytes()))
}

/// A view of one operation no other test uses.
pub(crate) fn made_up_view() -> DocumentViewId {
    DocumentViewId::from(OperationId(made_up_id().0))
}

pub(crate) fn id(seed: &str) -> DocumentId {
    DocumentId(Hash::of(seed.as_bytes()))
}

/// An instant from local time in Berlin: `2026-07-03T23:30`.
pub(crate) fn berlin(local: &str) -> Timestamp {
    let zone = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    let local: jiff::civil::DateTime = local.parse().unwrap();
    zone.to_timestamp(local).unwrap()
}

pub(crate) fn utc(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// A festival in Berlin with nothing in it yet, 2 to 4 July 2026.
pub(crate) fn empty_festival() -> Programme {
    Programme {
        festival: Stored {
            id: made_up_id(),
            view: made_up_view(),
            value: Festival {
                organisers: id("organisers"),
                crew_leads: id("crew leads"),
                crew: id("crew"),
                name: "Lakeside Open Air 2026".into(),
                description: "Three days by the lake.".into(),
                place: "Lakeside".into(),
                start: berlin("2026-07-02T12:00"),
                end: berlin("2026-07-05T04:00"),
                time_zone: "Europe/Berlin".into(),
                demo: false,
            },
        },
        areas: Vec::new(),
        artists: Vec::new(),
        slots: Vec::new(),
    }
}

/// Makes the changes of `plan` in `programme` as a node would, checking
/// that each relates only to documents that exist or that earlier changes
/// created, and that each update builds on the view stored.
pub(crate) fn apply(programme: &mut Programme, plan: &Plan) {
    let mut created = Vec::new();
    for (index, change) in plan.changes.iter().enumerate() {
        let fields = change
            .fields(&created)
            .unwrap_or_else(|| panic!("change {index} relates to a change after it"));
        match &change.action {
            Action::Create => {
                let id = made_up_id();
                let view = DocumentViewId::from(OperationId(id.0));
                match change.kind {
                    Kind::Area => programme.areas.push(Stored::read(id, view, &fields).unwrap()),
                    Kind::Artist => programme.artists.push(Stored::read(id, view, &fields).unwrap()),
                    Kind::Slot => programme.slots.push(Stored::read(id, view, &fields).unwrap()),
                    other => panic!("an import creates no {}", other.name()),
                }
                created.push(id);
            }
            Action::Update { document, previous } => {
                match change.kind {
                    Kind::Area => update(&mut programme.areas, *document, previous, fields),
                    Kind::Artist => update(&mut programme.artists, *document, previous, fields),
                    Kind::Slot => update(&mut programme.slots, *document, previous, fields),
                    other => panic!("an import updates no {}", other.name()),
                }
                created.push(*document);
            }
        }
    }
}

fn update<T: Document>(
    documents: &mut [Stored<T>],
    id: DocumentId,
    previous: &DocumentViewId,
    changes: Fields,
) {
    let stored = documents
        .iter_mut()
        .find(|document| document.id == id)
        .expect("an update of a document that exists");
    assert_eq!(&stored.view, previous, "an update builds on the view read");
    let mut fields = stored.value.fields();
    fields.extend(changes);
    *stored = Stored::read(id, made_up_view(), &fields).unwrap();
}

/// The programme after importing `plan` into it.
pub(crate) fn applied(mut programme: Programme, plan: &Plan) -> Programme {
    apply(&mut programme, plan);
    programme
}

pub(crate) fn fixture(path: &str) -> String {
    let path = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// `xmllint --schema` with the vendored c3voc XSD. Fails, never skips,
/// when xmllint is missing: `scripts/setup` installs it.
pub(crate) fn xmllint(xml: &str) -> Result<(), String> {
    let xsd = format!(
        "{}/tests/fixtures/c3voc/schedule.xml.xsd",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut child = Command::new("xmllint")
        .args(["--noout", "--schema", &xsd, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint runs (scripts/setup installs libxml2-utils)");
    child.stdin.take().unwrap().write_all(xml.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Where `json` breaks the vendored c3voc JSON schema, formats checked.
pub(crate) fn json_schema_errors(json: &str) -> Vec<String> {
    let schema: serde_json::Value = serde_json::from_str(&fixture("c3voc/schema.json")).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let instance: serde_json::Value = serde_json::from_str(json).unwrap();
    validator
        .iter_errors(&instance)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

/// What a schedule says of an event, whichever its format.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EventSummary {
    pub(crate) guid: String,
    pub(crate) title: String,
    pub(crate) room: String,
    pub(crate) start: Timestamp,
    pub(crate) end: Timestamp,
    pub(crate) persons: Vec<String>,
}

fn duration(text: &str) -> SignedDuration {
    let parts: Vec<i64> = text.split(':').map(|part| part.parse().unwrap()).collect();
    SignedDuration::from_secs(parts[0] * 3600 + parts[1] * 60 + parts.get(2).copied().unwrap_or(0))
}

/// The events of a `schedule.json`, read with serde_json alone.
pub(crate) fn json_events(json: &str) -> BTreeSet<EventSummary> {
    let file: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut events = BTreeSet::new();
    for day in file["schedule"]["conference"]["days"].as_array().unwrap() {
        for (room, list) in day["rooms"].as_object().unwrap() {
            for event in list.as_array().unwrap() {
                let start = utc(event["date"].as_str().unwrap());
                let end = match event["end"].as_str() {
                    Some(end) => utc(end),
                    None => start + duration(event["duration"].as_str().unwrap()),
                };
                events.insert(EventSummary {
                    guid: event["guid"].as_str().unwrap().into(),
                    title: event["title"].as_str().unwrap().into(),
                    room: room.clone(),
                    start,
                    end,
                    persons: event["persons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|person| {
                            person["name"]
                                .as_str()
                                .or(person["public_name"].as_str())
                                .unwrap()
                                .to_owned()
                        })
                        .collect(),
                });
            }
        }
    }
    events
}

/// The rooms a `schedule.json` lists: name and guid.
pub(crate) fn json_rooms(json: &str) -> BTreeSet<(String, String)> {
    let file: serde_json::Value = serde_json::from_str(json).unwrap();
    file["schedule"]["conference"]["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|room| {
            (
                room["name"].as_str().unwrap().into(),
                room["guid"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// The events of a `schedule.xml`, read with quick-xml's reader alone.
pub(crate) fn xml_events(xml: &str) -> BTreeSet<EventSummary> {
    xml_read(xml).0
}

/// The rooms a `schedule.xml` lists in its days: name and guid.
pub(crate) fn xml_rooms(xml: &str) -> BTreeSet<(String, String)> {
    xml_read(xml).1
}

/// The festival day (the `<day date>`) each event of a `schedule.xml` is
/// listed on, by title.
pub(crate) fn xml_event_days(xml: &str) -> Vec<(String, String)> {
    xml_read(xml).2
}

#[allow(clippy::type_complexity)]
fn xml_read(
    xml: &str,
) -> (
    BTreeSet<EventSummary>,
    BTreeSet<(String, String)>,
    Vec<(String, String)>,
) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let (mut events, mut rooms, mut days) = (BTreeSet::new(), BTreeSet::new(), Vec::new());
    let (mut day, mut room, mut text) = (String::new(), String::new(), String::new());
    let mut event: Option<(String, Vec<(String, String)>)> = None;
    let mut persons = Vec::new();
    let attribute = |tag: &quick_xml::events::BytesStart<'_>, name: &str| {
        tag.try_get_attribute(name)
            .unwrap()
            .map(|value| {
                value
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
            .unwrap_or_default()
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(tag) | Event::Empty(tag) => {
                text.clear();
                match tag.name().as_ref() {
                    b"day" => day = attribute(&tag, "date"),
                    b"room" if event.is_none() => {
                        room = attribute(&tag, "name");
                        rooms.insert((room.clone(), attribute(&tag, "guid")));
                    }
                    b"event" => {
                        event = Some((attribute(&tag, "guid"), Vec::new()));
                        persons.clear();
                    }
                    _ => {}
                }
            }
            Event::Text(content) => {
                text.push_str(&content.xml_content(quick_xml::XmlVersion::Implicit1_0).unwrap())
            }
            Event::GeneralRef(reference) => match reference.resolve_char_ref().unwrap() {
                Some(char) => text.push(char),
                None => text.push_str(
                    quick_xml::escape::resolve_predefined_entity(&reference.decode().unwrap()).unwrap(),
                ),
            },
            Event::End(tag) => {
                let name = String::from_utf8(tag.name().as_ref().to_vec()).unwrap();
                match (name.as_str(), &mut event) {
                    ("person", Some(_)) => persons.push(text.trim().to_owned()),
                    ("event", Some((guid, fields))) => {
                        let field = |name: &str| {
                            fields
                                .iter()
                                .find(|(key, _)| key == name)
                                .map(|(_, value)| value.clone())
                                .unwrap_or_default()
                        };
                        let start = utc(&field("date"));
                        let title = field("title");
                        days.push((title.clone(), day.clone()));
                        events.insert(EventSummary {
                            guid: guid.clone(),
                            title,
                            room: room.clone(),
                            start,
                            end: start + duration(&field("duration")),
                            persons: persons.clone(),
                        });
                        event = None;
                    }
                    (name, Some((_, fields))) => fields.push((name.to_owned(), text.trim().to_owned())),
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (events, rooms, days)
}

/// A festival with a bit of everything an export must cope with: areas of
/// every kind, two stages of one name, an area without slots, artists with
/// and without guids, a cancelled slot, a slot on an area that has not
/// arrived, one with seconds, one past midnight, text that needs escaping.
pub(crate) fn awkward_festival() -> Programme {
    let mut programme = empty_festival();
    let festival = programme.festival.id;
    let area = |name: &str, kind: AreaKind, guid: &str| Stored {
        id: made_up_id(),
        view: made_up_view(),
        value: Area {
            festival,
            name: name.into(),
            kind,
            capacity: if kind == AreaKind::Stage { 500 } else { 0 },
            location: String::new(),
            description: "A \"quoted\" <place> & more".into(),
            guid: guid.into(),
        },
    };
    let artist = |name: &str, guid: &str, links: &[&str]| Stored {
        id: made_up_id(),
        view: made_up_view(),
        value: Artist {
            festival,
            name: name.into(),
            bio: "Plays; sings, & writes\nlong songs.".into(),
            links: links.iter().map(|link| (*link).to_owned()).collect(),
            photo: None,
            guid: guid.into(),
        },
    };
    programme.areas = vec![
        // Sorted by name and guid, the second is "Stage (2)" in the formats.
        area("Stage", AreaKind::Stage, "00000000-0000-4000-8000-000000000001"),
        area("Stage", AreaKind::Stage, "not-a-uuid"),
        area("Empty stage", AreaKind::Stage, ""),
        area("Camp Kitchen", AreaKind::Camp, ""),
        area("Info", AreaKind::InfoPoint, ""),
    ];
    programme.artists = vec![
        artist(
            "Ümit & Ögge",
            "",
            &["https://example.org/ümit", "example.org/no-scheme"],
        ),
        artist("Code Person", "NQTF8Y", &["https://example.org/code"]),
        artist("Frab Person", "26", &[]),
        artist("Guid Person", "8079583e-8321-506c-95af-fd2903a5f075", &[]),
    ];
    let slot = |title: &str, area: usize, start: &str, end: &str, artists: &[usize]| Stored {
        id: made_up_id(),
        view: made_up_view(),
        value: Slot {
            festival,
            title: title.into(),
            description: "Line one;\nline two, with <markup> & \"quotes\"\u{1}".into(),
            artists: artists.iter().map(|index| programme.artists[*index].id).collect(),
            area: programme
                .areas
                .get(area)
                .map_or(id("an area not here yet"), |area| area.id),
            start: berlin(start),
            end: berlin(end),
            status: SlotStatus::Scheduled,
            track: "Folk, mostly".into(),
            language: String::new(),
            guid: String::new(),
        },
    };
    let mut slots = vec![
        slot(
            "Morning; songs, & more",
            0,
            "2026-07-03T10:00",
            "2026-07-03T11:00",
            &[0, 1],
        ),
        slot(
            "Same name, other stage",
            1,
            "2026-07-03T10:00",
            "2026-07-03T11:00",
            &[2, 3],
        ),
        slot("Soup", 3, "2026-07-03T12:00", "2026-07-03T12:30", &[]),
        slot("Late", 0, "2026-07-04T02:00", "2026-07-04T03:00", &[0]),
        slot("Nowhere yet", 99, "2026-07-03T15:00", "2026-07-03T16:00", &[]),
        slot("Called off", 0, "2026-07-03T18:00", "2026-07-03T19:00", &[1]),
        slot(
            &"Long title ".repeat(20),
            1,
            "2026-07-03T20:00",
            "2026-07-03T21:00",
            &[],
        ),
    ];
    slots[5].value.status = SlotStatus::Cancelled;
    slots[0].value.end = berlin("2026-07-03T11:00") + SignedDuration::from_secs(30);
    slots[1].value.language = "de".into();
    programme.slots = slots;
    programme
}

/// A shift on the festival's first area.
pub(crate) fn shift(programme: &Programme, role: &str, start: &str, end: &str) -> Stored<Shift> {
    Stored {
        id: made_up_id(),
        view: made_up_view(),
        value: Shift {
            festival: programme.festival.id,
            area: programme.areas[0].id,
            role: role.into(),
            start: berlin(start),
            end: berlin(end),
            capacity: 4,
            description: "Bring gloves, please.".into(),
        },
    }
}

/// A `schedule.xml` of `days` days from 2026-07-01, `rooms` rooms, and
/// `per_room` one-hour events in each room each day, each with two persons
/// from a pool of 40.
pub(crate) fn generated_schedule_xml(days: usize, rooms: usize, per_room: usize) -> String {
    let mut xml = String::from(
        "<?xml version='1.0' encoding='utf-8' ?>\n<schedule>\n<version>1</version>\n<conference>\n\
         <acronym>generated</acronym><title>Generated</title>\
         <time_zone_name>Europe/Berlin</time_zone_name>\n</conference>\n",
    );
    let mut n = 0;
    for day in 1..=days {
        let date = format!("2026-07-{day:02}");
        xml.push_str(&format!(
            "<day index='{day}' date='{date}' start='{date}T06:00:00+02:00' end='{date}T23:59:00+02:00'>\n"
        ));
        for room in 1..=rooms {
            xml.push_str(&format!("<room name='Room {room}'>\n"));
            for slot in 0..per_room {
                n += 1;
                let hour = 10 + slot * 2;
                xml.push_str(&format!(
                    "<event guid='00000000-0000-4000-8000-{n:012}' id='{n}'>\
                     <date>{date}T{hour:02}:00:00+02:00</date><start>{hour:02}:00</start>\
                     <duration>01:00</duration><room>Room {room}</room><title>Event {n}</title>\
                     <type>Talk</type><abstract>About event {n}.</abstract><track>Track {room}</track>\
                     <persons><person id='{}'>Person {}</person><person id='{}'>Person {}</person></persons>\
                     </event>\n",
                    n % 40 + 1,
                    n % 40 + 1,
                    (n + 7) % 40 + 1,
                    (n + 7) % 40 + 1,
                ));
            }
            xml.push_str("</room>\n");
        }
        xml.push_str("</day>\n");
    }
    xml.push_str("</schedule>\n");
    xml
}
