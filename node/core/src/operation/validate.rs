//! Checking a decoded operation against its schema, as p2panda-rs does: the
//! same rules, in the same order, so that the same error is reported.

use std::collections::BTreeMap;

use super::{Operation, OperationAction, PlainOperation, PlainValue, Value};
use crate::document::{DocumentId, DocumentViewId, OperationId};
use crate::hash::Hash;
use crate::schema::{
    is_valid_field_name, is_valid_schema_name, FieldType, Schema, SchemaId, MAX_DESCRIPTION_CHARS, MAX_FIELDS,
};

/// Why an operation does not fit its schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// The operation names another schema than the one it is checked against.
    #[error("operation schema id not matching with given schema: {0}, expected: {1}")]
    SchemaNotMatching(String, String),
    /// A CREATE lacks a field of its schema.
    #[error("missing required field: '{0}' of type {1}")]
    MissingField(String, String),
    /// Fields that the schema does not have.
    #[error("unexpected fields found: {0}")]
    UnexpectedFields(String),
    /// A field does not fit the schema; the second part says how.
    #[error("field '{0}' does not match schema: {1}")]
    InvalidField(String, FieldError),
    /// A `schema_definition_v1` field breaks its rule.
    #[error("invalid 'schema_definition_v1' operation: '{0}' field in schema field definitions is wrongly formatted")]
    InvalidSchemaDefinition(&'static str),
    /// A `schema_field_definition_v1` field breaks its rule.
    #[error("invalid 'schema_field_definition_v1' operation: '{0}' field in schema field definitions is wrongly formatted")]
    InvalidSchemaFieldDefinition(&'static str),
    /// The `blob_v1` MIME type is malformed.
    #[error("invalid 'blob_v1' operation: 'mime_type' field in blob is wrongly formatted")]
    InvalidBlobMimeType,
    /// A `blob_v1` has no pieces.
    #[error("invalid 'blob_v1' operation: 'pieces' field can not be empty")]
    EmptyBlob,
    /// A `blob_piece_v1` holds more than 256,000 bytes.
    #[error("invalid 'blob_piece_v1' operation: 'data' field in blob is over maximum allowed length")]
    BlobPieceTooLong,
}

/// How one field does not fit the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// In a CREATE, fields are compared with the schema's in name order.
    #[error("expected field name '{0}'")]
    UnexpectedName(String),
    /// The value has another type.
    #[error("invalid field type '{0}', expected '{1}'")]
    InvalidType(&'static str, String),
    /// A relation's bytes are not a document id.
    #[error("{0}")]
    InvalidRelation(crate::hash::HashError),
    /// A pinned relation's hashes are not a view id.
    #[error("non-canonic document view id, {0}")]
    InvalidViewId(crate::document::ViewIdError),
}

/// The largest `blob_piece_v1` data, in bytes.
pub const MAX_BLOB_PIECE_LEN: usize = 256 * 1000;

/// Checks `operation` against `schema` and gives it typed values.
///
/// A CREATE must have every field of the schema; an UPDATE any of them. The
/// system schemas add their own rules (names, types, MIME types, sizes).
pub fn validate_operation(operation: &PlainOperation, schema: &Schema) -> Result<Operation, ValidationError> {
    if &operation.schema_id != schema.id() {
        return Err(ValidationError::SchemaNotMatching(
            operation.schema_id.to_string(),
            schema.id().to_string(),
        ));
    }
    let fields = match (&operation.action, &operation.fields) {
        (OperationAction::Create, Some(fields)) => Some(validate_all_fields(fields, schema)?),
        (OperationAction::Update, Some(fields)) => Some(validate_given_fields(fields, schema)?),
        // Decoding guarantees that DELETE has no fields and the others have them.
        _ => None,
    };
    Ok(Operation {
        action: operation.action,
        schema_id: operation.schema_id.clone(),
        previous: operation.previous.clone(),
        fields,
    })
}

fn validate_all_fields(
    fields: &BTreeMap<String, PlainValue>,
    schema: &Schema,
) -> Result<BTreeMap<String, Value>, ValidationError> {
    let mut typed = BTreeMap::new();
    let mut given = fields.iter();
    for (schema_name, field_type) in schema.fields() {
        let Some((name, value)) = given.next() else {
            return Err(ValidationError::MissingField(
                schema_name.clone(),
                field_type.to_string(),
            ));
        };
        if name != schema_name {
            return Err(ValidationError::InvalidField(
                name.clone(),
                FieldError::UnexpectedName(schema_name.clone()),
            ));
        }
        let value = typed_value(value, field_type)
            .map_err(|error| ValidationError::InvalidField(name.clone(), error))?;
        typed.insert(name.clone(), value);
    }
    validate_system_fields(fields, schema.id())?;
    let unexpected: Vec<String> = given.map(|(name, _)| format!("'{name}'")).collect();
    if !unexpected.is_empty() {
        return Err(ValidationError::UnexpectedFields(unexpected.join(", ")));
    }
    Ok(typed)
}

fn validate_given_fields(
    fields: &BTreeMap<String, PlainValue>,
    schema: &Schema,
) -> Result<BTreeMap<String, Value>, ValidationError> {
    let mut typed = BTreeMap::new();
    let mut unexpected = Vec::new();
    for (name, value) in fields {
        match schema.fields().get(name) {
            Some(field_type) => {
                let value = typed_value(value, field_type)
                    .map_err(|error| ValidationError::InvalidField(name.clone(), error))?;
                typed.insert(name.clone(), value);
            }
            None => unexpected.push(format!("'{name}'")),
        }
    }
    validate_system_fields(fields, schema.id())?;
    if !unexpected.is_empty() {
        return Err(ValidationError::UnexpectedFields(unexpected.join(", ")));
    }
    Ok(typed)
}

fn view_id(hashes: &[Hash]) -> Result<DocumentViewId, FieldError> {
    DocumentViewId::from_sorted(hashes.iter().copied().map(OperationId).collect())
        .map_err(FieldError::InvalidViewId)
}

pub(super) fn typed_value(value: &PlainValue, field_type: &FieldType) -> Result<Value, FieldError> {
    let mismatch = || FieldError::InvalidType(value.type_name(), field_type.to_string());
    Ok(match (field_type, value) {
        (FieldType::Bool, PlainValue::Bool(value)) => Value::Bool(*value),
        (FieldType::Int, PlainValue::Int(value)) => Value::Int(*value),
        (FieldType::Float, PlainValue::Float(value)) => Value::Float(*value),
        (FieldType::Str, PlainValue::Str(value)) => Value::Str(value.clone()),
        (FieldType::Bytes, PlainValue::Bytes(value)) => Value::Bytes(value.clone()),
        (FieldType::Relation(_), PlainValue::Bytes(bytes)) => Value::Relation(DocumentId(
            Hash::from_bytes(bytes).map_err(FieldError::InvalidRelation)?,
        )),
        (FieldType::RelationList(_), PlainValue::Hashes(hashes)) => {
            Value::RelationList(hashes.iter().copied().map(DocumentId).collect())
        }
        (FieldType::PinnedRelation(_), PlainValue::Hashes(hashes)) => Value::PinnedRelation(view_id(hashes)?),
        (FieldType::PinnedRelationList(_), PlainValue::HashLists(lists)) => Value::PinnedRelationList(
            lists
                .iter()
                .map(|hashes| view_id(hashes))
                .collect::<Result<_, _>>()?,
        ),
        // An empty array cannot say whether it is a list of hashes or of lists.
        (FieldType::PinnedRelationList(_), PlainValue::Hashes(hashes)) if hashes.is_empty() => {
            Value::PinnedRelationList(Vec::new())
        }
        _ => return Err(mismatch()),
    })
}

/// The rules that system schemas add to their field types. They look only at
/// values of the expected shape; other shapes were already refused above.
fn validate_system_fields(
    fields: &BTreeMap<String, PlainValue>,
    schema: &SchemaId,
) -> Result<(), ValidationError> {
    let text = |name: &str| match fields.get(name) {
        Some(PlainValue::Str(text)) => Some(text.as_str()),
        _ => None,
    };
    match schema {
        SchemaId::SchemaDefinition(_) => {
            if text("name").is_some_and(|name| !is_valid_schema_name(name)) {
                return Err(ValidationError::InvalidSchemaDefinition("name"));
            }
            if text("description").is_some_and(|text| text.chars().count() > MAX_DESCRIPTION_CHARS) {
                return Err(ValidationError::InvalidSchemaDefinition("description"));
            }
            if let Some(PlainValue::HashLists(lists)) = fields.get("fields") {
                if lists.len() > MAX_FIELDS {
                    return Err(ValidationError::InvalidSchemaDefinition("fields"));
                }
            }
        }
        SchemaId::SchemaFieldDefinition(_) => {
            if text("name").is_some_and(|name| !is_valid_field_name(name)) {
                return Err(ValidationError::InvalidSchemaFieldDefinition("name"));
            }
            if text("type").is_some_and(|text| text.parse::<FieldType>().is_err()) {
                return Err(ValidationError::InvalidSchemaFieldDefinition("type"));
            }
        }
        SchemaId::Blob(_) => {
            if text("mime_type").is_some_and(|mime| !is_valid_mime_type(mime)) {
                return Err(ValidationError::InvalidBlobMimeType);
            }
            if let Some(PlainValue::HashLists(pieces)) = fields.get("pieces") {
                if pieces.is_empty() {
                    return Err(ValidationError::EmptyBlob);
                }
            }
        }
        SchemaId::BlobPiece(_) => {
            if let Some(PlainValue::Bytes(data)) = fields.get("data") {
                if data.len() > MAX_BLOB_PIECE_LEN {
                    return Err(ValidationError::BlobPieceTooLong);
                }
            }
        }
        SchemaId::Application(..) => {}
    }
    Ok(())
}

/// A MIME type as p2panda-rs accepts it: `type/sub` where `type` is 1 to 12 of
/// `a-z` and `-`, and `sub` is up to six 1–18 character `[a-z0-9]` segments each
/// followed by one of `.|+-`, then a final 1–16 character `[a-z0-9]` segment.
fn is_valid_mime_type(mime: &str) -> bool {
    let Some((kind, sub)) = mime.split_once('/') else {
        return false;
    };
    let kind_ok = (1..=12).contains(&kind.len()) && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    kind_ok && is_valid_mime_subtype(sub.as_bytes(), 0)
}

fn is_valid_mime_subtype(sub: &[u8], segments: usize) -> bool {
    let is_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let run = sub.iter().take_while(|b| is_alnum(b)).count();
    // The last segment: everything left is alphanumeric.
    if run == sub.len() && (1..=16).contains(&run) {
        return true;
    }
    // Otherwise a separated segment; try every split point, as the regex may.
    segments < 6
        && (1..=run.min(18)).any(|len| {
            matches!(sub.get(len), Some(b'.' | b'|' | b'+' | b'-'))
                && is_valid_mime_subtype(&sub[len + 1..], segments + 1)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_follow_the_reference_pattern() {
        for ok in [
            "image/png",
            "text/plain",
            "application/vnd.ms-excel",
            "image/svg+xml",
            "x-y/a1|b2",
        ] {
            assert!(is_valid_mime_type(ok), "{ok}");
        }
        for bad in [
            "image",
            "Image/png",
            "image/",
            "image/png.",
            "/png",
            "abcdefghijklm/png",
            "image/PNG",
        ] {
            assert!(!is_valid_mime_type(bad), "{bad}");
        }
        assert!(is_valid_mime_type(&format!("a/{}", "b.".repeat(6) + "c")));
        assert!(!is_valid_mime_type(&format!("a/{}", "b.".repeat(7) + "c")));
    }
}
