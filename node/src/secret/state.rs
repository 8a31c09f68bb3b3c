//! A secret group's MLS state on this device: openmls keeps it, through its
//! storage traits, in a map of its own per group; this module tracks which
//! entries changed since they were last saved, so that the node writes only
//! those (inside the same SQLite transaction as what caused them), and can
//! undo every change of an operation that failed.

use std::collections::HashMap;

use openmls_rust_crypto::{MemoryStorage, RustCrypto};
use openmls_traits::OpenMlsProvider;

/// Storage entries: openmls' key (label, id, version) to its value.
pub type Entries = HashMap<Vec<u8>, Vec<u8>>;

/// What an operation changed: entries written (`Some`) or deleted (`None`).
pub type Changes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// The provider openmls works through for one group: the Rust crypto
/// backend, and the group's entries.
#[derive(Default)]
pub(crate) struct GroupProvider {
    crypto: RustCrypto,
    storage: MemoryStorage,
}

impl OpenMlsProvider for GroupProvider {
    type CryptoProvider = RustCrypto;
    type RandProvider = RustCrypto;
    type StorageProvider = MemoryStorage;

    fn storage(&self) -> &MemoryStorage {
        &self.storage
    }

    fn crypto(&self) -> &RustCrypto {
        &self.crypto
    }

    fn rand(&self) -> &RustCrypto {
        &self.crypto
    }
}

/// A group's entries as openmls sees them, and as they were last saved.
#[derive(Default)]
pub(crate) struct GroupState {
    provider: GroupProvider,
    saved: Entries,
}

impl GroupState {
    /// The state as saved before.
    pub(crate) fn from_saved(saved: Entries) -> Self {
        let state = Self {
            provider: GroupProvider::default(),
            saved,
        };
        state.restore_saved();
        state
    }

    pub(crate) fn provider(&self) -> &GroupProvider {
        &self.provider
    }

    /// A copy of every entry, as it is now.
    pub(crate) fn entries(&self) -> Entries {
        self.values().clone()
    }

    /// The entries changed since the last call (or since loading), which
    /// count as saved from now on.
    pub(crate) fn take_changes(&mut self) -> Changes {
        let values = self.values();
        let mut changes: Changes = values
            .iter()
            .filter(|(key, value)| self.saved.get(*key) != Some(value))
            .map(|(key, value)| (key.clone(), Some(value.clone())))
            .collect();
        changes.extend(
            self.saved
                .keys()
                .filter(|key| !values.contains_key(*key))
                .map(|key| (key.clone(), None)),
        );
        drop(values);
        for (key, value) in &changes {
            match value {
                Some(value) => self.saved.insert(key.clone(), value.clone()),
                None => self.saved.remove(key),
            };
        }
        changes.sort();
        changes
    }

    /// Puts the entries back as they were (see [`Self::entries`]); what is
    /// saved stays as it is.
    pub(crate) fn reset_to(&self, entries: Entries) {
        *self.values_mut() = entries;
    }

    fn restore_saved(&self) {
        self.reset_to(self.saved.clone());
    }

    fn values(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        // A panic while openmls held the lock leaves the map as it was at the
        // panic; the caller then restores or reloads it anyway.
        self.provider
            .storage
            .values
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn values_mut(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.provider
            .storage
            .values
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(state: &GroupState, key: &[u8], value: &[u8]) {
        state.values_mut().insert(key.to_vec(), value.to_vec());
    }

    #[test]
    fn changes_are_what_differs_from_the_saved_entries() {
        let mut state = GroupState::from_saved(Entries::from([
            (b"kept".to_vec(), b"1".to_vec()),
            (b"changed".to_vec(), b"1".to_vec()),
            (b"deleted".to_vec(), b"1".to_vec()),
        ]));
        put(&state, b"changed", b"2");
        put(&state, b"added", b"1");
        state.values_mut().remove(b"deleted".as_slice());
        assert_eq!(
            state.take_changes(),
            vec![
                (b"added".to_vec(), Some(b"1".to_vec())),
                (b"changed".to_vec(), Some(b"2".to_vec())),
                (b"deleted".to_vec(), None),
            ]
        );
        assert_eq!(state.take_changes(), vec![], "taken changes count as saved");
    }

    #[test]
    fn a_reset_puts_back_the_entries_and_keeps_what_changed_before_it_to_save() {
        let mut state = GroupState::from_saved(Entries::from([(b"a".to_vec(), b"1".to_vec())]));
        put(&state, b"a", b"2");
        let before = state.entries();
        put(&state, b"a", b"3");
        put(&state, b"b", b"1");
        state.reset_to(before);
        assert_eq!(state.take_changes(), vec![(b"a".to_vec(), Some(b"2".to_vec()))]);
    }
}
