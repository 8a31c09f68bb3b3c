//! Festival documents over GraphQL: what to ask for each kind, how to read
//! the answer into the typed model of `lineup-schemas`, and how to write
//! typed fields back as a mutation's input.

use std::fmt::Write;

use lineup_core::{DocumentId, DocumentViewId, FieldType, Value};
use lineup_schemas::fields::Fields;
use lineup_schemas::model::{Document, Stored};
use lineup_schemas::Kind;
use serde_json::{json, Value as Json};

use super::ApiError;

/// The most documents a node gives in one page, and what the app asks for:
/// a festival has far fewer of any kind.
pub const PAGE: u32 = 10_000;

/// The selection of a document: its meta, and every field of its kind,
/// relations as the ids of the documents they name.
pub fn selection(kind: Kind) -> String {
    let mut fields = String::new();
    for (name, field_type) in kind.fields() {
        let _ = match field_type {
            FieldType::Relation(_) => write!(fields, " {name} {{ meta {{ documentId }} }}"),
            FieldType::PinnedRelation(_) => write!(fields, " {name} {{ meta {{ viewId }} }}"),
            FieldType::RelationList(_) => {
                write!(
                    fields,
                    " {name}(first: {PAGE}) {{ documents {{ meta {{ documentId }} }} }}"
                )
            }
            FieldType::PinnedRelationList(_) => {
                write!(
                    fields,
                    " {name}(first: {PAGE}) {{ documents {{ meta {{ viewId }} }} }}"
                )
            }
            _ => write!(fields, " {name}"),
        };
    }
    format!("meta {{ documentId viewId }} fields {{{fields} }}")
}

/// Reads one document of an answer (`{ meta, fields }`).
pub fn read<T: Document>(document: &Json) -> Result<Stored<T>, ApiError> {
    let meta = &document["meta"];
    let id: DocumentId = parse(&meta["documentId"], "document id")?;
    let view: DocumentViewId = parse(&meta["viewId"], "view id")?;
    let fields = fields_of(T::KIND, &document["fields"])?;
    Stored::read(id, view, &fields).map_err(|error| ApiError::Unexpected(error.to_string()))
}

/// Reads every document of a collection (`{ documents: [...] }`); those that
/// cannot be read yet (a relation whose document has not arrived) are left
/// out and counted.
pub fn read_all<T: Document>(collection: &Json) -> (Vec<Stored<T>>, usize) {
    let mut unreadable = 0;
    let documents = collection["documents"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|document| read(document).map_err(|_| unreadable += 1).ok())
        .collect();
    (documents, unreadable)
}

fn parse<T: std::str::FromStr>(value: &Json, what: &str) -> Result<T, ApiError> {
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| ApiError::Unexpected(format!("expected a {what}, found {value}")))
}

/// A document's fields from their GraphQL values, typed by its kind.
fn fields_of(kind: Kind, given: &Json) -> Result<Fields, ApiError> {
    let missing = |name: &str| ApiError::Unexpected(format!("a {} without {name}", kind.name()));
    let mut fields = Fields::new();
    for (name, field_type) in kind.fields() {
        let value = &given[name.as_str()];
        let typed = match field_type {
            FieldType::Bool => Value::Bool(value.as_bool().ok_or_else(|| missing(name))?),
            FieldType::Int => Value::Int(value.as_i64().ok_or_else(|| missing(name))?),
            FieldType::Float => Value::Float(value.as_f64().ok_or_else(|| missing(name))?),
            FieldType::Str => Value::Str(value.as_str().ok_or_else(|| missing(name))?.to_owned()),
            FieldType::Bytes => continue,
            FieldType::Relation(_) => Value::Relation(parse(&value["meta"]["documentId"], "document id")?),
            FieldType::PinnedRelation(_) => {
                Value::PinnedRelation(parse(&value["meta"]["viewId"], "view id")?)
            }
            FieldType::RelationList(_) => Value::RelationList(
                list(value)
                    .map(|document| parse(&document["meta"]["documentId"], "document id"))
                    .collect::<Result<_, _>>()?,
            ),
            FieldType::PinnedRelationList(_) => Value::PinnedRelationList(
                list(value)
                    .map(|document| parse(&document["meta"]["viewId"], "view id"))
                    .collect::<Result<_, _>>()?,
            ),
        };
        fields.insert(name.clone(), typed);
    }
    Ok(fields)
}

fn list(collection: &Json) -> impl Iterator<Item = &Json> {
    collection["documents"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
}

/// Fields as a mutation's input: relations as ids.
pub fn input(fields: &Fields) -> Json {
    let object = fields
        .iter()
        .map(|(name, value)| {
            let json = match value {
                Value::Bool(flag) => json!(flag),
                Value::Int(number) => json!(number),
                Value::Float(number) => json!(number),
                Value::Str(text) => json!(text),
                Value::Bytes(bytes) => {
                    json!(bytes.iter().map(|byte| format!("{byte:02x}")).collect::<String>())
                }
                Value::Relation(id) => json!(id.to_string()),
                Value::PinnedRelation(view) => json!(view.to_string()),
                Value::RelationList(ids) => json!(ids.iter().map(ToString::to_string).collect::<Vec<_>>()),
                Value::PinnedRelationList(views) => {
                    json!(views.iter().map(ToString::to_string).collect::<Vec<_>>())
                }
            };
            (name.clone(), json)
        })
        .collect();
    Json::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_schemas::model::Profile;

    #[test]
    fn asks_for_relations_as_the_ids_they_name() {
        let slot = selection(Kind::Slot);
        assert!(slot.contains(" area { meta { documentId } }"), "{slot}");
        assert!(
            slot.contains(" artists(first: 10000) { documents { meta { documentId } } }"),
            "{slot}"
        );
        assert!(slot.contains(" title"), "{slot}");
    }

    #[test]
    fn a_document_read_and_written_keeps_its_fields() {
        let key = "2f8e50c2ede6d936ecc3144187ff1c273808185cfbc5ff3d3748d1ff7353fc96";
        let answer = json!({
            "meta": {
                "documentId": "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543",
                "viewId": "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543",
            },
            "fields": { "owner": key, "display_name": "Ada", "about": "lights" },
        });
        let profile: Stored<Profile> = read(&answer).expect("a profile");
        assert_eq!(profile.display_name, "Ada");
        assert_eq!(input(&profile.fields()), answer["fields"]);
    }

    #[test]
    fn a_document_without_its_fields_is_unreadable_not_empty() {
        let answer = json!({ "documents": [{ "meta": { "documentId": "x", "viewId": "x" }, "fields": {} }] });
        let (profiles, unreadable) = read_all::<Profile>(&answer);
        assert!(profiles.is_empty());
        assert_eq!(unreadable, 1);
    }
}
