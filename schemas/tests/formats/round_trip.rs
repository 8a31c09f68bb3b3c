//! A pretalx-style file imported into an empty festival and exported again
//! says the same about rooms, events, times and persons.

use lineup_schemas::formats::{import_schedule_json, import_schedule_xml, schedule_json, schedule_xml};

use crate::test_utils::*;

#[test]
fn a_pretalx_schedule_xml_comes_back_with_the_same_rooms_events_times_and_persons() {
    let file = fixture("pretalx-style/schedule.xml");
    let empty = empty_festival();
    let programme = applied(empty.clone(), &import_schedule_xml(&file, &empty).unwrap());
    assert_eq!(
        (
            programme.areas.len(),
            programme.artists.len(),
            programme.slots.len()
        ),
        (3, 6, 12)
    );

    let exported = schedule_xml(&programme);
    assert_eq!(xml_events(&exported), xml_events(&file));
    assert_eq!(xml_rooms(&exported), xml_rooms(&file));
}

#[test]
fn a_pretalx_schedule_json_comes_back_with_the_same_rooms_events_times_and_persons() {
    let file = fixture("pretalx-style/schedule.json");
    let empty = empty_festival();
    let programme = applied(empty.clone(), &import_schedule_json(&file, &empty).unwrap());
    assert_eq!(
        (
            programme.areas.len(),
            programme.artists.len(),
            programme.slots.len()
        ),
        (3, 6, 12)
    );

    let exported = schedule_json(&programme);
    assert_eq!(json_events(&exported), json_events(&file));
    assert_eq!(json_rooms(&exported), json_rooms(&file));
}

#[test]
fn the_xml_and_the_json_of_one_programme_say_the_same_in_either_format() {
    let (xml, json) = (
        fixture("pretalx-style/schedule.xml"),
        fixture("pretalx-style/schedule.json"),
    );
    assert_eq!(
        xml_events(&xml),
        json_events(&json),
        "the fixtures hold one programme"
    );

    let empty = empty_festival();
    let from_xml = applied(empty.clone(), &import_schedule_xml(&xml, &empty).unwrap());
    assert_eq!(json_events(&schedule_json(&from_xml)), json_events(&json));
    let from_json = applied(empty.clone(), &import_schedule_json(&json, &empty).unwrap());
    assert_eq!(xml_events(&schedule_xml(&from_json)), xml_events(&xml));
}

#[test]
fn an_export_imported_into_another_festival_is_the_same_programme() {
    let programme = awkward_festival();
    for (exported, import) in [
        (schedule_xml(&programme), import_schedule_xml as fn(&str, &_) -> _),
        (schedule_json(&programme), import_schedule_json),
    ] {
        let empty = empty_festival();
        let copy = applied(empty.clone(), &import(&exported, &empty).unwrap());
        let slots = |programme: &lineup_schemas::model::Programme| {
            let mut slots: Vec<_> = programme
                .slots
                .iter()
                .filter(|slot| slot.status == lineup_schemas::model::SlotStatus::Scheduled)
                .filter(|slot| programme.areas.iter().any(|area| area.id == slot.area))
                .map(|slot| {
                    let area = programme.areas.iter().find(|area| area.id == slot.area).unwrap();
                    let artists: Vec<&str> = slot
                        .artists
                        .iter()
                        .map(|id| {
                            programme
                                .artists
                                .iter()
                                .find(|artist| artist.id == *id)
                                .unwrap()
                                .name
                                .as_str()
                        })
                        .collect();
                    let guid = lineup_schemas::formats::exchange_guid(&slot.id, &slot.guid);
                    (
                        guid,
                        slot.title.trim().to_owned(),
                        slot.start,
                        slot.end,
                        area.name.clone(),
                        artists.join(", "),
                    )
                })
                .collect();
            slots.sort();
            slots
        };
        let mut expected = slots(&programme);
        // Two stages of one name are told apart in the formats.
        for slot in &mut expected {
            if slot.1 == "Same name, other stage" || slot.1.starts_with("Long title") {
                slot.4 = "Stage (2)".into();
            }
        }
        assert_eq!(slots(&copy), expected);
        assert_eq!(
            copy.slots.len(),
            5,
            "neither the cancelled slot nor the one without its area"
        );
    }
}

#[test]
fn slots_after_midnight_are_listed_on_the_festival_day_before() {
    let file = fixture("pretalx-style/schedule.xml");
    let empty = empty_festival();
    let programme = applied(empty.clone(), &import_schedule_xml(&file, &empty).unwrap());
    let days = xml_event_days(&schedule_xml(&programme));
    let day_of = |title: &str| {
        days.iter()
            .find(|(listed, _)| listed == title)
            .unwrap()
            .1
            .as_str()
    };
    assert_eq!(day_of("Midnight Drift"), "2026-07-03", "23:30 to 01:30");
    assert_eq!(
        day_of("After-hours jam"),
        "2026-07-03",
        "00:30 on Saturday is Friday night"
    );
    assert_eq!(day_of("Panel: Sound and space"), "2026-07-04");
}
