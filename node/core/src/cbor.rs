//! The small part of CBOR that operations use, on top of ciborium.
//!
//! Decoding goes through [`ciborium::Value`] so that every shape check (sorted
//! keys, duplicates, byte strings for hashes) is ours and gives a typed error.

use ciborium::Value as Cbor;

/// How deep CBOR may nest. The deepest valid operation part, a pinned relation
/// list, is an array in a map in an array holding arrays of byte strings.
const MAX_DEPTH: usize = 16;

/// Why bytes are not a single, well-formed CBOR item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    /// The bytes are not CBOR, or end inside an item.
    #[error("invalid cbor encoding: {0}")]
    Malformed(String),
    /// Arrays or maps nest deeper than any operation does.
    #[error("cbor decoder exceeded recursion limit")]
    TooDeep,
    /// Bytes follow the item.
    #[error("{0} unexpected bytes after the cbor item")]
    TrailingBytes(usize),
}

/// Decodes exactly one CBOR item from `bytes`.
pub(crate) fn decode(mut bytes: &[u8]) -> Result<Cbor, CborError> {
    let reader = &mut bytes;
    let value =
        ciborium::de::from_reader_with_recursion_limit(&mut *reader, MAX_DEPTH).map_err(
            |error| match error {
                ciborium::de::Error::RecursionLimitExceeded => CborError::TooDeep,
                ciborium::de::Error::Io(_) => CborError::Malformed("unexpected end of input".into()),
                ciborium::de::Error::Syntax(offset) => {
                    CborError::Malformed(format!("syntax error at byte {offset}"))
                }
                ciborium::de::Error::Semantic(_, message) => CborError::Malformed(message),
            },
        )?;
    if !reader.is_empty() {
        return Err(CborError::TrailingBytes(reader.len()));
    }
    Ok(value)
}

/// Encodes one CBOR item. Floats take their shortest exact width, integers their
/// shortest form, as ciborium (and so p2panda-rs) writes them.
pub(crate) fn encode(value: &Cbor) -> Vec<u8> {
    let mut bytes = Vec::new();
    // Writing into a Vec cannot fail, and every Value is serialisable.
    if let Err(error) = ciborium::ser::into_writer(value, &mut bytes) {
        unreachable!("encoding CBOR into memory failed: {error}");
    }
    bytes
}

/// The name serde gives a CBOR item's type in "invalid type" messages, which
/// p2panda-rs passes on to clients.
pub(crate) fn type_name(value: &Cbor) -> &'static str {
    match value {
        Cbor::Integer(_) => "integer",
        Cbor::Bytes(_) => "bytes",
        Cbor::Float(_) => "float",
        Cbor::Text(_) => "string",
        Cbor::Bool(_) => "boolean",
        Cbor::Null => "null",
        Cbor::Tag(_, _) => "tag",
        Cbor::Array(_) => "sequence",
        Cbor::Map(_) => "map",
        _ => "unknown item",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_deep_nesting_without_overflowing_the_stack() {
        let bytes = vec![0x81; 100_000];
        assert_eq!(decode(&bytes), Err(CborError::TooDeep));
    }

    #[test]
    fn refuses_huge_declared_lengths_without_allocating_them() {
        // A byte string and an array that each claim 2^62 elements.
        for header in [0x5b, 0x9b] {
            let mut bytes = vec![header, 0x40, 0, 0, 0, 0, 0, 0, 0];
            bytes.extend_from_slice(&[0; 16]);
            assert!(matches!(decode(&bytes), Err(CborError::Malformed(_))));
        }
    }

    #[test]
    fn refuses_trailing_bytes() {
        assert_eq!(decode(&[0x01, 0x02]), Err(CborError::TrailingBytes(1)));
    }

    #[test]
    fn writes_floats_in_their_shortest_exact_width() {
        assert_eq!(encode(&Cbor::Float(0.5)), [0xf9, 0x38, 0x00]);
        assert_eq!(encode(&Cbor::Float(0.1)).len(), 9);
        assert_eq!(encode(&Cbor::Float(-0.0)), [0xf9, 0x80, 0x00]);
    }
}
