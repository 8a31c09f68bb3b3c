//! The reference vectors ingested by a real node on a real SQLite file: every
//! entry is accepted with the reference's next arguments, every document comes
//! out as the reference materialised it, and every invalid case is rejected at
//! the reference's stage with the reference's message, leaving the database
//! unchanged.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

use std::path::Path;

use lineup_core::{DocumentViewId, EncodedEntry, EncodedOperation, Hash, PublicKey, Value};
use lineup_node::ingest::{IngestError, NextArgs};
use lineup_node::replica::Replica;
use lineup_node::store::Durability;
use serde_json::Value as Json;

fn vectors() -> Json {
    serde_json::from_str(include_str!("../../tests/vectors/p2panda-rs-0.9.json")).expect("JSON")
}

fn text(json: &Json) -> &str {
    json.as_str()
        .unwrap_or_else(|| panic!("expected a string, found {json}"))
}

fn bytes(json: &Json) -> Vec<u8> {
    hex::decode(text(json)).expect("hex")
}

fn expected_next_args(json: &Json) -> NextArgs {
    let hash = |json: &Json| json.as_str().map(|hex| hex.parse::<Hash>().expect("hash"));
    NextArgs {
        log_id: lineup_core::LogId(json["log_id"].as_u64().expect("log id")),
        seq_num: lineup_core::SeqNum::new(json["seq_num"].as_u64().expect("seq num")).expect("non-zero"),
        backlink: hash(&json["backlink"]),
        skiplink: hash(&json["skiplink"]),
    }
}

/// Every row of every table, in a stable order, hashed; and the row counts.
fn fingerprint(path: &Path) -> (Vec<(String, usize)>, Hash) {
    let connection = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("read-only connection");
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut counts = Vec::new();
    let mut dump = String::new();
    for table in tables {
        let mut statement = connection.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let columns = statement.column_count();
        let mut rows: Vec<String> = statement
            .query_map([], |row| {
                (0..columns)
                    .map(|index| {
                        row.get::<_, rusqlite::types::Value>(index)
                            .map(|value| format!("{value:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|values| values.join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        counts.push((table.clone(), rows.len()));
        dump.push_str(&table);
        dump.push_str(&rows.join("\n"));
    }
    (counts, Hash::of(dump.as_bytes()))
}

fn stage_of(error: &IngestError) -> &'static str {
    match error {
        IngestError::DecodeOperation(_) => "decode_operation",
        IngestError::SchemaNotFound(_) => "schema_lookup",
        IngestError::DecodeEntry(_) => "decode_entry",
        IngestError::Store(error) => panic!("the store failed: {error}"),
        _ => "publish",
    }
}

#[test]
fn a_node_ingests_the_reference_vectors_and_rejects_the_invalid_cases_without_a_trace() {
    let vectors = vectors();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lineup.sqlite");
    let mut replica = Replica::open(&path, Durability::Normal).unwrap();

    let mut deleted = std::collections::HashSet::new();
    for vector in vectors["entries"].as_array().unwrap() {
        let label = text(&vector["label"]);
        let public_key: PublicKey = text(&vector["public_key"]).parse().unwrap();
        let operation = &vector["operation"];
        let previous: Option<DocumentViewId> = operation["previous"].as_array().map(|ids| {
            DocumentViewId::from_sorted(ids.iter().map(|id| text(id).parse().unwrap()).collect()).unwrap()
        });
        let before = replica.next_args(&public_key, previous.as_ref()).unwrap();
        assert_eq!(
            before,
            expected_next_args(&vector["next_args_before"]),
            "{label}: next args before"
        );

        let entry = EncodedEntry::from_bytes(bytes(&vector["entry_hex"]));
        let payload = EncodedOperation::from_bytes(bytes(&vector["operation_hex"]));
        let applied = replica
            .publish(&entry, &payload)
            .unwrap_or_else(|error| panic!("{label}: {error}"));
        assert_eq!(
            applied.operation_id.to_string(),
            text(&vector["operation_id"]),
            "{label}"
        );
        assert_eq!(
            applied.document_id.to_string(),
            text(&vector["document_id"]),
            "{label}"
        );

        if text(&operation["action"]) == "delete" {
            deleted.insert(applied.document_id);
        } else if !deleted.contains(&applied.document_id) {
            let view: DocumentViewId = text(&vector["document_view_id_after"]).parse().unwrap();
            let after = replica.next_args(&public_key, Some(&view)).unwrap();
            assert_eq!(
                after,
                expected_next_args(&vector["next_args_after"]),
                "{label}: next args after"
            );
        }
    }

    let mut documents = 0;
    for expected in vectors["documents"].as_array().unwrap() {
        let label = text(&expected["label"]);
        let document = replica
            .document(&text(&expected["document_id"]).parse().unwrap())
            .unwrap()
            .expect(label);
        assert_eq!(
            document.view_id.to_string(),
            text(&expected["view_id"]),
            "{label}"
        );
        assert_eq!(
            document.is_deleted(),
            expected["deleted"].as_bool().unwrap(),
            "{label}"
        );
        assert_eq!(
            document.is_edited(),
            expected["edited"].as_bool().unwrap(),
            "{label}"
        );
        match (&document.fields, expected["fields"].as_object()) {
            (None, None) => {}
            (Some(fields), Some(expected_fields)) => {
                assert_eq!(fields.len(), expected_fields.len(), "{label}");
                for (name, field) in expected_fields {
                    assert_eq!(
                        fields[name].operation_id.to_string(),
                        text(&field["operation_id"]),
                        "{label}.{name}"
                    );
                    if let Value::Float(value) = fields[name].value {
                        let bits = u64::from_str_radix(text(&field["f64_bits"]), 16).unwrap();
                        assert_eq!(value.to_bits(), bits, "{label}.{name}");
                    }
                }
            }
            (actual, expected) => panic!("{label}: {actual:?} vs {expected:?}"),
        }
        documents += 1;
    }
    assert_eq!(documents, 42);
    drop(replica);

    let before = fingerprint(&path);
    let mut replica = Replica::open(&path, Durability::Normal).unwrap();
    let mut rejected = 0;
    let mut control = None;
    for case in vectors["invalid"].as_array().unwrap() {
        let name = text(&case["name"]);
        let entry = EncodedEntry::from_bytes(bytes(&case["entry_hex"]));
        let payload = EncodedOperation::from_bytes(bytes(&case["operation_hex"]));
        if case["expect_valid"].as_bool().unwrap() {
            control = Some((entry, payload));
            continue;
        }
        let error = replica.publish(&entry, &payload).expect_err(name);
        assert_eq!(stage_of(&error), text(&case["stage"]), "{name}: {error}");
        assert_eq!(error.to_string(), text(&case["error"]), "{name}");
        assert_eq!(fingerprint(&path), before, "{name} changed the store");
        rejected += 1;
    }
    assert_eq!(rejected, 25);
    let (entry, payload) = control.expect("a control case");
    replica
        .publish(&entry, &payload)
        .expect("the control case is accepted");
    assert_ne!(fingerprint(&path), before);
    println!("{documents} documents as the reference; {rejected} invalid cases rejected; control accepted");
}
