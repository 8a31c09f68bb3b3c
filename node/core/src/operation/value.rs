//! Field values, before and after they are typed by a schema.

use crate::document::{DocumentId, DocumentViewId};
use crate::hash::Hash;

/// A field value as decoded. Some CBOR shapes serve several field types, and
/// only the schema tells which one is meant.
#[derive(Debug, Clone, PartialEq)]
pub enum PlainValue {
    /// A CBOR boolean.
    Bool(bool),
    /// A CBOR integer within i64.
    Int(i64),
    /// A CBOR float of any width.
    Float(f64),
    /// A CBOR text string.
    Str(String),
    /// A CBOR byte string: `bytes`, or the document id of a `relation`.
    Bytes(Vec<u8>),
    /// An array of hashes: a `relation_list`, a `pinned_relation`, or (when
    /// empty) a `pinned_relation_list`.
    Hashes(Vec<Hash>),
    /// An array of arrays of hashes: a `pinned_relation_list`.
    HashLists(Vec<Vec<Hash>>),
}

impl PlainValue {
    /// The name p2panda-rs gives this shape in validation errors.
    pub fn type_name(&self) -> &'static str {
        match self {
            PlainValue::Bool(_) => "bool",
            PlainValue::Int(_) => "int",
            PlainValue::Float(_) => "float",
            PlainValue::Str(_) => "str",
            PlainValue::Bytes(_) => "bytes",
            PlainValue::Hashes(_) => "hash[]",
            PlainValue::HashLists(_) => "hash[][]",
        }
    }
}

/// A field value of a known type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i64),
    /// `float`
    Float(f64),
    /// `str`
    Str(String),
    /// `bytes`
    Bytes(Vec<u8>),
    /// `relation`: a document.
    Relation(DocumentId),
    /// `relation_list`: documents, in order; repeats allowed.
    RelationList(Vec<DocumentId>),
    /// `pinned_relation`: one version of a document.
    PinnedRelation(DocumentViewId),
    /// `pinned_relation_list`: versions of documents, in order.
    PinnedRelationList(Vec<DocumentViewId>),
}

impl Value {
    /// The field type name of this value, without the schema of relations.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::Relation(_) => "relation",
            Value::RelationList(_) => "relation_list",
            Value::PinnedRelation(_) => "pinned_relation",
            Value::PinnedRelationList(_) => "pinned_relation_list",
        }
    }
}
