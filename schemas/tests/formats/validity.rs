//! Exports pass the c3voc validators: xmllint with the XSD, the JSON schema
//! with the jsonschema crate.

use lineup_schemas::formats::{import_schedule_json, import_schedule_xml, schedule_json, schedule_xml};

use crate::test_utils::*;

#[test]
fn the_pretalx_style_fixtures_pass_the_validators_themselves() {
    xmllint(&fixture("pretalx-style/schedule.xml")).unwrap();
    assert_eq!(
        json_schema_errors(&fixture("pretalx-style/schedule.json")),
        Vec::<String>::new()
    );
}

#[test]
fn the_validators_refuse_what_breaks_the_formats() {
    let xml = fixture("pretalx-style/schedule.xml").replacen(
        "<duration>01:00</duration>",
        "<duration>1h</duration>",
        1,
    );
    assert!(xmllint(&xml).is_err());
    let json =
        fixture("pretalx-style/schedule.json").replacen("\"start\": \"18:00\"", "\"start\": \"6pm\"", 1);
    assert!(!json_schema_errors(&json).is_empty());
}

#[test]
fn schedule_xml_exports_are_valid_against_the_c3voc_xsd() {
    let file = fixture("pretalx-style/schedule.xml");
    let empty = empty_festival();
    let imported = applied(empty.clone(), &import_schedule_xml(&file, &empty).unwrap());
    let democon = fixture("c3voc/pretalx-democon.json");
    let democon = applied(empty.clone(), &import_schedule_json(&democon, &empty).unwrap());
    for programme in [empty, imported, democon, awkward_festival()] {
        let exported = schedule_xml(&programme);
        if let Err(errors) = xmllint(&exported) {
            panic!("{errors}\n{exported}");
        }
    }
}

#[test]
fn schedule_json_exports_are_valid_against_the_c3voc_schema() {
    let file = fixture("pretalx-style/schedule.json");
    let empty = empty_festival();
    let imported = applied(empty.clone(), &import_schedule_json(&file, &empty).unwrap());
    let democon = fixture("c3voc/pretalx-democon.json");
    let democon = applied(empty.clone(), &import_schedule_json(&democon, &empty).unwrap());
    for programme in [empty, imported, democon, awkward_festival()] {
        let exported = schedule_json(&programme);
        assert_eq!(json_schema_errors(&exported), Vec::<String>::new(), "{exported}");
    }
}
