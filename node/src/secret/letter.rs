//! What travels in a channel message: a letter (what the member wrote),
//! sealed either as an MLS application message (sender-ratchet secrets) or
//! with one of the group's long-term secrets.

use serde::{Deserialize, Serialize};

use super::SecretError;

/// What a member wrote, as it is encrypted: CBOR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// Chosen by the sender, kept when the letter is sent again (after its
    /// epoch lost to a concurrent commit): readers keep one copy.
    #[serde(with = "serde_bytes")]
    pub id: Vec<u8>,
    /// The text.
    pub text: String,
    /// When it was written, by the sender's clock (milliseconds since 1970).
    pub sent_at_ms: i64,
    /// The message document this letter is sent again for: it was sealed
    /// in an epoch that lost to a concurrent commit, and some members may
    /// not read it. Readers show the letter once.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_bytes")]
    pub resends: Option<Vec<u8>>,
}

impl Letter {
    /// A new letter with a random id.
    pub fn new(text: String, sent_at_ms: i64) -> Self {
        Self {
            id: rand::random::<[u8; 16]>().to_vec(),
            text,
            sent_at_ms,
            resends: None,
        }
    }

    /// The letter's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        ciborium::into_writer(self, &mut bytes)
            .unwrap_or_else(|error| unreachable!("a letter always encodes: {error}"));
        bytes
    }

    /// A letter from its bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, SecretError> {
        ciborium::from_reader(bytes).map_err(|error| SecretError::Malformed(format!("a letter: {error}")))
    }
}

/// A sealed letter, as the `ciphertext` field carries it (in hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealed {
    /// An MLS application message.
    Mls(Vec<u8>),
    /// Sealed with the group's long-term secret of `epoch`
    /// (ChaCha20-Poly1305, the handbook's `PANDA10_CHACHA20POLY1305`).
    LongTerm {
        /// Which long-term secret.
        epoch: u64,
        /// The AEAD nonce.
        nonce: [u8; 12],
        /// The ciphertext and its tag.
        ciphertext: Vec<u8>,
    },
}

const MLS: u8 = 1;
const LONG_TERM: u8 = 2;

impl Sealed {
    /// Its bytes: a tag, then the message.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Sealed::Mls(message) => [&[MLS], message.as_slice()].concat(),
            Sealed::LongTerm {
                epoch,
                nonce,
                ciphertext,
            } => [&[LONG_TERM], &epoch.to_be_bytes()[..], nonce, ciphertext].concat(),
        }
    }

    /// A sealed letter from its bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, SecretError> {
        match bytes.split_first() {
            Some((&MLS, message)) => Ok(Sealed::Mls(message.to_vec())),
            Some((&LONG_TERM, rest)) if rest.len() >= 8 + 12 + 16 => {
                let (epoch, rest) = rest.split_at(8);
                let (nonce, ciphertext) = rest.split_at(12);
                Ok(Sealed::LongTerm {
                    epoch: u64::from_be_bytes(epoch.try_into().unwrap_or_default()),
                    nonce: nonce.try_into().unwrap_or_default(),
                    ciphertext: ciphertext.to_vec(),
                })
            }
            _ => Err(SecretError::Malformed("a sealed letter of no known kind".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_seals_round_trip() {
        let letter = Letter::new("gate B at 6".into(), 1_780_000_000_000);
        assert_eq!(Letter::decode(&letter.encode()), Ok(letter.clone()));
        assert_ne!(letter.id, Letter::new("gate B at 6".into(), 0).id);
        for sealed in [
            Sealed::Mls(vec![1, 2, 3]),
            Sealed::LongTerm {
                epoch: 3,
                nonce: [9; 12],
                ciphertext: vec![7; 20],
            },
        ] {
            assert_eq!(Sealed::decode(&sealed.encode()), Ok(sealed));
        }
        assert!(Sealed::decode(&[]).is_err());
        assert!(Sealed::decode(&[2, 0, 0]).is_err());
        assert!(Sealed::decode(&[3, 1]).is_err());
        assert!(Letter::decode(b"\xff").is_err());
    }
}
