//! The p2panda protocol as Lineup speaks it, with no I/O.
//!
//! Every type here is byte-compatible with p2panda-rs 0.9 (and so with aquadoggo
//! 0.9): the same entry and operation bytes, the same hashes, ids and materialised
//! documents. The crate is pure so that the node, the festival schemas and the UI
//! (on wasm32) share one implementation of the protocol.
//!
//! The path of an entry through this crate:
//! [`EncodedOperation::decode`] → [`Schema`] lookup (by the caller) →
//! [`EncodedEntry::decode`] (links and signature) → [`validate_operation`] →
//! [`Document`] reduction.

mod cbor;
pub mod document;
pub mod entry;
pub mod hash;
pub mod identity;
pub mod lipmaa;
pub mod lock;
pub mod operation;
pub mod schema;
pub mod varu64;

pub use document::{
    leave_out_what_builds_on, Document, DocumentId, DocumentViewId, FieldValue, OperationId,
    PublishedOperation, ReduceError, Reduced, ViewIdError,
};
pub use entry::{AuthorKeys, EncodedEntry, Entry, EntryError, LogId, PayloadError, SeqNum};
pub use hash::{Hash, HashError};
pub use identity::{IdentityError, PrivateKey, PublicKey, Signature};
pub use lock::read_lock;
pub use operation::{
    validate_operation, EncodedOperation, FieldError, Operation, OperationAction, OperationError,
    PlainOperation, PlainValue, ValidationError, Value, ValueError, MAX_BLOB_PIECE_LEN,
};
pub use schema::{FieldType, Schema, SchemaError, SchemaId, SchemaIdError};
