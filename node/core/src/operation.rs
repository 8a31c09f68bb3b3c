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
