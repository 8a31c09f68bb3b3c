//! Decoding operations from CBOR, with the checks p2panda-rs makes while
//! decoding: version, action, schema id, canonical field maps, hash encoding.

use std::collections::BTreeMap;

use ciborium_ll::Header;

use super::{EncodedOperation, OperationAction, PlainOperation, PlainValue, OPERATION_VERSION};
use crate::cbor::{type_name, CborError, Reader};
use crate::document::{DocumentViewId, OperationId, ViewIdError};
use crate::hash::Hash;
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

const UNSUPPORTED: &str = "data did not match any variant of untagged enum PlainValue";
const OUT_OF_RANGE: &str = "out of range integral type conversion attempted";

fn invalid_type(header: &Header, expected: &'static str) -> OperationError {
    OperationError::InvalidType {
        found: type_name(header),
        expected,
    }
}

impl EncodedOperation {
    /// Decodes the operation and checks its format; the schema is checked later
    /// by [`super::validate_operation`].
    pub fn decode(&self) -> Result<PlainOperation, OperationError> {
        let mut reader = Reader::new(self.as_bytes());
        let length = match reader.header()? {
            Header::Array(length) => length,
            other => return Err(invalid_type(&other, "p2panda operation")),
        };
        let mut parts = Parts {
            reader,
            length,
            read: 0,
        };

        let version = parts.next("version")?;
        match version {
            Header::Positive(OPERATION_VERSION) => {}
            Header::Positive(other) => return Err(OperationError::UnsupportedVersion(other.to_string())),
            other => return Err(invalid_type(&other, "u64")),
        }
        let action = match parts.next("action")? {
            Header::Positive(0) => OperationAction::Create,
            Header::Positive(1) => OperationAction::Update,
            Header::Positive(2) => OperationAction::Delete,
            Header::Positive(other) => return Err(OperationError::UnknownAction(other.to_string())),
            other => return Err(invalid_type(&other, "u64")),
        };
        let schema_id = match parts.next("schema id")? {
            Header::Text(length) => parts.reader.text(length)?.parse::<SchemaId>()?,
            other => return Err(invalid_type(&other, "schema id as string")),
        };
        let previous = match action {
            OperationAction::Create => None,
            _ => {
                let header = parts.next("previous")?;
                Some(decode_previous(&mut parts.reader, header)?)
            }
        };
        let fields = match action {
            OperationAction::Delete => None,
            _ => {
                let header = parts.next("fields")?;
                Some(decode_fields(&mut parts.reader, header)?)
            }
        };
        parts.finish()?;
        Ok(PlainOperation {
            action,
            schema_id,
            previous,
            fields,
        })
    }
}

/// The parts of the operation array, definite or indefinite in length.
struct Parts<'a> {
    reader: Reader<'a>,
    length: Option<usize>,
    read: usize,
}

impl Parts<'_> {
    fn next(&mut self, part: &'static str) -> Result<Header, OperationError> {
        if self.length == Some(self.read) {
            return Err(OperationError::Missing(part));
        }
        self.read += 1;
        match self.reader.header()? {
            Header::Break if self.length.is_none() => Err(OperationError::Missing(part)),
            header => Ok(header),
        }
    }

    fn finish(mut self) -> Result<(), OperationError> {
        let more = match self.length {
            Some(length) => length > self.read,
            None => self.reader.header()? != Header::Break,
        };
        if more {
            return Err(OperationError::TooManyItems);
        }
        Ok(self.reader.finish()?)
    }
}

/// Calls `item` for each element of an array (or each key of a map, when the
/// caller reads the value) whose header declared `length`.
fn each(
    reader: &mut Reader<'_>,
    length: Option<usize>,
    mut item: impl FnMut(&mut Reader<'_>, Header) -> Result<(), OperationError>,
) -> Result<(), OperationError> {
    match length {
        Some(length) => {
            for _ in 0..length {
                let header = reader.header()?;
                item(reader, header)?;
            }
        }
        None => loop {
            match reader.header()? {
                Header::Break => break,
                header => item(reader, header)?,
            }
        },
    }
    Ok(())
}

fn decode_previous(reader: &mut Reader<'_>, header: Header) -> Result<DocumentViewId, OperationError> {
    let Header::Array(length) = header else {
        return Err(invalid_type(&header, "document view id as array"));
    };
    let mut ids = Vec::with_capacity(reader.capacity_for(length));
    each(reader, length, |reader, header| {
        let Header::Bytes(length) = header else {
            return Err(invalid_type(&header, "byte buffer"));
        };
        let hash = Hash::from_bytes(&reader.bytes(length)?)
            .map_err(|error| OperationError::InvalidPrevious(ViewIdError::InvalidHash(error)))?;
        ids.push(OperationId(hash));
        Ok(())
    })?;
    DocumentViewId::from_sorted(ids).map_err(OperationError::InvalidPrevious)
}

fn decode_fields(
    reader: &mut Reader<'_>,
    header: Header,
) -> Result<BTreeMap<String, PlainValue>, OperationError> {
    let Header::Map(length) = header else {
        return Err(invalid_type(&header, "map"));
    };
    // Collected in order and built into a map at the end: cheaper than a map
    // insert per field, and the order check needs the previous name anyway.
    let mut fields: Vec<(String, PlainValue)> = Vec::with_capacity(reader.capacity_for(length));
    each(reader, length, |reader, header| {
        let Header::Text(length) = header else {
            return Err(invalid_type(&header, "a string"));
        };
        let name = reader.text(length)?;
        if let Some((last, _)) = fields.last() {
            if *last > name {
                return Err(OperationError::UnsortedFields(name, last.clone()));
            }
            if *last == name {
                return Err(OperationError::DuplicateField(name));
            }
        }
        let header = reader.header()?;
        fields.push((name, decode_value(reader, header)?));
        Ok(())
    })?;
    Ok(fields.into_iter().collect())
}

pub(super) fn decode_value(reader: &mut Reader<'_>, header: Header) -> Result<PlainValue, OperationError> {
    match header {
        Header::Simple(20) => Ok(PlainValue::Bool(false)),
        Header::Simple(21) => Ok(PlainValue::Bool(true)),
        Header::Positive(value) => i64::try_from(value)
            .map(PlainValue::Int)
            .map_err(|_| OperationError::InvalidValue(OUT_OF_RANGE)),
        // CBOR's negative integers are -1 - n.
        Header::Negative(value) => i64::try_from(value)
            .map(|value| PlainValue::Int(-1 - value))
            .map_err(|_| OperationError::InvalidValue(OUT_OF_RANGE)),
        Header::Float(value) => Ok(PlainValue::Float(value)),
        Header::Text(length) => Ok(PlainValue::Str(reader.text(length)?)),
        Header::Bytes(length) => Ok(PlainValue::Bytes(reader.bytes(length)?)),
        Header::Array(length) => decode_hash_list(reader, length),
        _ => Err(OperationError::InvalidValue(UNSUPPORTED)),
    }
}

/// An array of hashes, or an array of arrays of hashes; an empty array counts
/// as the first. Any other array is no field value.
fn decode_hash_list(reader: &mut Reader<'_>, length: Option<usize>) -> Result<PlainValue, OperationError> {
    let unsupported = || OperationError::InvalidValue(UNSUPPORTED);
    let mut hashes = Vec::new();
    let mut lists: Vec<Vec<Hash>> = Vec::new();
    each(reader, length, |reader, header| match header {
        Header::Bytes(length) if lists.is_empty() => {
            hashes.push(Hash::from_bytes(&reader.bytes(length)?).map_err(|_| unsupported())?);
            Ok(())
        }
        Header::Array(length) if hashes.is_empty() => {
            let mut list = Vec::with_capacity(reader.capacity_for(length));
            each(reader, length, |reader, header| match header {
                Header::Bytes(length) => {
                    list.push(Hash::from_bytes(&reader.bytes(length)?).map_err(|_| unsupported())?);
                    Ok(())
                }
                _ => Err(unsupported()),
            })?;
            lists.push(list);
            Ok(())
        }
        _ => Err(unsupported()),
    })?;
    Ok(if lists.is_empty() {
        PlainValue::Hashes(hashes)
    } else {
        PlainValue::HashLists(lists)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> Result<PlainOperation, OperationError> {
        EncodedOperation::from_bytes(bytes.to_vec()).decode()
    }

    /// `[1, 0, "blob_piece_v1", {"data": <value>}]` with the value's bytes.
    fn blob_piece_with(value: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x84, 0x01, 0x00, 0x6d];
        bytes.extend_from_slice(b"blob_piece_v1");
        bytes.extend_from_slice(&[0xa1, 0x64]);
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(value);
        bytes
    }

    #[test]
    fn decodes_indefinite_arrays_maps_and_strings() {
        let mut bytes = vec![0x9f, 0x01, 0x00, 0x7f, 0x6a];
        bytes.extend_from_slice(b"blob_piece");
        bytes.extend_from_slice(&[0x63]);
        bytes.extend_from_slice(b"_v1");
        bytes.extend_from_slice(&[0xff, 0xbf, 0x64]);
        bytes.extend_from_slice(b"data");
        bytes.extend_from_slice(&[0x5f, 0x41, 0x01, 0xff, 0xff, 0xff]);
        let operation = decode(&bytes).unwrap();
        assert_eq!(operation.schema_id, SchemaId::BLOB_PIECE_V1);
        assert_eq!(operation.fields.unwrap()["data"], PlainValue::Bytes(vec![1]));
    }

    #[test]
    fn refuses_values_no_field_type_has() {
        for value in [
            &[0xf6][..],
            &[0xa0],
            &[0xc2, 0x41, 0x01],
            &[0x82, 0x01, 0x02],
            &[0x81, 0x81, 0x81, 0x40],
        ] {
            assert_eq!(
                decode(&blob_piece_with(value)),
                Err(OperationError::InvalidValue(UNSUPPORTED)),
                "{value:x?}"
            );
        }
        let beyond_i64 = [0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            decode(&blob_piece_with(&beyond_i64)),
            Err(OperationError::InvalidValue(OUT_OF_RANGE))
        );
    }

    #[test]
    fn reads_the_whole_i64_range() {
        let min = [0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(
            decode(&blob_piece_with(&min)).unwrap().fields.unwrap()["data"],
            PlainValue::Int(i64::MIN)
        );
    }

    #[test]
    fn refuses_a_missing_part_and_trailing_bytes() {
        assert_eq!(
            decode(&[0x82, 0x01, 0x00]),
            Err(OperationError::Missing("schema id"))
        );
        let mut bytes = blob_piece_with(&[0x40]);
        bytes.push(0x00);
        assert_eq!(
            decode(&bytes),
            Err(OperationError::Cbor(CborError::TrailingBytes(1)))
        );
    }
}
