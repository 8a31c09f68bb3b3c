//! Operations: the CBOR payload of an entry that creates, updates or deletes a
//! document.
//!
//! `[1, action, schema_id, previous?, fields?]`: CREATE has fields, UPDATE has
//! previous and fields, DELETE has previous only. Field maps are sorted by name
//! without repeats; hashes are CBOR byte strings.

mod decode;
mod encode;
mod validate;
mod value;

use std::collections::BTreeMap;
use std::fmt;

pub use decode::OperationError;
pub use validate::{validate_operation, FieldError, ValidationError, MAX_BLOB_PIECE_LEN};
pub use value::{PlainValue, Value};

use crate::document::DocumentViewId;
use crate::hash::Hash;
use crate::schema::SchemaId;

/// The only operation format version.
pub const OPERATION_VERSION: u64 = 1;

/// What an operation does to its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationAction {
    /// Creates a document with all fields of its schema.
    Create,
    /// Changes some fields.
    Update,
    /// Deletes the document; nothing can change it afterwards.
    Delete,
}

impl OperationAction {
    /// The number that encodes the action.
    pub fn code(self) -> u64 {
        match self {
            OperationAction::Create => 0,
            OperationAction::Update => 1,
            OperationAction::Delete => 2,
        }
    }

    /// The action's name in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationAction::Create => "create",
            OperationAction::Update => "update",
            OperationAction::Delete => "delete",
        }
    }
}

/// An operation as decoded, before it is checked against its schema: values
/// whose type depends on the schema (bytes or relation, which kind of hash list)
/// are still undecided.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainOperation {
    /// What it does.
    pub action: OperationAction,
    /// The schema of its document.
    pub schema_id: SchemaId,
    /// The view of the document it builds on (UPDATE and DELETE).
    pub previous: Option<DocumentViewId>,
    /// The fields it writes (CREATE and UPDATE), by name.
    pub fields: Option<BTreeMap<String, PlainValue>>,
}

/// An operation checked against its schema, with typed values.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// What it does.
    pub action: OperationAction,
    /// The schema of its document.
    pub schema_id: SchemaId,
    /// The view of the document it builds on (UPDATE and DELETE).
    pub previous: Option<DocumentViewId>,
    /// The fields it writes (CREATE and UPDATE), by name.
    pub fields: Option<BTreeMap<String, Value>>,
}

impl Operation {
    /// A CREATE operation.
    pub fn create(schema_id: SchemaId, fields: BTreeMap<String, Value>) -> Self {
        Self {
            action: OperationAction::Create,
            schema_id,
            previous: None,
            fields: Some(fields),
        }
    }

    /// An UPDATE of the document whose current view is `previous`.
    pub fn update(schema_id: SchemaId, previous: DocumentViewId, fields: BTreeMap<String, Value>) -> Self {
        Self {
            action: OperationAction::Update,
            schema_id,
            previous: Some(previous),
            fields: Some(fields),
        }
    }

    /// A DELETE of the document whose current view is `previous`.
    pub fn delete(schema_id: SchemaId, previous: DocumentViewId) -> Self {
        Self {
            action: OperationAction::Delete,
            schema_id,
            previous: Some(previous),
            fields: None,
        }
    }
}

impl Value {
    /// The value's CBOR encoding, as it appears in an operation's fields.
    pub fn to_cbor(&self) -> Vec<u8> {
        crate::cbor::encode(&encode::encode_value(self))
    }

    /// Reads a value written by [`Value::to_cbor`] for a field of `field_type`.
    pub fn from_cbor(bytes: &[u8], field_type: &crate::schema::FieldType) -> Result<Value, ValueError> {
        let mut reader = crate::cbor::Reader::new(bytes);
        let header = reader.header().map_err(OperationError::from)?;
        let plain = decode::decode_value(&mut reader, header)?;
        reader.finish().map_err(OperationError::from)?;
        Ok(validate::typed_value(&plain, field_type)?)
    }
}

/// Why bytes are not a value of a field type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    /// Not a field value at all.
    #[error(transparent)]
    Malformed(#[from] OperationError),
    /// A value of another type.
    #[error(transparent)]
    WrongType(#[from] FieldError),
}

/// The bytes of an operation, as they travel beside their entry.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EncodedOperation(Vec<u8>);

impl EncodedOperation {
    /// Wraps bytes from outside; [`EncodedOperation::decode`] checks them.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The operation's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The payload hash that the entry carrying this operation signs.
    pub fn hash(&self) -> Hash {
        Hash::of(&self.0)
    }
}

impl fmt::Display for EncodedOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for EncodedOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncodedOperation({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{DocumentId, OperationId};
    use crate::schema::{FieldType, Schema};
    use proptest::prelude::*;

    const VENUE: &str = "venue_0020e19ea020754fb8a34492dcb9a1fc072ad98a64d86a61422393c12d03175b1da1";

    /// A schema with a field of every type.
    fn schema() -> Schema {
        let venue: SchemaId = VENUE.parse().unwrap();
        let id =
            SchemaId::application("everything", DocumentViewId::from(OperationId(Hash::of(b"def")))).unwrap();
        let fields = [
            ("a_bool", FieldType::Bool),
            ("b_int", FieldType::Int),
            ("c_float", FieldType::Float),
            ("d_str", FieldType::Str),
            ("e_bytes", FieldType::Bytes),
            ("f_relation", FieldType::Relation(venue.clone())),
            ("g_relation_list", FieldType::RelationList(venue.clone())),
            ("h_pinned", FieldType::PinnedRelation(venue.clone())),
            ("i_pinned_list", FieldType::PinnedRelationList(venue)),
        ];
        Schema::new(id, "", fields.map(|(name, kind)| (name.to_owned(), kind))).unwrap()
    }

    fn hash() -> impl Strategy<Value = Hash> {
        any::<[u8; 8]>().prop_map(|seed| Hash::of(&seed))
    }

    fn view_id() -> impl Strategy<Value = DocumentViewId> {
        proptest::collection::vec(hash(), 1..4)
            .prop_map(|hashes| DocumentViewId::from_tips(hashes.into_iter().map(OperationId)).unwrap())
    }

    fn fields() -> impl Strategy<Value = BTreeMap<String, Value>> {
        (
            any::<bool>(),
            any::<i64>(),
            any::<f64>().prop_filter("NaN is not equal to itself", |value| !value.is_nan()),
            ".{0,30}",
            proptest::collection::vec(any::<u8>(), 0..40),
            hash(),
            proptest::collection::vec(hash(), 0..4),
            view_id(),
            proptest::collection::vec(view_id(), 0..4),
        )
            .prop_map(|(a, b, c, d, e, f, g, h, i)| {
                BTreeMap::from([
                    ("a_bool".to_owned(), Value::Bool(a)),
                    ("b_int".to_owned(), Value::Int(b)),
                    ("c_float".to_owned(), Value::Float(c)),
                    ("d_str".to_owned(), Value::Str(d)),
                    ("e_bytes".to_owned(), Value::Bytes(e)),
                    ("f_relation".to_owned(), Value::Relation(DocumentId(f))),
                    (
                        "g_relation_list".to_owned(),
                        Value::RelationList(g.into_iter().map(DocumentId).collect()),
                    ),
                    ("h_pinned".to_owned(), Value::PinnedRelation(h)),
                    ("i_pinned_list".to_owned(), Value::PinnedRelationList(i)),
                ])
            })
    }

    proptest! {
        #[test]
        fn operations_round_trip_through_their_encoding(
            fields in fields(),
            subset in any::<u16>(),
            previous in view_id(),
            action in 0u8..3,
        ) {
            let schema = schema();
            let operation = match action {
                0 => Operation::create(schema.id().clone(), fields),
                1 => {
                    let some: BTreeMap<String, Value> = fields
                        .into_iter()
                        .enumerate()
                        .filter(|(index, _)| subset & (1 << index) != 0)
                        .map(|(_, field)| field)
                        .collect();
                    Operation::update(schema.id().clone(), previous, some)
                }
                _ => Operation::delete(schema.id().clone(), previous),
            };
            let encoded = operation.encode();
            let decoded = encoded.decode().unwrap();
            prop_assert_eq!(validate_operation(&decoded, &schema).unwrap(), operation.clone());
            for (name, value) in operation.fields.iter().flatten() {
                let field_type = &schema.fields()[name];
                prop_assert_eq!(&Value::from_cbor(&value.to_cbor(), field_type).unwrap(), value);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = EncodedOperation::from_bytes(bytes).decode();
        }
    }
}
