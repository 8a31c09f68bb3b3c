//! The small part of CBOR that operations use.
//!
//! Encoding goes through ciborium's serialiser, which is what p2panda-rs uses,
//! so that the bytes are the same. Decoding reads headers with ciborium's
//! low-level decoder and lets the operation format drive it: there is no
//! generic value tree, so nesting is bounded by the format, nothing is
//! allocated beyond what the input holds, and every shape check gives a typed
//! error.

use ciborium::Value as Cbor;
use ciborium_ll::{Decoder, Header};

/// Why bytes are not well-formed CBOR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CborError {
    /// The bytes are not CBOR, or end inside an item.
    #[error("invalid cbor encoding at byte {0}")]
    Malformed(usize),
    /// A text string is not UTF-8.
    #[error("invalid utf-8 in text string at byte {0}")]
    InvalidUtf8(usize),
    /// Bytes follow the item.
    #[error("{0} unexpected bytes after the cbor item")]
    TrailingBytes(usize),
}

/// Reads CBOR items one header at a time from a byte slice.
pub(crate) struct Reader<'a> {
    decoder: Decoder<&'a [u8]>,
    len: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            decoder: Decoder::from(bytes),
            len: bytes.len(),
        }
    }

    fn offset(&mut self) -> usize {
        self.decoder.offset()
    }

    /// The next header.
    pub(crate) fn header(&mut self) -> Result<Header, CborError> {
        let offset = self.offset();
        self.decoder.pull().map_err(|_| CborError::Malformed(offset))
    }

    /// The content of a byte string whose header was just read: its `len`, or
    /// definite-length chunks up to a break where `len` is `None`.
    pub(crate) fn bytes(&mut self, len: Option<usize>) -> Result<Vec<u8>, CborError> {
        self.string(len, |header| match header {
            Header::Bytes(Some(len)) => Some(len),
            _ => None,
        })
    }

    /// The content of a text string whose header was just read.
    pub(crate) fn text(&mut self, len: Option<usize>) -> Result<String, CborError> {
        let offset = self.offset();
        let bytes = self.string(len, |header| match header {
            Header::Text(Some(len)) => Some(len),
            _ => None,
        })?;
        String::from_utf8(bytes).map_err(|_| CborError::InvalidUtf8(offset))
    }

    fn string(
        &mut self,
        len: Option<usize>,
        chunk: fn(Header) -> Option<usize>,
    ) -> Result<Vec<u8>, CborError> {
        let mut content = Vec::new();
        match len {
            Some(len) => self.read_into(&mut content, len)?,
            None => loop {
                let offset = self.offset();
                match self.header()? {
                    Header::Break => break,
                    header => {
                        let len = chunk(header).ok_or(CborError::Malformed(offset))?;
                        self.read_into(&mut content, len)?;
                    }
                }
            },
        }
        Ok(content)
    }

    fn read_into(&mut self, content: &mut Vec<u8>, len: usize) -> Result<(), CborError> {
        let offset = self.offset();
        // A declared length beyond the input is refused before anything is allocated.
        if len > self.len - offset {
            return Err(CborError::Malformed(offset));
        }
        let start = content.len();
        content.resize(start + len, 0);
        ciborium_io::Read::read_exact(&mut self.decoder, &mut content[start..])
            .map_err(|_| CborError::Malformed(offset))
    }

    /// How many items an array or map may hold at most, given what is left of
    /// the input: a bound for preallocation.
    pub(crate) fn capacity_for(&mut self, declared: Option<usize>) -> usize {
        let left = self.len - self.offset();
        declared.unwrap_or(0).min(left)
    }

    /// Checks that the input is used up.
    pub(crate) fn finish(mut self) -> Result<(), CborError> {
        let left = self.len - self.offset();
        if left > 0 {
            return Err(CborError::TrailingBytes(left));
        }
        Ok(())
    }
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
pub(crate) fn type_name(header: &Header) -> &'static str {
    match header {
        Header::Positive(_) | Header::Negative(_) => "integer",
        Header::Bytes(_) => "bytes",
        Header::Float(_) => "float",
        Header::Text(_) => "string",
        Header::Simple(20 | 21) => "boolean",
        Header::Simple(22) => "null",
        Header::Simple(_) => "simple value",
        Header::Tag(_) => "tag",
        Header::Array(_) => "sequence",
        Header::Map(_) => "map",
        Header::Break => "break",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_huge_declared_lengths_without_allocating_them() {
        let mut reader = Reader::new(&[0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
        let Header::Bytes(len) = reader.header().unwrap() else {
            panic!("a byte string")
        };
        assert_eq!(reader.bytes(len), Err(CborError::Malformed(9)));
        let mut reader = Reader::new(&[0x9b, 0x40, 0, 0, 0, 0, 0, 0, 0, 1]);
        let Header::Array(len) = reader.header().unwrap() else {
            panic!("an array")
        };
        assert_eq!(reader.capacity_for(len), 1);
    }

    #[test]
    fn reads_indefinite_strings_from_their_chunks() {
        // (_ "ab" "c")
        let mut reader = Reader::new(&[0x7f, 0x62, b'a', b'b', 0x61, b'c', 0xff]);
        let Header::Text(len) = reader.header().unwrap() else {
            panic!("text")
        };
        assert_eq!(reader.text(len).unwrap(), "abc");
        assert_eq!(reader.finish(), Ok(()));
        // A byte-string chunk inside a text string is malformed.
        let mut reader = Reader::new(&[0x7f, 0x41, b'a', 0xff]);
        let Header::Text(len) = reader.header().unwrap() else {
            panic!("text")
        };
        assert!(matches!(reader.text(len), Err(CborError::Malformed(_))));
    }

    #[test]
    fn refuses_invalid_utf8_and_trailing_bytes() {
        let mut reader = Reader::new(&[0x62, 0xff, 0xfe]);
        let Header::Text(len) = reader.header().unwrap() else {
            panic!("text")
        };
        assert_eq!(reader.text(len), Err(CborError::InvalidUtf8(1)));
        let mut reader = Reader::new(&[0x01, 0x02]);
        reader.header().unwrap();
        assert_eq!(reader.finish(), Err(CborError::TrailingBytes(1)));
    }

    #[test]
    fn writes_floats_in_their_shortest_exact_width() {
        assert_eq!(encode(&Cbor::Float(0.5)), [0xf9, 0x38, 0x00]);
        assert_eq!(encode(&Cbor::Float(0.1)).len(), 9);
        assert_eq!(encode(&Cbor::Float(-0.0)), [0xf9, 0x80, 0x00]);
    }
}
