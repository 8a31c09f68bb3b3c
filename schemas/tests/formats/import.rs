//! Imports: the real pretalx democon export, idempotence, updates and
//! cancellations, relations within a plan, and malformed files refused
//! whole.

use std::time::Instant;

use lineup_core::Value;
use lineup_schemas::formats::{import_schedule_json, import_schedule_xml, ImportError};
use lineup_schemas::model::{Area, AreaKind, Artist, Programme, SlotStatus, Stored};
use lineup_schemas::plan::{Action, Plan, Planned, Target};
use lineup_schemas::Kind;

use crate::test_utils::*;

fn xml() -> String {
    fixture("pretalx-style/schedule.xml")
}

fn json() -> String {
    fixture("pretalx-style/schedule.json")
}

fn imported_xml(text: &str) -> Programme {
    let empty = empty_festival();
    applied(empty.clone(), &import_schedule_xml(text, &empty).unwrap())
}

fn slot<'a>(programme: &'a Programme, title: &str) -> &'a Stored<lineup_schemas::model::Slot> {
    programme
        .slots
        .iter()
        .find(|slot| slot.title == title)
        .unwrap_or_else(|| panic!("no slot {title:?}"))
}

fn names(programme: &Programme, ids: &[lineup_core::DocumentId]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            programme
                .artists
                .iter()
                .find(|artist| artist.id == *id)
                .unwrap()
                .name
                .clone()
        })
        .collect()
}

#[test]
fn the_real_pretalx_democon_json_imports() {
    let empty = empty_festival();
    let plan = import_schedule_json(&fixture("c3voc/pretalx-democon.json"), &empty).unwrap();
    let programme = applied(empty, &plan);
    assert_eq!(
        (
            programme.areas.len(),
            programme.artists.len(),
            programme.slots.len()
        ),
        (2, 27, 36)
    );

    // Both rooms carry one guid in the file: it is used for neither.
    assert!(programme
        .areas
        .iter()
        .all(|area| area.guid.is_empty() && area.kind == AreaKind::Stage));
    let first = programme
        .slots
        .iter()
        .find(|slot| slot.guid == "8079583e-8321-506c-95af-fd2903a5f075")
        .unwrap();
    assert_eq!(first.title, "Focused 5thgeneration hardware");
    // The date's offset (+01:00) decides, though time_zone_name says UTC.
    assert_eq!(
        (first.start, first.end),
        (utc("2020-12-14T08:00:00Z"), utc("2020-12-14T08:30:00Z"))
    );
    assert_eq!(names(&programme, &first.artists), ["Brian Robinson"]);
    assert!(first
        .description
        .starts_with("Brand back-end models!\n\nStation provide certain mean."));
    assert_eq!((first.track.as_str(), first.language.as_str()), ("Phased", "en"));
    let brian = programme
        .artists
        .iter()
        .find(|artist| artist.name == "Brian Robinson")
        .unwrap();
    assert_eq!(
        brian.guid, "NQTF8Y",
        "the pretalx code, as there is no person guid"
    );
    assert!(brian.bio.starts_with("Break through direction."));
    let shared = programme
        .slots
        .iter()
        .filter(|slot| slot.artists.len() > 1)
        .count();
    assert!(shared >= 5, "events with several persons");
}

#[test]
fn importing_the_same_file_twice_plans_nothing_the_second_time() {
    type Import = fn(&str, &Programme) -> Result<Plan, ImportError>;
    let files: [(String, Import); 3] = [
        (xml(), import_schedule_xml),
        (json(), import_schedule_json),
        (fixture("c3voc/pretalx-democon.json"), import_schedule_json),
    ];
    for (file, import) in files {
        let empty = empty_festival();
        let once = applied(empty.clone(), &import(&file, &empty).unwrap());
        let again = import(&file, &once).unwrap();
        assert!(again.is_empty(), "{:#?}", again.changes);
    }
}

#[test]
fn the_json_after_the_xml_of_one_programme_adds_only_what_xml_cannot_carry() {
    let programme = imported_xml(&xml());
    let plan = import_schedule_json(&json(), &programme).unwrap();
    assert!(!plan.is_empty());
    for change in &plan.changes {
        assert_eq!(change.kind, Kind::Artist, "{change:?}");
        assert!(matches!(change.action, Action::Update { .. }));
        let fields: Vec<&str> = change.fields.keys().map(String::as_str).collect();
        assert!(
            fields.iter().all(|field| ["bio", "links"].contains(field)),
            "{fields:?}"
        );
    }
    let programme = applied(programme, &plan);
    let mira = programme
        .artists
        .iter()
        .find(|artist| artist.name == "Mira Vogel")
        .unwrap();
    assert_eq!(
        mira.links,
        ["https://pretalx.example.org/lakeside2026/speaker/MRV3K9/"]
    );
    assert!(
        import_schedule_xml(&xml(), &programme).unwrap().is_empty(),
        "and the XML again changes nothing"
    );
}

#[test]
fn new_slots_relate_to_the_areas_and_artists_created_earlier_in_the_plan() {
    let plan = import_schedule_xml(&xml(), &empty_festival()).unwrap();
    let kinds: Vec<Kind> = plan.changes.iter().map(|change| change.kind).collect();
    assert_eq!(kinds.iter().filter(|kind| **kind == Kind::Area).count(), 3);
    assert_eq!(kinds.iter().filter(|kind| **kind == Kind::Artist).count(), 6);
    assert_eq!(kinds.iter().filter(|kind| **kind == Kind::Slot).count(), 12);
    for (index, change) in plan.changes.iter().enumerate() {
        assert_eq!(change.action, Action::Create);
        if change.kind != Kind::Slot {
            continue;
        }
        let Planned::Relation(Target::Created(area)) = change.fields["area"] else {
            panic!("a new slot's area is one the plan creates");
        };
        assert!(area < index && plan.changes[area].kind == Kind::Area);
        let Planned::Relations(artists) = &change.fields["artists"] else {
            panic!("artists are planned relations");
        };
        for artist in artists {
            let Target::Created(artist) = artist else {
                panic!("a new slot's artists are ones the plan creates");
            };
            assert!(*artist < index && plan.changes[*artist].kind == Kind::Artist);
        }
    }
}

#[test]
fn a_newer_version_updates_only_the_changed_fields_of_changed_slots() {
    let programme = imported_xml(&xml());
    let drift = slot(&programme, "Midnight Drift").clone();
    let newer = xml()
        .replace("<title>Midnight Drift</title>", "<title>Midnight Drift (extended)</title>")
        .replace(
            "<date>2026-07-03T23:30:00+02:00</date>\n                <start>23:30</start>\n                <duration>02:00</duration>",
            "<date>2026-07-03T23:00:00+02:00</date>\n                <start>23:00</start>\n                <duration>03:00</duration>",
        )
        .replace(
            "<title>Nachtschicht</title>",
            "<title>Nachtschicht</title><!-- Jonas left -->",
        );
    // Jonas Kern leaves Nachtschicht: his line in that event goes.
    let nacht = newer.find("<!-- Jonas left -->").unwrap();
    let jonas = nacht + newer[nacht..].find("<person id='13'").unwrap();
    let line_end = jonas + newer[jonas..].find('\n').unwrap();
    let newer = format!("{}{}", &newer[..jonas], &newer[line_end..]);
    assert_ne!(newer, xml());
    let plan = import_schedule_xml(&newer, &programme).unwrap();
    let update = plan
        .changes
        .iter()
        .find(|change| {
            change.action
                == Action::Update {
                    document: drift.id,
                    previous: drift.view.clone(),
                }
        })
        .expect("an update of the slot, building on its stored view");
    let mut fields: Vec<&str> = update.fields.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(fields, ["end", "start", "title"]);
    assert_eq!(
        update.fields["title"],
        Planned::Value(Value::Str("Midnight Drift (extended)".into()))
    );

    let after = applied(programme.clone(), &plan);
    let extended = slot(&after, "Midnight Drift (extended)");
    assert_eq!(
        (extended.start, extended.end),
        (utc("2026-07-03T21:00:00Z"), utc("2026-07-04T00:00:00Z"))
    );
    let nacht = slot(&after, "Nachtschicht");
    assert_eq!(
        names(&after, &nacht.artists),
        ["Mira Vogel"],
        "Jonas left Nachtschicht"
    );
    assert_eq!(plan.changes.len(), 2, "{:#?}", plan.changes);
    assert!(import_schedule_xml(&newer, &after).unwrap().is_empty());
}

#[test]
fn a_slot_no_longer_in_the_file_is_cancelled_and_comes_back_when_it_returns() {
    let programme = imported_xml(&xml());
    let start = xml()
        .find("<event guid='a0e1f2d3-c4b5-5a69-8111-000000000111'")
        .unwrap();
    let end = start + xml()[start..].find("</event>").unwrap() + "</event>".len();
    let without = format!("{}{}", &xml()[..start], &xml()[end..]);
    let zine = slot(&programme, "Zine making").clone();

    let plan = import_schedule_xml(&without, &programme).unwrap();
    assert_eq!(plan.changes.len(), 1);
    let change = &plan.changes[0];
    assert_eq!(
        change.action,
        Action::Update {
            document: zine.id,
            previous: zine.view.clone()
        }
    );
    assert_eq!(change.fields.len(), 1);
    assert_eq!(
        change.fields["status"],
        Planned::Value(Value::Str("cancelled".into()))
    );

    let cancelled = applied(programme, &plan);
    assert_eq!(slot(&cancelled, "Zine making").status, SlotStatus::Cancelled);
    assert!(
        import_schedule_xml(&without, &cancelled).unwrap().is_empty(),
        "cancelled once"
    );

    let back = import_schedule_xml(&xml(), &cancelled).unwrap();
    assert_eq!(back.changes.len(), 1);
    assert_eq!(
        back.changes[0].fields["status"],
        Planned::Value(Value::Str("scheduled".into()))
    );
}

#[test]
fn of_a_slot_two_devices_imported_at_once_the_next_import_keeps_one_and_cancels_the_copy() {
    let mut programme = imported_xml(&xml());
    let mut copy = programme.slots[0].clone();
    copy.id = made_up_id();
    programme.slots.push(copy.clone());

    let plan = import_schedule_xml(&xml(), &programme).unwrap();
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(
        plan.changes[0].action,
        Action::Update {
            document: copy.id,
            previous: copy.view.clone()
        }
    );
    assert_eq!(
        plan.changes[0].fields["status"],
        Planned::Value(Value::Str("cancelled".into()))
    );
}

#[test]
fn a_slot_made_in_lineup_is_not_cancelled_by_an_import() {
    let mut programme = imported_xml(&xml());
    let mut own = programme.slots[0].clone();
    own.id = made_up_id();
    own.value.guid = String::new();
    programme.slots.push(own);
    assert!(import_schedule_xml(&xml(), &programme).unwrap().is_empty());
}

#[test]
fn an_area_and_an_artist_of_the_same_name_without_guids_adopt_the_files() {
    let mut programme = empty_festival();
    let festival = programme.festival.id;
    programme.areas.push(Stored {
        id: made_up_id(),
        view: made_up_view(),
        value: Area {
            festival,
            name: "Main Stage".into(),
            kind: AreaKind::Stage,
            capacity: 1500,
            location: "North shore".into(),
            description: String::new(),
            guid: String::new(),
        },
    });
    programme.artists.push(Stored {
        id: made_up_id(),
        view: made_up_view(),
        value: Artist {
            festival,
            name: "Mira Vogel".into(),
            bio: String::new(),
            links: Vec::new(),
            photo: None,
            guid: String::new(),
        },
    });
    let plan = import_schedule_xml(&xml(), &programme).unwrap();
    let after = applied(programme.clone(), &plan);
    assert_eq!(after.areas.len(), 3);
    assert_eq!(after.artists.len(), 6);
    assert_eq!(after.areas[0].guid, "3b4c1d2e-5f60-4a71-8b92-a3b4c5d6e7f8");
    assert_eq!(after.areas[0].location, "North shore", "only the guid changes");
    assert_eq!(after.artists[0].guid, "1b2c3d4e-5f6a-4b7c-9d8e-9f0a1b2c3d4e");
    assert_eq!(
        names(&after, &slot(&after, "Nachtschicht").artists),
        ["Mira Vogel", "Jonas Kern"]
    );
    assert!(slot(&after, "Nachtschicht")
        .artists
        .contains(&programme.artists[0].id));
}

#[test]
fn an_event_without_a_date_takes_its_days_date_and_start_in_the_conference_zone() {
    let frab = "<?xml version='1.0'?>\n<schedule>\n<version>1</version>\n<conference>\
        <acronym>oldfrab</acronym><title>Old frab</title><time_zone_name>Europe/Berlin</time_zone_name>\
        </conference>\n<day index='1' date='2026-07-03' start='2026-07-03T10:00:00+02:00' end='2026-07-04T04:00:00+02:00'>\n\
        <room name='Saal 1'>\n\
        <event id='1'><title>Evening</title><start>21:00</start><duration>1:30</duration></event>\n\
        <event id='2'><title>Night</title><start>01:00</start><duration>00:45:30</duration></event>\n\
        </room>\n</day>\n</schedule>\n";
    let programme = imported_xml(frab);
    let evening = slot(&programme, "Evening");
    assert_eq!(
        (evening.start, evening.end),
        (utc("2026-07-03T19:00:00Z"), utc("2026-07-03T20:30:00Z"))
    );
    let night = slot(&programme, "Night");
    assert_eq!(
        (night.start, night.end),
        (utc("2026-07-03T23:00:00Z"), utc("2026-07-03T23:45:30Z"))
    );
    assert!(
        !evening.guid.is_empty() && evening.guid != night.guid,
        "derived from the acronym and id"
    );
    assert!(import_schedule_xml(frab, &programme).unwrap().is_empty());
}

#[test]
fn a_persons_url_that_is_a_path_is_resolved_against_the_base_url() {
    let file = json()
        .replace(
            "\"base_url\": \"https://pretalx.example.org\"",
            "\"base_url\": \"https://pretalx.example.org/lakeside2026/\"",
        )
        .replace(
            "\"url\": \"https://pretalx.example.org/lakeside2026/speaker/ADL5M1/\"",
            "\"url\": \"speaker/ADL5M1/\"",
        );
    let empty = empty_festival();
    let programme = applied(empty.clone(), &import_schedule_json(&file, &empty).unwrap());
    let ada = programme
        .artists
        .iter()
        .find(|artist| artist.name == "Ada Lindqvist")
        .unwrap();
    assert_eq!(
        ada.links,
        ["https://pretalx.example.org/lakeside2026/speaker/ADL5M1/"]
    );
}

#[test]
fn malformed_xml_is_refused_naming_its_line_and_plans_nothing() {
    let broken = xml().replacen("</title>", "</titel>", 3);
    let line = broken.lines().position(|line| line.contains("</titel>")).unwrap() + 1;
    let error = import_schedule_xml(&broken, &empty_festival()).unwrap_err();
    let ImportError::Malformed { line: found, .. } = error else {
        panic!("{error}");
    };
    assert_eq!(found, line);
}

#[test]
fn an_xml_event_with_an_impossible_start_is_refused_naming_its_day_room_event_and_line() {
    let file = xml()
        .replace("<date>2026-07-03T11:00:00+02:00</date>", "")
        .replace("<start>11:00</start>", "<start>25:00</start>");
    let line = file.lines().position(|line| line.contains("25:00")).unwrap() + 1;
    let error = import_schedule_xml(&file, &empty_festival()).unwrap_err();
    assert_eq!(
        error,
        ImportError::Invalid {
            line: Some(line),
            place: "day 2 / room \"Saal 1\" / event \"Kids' morning\" (guid a0e1f2d3-c4b5-5a69-8108-000000000108)"
                .into(),
            field: "start".into(),
            problem: "\"25:00\" is not a time".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        format!(
            "line {line}: day 2 / room \"Saal 1\" / event \"Kids' morning\" \
             (guid a0e1f2d3-c4b5-5a69-8108-000000000108): start: \"25:00\" is not a time"
        )
    );
}

#[test]
fn malformed_json_is_refused_naming_its_line_and_column() {
    let broken = json().replacen("\"title\": \"Nachtschicht\",", "\"title\": \"Nachtschicht\"", 1);
    let line = broken
        .lines()
        .position(|line| line.contains("\"Nachtschicht\""))
        .unwrap()
        + 2;
    let error = import_schedule_json(&broken, &empty_festival()).unwrap_err();
    assert!(
        matches!(error, ImportError::Malformed { line: found, column, .. } if found == line && column > 0),
        "{error}"
    );

    let wrong_type = json().replacen("\"title\": \"Nachtschicht\"", "\"title\": 42", 1);
    let error = import_schedule_json(&wrong_type, &empty_festival()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("line {}, column", line - 1)),
        "{error}"
    );
}

#[test]
fn a_json_event_with_a_bad_duration_is_refused_naming_its_place() {
    let file = json().replacen("\"duration\": \"00:45\"", "\"duration\": \"three quarters\"", 1);
    let error = import_schedule_json(&file, &empty_festival()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "day 1 / room \"Forest Tent\" / event \"Workshop: Field recording\" \
         (guid a0e1f2d3-c4b5-5a69-8103-000000000103): duration: \"three quarters\" is not a duration"
    );
}

#[test]
fn one_bad_event_among_good_ones_refuses_the_whole_file() {
    let file = xml().replacen("<duration>00:30</duration>", "<duration>00:00</duration>", 1);
    let error = import_schedule_xml(&file, &empty_festival()).unwrap_err();
    assert!(
        matches!(&error, ImportError::Invalid { field, place, .. } if field == "duration" && place.contains("Lightning talks")),
        "{error}"
    );
}

#[test]
fn two_events_with_one_guid_are_refused() {
    let file = xml().replace(
        "a0e1f2d3-c4b5-5a69-8112-000000000112",
        "a0e1f2d3-c4b5-5a69-8101-000000000101",
    );
    let error = import_schedule_xml(&file, &empty_festival()).unwrap_err();
    assert!(
        error.to_string().contains(
            "guid: a0e1f2d3-c4b5-5a69-8101-000000000101 is also the guid of day 1 / room \"Main Stage\""
        ),
        "{error}"
    );
}

#[test]
fn a_byte_order_mark_before_the_file_is_skipped() {
    let empty = empty_festival();
    let with_mark = |text: String| format!("\u{feff}{text}");
    assert_eq!(
        import_schedule_xml(&with_mark(xml()), &empty)
            .unwrap()
            .changes
            .len(),
        import_schedule_xml(&xml(), &empty).unwrap().changes.len()
    );
    assert_eq!(
        import_schedule_json(&with_mark(json()), &empty)
            .unwrap()
            .changes
            .len(),
        import_schedule_json(&json(), &empty).unwrap().changes.len()
    );
}

#[test]
fn a_file_that_is_no_schedule_is_refused() {
    let error =
        import_schedule_xml("<?xml version='1.0'?>\n<html><body/></html>", &empty_festival()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "line 2: file: schedule: the root element is <html>, not <schedule>"
    );
    let error = import_schedule_json("{\"days\": []}", &empty_festival()).unwrap_err();
    assert!(error.to_string().contains("missing field `schedule`"), "{error}");
}

#[test]
fn a_five_day_programme_of_a_hundred_events_imports_as_one_plan() {
    let file = generated_schedule_xml(5, 4, 5);
    let empty = empty_festival();
    let started = Instant::now();
    let plan = import_schedule_xml(&file, &empty).unwrap();
    let took = started.elapsed();
    let slots = plan
        .changes
        .iter()
        .filter(|change| change.kind == Kind::Slot)
        .count();
    assert_eq!(slots, 100);
    assert_eq!(plan.changes.len(), 100 + 4 + 40);
    let programme = applied(empty, &plan);
    let again = Instant::now();
    assert!(import_schedule_xml(&file, &programme).unwrap().is_empty());
    // Printed, not asserted: shown with `--nocapture`.
    println!(
        "imported 100 events in {took:?}; planned nothing again in {:?}",
        again.elapsed()
    );
}
