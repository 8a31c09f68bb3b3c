//! Ed25519 identities: the key pair of a device, public keys and signatures.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};

/// Length of a public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;

/// Length of a signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// Why a key or signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// Not hexadecimal text.
    #[error("invalid hex encoding")]
    InvalidHex,
    /// Wrong number of bytes.
    #[error("invalid length {actual} bytes, expected {expected} bytes")]
    InvalidLength {
        /// The length that was given.
        actual: usize,
        /// The length the value must have.
        expected: usize,
    },
    /// The bytes are not the compressed form of a point on the curve.
    #[error("bytes are not a valid ed25519 public key")]
    InvalidPublicKey,
    /// The signature does not verify for this key and message.
    #[error("signature invalid")]
    InvalidSignature,
}

fn decode_hex<const N: usize>(text: &str) -> Result<[u8; N], IdentityError> {
    let bytes = hex::decode(text).map_err(|_| IdentityError::InvalidHex)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| IdentityError::InvalidLength {
        actual: bytes.len(),
        expected: N,
    })
}

/// The private half of an identity. It signs entries, and leaves its device
/// only sealed with a passphrase, to move to another device.
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

impl PrivateKey {
    /// Creates a new random key from a cryptographically secure generator.
    pub fn generate<R: rand_core::CryptoRngCore + ?Sized>(rng: &mut R) -> Self {
        Self(SigningKey::generate(rng))
    }

    /// Restores a key from its 32 secret bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(bytes))
    }

    /// The 32 secret bytes, for storing the key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public key that verifies this key's signatures.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs `message`.
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

impl FromStr for PrivateKey {
    type Err = IdentityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_bytes(&decode_hex::<32>(text)?))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret, even in logs.
        write!(f, "PrivateKey(public: {})", self.public_key())
    }
}

/// An author's public key: who signed an entry. Written as 64 hex characters.
///
/// Only the 32 bytes are kept (small to store and compare); they were checked
/// to be a point on the curve when the key was made.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublicKey([u8; PUBLIC_KEY_LEN]);

impl PublicKey {
    /// Reads a public key from its 32 bytes; they must be a point on the curve.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, IdentityError> {
        Self::decompress(bytes).map(|_| Self(*bytes))
    }

    /// Takes 32 bytes that were checked with [`PublicKey::from_bytes`] before,
    /// such as a key read back from a store that only holds verified entries.
    /// Checking is the costly part of reading a key (a square root on the
    /// curve); a key that is no point still fails every signature check.
    pub fn from_checked_bytes(bytes: [u8; PUBLIC_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// The curve point of the key, which signature checks need.
    pub(crate) fn decompress(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<VerifyingKey, IdentityError> {
        VerifyingKey::from_bytes(bytes).map_err(|_| IdentityError::InvalidPublicKey)
    }

    /// The 32 bytes of the key.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.0
    }

    /// Checks that `signature` was made over `message` by this key.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), IdentityError> {
        verify(&Self::decompress(&self.0)?, message, signature)
    }
}

impl From<&VerifyingKey> for PublicKey {
    fn from(key: &VerifyingKey) -> Self {
        Self(key.to_bytes())
    }
}

/// ed25519's cofactorless check, as p2panda-rs 0.9 (ed25519-dalek 1) makes it:
/// the scalar must be canonical; small-order keys are not refused.
pub(crate) fn verify(key: &VerifyingKey, message: &[u8], signature: &Signature) -> Result<(), IdentityError> {
    key.verify(message, &ed25519_dalek::Signature::from_bytes(&signature.0))
        .map_err(|_| IdentityError::InvalidSignature)
}

impl FromStr for PublicKey {
    type Err = IdentityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::from_bytes(&decode_hex::<PUBLIC_KEY_LEN>(text)?)
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// An ed25519 signature over an entry. Written as 128 hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// Wraps 64 signature bytes; whether they verify is checked by [`PublicKey::verify`].
    pub fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        Self(bytes)
    }

    /// The 64 bytes of the signature.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }
}

impl FromStr for Signature {
    type Err = IdentityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        decode_hex::<SIGNATURE_LEN>(text).map(Self)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checked_key_reads_back_as_the_same_key() {
        let key = PrivateKey::from_bytes(&[3; 32]).public_key();
        assert_eq!(PublicKey::from_checked_bytes(*key.as_bytes()), key);
    }

    #[test]
    fn derives_the_reference_public_key() {
        let alice: PrivateKey = "0101010101010101010101010101010101010101010101010101010101010101"
            .parse()
            .unwrap();
        assert_eq!(
            alice.public_key().to_string(),
            "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
        );
    }

    #[test]
    fn verifies_own_signature_and_rejects_a_flipped_bit() {
        let key = PrivateKey::from_bytes(&[7; 32]);
        let signature = key.sign(b"festival");
        assert_eq!(key.public_key().verify(b"festival", &signature), Ok(()));
        let mut bytes = *signature.as_bytes();
        bytes[63] ^= 1;
        assert_eq!(
            key.public_key()
                .verify(b"festival", &Signature::from_bytes(bytes)),
            Err(IdentityError::InvalidSignature)
        );
        assert_eq!(
            key.public_key().verify(b"festivals", &signature),
            Err(IdentityError::InvalidSignature)
        );
    }

    #[test]
    fn rejects_keys_of_wrong_length_or_not_on_the_curve() {
        assert!(matches!(
            "abcd".parse::<PublicKey>(),
            Err(IdentityError::InvalidLength { .. })
        ));
        assert_eq!("xy".parse::<PublicKey>(), Err(IdentityError::InvalidHex));
        // About half of all 32-byte strings are not the y coordinate of a curve point.
        let rejected = (0..=255u8)
            .filter(|&first| PublicKey::from_bytes(&[first; 32]).is_err())
            .count();
        assert!(rejected > 0);
    }

    /// The order of the curve's prime subgroup, little-endian.
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    /// Adds two little-endian 256-bit numbers (no overflow in these tests).
    fn add(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let digit = u16::from(a[i]) + u16::from(b[i]) + carry;
            sum[i] = digit as u8;
            carry = digit >> 8;
        }
        sum
    }

    #[test]
    fn rejects_a_signature_whose_scalar_is_not_reduced() {
        // s + l is the same scalar mod l, but not its canonical encoding:
        // ed25519-dalek 1 (p2panda-rs) refuses it, and so do we.
        let key = PrivateKey::from_bytes(&[3; 32]);
        let signature = key.sign(b"slot");
        let mut bytes = *signature.as_bytes();
        let s: [u8; 32] = bytes[32..].try_into().unwrap();
        bytes[32..].copy_from_slice(&add(&s, &L));
        assert_eq!(
            key.public_key().verify(b"slot", &Signature::from_bytes(bytes)),
            Err(IdentityError::InvalidSignature)
        );
    }

    #[test]
    fn accepts_small_order_keys_as_the_reference_does() {
        use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
        use curve25519_dalek::scalar::Scalar;
        // The identity point is a valid (small-order) public key. Its
        // cofactorless equation R = [s]B - [k]A holds for R = [s]B whatever the
        // message: p2panda-rs 0.9 accepts such signatures (it does not use
        // verify_strict), so a node that refused them would diverge.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let public_key = PublicKey::from_bytes(&identity).unwrap();
        let s = Scalar::from(1234u64);
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice((ED25519_BASEPOINT_POINT * s).compress().as_bytes());
        bytes[32..].copy_from_slice(s.as_bytes());
        let signature = Signature::from_bytes(bytes);
        assert_eq!(public_key.verify(b"any message", &signature), Ok(()));
        assert_eq!(public_key.verify(b"another one", &signature), Ok(()));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let key = PrivateKey::from_bytes(&[9; 32]);
        assert!(!format!("{key:?}").contains(&hex::encode([9u8; 32])));
    }
}
