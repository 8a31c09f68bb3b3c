//! Decoding operations from CBOR, with the checks p2panda-rs makes while
//! decoding: version, action, schema id, canonical field maps, hash encoding.

use std::collections::BTreeMap;

use ciborium::Value as Cbor;

use super::{EncodedOperation, OperationAction, PlainOperation, PlainValue, OPERATION_VERSION};
use crate::cbor::{self, type_name, CborError};
use crate::document::{DocumentViewId, OperationId, ViewIdError};
use crate::hash::{Hash, HashError};
use crate::schema::{SchemaId, SchemaIdError};

/// Why bytes are not an operation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OperationError {
    /// Not a single well-formed CBOR item.
    #[error(transparent)]
    Cbor(#[from] CborError),
    /// A part has the wrong CBOR type (serde's wording, as p2panda-rs reports it).
    #[error("invalid type: {found}, expected {expected}")]
    InvalidType {
        /// The CBOR type found.
        found: &'static str,
        /// What the format needs there.
        expected: &'static str,
    },
    /// The array ends before a part the action needs.
    #[error("missing {0} field in operation format")]
    Missing(&'static str),
    /// The array has more parts than the action allows.
    #[error("too many items for this operation action")]
    TooManyItems,
    /// A version other than 1.
    #[error("unsupported operation version {0}")]
    UnsupportedVersion(String),
    /// An action other than 0, 1 or 2.
    #[error("unknown operation action {0}")]
    UnknownAction(String),
    /// The schema id does not parse.
    #[error(transparent)]
    InvalidSchemaId(#[from] SchemaIdError),
    /// `previous` is not a view id.
    #[error("invalid previous: {0}")]
    InvalidPrevious(ViewIdError),
    /// Field names are not in ascending order.
    #[error("encountered unsorted field name: '{0}' should be before '{1}'")]
    UnsortedFields(String, String),
    /// A field name appears twice.
    #[error("encountered duplicate field key '{0}'")]
    DuplicateField(String),
    /// A field value has a shape no field type has.
    #[error("error deserializing plain value: {0}")]
    InvalidValue(&'static str),
}

impl EncodedOperation {
    /// Decodes the operation and checks its format; the schema is checked later
    /// by [`super::validate_operation`].
    pub fn decode(&self) -> Result<PlainOperation, OperationError> {
        let Cbor::Array(items) = cbor::decode(self.as_bytes())? else {
            return Err(OperationError::InvalidType {
                found: "not a sequence",
                expected: "p2panda operation",
            });
        };
        let mut items = items.into_iter();
        let mut next = |part| items.next().ok_or(OperationError::Missing(part));

        let version = next("version")?;
        if integer(&version, "u64")? != i128::from(OPERATION_VERSION) {
            return Err(OperationError::UnsupportedVersion(
                integer(&version, "u64")?.to_string(),
            ));
        }
        let action = match integer(&next("action")?, "u64")? {
            0 => OperationAction::Create,
            1 => OperationAction::Update,
            2 => OperationAction::Delete,
            other => return Err(OperationError::UnknownAction(other.to_string())),
        };
        let schema_id = match next("schema id")? {
            Cbor::Text(text) => text.parse::<SchemaId>()?,
            other => return Err(invalid_type(&other, "schema id as string")),
        };
        let previous = match action {
            OperationAction::Create => None,
            _ => Some(decode_previous(next("previous")?)?),
        };
        let fields = match action {
            OperationAction::Delete => None,
            _ => Some(decode_fields(next("fields")?)?),
        };
        if items.next().is_some() {
            return Err(OperationError::TooManyItems);
        }
        Ok(PlainOperation {
            action,
            schema_id,
            previous,
            fields,
        })
    }
}

fn invalid_type(value: &Cbor, expected: &'static str) -> OperationError {
    OperationError::InvalidType {
        found: type_name(value),
        expected,
    }
}

fn integer(value: &Cbor, expected: &'static str) -> Result<i128, OperationError> {
    match value {
        Cbor::Integer(integer) => Ok(i128::from(*integer)),
        other => Err(invalid_type(other, expected)),
    }
}

fn decode_previous(value: Cbor) -> Result<DocumentViewId, OperationError> {
    let Cbor::Array(items) = value else {
        return Err(invalid_type(&value, "document view id as array"));
    };
    let ids = items
        .iter()
        .map(|item| match item {
            Cbor::Bytes(bytes) => Hash::from_bytes(bytes)
                .map(OperationId)
                .map_err(|error| OperationError::InvalidPrevious(ViewIdError::InvalidHash(error))),
            other => Err(invalid_type(other, "byte buffer")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    DocumentViewId::from_sorted(ids).map_err(OperationError::InvalidPrevious)
}

fn decode_fields(value: Cbor) -> Result<BTreeMap<String, PlainValue>, OperationError> {
    let Cbor::Map(entries) = value else {
        return Err(invalid_type(&value, "map"));
    };
    let mut fields = BTreeMap::new();
    let mut last_name: Option<String> = None;
    for (name, value) in entries {
        let Cbor::Text(name) = name else {
            return Err(invalid_type(&name, "a string"));
        };
        if let Some(last) = &last_name {
            if *last > name {
                return Err(OperationError::UnsortedFields(name, last.clone()));
            }
            if *last == name {
                return Err(OperationError::DuplicateField(name));
            }
        }
        fields.insert(name.clone(), decode_value(value)?);
        last_name = Some(name);
    }
    Ok(fields)
}

const UNSUPPORTED: &str = "data did not match any variant of untagged enum PlainValue";

fn decode_value(value: Cbor) -> Result<PlainValue, OperationError> {
    match value {
        Cbor::Bool(value) => Ok(PlainValue::Bool(value)),
        Cbor::Integer(value) => i64::try_from(value)
            .map(PlainValue::Int)
            .map_err(|_| OperationError::InvalidValue("out of range integral type conversion attempted")),
        Cbor::Float(value) => Ok(PlainValue::Float(value)),
        Cbor::Text(value) => Ok(PlainValue::Str(value)),
        Cbor::Bytes(value) => Ok(PlainValue::Bytes(value)),
        Cbor::Array(items) => decode_hash_list(&items),
        _ => Err(OperationError::InvalidValue(UNSUPPORTED)),
    }
}

/// An array is a list of hashes, or else a list of lists of hashes.
fn decode_hash_list(items: &[Cbor]) -> Result<PlainValue, OperationError> {
    if let Ok(hashes) = hashes(items) {
        return Ok(PlainValue::Hashes(hashes));
    }
    items
        .iter()
        .map(|item| match item {
            Cbor::Array(inner) => hashes(inner),
            _ => Err(HashError::InvalidHex),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(PlainValue::HashLists)
        .map_err(|_| OperationError::InvalidValue(UNSUPPORTED))
}

fn hashes(items: &[Cbor]) -> Result<Vec<Hash>, HashError> {
    items
        .iter()
        .map(|item| match item {
            Cbor::Bytes(bytes) => Hash::from_bytes(bytes),
            _ => Err(HashError::InvalidHex),
        })
        .collect()
}
