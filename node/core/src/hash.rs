//! YASMF hashes: BLAKE3 digests behind the two-byte multihash prefix `00 20`.

use std::fmt;
use std::str::FromStr;

/// Length of an encoded hash: the prefix and the 32-byte BLAKE3 digest.
pub const HASH_LEN: usize = 34;

/// Length of a hash written as hex.
pub const HASH_HEX_LEN: usize = HASH_LEN * 2;

/// The YASMF prefix of a BLAKE3 hash: algorithm id 0, digest length 32.
const PREFIX: [u8; 2] = [0x00, 0x20];

/// A YASMF BLAKE3 hash. Entry hashes, operation ids and document ids are all hashes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash([u8; 32]);

/// Why bytes or text are not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The text is not hexadecimal.
    #[error("invalid hex encoding in hash string")]
    InvalidHex,
    /// The hash does not have 34 bytes.
    #[error("invalid hash length {0} bytes, expected {HASH_LEN} bytes")]
    InvalidLength(usize),
    /// The prefix is not the one of a BLAKE3 YASMF hash.
    #[error("hash does not start with the YASMF BLAKE3 prefix 0020")]
    UnknownPrefix,
}

impl Hash {
    /// Hashes `bytes` with BLAKE3.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }

    /// Reads a hash from its 34 encoded bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HashError> {
        if bytes.len() != HASH_LEN {
            return Err(HashError::InvalidLength(bytes.len()));
        }
        if bytes[..2] != PREFIX {
            return Err(HashError::UnknownPrefix);
        }
        let mut digest = [0; 32];
        digest.copy_from_slice(&bytes[2..]);
        Ok(Self(digest))
    }

    /// The 34 encoded bytes: prefix and digest.
    pub fn to_bytes(&self) -> [u8; HASH_LEN] {
        let mut bytes = [0; HASH_LEN];
        bytes[..2].copy_from_slice(&PREFIX);
        bytes[2..].copy_from_slice(&self.0);
        bytes
    }

    /// The BLAKE3 digest without the prefix.
    pub fn digest(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 68-character hex form, starting `0020`.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl FromStr for Hash {
    type Err = HashError;

    /// Reads the hex form. Only lower-case hex is accepted, so that a hash has
    /// one text form and ids that contain hashes compare as text.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(HashError::InvalidHex);
        }
        if text.len() != HASH_HEX_LEN {
            return Err(HashError::InvalidLength(text.len() / 2));
        }
        let mut bytes = [0; HASH_LEN];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| HashError::InvalidHex)?;
        Self::from_bytes(&bytes)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0; HASH_HEX_LEN];
        // The buffer has exactly twice the length of the bytes, so this cannot fail.
        if hex::encode_to_slice(self.to_bytes(), &mut text).is_err() {
            return Err(fmt::Error);
        }
        // Hex digits are ASCII.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hash_of_p2panda_matches_reference() {
        assert_eq!(
            Hash::of(b"p2panda").to_hex(),
            "0020f745f8f284789fe66264d6c84e284f5eae080c1b54c3f69f84f04fd0012b8476"
        );
    }

    #[test]
    fn rejects_wrong_prefix_length_and_hex() {
        let mut bytes = Hash::of(b"x").to_bytes();
        bytes[1] = 0x21;
        assert_eq!(Hash::from_bytes(&bytes), Err(HashError::UnknownPrefix));
        assert_eq!(Hash::from_bytes(&bytes[..33]), Err(HashError::InvalidLength(33)));
        assert_eq!("zz".parse::<Hash>(), Err(HashError::InvalidHex));
        let upper = Hash::of(b"x").to_hex().to_uppercase();
        assert_eq!(upper.parse::<Hash>(), Err(HashError::InvalidHex));
    }

    proptest! {
        #[test]
        fn hex_round_trips(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let hash = Hash::of(&data);
            prop_assert_eq!(hash.to_hex().parse::<Hash>(), Ok(hash));
            prop_assert_eq!(Hash::from_bytes(&hash.to_bytes()), Ok(hash));
        }
    }
}
