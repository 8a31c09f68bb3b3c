//! Long-term secrets (the handbook's "Long Term Secrets"): for channels whose
//! members who join later read everything before them. Each epoch of the
//! group has one, derived from MLS by every member in that epoch; a commit
//! carries all of them, encrypted for its new epoch, so that whoever it
//! welcomes learns the earlier ones. A member removed does not learn those
//! of the epochs after.

use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit, Nonce, Tag};
use rand::RngCore;

use super::letter::Sealed;
use super::{SecretError, SecretGroup};

/// The exporter label, as the handbook names it.
const LABEL: &str = "long_term_secret";
const TAG_LEN: usize = 16;

/// The group's long-term secret of its current epoch.
pub fn derive(group: &SecretGroup) -> Result<(u64, Vec<u8>), SecretError> {
    let epoch = group.epoch();
    Ok((epoch, group.export_secret(LABEL, &epoch.to_be_bytes(), 32)?))
}

fn cipher(secret: &[u8]) -> Result<ChaCha20Poly1305, SecretError> {
    ChaCha20Poly1305::new_from_slice(secret)
        .map_err(|_| SecretError::Corrupt("a long-term secret of the wrong length".into()))
}

/// `plaintext` sealed with the long-term secret of `epoch`, bound to the group.
pub fn seal(group_id: &[u8], epoch: u64, secret: &[u8], plaintext: &[u8]) -> Result<Sealed, SecretError> {
    let mut nonce = [0; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let mut ciphertext = plaintext.to_vec();
    let tag = cipher(secret)?
        .encrypt_inout_detached(
            &Nonce::from(nonce),
            &context(group_id, epoch),
            ciphertext.as_mut_slice().into(),
        )
        .map_err(|error| SecretError::Mls(format!("sealing with a long-term secret: {error}")))?;
    ciphertext.extend_from_slice(&tag);
    Ok(Sealed::LongTerm {
        epoch,
        nonce,
        ciphertext,
    })
}

/// The plaintext of a letter sealed with the long-term secret of `epoch`.
pub fn open(
    group_id: &[u8],
    epoch: u64,
    secret: &[u8],
    nonce: &[u8; 12],
    ciphertext: &[u8],
) -> Result<Vec<u8>, SecretError> {
    let refused = || SecretError::Rejected("does not open with the channel's long-term secret".into());
    let split = ciphertext.len().checked_sub(TAG_LEN).ok_or_else(refused)?;
    let (ciphertext, tag) = ciphertext.split_at(split);
    let mut plaintext = ciphertext.to_vec();
    let tag = Tag::try_from(tag).map_err(|_| refused())?;
    cipher(secret)?
        .decrypt_inout_detached(
            &Nonce::from(*nonce),
            &context(group_id, epoch),
            plaintext.as_mut_slice().into(),
            &tag,
        )
        .map_err(|_| refused())?;
    Ok(plaintext)
}

fn context(group_id: &[u8], epoch: u64) -> Vec<u8> {
    [group_id, &epoch.to_be_bytes()].concat()
}

/// A list of long-term secrets, as a commit carries it (before MLS encrypts it).
pub fn encode_list(secrets: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let list: Vec<(u64, serde_bytes::ByteBuf)> = secrets
        .iter()
        .map(|(epoch, secret)| (*epoch, serde_bytes::ByteBuf::from(secret.clone())))
        .collect();
    let mut bytes = Vec::new();
    ciborium::into_writer(&list, &mut bytes)
        .unwrap_or_else(|error| unreachable!("a list always encodes: {error}"));
    bytes
}

/// The list a commit carried.
pub fn decode_list(bytes: &[u8]) -> Result<Vec<(u64, Vec<u8>)>, SecretError> {
    let list: Vec<(u64, serde_bytes::ByteBuf)> = ciborium::from_reader(bytes)
        .map_err(|error| SecretError::Malformed(format!("long-term secrets: {error}")))?;
    Ok(list
        .into_iter()
        .map(|(epoch, secret)| (epoch, secret.into_vec()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::PrivateKey;

    #[test]
    fn a_letter_sealed_with_a_long_term_secret_opens_with_it_only() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let group = SecretGroup::create(&key, b"notes").unwrap();
        let (epoch, secret) = derive(&group).unwrap();
        assert_eq!((epoch, secret.len()), (0, 32));
        let Sealed::LongTerm {
            epoch,
            nonce,
            ciphertext,
        } = seal(b"notes", epoch, &secret, b"rider: no nuts").unwrap()
        else {
            panic!("sealed with a long-term secret");
        };
        assert_eq!(
            open(b"notes", epoch, &secret, &nonce, &ciphertext).unwrap(),
            b"rider: no nuts"
        );
        assert!(open(b"other", epoch, &secret, &nonce, &ciphertext).is_err());
        assert!(open(b"notes", epoch + 1, &secret, &nonce, &ciphertext).is_err());
        assert!(open(b"notes", epoch, &[0; 32], &nonce, &ciphertext).is_err());
        assert!(open(b"notes", epoch, &secret, &nonce, &ciphertext[..10]).is_err());
    }

    #[test]
    fn lists_round_trip() {
        let list = vec![(0, vec![1; 32]), (3, vec![2; 32])];
        assert_eq!(decode_list(&encode_list(&list)).unwrap(), list);
        assert!(decode_list(b"\x01").is_err());
    }
}
