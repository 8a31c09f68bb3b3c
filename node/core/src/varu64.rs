//! VarU64, the variable-length unsigned integers of Bamboo entries.
//!
//! A first byte below 248 is the value itself; `248 + n` says that `n + 1`
//! big-endian bytes follow. Only the shortest encoding of a value is valid.

/// The longest encoding: a tag byte and eight value bytes.
pub const MAX_LEN: usize = 9;

/// Why bytes are not a VarU64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VarU64Error {
    /// The input ended inside the number.
    #[error("unexpected end of input")]
    UnexpectedEnd,
    /// A shorter encoding of the same value exists.
    #[error("non-canonical encoding of {0}")]
    NonCanonical(u64),
}

/// How many bytes [`encode`] writes for `value`.
pub fn encoded_len(value: u64) -> usize {
    if value < 248 {
        1
    } else {
        1 + 8 - (value.leading_zeros() / 8) as usize
    }
}

/// Appends the encoding of `value` to `out`.
pub fn encode(value: u64, out: &mut Vec<u8>) {
    let len = encoded_len(value);
    if len == 1 {
        out.push(value as u8);
    } else {
        out.push(248 + (len - 2) as u8);
        out.extend_from_slice(&value.to_be_bytes()[8 - (len - 1)..]);
    }
}

/// Reads one number from the front of `input`; returns it and the rest.
pub fn decode(input: &[u8]) -> Result<(u64, &[u8]), VarU64Error> {
    let (&first, rest) = input.split_first().ok_or(VarU64Error::UnexpectedEnd)?;
    if first < 248 {
        return Ok((u64::from(first), rest));
    }
    let len = usize::from(first - 247);
    if rest.len() < len {
        return Err(VarU64Error::UnexpectedEnd);
    }
    let value = rest[..len]
        .iter()
        .fold(0u64, |value, &byte| (value << 8) | u64::from(byte));
    if encoded_len(value) != len + 1 {
        return Err(VarU64Error::NonCanonical(value));
    }
    Ok((value, &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodes_boundaries() {
        let cases: [(u64, &[u8]); 5] = [
            (0, &[0]),
            (247, &[247]),
            (248, &[248, 248]),
            (256, &[249, 1, 0]),
            (u64::MAX, &[255, 255, 255, 255, 255, 255, 255, 255, 255]),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            encode(value, &mut out);
            assert_eq!(out, bytes, "encoding {value}");
            assert_eq!(decode(bytes), Ok((value, &[][..])));
        }
    }

    #[test]
    fn rejects_non_canonical_and_truncated() {
        assert_eq!(decode(&[248, 5]), Err(VarU64Error::NonCanonical(5)));
        assert_eq!(decode(&[249, 0, 255]), Err(VarU64Error::NonCanonical(255)));
        assert_eq!(decode(&[250, 1]), Err(VarU64Error::UnexpectedEnd));
        assert_eq!(decode(&[]), Err(VarU64Error::UnexpectedEnd));
    }

    proptest! {
        #[test]
        fn round_trips(value: u64, tail in proptest::collection::vec(any::<u8>(), 0..4)) {
            let mut bytes = Vec::new();
            encode(value, &mut bytes);
            prop_assert_eq!(bytes.len(), encoded_len(value));
            bytes.extend_from_slice(&tail);
            prop_assert_eq!(decode(&bytes), Ok((value, &tail[..])));
        }
    }
}
