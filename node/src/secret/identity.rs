//! One identity, not two: a member of a secret group is a p2panda key. Its MLS
//! credential names the key, and MLS signatures are made with it.

use lineup_core::{PrivateKey, PublicKey};
use openmls::prelude::{BasicCredential, Credential, CredentialWithKey};
use openmls_traits::signatures::{Signer, SignerError};
use openmls_traits::types::SignatureScheme;

/// Signs MLS messages with the node's ed25519 key.
pub(crate) struct KeySigner<'a>(pub(crate) &'a PrivateKey);

impl Signer for KeySigner<'_> {
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, SignerError> {
        Ok(self.0.sign(payload).as_bytes().to_vec())
    }

    fn signature_scheme(&self) -> SignatureScheme {
        SignatureScheme::ED25519
    }
}

/// The credential of `key`: a basic credential whose identity is the public
/// key, with that same key as the signature key.
pub(crate) fn credential(key: &PublicKey) -> CredentialWithKey {
    CredentialWithKey {
        credential: BasicCredential::new(key.as_bytes().to_vec()).into(),
        signature_key: key.as_bytes().to_vec().into(),
    }
}

/// The p2panda key a credential names, if it is one of ours: a basic
/// credential whose identity is an ed25519 key that is also its signature key.
pub(crate) fn member_key(credential: &Credential, signature_key: &[u8]) -> Option<PublicKey> {
    identity_key(credential).filter(|key| key.as_bytes().as_slice() == signature_key)
}

/// The key a basic credential names. Every member's credential was checked
/// with [`member_key`] when it was added, so this is the key that signs.
pub(crate) fn identity_key(credential: &Credential) -> Option<PublicKey> {
    let identity = BasicCredential::try_from(credential.clone()).ok()?;
    PublicKey::from_bytes(identity.identity().try_into().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_names_the_key_that_signs() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let with_key = credential(&key.public_key());
        assert_eq!(
            member_key(&with_key.credential, with_key.signature_key.as_slice()),
            Some(key.public_key())
        );
    }

    #[test]
    fn a_credential_for_another_key_than_the_signing_one_names_nobody() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let other = PrivateKey::generate(&mut rand::rngs::OsRng).public_key();
        let with_key = credential(&key.public_key());
        assert_eq!(member_key(&with_key.credential, other.as_bytes()), None);
        let short = BasicCredential::new(vec![1; 31]).into();
        assert_eq!(member_key(&short, &[1; 31]), None);
    }
}
