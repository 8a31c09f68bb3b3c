//! Bamboo entries: the signed, hash-linked log records that carry operations.
//!
//! Byte layout (see PROTOCOL.md): tag `00`, author (32), log id (varu64), seq num
//! (varu64), skiplink (34, only where the lipmaa link is not the backlink),
//! backlink (34, from seq num 2), payload size (varu64), payload hash (34),
//! signature (64) over everything before it.

use std::collections::HashMap;
use std::fmt;

use crate::hash::{Hash, HASH_LEN};
use crate::identity::{PrivateKey, PublicKey, Signature, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use crate::lipmaa::{is_skiplink_required, lipmaa};
use crate::operation::EncodedOperation;
use crate::varu64;

/// The only tag byte p2panda writes: not the end of the log.
const TAG: u8 = 0;

/// The largest encoded entry: tag, author, three varu64s, three hashes, signature.
pub const MAX_ENTRY_LEN: usize = 1 + PUBLIC_KEY_LEN + 3 * varu64::MAX_LEN + 3 * HASH_LEN + SIGNATURE_LEN;

/// Which of an author's logs an entry belongs to. Each document has its own log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LogId(pub u64);

/// Position of an entry in its log, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeqNum(u64);

impl SeqNum {
    /// The first entry of every log.
    pub const FIRST: SeqNum = SeqNum(1);

    /// A sequence number; `None` for 0.
    pub fn new(value: u64) -> Option<Self> {
        (value > 0).then_some(Self(value))
    }

    /// The number as an integer.
    pub fn get(self) -> u64 {
        self.0
    }

    /// Whether this is the first entry of a log.
    pub fn is_first(self) -> bool {
        self.0 == 1
    }

    /// The entry the backlink points to; `None` for the first entry.
    pub fn backlink(self) -> Option<SeqNum> {
        Self::new(self.0 - 1)
    }

    /// The entry an encoded skiplink points to; `None` where no skiplink is encoded.
    pub fn skiplink(self) -> Option<SeqNum> {
        is_skiplink_required(self.0).then(|| Self(lipmaa(self.0)))
    }

    /// The following sequence number; `None` at the end of the range.
    pub fn next(self) -> Option<SeqNum> {
        self.0.checked_add(1).map(Self)
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for LogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why bytes are not a valid entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// No bytes at all.
    #[error("Bytes to decode had length of 0")]
    Empty,
    /// The tag byte is not `00`. p2panda never writes another value.
    #[error("unsupported entry tag byte {0}, expected 0")]
    UnsupportedTag(u8),
    /// The author is missing or not a valid ed25519 key.
    #[error("Could not decode author public key from bytes")]
    InvalidAuthor,
    /// The log id is not a canonical varu64.
    #[error("Could not decode log_id, error with varu64 encoding")]
    InvalidLogId,
    /// The sequence number is not a canonical varu64.
    #[error("Could not decode entry sequence number, error with varu64 encoding")]
    InvalidSeqNum,
    /// Sequence numbers start at 1.
    #[error("Entry sequence must be larger than 0 but was 0")]
    SeqNumZero,
    /// The skiplink is missing or not a hash.
    #[error("Could not decode lipmaa link yamf hash: {0}")]
    InvalidSkiplink(crate::hash::HashError),
    /// The backlink is missing or not a hash.
    #[error("Could not decode backlink yamf hash: {0}")]
    InvalidBacklink(crate::hash::HashError),
    /// The payload size is not a canonical varu64.
    #[error("Could not decode payload size, error with varu64 encoding")]
    InvalidPayloadSize,
    /// The payload hash is missing or not a hash.
    #[error("Could not decode payload hash {0}")]
    InvalidPayloadHash(crate::hash::HashError),
    /// Fewer than 64 bytes are left for the signature.
    #[error("Could not decode signature: DecodeError")]
    MissingSignature,
    /// Bytes follow the signature.
    #[error("{0} unexpected bytes after the signature")]
    TrailingBytes(usize),
    /// The links do not fit the sequence number (only when signing).
    #[error("backlink and skiplink not valid for this sequence number")]
    InvalidLinks,
    /// A required skiplink equals the backlink.
    #[error("backlink and skiplink are identical")]
    BacklinkAndSkiplinkIdentical,
    /// The signature does not verify.
    #[error("signature invalid")]
    InvalidSignature,
}

/// A decoded entry whose signature has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The author who signed it.
    pub public_key: PublicKey,
    /// The author's log it belongs to.
    pub log_id: LogId,
    /// Its position in that log.
    pub seq_num: SeqNum,
    /// Hash of the lipmaa entry, where it is encoded.
    pub skiplink: Option<Hash>,
    /// Hash of the previous entry in the log, from seq num 2.
    pub backlink: Option<Hash>,
    /// Length of the encoded operation.
    pub payload_size: u64,
    /// Hash of the encoded operation.
    pub payload_hash: Hash,
    /// Signature over the unsigned entry bytes.
    pub signature: Signature,
}

/// Authors' keys as curve points, kept across the entries of a batch: reading
/// a key is a square root on the curve, a tenth of a signature check.
#[derive(Debug, Default)]
pub struct AuthorKeys(HashMap<[u8; PUBLIC_KEY_LEN], ed25519_dalek::VerifyingKey>);

impl AuthorKeys {
    /// Keys that are no curve point are not kept: they fail every time.
    fn get(&mut self, author: [u8; PUBLIC_KEY_LEN]) -> Result<ed25519_dalek::VerifyingKey, EntryError> {
        if let Some(key) = self.0.get(&author) {
            return Ok(*key);
        }
        let key = PublicKey::decompress(&author).map_err(|_| EntryError::InvalidAuthor)?;
        self.0.insert(author, key);
        Ok(key)
    }
}

/// The bytes of a signed entry, as they travel and as they are hashed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EncodedEntry(Vec<u8>);

impl EncodedEntry {
    /// Wraps bytes from outside; [`EncodedEntry::decode`] checks them.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The entry's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The entry hash, which is also the id of the operation it carries.
    pub fn hash(&self) -> Hash {
        Hash::of(&self.0)
    }

    /// Decodes the entry and checks its link layout and signature, in the order
    /// bamboo and p2panda-rs check them, so that the same error is reported.
    pub fn decode(&self) -> Result<Entry, EntryError> {
        self.decode_with(&mut AuthorKeys::default())
    }

    /// [`EncodedEntry::decode`], reading authors' keys through `keys`: a node
    /// checking many entries of the same authors decompresses each key once.
    pub fn decode_with(&self, keys: &mut AuthorKeys) -> Result<Entry, EntryError> {
        let (entry, key) = self.decode_parts(keys)?;
        let signed_len = self.0.len() - SIGNATURE_LEN;
        crate::identity::verify(&key, &self.0[..signed_len], &entry.signature)
            .map_err(|_| EntryError::InvalidSignature)?;
        Ok(entry)
    }

    /// Decodes the entry without checking its signature; the caller must check it
    /// (a batch verifier does), since nothing about an unverified entry is trusted.
    pub fn decode_unverified(&self) -> Result<Entry, EntryError> {
        self.decode_parts(&mut AuthorKeys::default())
            .map(|(entry, _)| entry)
    }

    /// The entry and its author's curve point, decompressed once for both the
    /// author check and the signature check.
    fn decode_parts(
        &self,
        keys: &mut AuthorKeys,
    ) -> Result<(Entry, ed25519_dalek::VerifyingKey), EntryError> {
        let bytes = self.0.as_slice();
        let (&tag, rest) = bytes.split_first().ok_or(EntryError::Empty)?;
        if tag != TAG {
            return Err(EntryError::UnsupportedTag(tag));
        }
        if rest.len() < PUBLIC_KEY_LEN {
            return Err(EntryError::InvalidAuthor);
        }
        let (author, rest) = rest.split_at(PUBLIC_KEY_LEN);
        let mut author_bytes = [0; PUBLIC_KEY_LEN];
        author_bytes.copy_from_slice(author);
        let key = keys.get(author_bytes)?;
        let public_key = PublicKey::from(&key);

        let (log_id, rest) = varu64::decode(rest).map_err(|_| EntryError::InvalidLogId)?;
        let (seq_num, rest) = varu64::decode(rest).map_err(|_| EntryError::InvalidSeqNum)?;
        let seq_num = SeqNum::new(seq_num).ok_or(EntryError::SeqNumZero)?;

        let (skiplink, rest) = if is_skiplink_required(seq_num.get()) {
            let (hash, rest) = split_hash(rest).map_err(EntryError::InvalidSkiplink)?;
            (Some(hash), rest)
        } else {
            (None, rest)
        };
        let (backlink, rest) = if seq_num.is_first() {
            (None, rest)
        } else {
            let (hash, rest) = split_hash(rest).map_err(EntryError::InvalidBacklink)?;
            (Some(hash), rest)
        };

        let (payload_size, rest) = varu64::decode(rest).map_err(|_| EntryError::InvalidPayloadSize)?;
        let (payload_hash, rest) = split_hash(rest).map_err(EntryError::InvalidPayloadHash)?;
        if rest.len() < SIGNATURE_LEN {
            return Err(EntryError::MissingSignature);
        }
        let (signature, rest) = rest.split_at(SIGNATURE_LEN);
        if !rest.is_empty() {
            return Err(EntryError::TrailingBytes(rest.len()));
        }
        let mut signature_bytes = [0; SIGNATURE_LEN];
        signature_bytes.copy_from_slice(signature);

        if skiplink.is_some() && skiplink == backlink {
            return Err(EntryError::BacklinkAndSkiplinkIdentical);
        }

        let entry = Entry {
            public_key,
            log_id: LogId(log_id),
            seq_num,
            skiplink,
            backlink,
            payload_size,
            payload_hash,
            signature: Signature::from_bytes(signature_bytes),
        };
        Ok((entry, key))
    }
}

/// Reads a 34-byte hash from the front of `bytes`.
fn split_hash(bytes: &[u8]) -> Result<(Hash, &[u8]), crate::hash::HashError> {
    if bytes.len() < HASH_LEN {
        return Err(crate::hash::HashError::InvalidLength(bytes.len()));
    }
    let (hash, rest) = bytes.split_at(HASH_LEN);
    Ok((Hash::from_bytes(hash)?, rest))
}

impl fmt::Display for EncodedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(&self.0))
    }
}

impl fmt::Debug for EncodedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncodedEntry({self})")
    }
}

impl Entry {
    /// Signs a new entry carrying `payload` at `seq_num` of `log_id`.
    ///
    /// `backlink` is required from seq num 2; `skiplink` where the lipmaa entry is
    /// not the previous one (it is ignored elsewhere, as the encoding leaves it out).
    pub fn sign(
        key: &PrivateKey,
        log_id: LogId,
        seq_num: SeqNum,
        skiplink: Option<Hash>,
        backlink: Option<Hash>,
        payload: &EncodedOperation,
    ) -> Result<(Entry, EncodedEntry), EntryError> {
        let skiplink = if is_skiplink_required(seq_num.get()) {
            Some(skiplink.ok_or(EntryError::InvalidLinks)?)
        } else {
            None
        };
        if seq_num.is_first() != backlink.is_none() {
            return Err(EntryError::InvalidLinks);
        }
        if skiplink.is_some() && skiplink == backlink {
            return Err(EntryError::BacklinkAndSkiplinkIdentical);
        }
        let mut entry = Entry {
            public_key: key.public_key(),
            log_id,
            seq_num,
            skiplink,
            backlink,
            payload_size: payload.as_bytes().len() as u64,
            payload_hash: payload.hash(),
            signature: Signature::from_bytes([0; SIGNATURE_LEN]),
        };
        let mut bytes = entry.unsigned_bytes();
        entry.signature = key.sign(&bytes);
        bytes.extend_from_slice(entry.signature.as_bytes());
        Ok((entry, EncodedEntry(bytes)))
    }

    /// Signs the next entry of a log whose entries so far have the hashes
    /// `earlier` (in order), linking back and skipping as the log requires.
    pub fn sign_after(
        key: &PrivateKey,
        log_id: LogId,
        earlier: &[Hash],
        payload: &EncodedOperation,
    ) -> Result<(Entry, EncodedEntry), EntryError> {
        let seq_num = SeqNum::new(earlier.len() as u64 + 1).ok_or(EntryError::InvalidLinks)?;
        let skiplink = seq_num
            .skiplink()
            .and_then(|skiplink| earlier.get(skiplink.get() as usize - 1).copied());
        Entry::sign(key, log_id, seq_num, skiplink, earlier.last().copied(), payload)
    }

    /// Encodes the entry with its signature.
    pub fn encode(&self) -> EncodedEntry {
        let mut bytes = self.unsigned_bytes();
        bytes.extend_from_slice(self.signature.as_bytes());
        EncodedEntry(bytes)
    }

    /// The bytes the signature covers.
    fn unsigned_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(MAX_ENTRY_LEN);
        bytes.push(TAG);
        bytes.extend_from_slice(self.public_key.as_bytes());
        varu64::encode(self.log_id.0, &mut bytes);
        varu64::encode(self.seq_num.get(), &mut bytes);
        if let Some(skiplink) = &self.skiplink {
            bytes.extend_from_slice(&skiplink.to_bytes());
        }
        if let Some(backlink) = &self.backlink {
            bytes.extend_from_slice(&backlink.to_bytes());
        }
        varu64::encode(self.payload_size, &mut bytes);
        bytes.extend_from_slice(&self.payload_hash.to_bytes());
        bytes
    }

    /// Checks that `payload` is the operation this entry was signed for.
    pub fn check_payload(&self, payload: &EncodedOperation) -> Result<(), PayloadError> {
        if payload.hash() != self.payload_hash {
            return Err(PayloadError::HashMismatch);
        }
        if payload.as_bytes().len() as u64 != self.payload_size {
            return Err(PayloadError::SizeMismatch);
        }
        Ok(())
    }
}

/// Why an operation is not the payload of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The operation hashes to another value than the entry's payload hash.
    #[error("operation needs to match payload hash of encoded entry")]
    HashMismatch,
    /// The operation has another length than the entry's payload size.
    #[error("operation needs to match payload size of encoded entry")]
    SizeMismatch,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn payload() -> EncodedOperation {
        EncodedOperation::from_bytes(vec![0x84, 0x01, 0x00, 0x60, 0xa0])
    }

    fn key() -> PrivateKey {
        PrivateKey::from_bytes(&[1; 32])
    }

    #[test]
    fn signs_each_next_entry_with_the_links_of_its_log() {
        let mut log: Vec<Hash> = Vec::new();
        for _ in 0..20 {
            let (entry, encoded) = Entry::sign_after(&key(), LogId(3), &log, &payload()).unwrap();
            assert_eq!(encoded.decode().unwrap(), entry);
            assert_eq!(entry.seq_num.get(), log.len() as u64 + 1);
            assert_eq!(entry.backlink, log.last().copied());
            let expected_skiplink = entry
                .seq_num
                .skiplink()
                .map(|seq_num| log[seq_num.get() as usize - 1]);
            assert_eq!(entry.skiplink, expected_skiplink);
            log.push(encoded.hash());
        }
        assert!(log.len() > 4, "the chain reached entries that skip");
    }

    #[test]
    fn signs_and_decodes_the_first_entry() {
        let (entry, encoded) = Entry::sign(&key(), LogId(0), SeqNum::FIRST, None, None, &payload()).unwrap();
        assert_eq!(encoded.as_bytes().len(), 134);
        assert_eq!(encoded.decode(), Ok(entry.clone()));
        assert_eq!(entry.encode(), encoded);
        assert_eq!(entry.check_payload(&payload()), Ok(()));
    }

    #[test]
    fn refuses_to_sign_links_that_do_not_fit_the_seq_num() {
        let hash = Hash::of(b"a");
        let seq = |n| SeqNum::new(n).unwrap();
        let sign = |seq_num, skiplink, backlink| {
            Entry::sign(&key(), LogId(0), seq_num, skiplink, backlink, &payload())
        };
        assert_eq!(
            sign(seq(1), None, Some(hash)).unwrap_err(),
            EntryError::InvalidLinks
        );
        assert_eq!(sign(seq(2), None, None).unwrap_err(), EntryError::InvalidLinks);
        assert_eq!(
            sign(seq(4), None, Some(hash)).unwrap_err(),
            EntryError::InvalidLinks
        );
        assert_eq!(
            sign(seq(4), Some(hash), Some(hash)).unwrap_err(),
            EntryError::BacklinkAndSkiplinkIdentical
        );
        // Seq 3 links back to 2 only: a skiplink given there is not encoded.
        let (entry, _) = sign(seq(3), Some(Hash::of(b"b")), Some(hash)).unwrap();
        assert_eq!(entry.skiplink, None);
    }

    #[test]
    fn kept_author_keys_give_the_outcomes_of_single_decodes() {
        let sign = |seed: u8| {
            let key = PrivateKey::from_bytes(&[seed; 32]);
            Entry::sign(&key, LogId(0), SeqNum::FIRST, None, None, &payload())
                .unwrap()
                .1
        };
        let (alice, bob) = (sign(1), sign(2));
        let mut tampered = alice.as_bytes().to_vec();
        *tampered.last_mut().unwrap() ^= 1;
        let no_point = (0..=u8::MAX)
            .map(|first| {
                let mut bytes = alice.as_bytes().to_vec();
                bytes[1..1 + PUBLIC_KEY_LEN].copy_from_slice(&[first; PUBLIC_KEY_LEN]);
                bytes
            })
            .find(|bytes| EncodedEntry::from_bytes(bytes.clone()).decode() == Err(EntryError::InvalidAuthor))
            .expect("an author that is no curve point");
        let entries = [
            alice,
            bob,
            EncodedEntry::from_bytes(tampered),
            EncodedEntry::from_bytes(no_point),
        ];
        let mut keys = AuthorKeys::default();
        for entry in entries.iter().chain(&entries) {
            assert_eq!(entry.decode_with(&mut keys), entry.decode());
        }
        assert_eq!(keys.0.len(), 2, "only the keys that are points are kept");
    }

    #[test]
    fn rejects_malformed_bytes_with_typed_errors() {
        let (_, encoded) = Entry::sign(&key(), LogId(0), SeqNum::FIRST, None, None, &payload()).unwrap();
        let bytes = encoded.as_bytes();
        let decode = |bytes: &[u8]| EncodedEntry::from_bytes(bytes.to_vec()).decode();
        assert_eq!(decode(&[]), Err(EntryError::Empty));
        assert_eq!(decode(&bytes[..20]), Err(EntryError::InvalidAuthor));
        assert_eq!(
            decode(&bytes[..bytes.len() - 1]),
            Err(EntryError::MissingSignature)
        );
        let mut tagged = bytes.to_vec();
        tagged[0] = 1;
        assert_eq!(decode(&tagged), Err(EntryError::UnsupportedTag(1)));
        let mut trailing = bytes.to_vec();
        trailing.push(0);
        assert_eq!(decode(&trailing), Err(EntryError::TrailingBytes(1)));
        let mut zero_seq = bytes.to_vec();
        zero_seq[34] = 0;
        assert_eq!(decode(&zero_seq), Err(EntryError::SeqNumZero));
        // A seq num that declares eight more bytes than there are.
        let mut huge = bytes[..34].to_vec();
        huge.push(255);
        assert_eq!(decode(&huge), Err(EntryError::InvalidSeqNum));
    }

    proptest! {
        #[test]
        fn sign_decode_round_trips(
            secret: [u8; 32],
            log_id: u64,
            seq_num in 1u64..,
            links: ([u8; 4], [u8; 4]),
            body in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let key = PrivateKey::from_bytes(&secret);
            let seq_num = SeqNum::new(seq_num).unwrap();
            let backlink = (!seq_num.is_first()).then(|| Hash::of(&links.0));
            let skiplink = Some(Hash::of(&links.1)).filter(|link| Some(*link) != backlink);
            prop_assume!(!is_skiplink_required(seq_num.get()) || skiplink.is_some());
            let payload = EncodedOperation::from_bytes(body);
            let (entry, encoded) = Entry::sign(&key, LogId(log_id), seq_num, skiplink, backlink, &payload).unwrap();
            prop_assert!(encoded.as_bytes().len() <= MAX_ENTRY_LEN);
            prop_assert_eq!(encoded.decode(), Ok(entry.clone()));
            prop_assert_eq!(entry.encode(), encoded);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = EncodedEntry::from_bytes(bytes).decode();
        }
    }
}
