//! What this device keeps of its secret groups is sealed before it goes into
//! the database: the MLS state (private keys, ratchet secrets) and the
//! messages it read. A copy of the database file alone (a backup, a file
//! shared to debug) reveals none of it; the key is a file of mode 0600 in the
//! data dir ([`crate::key_file::secret_state_key`]).

use chacha20poly1305::{AeadInOut, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

use super::SecretError;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// XChaCha20-Poly1305 under the device's at-rest key. Each value is sealed
/// with a random nonce and bound to where it is stored (`context`), so that a
/// sealed value moved to another row does not open.
pub struct Sealer(XChaCha20Poly1305);

impl Sealer {
    /// A sealer with `key`.
    pub fn new(key: &[u8; 32]) -> Self {
        Self(XChaCha20Poly1305::new(key.into()))
    }

    /// `plaintext`, sealed: nonce, ciphertext, tag.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut sealed = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext);
        let tag = self
            .0
            .encrypt_inout_detached(&XNonce::from(nonce), context, sealed[NONCE_LEN..].as_mut().into())
            .unwrap_or_else(|error| unreachable!("a buffer in memory always seals: {error}"));
        sealed.extend_from_slice(&tag);
        sealed
    }

    /// The plaintext of what [`Sealer::seal`] sealed with `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let damaged = || SecretError::Corrupt("a sealed value does not open with this device's key".into());
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return Err(damaged());
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut plaintext = Zeroizing::new(ciphertext.to_vec());
        let nonce = XNonce::try_from(nonce).map_err(|_| damaged())?;
        let tag = Tag::try_from(tag).map_err(|_| damaged())?;
        self.0
            .decrypt_inout_detached(&nonce, context, plaintext.as_mut_slice().into(), &tag)
            .map_err(|_| damaged())?;
        Ok(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_context() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal(b"row 1", b"the crew's phone numbers");
        assert_eq!(
            sealer.open(b"row 1", &sealed).unwrap().as_slice(),
            b"the crew's phone numbers"
        );
        assert!(!sealed.windows(5).any(|window| window == b"crew'"));
        assert!(sealer.open(b"row 2", &sealed).is_err());
        assert!(Sealer::new(&[8; 32]).open(b"row 1", &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[30] ^= 1;
        assert!(sealer.open(b"row 1", &flipped).is_err());
        assert!(sealer.open(b"row 1", &sealed[..20]).is_err());
    }

    #[test]
    fn sealing_twice_gives_different_bytes() {
        let sealer = Sealer::new(&[7; 32]);
        assert_ne!(sealer.seal(b"", b"same"), sealer.seal(b"", b"same"));
    }
}
