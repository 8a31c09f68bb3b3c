//! Conformance with p2panda-rs 0.9: every public test vector it generated.
//!
//! The vectors live in the workspace's `tests/vectors/`. The test counts what it
//! checked and asserts the counts, so a vector that is silently skipped fails it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

use std::collections::{BTreeMap, HashMap};

use lineup_core::lipmaa::lipmaa;
use lineup_core::{
    validate_operation, Document, DocumentId, DocumentViewId, EncodedEntry, EncodedOperation, Entry,
    EntryError, FieldType, FieldValue, Hash, LogId, OperationError, PrivateKey, PublishedOperation, Schema,
    SchemaId, SeqNum, Value,
};
use serde_json::Value as Json;

fn vectors() -> Json {
    // Compiled in: a path taken from the build would be stale in a build
    // cache shared by clones at other places.
    let text = include_str!("../../../tests/vectors/p2panda-rs-0.9.json");
    serde_json::from_str(text).expect("vectors are JSON")
}

fn text(json: &Json) -> &str {
    json.as_str()
        .unwrap_or_else(|| panic!("expected a string, found {json}"))
}

fn opt_hash(json: &Json) -> Option<Hash> {
    json.as_str().map(|hex| hex.parse().expect("a hash"))
}

fn bytes(json: &Json) -> Vec<u8> {
    hex::decode(text(json)).expect("hex")
}

fn view_id(json: &Json) -> DocumentViewId {
    let ids = json
        .as_array()
        .expect("a list of operation ids")
        .iter()
        .map(|id| text(id).parse().expect("an id"));
    DocumentViewId::from_sorted(ids.collect()).expect("a sorted view id")
}

/// The value a vector describes as `{type, value, f64_bits?}`.
fn expected_value(field: &Json) -> Value {
    let value = &field["value"];
    match text(&field["type"]) {
        "bool" => Value::Bool(value.as_bool().expect("bool")),
        "int" => Value::Int(value.as_i64().expect("i64")),
        "float" => {
            let bits = u64::from_str_radix(text(&field["f64_bits"]), 16).expect("f64 bits");
            Value::Float(f64::from_bits(bits))
        }
        "str" => Value::Str(text(value).to_owned()),
        "bytes" => Value::Bytes(bytes(value)),
        "relation" => Value::Relation(text(value).parse().expect("document id")),
        "relation_list" => Value::RelationList(
            value
                .as_array()
                .expect("list")
                .iter()
                .map(|id| text(id).parse().expect("document id"))
                .collect(),
        ),
        "pinned_relation" => Value::PinnedRelation(view_id(value)),
        "pinned_relation_list" => {
            Value::PinnedRelationList(value.as_array().expect("list").iter().map(view_id).collect())
        }
        other => panic!("unknown field type {other}"),
    }
}

/// Floats compare by bits, so that -0.0 and 0.0 are told apart.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
        _ => a == b,
    }
}

fn assert_fields(label: &str, actual: &Option<BTreeMap<String, FieldValue>>, expected: &Json) {
    let Some(expected) = expected.as_object() else {
        assert!(actual.is_none(), "{label}: expected no fields (deleted)");
        return;
    };
    let actual = actual
        .as_ref()
        .unwrap_or_else(|| panic!("{label}: document has no fields"));
    assert_eq!(actual.len(), expected.len(), "{label}: number of fields");
    for (name, field) in expected {
        let value = &actual[name];
        assert!(
            same_value(&value.value, &expected_value(field)),
            "{label}.{name}: {:?}",
            value.value
        );
        assert_eq!(
            value.operation_id.to_string(),
            text(&field["operation_id"]),
            "{label}.{name}: operation id"
        );
    }
}

fn schemas(vectors: &Json) -> HashMap<SchemaId, Schema> {
    let mut schemas: HashMap<SchemaId, Schema> = Schema::all_system()
        .into_iter()
        .map(|schema| (schema.id().clone(), schema))
        .collect();
    for system in vectors["system_schemas"].as_array().expect("system schemas") {
        let id: SchemaId = text(&system["id"]).parse().expect("system schema id");
        let schema = &schemas[&id];
        assert_eq!(schema.description(), text(&system["description"]));
        let fields: Vec<(String, String)> = schema
            .fields()
            .iter()
            .map(|(name, kind)| (name.clone(), kind.to_string()))
            .collect();
        let expected: Vec<(String, String)> = system["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|field| (text(&field["name"]).to_owned(), text(&field["type"]).to_owned()))
            .collect();
        assert_eq!(fields, expected, "system schema {id}");
    }
    for definition in vectors["schemas"].as_array().expect("schemas") {
        let id = SchemaId::application(
            text(&definition["name"]),
            view_id(&json_list(&definition["definition_view_id"])),
        )
        .expect("schema id");
        assert_eq!(id.to_string(), text(&definition["id"]));
        let fields = definition["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|field| {
                (
                    text(&field["name"]).to_owned(),
                    text(&field["type"]).parse::<FieldType>().expect("field type"),
                )
            });
        let schema = Schema::new(id.clone(), text(&definition["description"]), fields).expect("schema");
        schemas.insert(id, schema);
    }
    schemas
}

/// A view id written as `a_b_c` in the vectors, as a JSON list.
fn json_list(joined: &Json) -> Json {
    Json::Array(
        text(joined)
            .split('_')
            .map(|id| Json::String(id.to_owned()))
            .collect(),
    )
}

fn private_keys(vectors: &Json) -> HashMap<String, PrivateKey> {
    vectors["key_pairs"]
        .as_array()
        .expect("key pairs")
        .iter()
        .map(|pair| {
            let key: PrivateKey = text(&pair["private_key"]).parse().expect("private key");
            assert_eq!(key.public_key().to_string(), text(&pair["public_key"]));
            (text(&pair["name"]).to_owned(), key)
        })
        .collect()
}

struct Counts {
    entries: usize,
    documents: usize,
    historic_views: usize,
    lipmaa_rows: usize,
    hashes: usize,
    rejected_here: usize,
    left_for_the_store: usize,
}

#[test]
fn all_reference_vectors_pass() {
    let vectors = vectors();
    let schemas = schemas(&vectors);
    let keys = private_keys(&vectors);
    let mut counts = Counts {
        entries: 0,
        documents: 0,
        historic_views: 0,
        lipmaa_rows: 0,
        hashes: 0,
        rejected_here: 0,
        left_for_the_store: 0,
    };

    let mut by_document: HashMap<DocumentId, Vec<PublishedOperation>> = HashMap::new();
    for vector in vectors["entries"].as_array().expect("entries") {
        let published = check_entry(vector, &schemas, &keys);
        by_document
            .entry(text(&vector["document_id"]).parse().expect("document id"))
            .or_default()
            .push(published);
        counts.entries += 1;
    }

    for vector in vectors["documents"].as_array().expect("documents") {
        let label = text(&vector["label"]);
        let operations = &by_document[&text(&vector["document_id"]).parse().expect("document id")];
        let document = Document::reduce(operations).unwrap_or_else(|error| panic!("{label}: {error}"));
        assert_eq!(document.id.to_string(), text(&vector["document_id"]), "{label}");
        assert_eq!(
            document.view_id.to_string(),
            text(&vector["view_id"]),
            "{label}: view id"
        );
        assert_eq!(
            document.view_id,
            view_id(&vector["view_id_graph_tips"]),
            "{label}: graph tips"
        );
        assert_eq!(
            document.schema_id.to_string(),
            text(&vector["schema_id"]),
            "{label}: schema"
        );
        assert_eq!(
            document.author.to_string(),
            text(&vector["author"]),
            "{label}: author"
        );
        assert_eq!(
            document.is_deleted(),
            vector["deleted"].as_bool().expect("deleted"),
            "{label}: deleted"
        );
        assert_eq!(
            document.is_edited(),
            vector["edited"].as_bool().expect("edited"),
            "{label}: edited"
        );
        assert_fields(label, &document.fields, &vector["fields"]);
        let order: Vec<String> = Document::operation_order(operations)
            .expect("order")
            .iter()
            .map(ToString::to_string)
            .collect();
        let expected_order: Vec<&str> = vector["operation_order"]
            .as_array()
            .expect("order")
            .iter()
            .map(text)
            .collect();
        assert_eq!(order, expected_order, "{label}: operation order");
        counts.documents += 1;
    }

    for vector in vectors["historic_views"].as_array().expect("historic views") {
        let label = text(&vector["label"]);
        let operations = &by_document[&text(&vector["document_id"]).parse().expect("document id")];
        let view: DocumentViewId = text(&vector["view_id"]).parse().expect("view id");
        let document =
            Document::reduce_to_view(operations, &view).unwrap_or_else(|error| panic!("{label}: {error}"));
        assert_eq!(document.view_id, view, "{label}");
        assert_eq!(
            document.is_deleted(),
            vector["deleted"].as_bool().expect("deleted"),
            "{label}: deleted"
        );
        assert_eq!(
            document.is_edited(),
            vector["edited"].as_bool().expect("edited"),
            "{label}: edited"
        );
        assert_fields(label, &document.fields, &vector["fields"]);
        counts.historic_views += 1;
    }

    for row in vectors["lipmaa"].as_array().expect("lipmaa") {
        let seq_num = SeqNum::new(row["seq_num"].as_u64().expect("seq num")).expect("non-zero");
        assert_eq!(
            seq_num.backlink().map(SeqNum::get),
            row["backlink_seq_num"].as_u64(),
            "backlink of {seq_num}"
        );
        let expected_lipmaa = row["lipmaa_seq_num"].as_u64();
        assert_eq!(
            (!seq_num.is_first()).then(|| lipmaa(seq_num.get())),
            expected_lipmaa,
            "lipmaa of {seq_num}"
        );
        assert_eq!(
            seq_num.skiplink().is_some(),
            row["skiplink_encoded"].as_bool().expect("flag"),
            "{seq_num}"
        );
        counts.lipmaa_rows += 1;
    }

    for row in vectors["hashes"].as_array().expect("hashes") {
        assert_eq!(
            Hash::of(&bytes(&row["input_hex"])).to_hex(),
            text(&row["yasmf_hash"]),
            "{}",
            row["name"]
        );
        counts.hashes += 1;
    }

    for case in vectors["invalid"].as_array().expect("invalid cases") {
        match check_invalid(case, &schemas) {
            Checked::RejectedHere => counts.rejected_here += 1,
            Checked::NeedsStore => counts.left_for_the_store += 1,
        }
    }

    println!(
        "p2panda-rs 0.9 vectors: {} entries, {} documents, {} historic views, {} lipmaa rows, {} hashes, \
         {} invalid cases rejected at decode, {} cases left for the store",
        counts.entries,
        counts.documents,
        counts.historic_views,
        counts.lipmaa_rows,
        counts.hashes,
        counts.rejected_here,
        counts.left_for_the_store
    );
    assert_eq!(
        (
            counts.entries,
            counts.documents,
            counts.historic_views,
            counts.lipmaa_rows,
            counts.hashes
        ),
        (90, 42, 4, 64, 3)
    );
    assert_eq!((counts.rejected_here, counts.left_for_the_store), (10, 16));
}

/// Checks one valid entry byte for byte and returns its operation for reduction.
fn check_entry(
    vector: &Json,
    schemas: &HashMap<SchemaId, Schema>,
    keys: &HashMap<String, PrivateKey>,
) -> PublishedOperation {
    let label = text(&vector["label"]);
    let expected = &vector["entry"];
    let encoded_operation = EncodedOperation::from_bytes(bytes(&vector["operation_hex"]));
    let encoded_entry = EncodedEntry::from_bytes(bytes(&vector["entry_hex"]));

    // The reference's order: operation, schema, entry, then the two together.
    let plain = encoded_operation
        .decode()
        .unwrap_or_else(|error| panic!("{label}: {error}"));
    let schema = &schemas[&plain.schema_id];
    let entry = encoded_entry
        .decode()
        .unwrap_or_else(|error| panic!("{label}: {error}"));
    entry.check_payload(&encoded_operation).expect("payload matches");
    let operation = validate_operation(&plain, schema).unwrap_or_else(|error| panic!("{label}: {error}"));

    assert_eq!(
        entry.public_key.to_string(),
        text(&expected["public_key"]),
        "{label}"
    );
    assert_eq!(
        entry.log_id,
        LogId(expected["log_id"].as_u64().expect("log id")),
        "{label}"
    );
    assert_eq!(
        entry.seq_num.get(),
        expected["seq_num"].as_u64().expect("seq num"),
        "{label}"
    );
    assert_eq!(
        entry.backlink,
        opt_hash(&expected["backlink"]),
        "{label}: backlink"
    );
    assert_eq!(
        entry.skiplink,
        opt_hash(&expected["skiplink"]),
        "{label}: skiplink"
    );
    assert_eq!(
        entry.payload_size,
        expected["payload_size"].as_u64().expect("size"),
        "{label}"
    );
    assert_eq!(
        entry.payload_hash.to_string(),
        text(&expected["payload_hash"]),
        "{label}"
    );
    assert_eq!(
        entry.signature.to_string(),
        text(&expected["signature"]),
        "{label}"
    );
    assert_eq!(
        encoded_entry.hash().to_string(),
        text(&vector["entry_hash"]),
        "{label}: entry hash"
    );
    assert_eq!(
        encoded_entry.hash().to_string(),
        text(&vector["operation_id"]),
        "{label}: operation id"
    );
    assert_eq!(
        encoded_entry.as_bytes().len() as u64,
        vector["entry_size"].as_u64().expect("size"),
        "{label}"
    );
    let unsigned = bytes(&vector["unsigned_entry_hex"]);
    assert_eq!(
        &encoded_entry.as_bytes()[..unsigned.len()],
        unsigned,
        "{label}: unsigned bytes"
    );

    // Our encoders write the same bytes: re-encoding, and signing anew
    // (ed25519 signatures are deterministic).
    assert_eq!(entry.encode(), encoded_entry, "{label}: entry encoding");
    assert_eq!(
        operation.encode(),
        encoded_operation,
        "{label}: operation encoding"
    );
    let key = &keys[text(&vector["author"])];
    let (_, signed) = Entry::sign(
        key,
        entry.log_id,
        entry.seq_num,
        entry.skiplink,
        entry.backlink,
        &operation.encode(),
    )
    .expect("signing");
    assert_eq!(signed, encoded_entry, "{label}: signing");

    let expected_operation = &vector["operation"];
    assert_eq!(
        operation.action.as_str(),
        text(&expected_operation["action"]),
        "{label}"
    );
    assert_eq!(
        operation.action.code(),
        expected_operation["action_code"].as_u64().expect("code"),
        "{label}"
    );
    assert_eq!(
        operation.schema_id.to_string(),
        text(&expected_operation["schema_id"]),
        "{label}"
    );
    assert_eq!(
        operation.previous,
        expected_operation["previous"]
            .as_array()
            .map(|_| view_id(&expected_operation["previous"])),
        "{label}: previous"
    );
    match (&operation.fields, expected_operation["fields"].as_object()) {
        (None, None) => {}
        (Some(fields), Some(expected)) => {
            assert_eq!(fields.len(), expected.len(), "{label}: fields");
            for (name, field) in expected {
                assert!(
                    same_value(&fields[name], &expected_value(field)),
                    "{label}.{name}: {:?}",
                    fields[name]
                );
            }
        }
        (actual, expected) => panic!("{label}: fields {actual:?}, expected {expected:?}"),
    }

    PublishedOperation {
        id: encoded_entry.hash().into(),
        author: entry.public_key,
        operation,
    }
}

enum Checked {
    RejectedHere,
    NeedsStore,
}

/// Runs an invalid case through decoding in the reference's order. Cases that
/// need the store's state (schema lookup, log checks) are counted and left to
/// the store's tests.
fn check_invalid(case: &Json, schemas: &HashMap<SchemaId, Schema>) -> Checked {
    let name = text(&case["name"]);
    let stage = case["stage"].as_str();
    if !matches!(stage, Some("decode_operation" | "decode_entry")) {
        return Checked::NeedsStore;
    }
    let operation = EncodedOperation::from_bytes(bytes(&case["operation_hex"]));
    let entry = EncodedEntry::from_bytes(bytes(&case["entry_hex"]));
    let decoded = operation.decode();
    if stage == Some("decode_operation") {
        let error = decoded.expect_err(name);
        let expected = matches!(
            (name, &error),
            (
                "non_canonical_unsorted_fields",
                OperationError::UnsortedFields(..)
            ) | ("non_canonical_duplicate_field", OperationError::DuplicateField(_))
                | (
                    "unsupported_operation_version",
                    OperationError::UnsupportedVersion(_)
                )
                | ("malformed_schema_id", OperationError::InvalidSchemaId(_))
                | (
                    "create_with_previous",
                    OperationError::InvalidType {
                        found: "sequence",
                        expected: "map"
                    }
                )
                | ("delete_with_fields", OperationError::TooManyItems)
                | (
                    "previous_hash_as_hex_text",
                    OperationError::InvalidType {
                        found: "string",
                        expected: "byte buffer"
                    }
                )
        );
        assert!(expected, "{name}: rejected with {error:?}");
        assert_eq!(error.to_string(), text(&case["error"]), "{name}: message");
        return Checked::RejectedHere;
    }
    // Stage decode_entry: the operation and its schema are fine.
    let plain = decoded.unwrap_or_else(|error| panic!("{name}: operation should decode: {error}"));
    assert!(
        schemas.contains_key(&plain.schema_id),
        "{name}: schema should be known"
    );
    let error = entry.decode().expect_err(name);
    let expected = matches!(
        (name, &error),
        ("bad_signature", EntryError::InvalidSignature)
            | ("tampered_author", EntryError::InvalidAuthor)
            | ("truncated_entry", EntryError::MissingSignature)
    );
    assert!(expected, "{name}: rejected with {error:?}");
    assert_eq!(error.to_string(), text(&case["error"]), "{name}: message");
    Checked::RejectedHere
}
