//! Signature checks that run ahead of the writer, on every other core, while
//! the writer is already storing the first entries of the batch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::Scope;

use lineup_core::{AuthorKeys, EncodedEntry, Entry, EntryError, Hash};

/// How many entries a verifier claims at a time: small, so that the writer
/// rarely waits for the entry it needs next.
const CLAIM: usize = 8;

/// Entries whose signatures are being checked ahead of the pipeline. The
/// pipeline still checks every other signature itself, at its place in the
/// order of checks, and re-checks one that failed here to get its error; the
/// check is the same single-signature verification either way, so nothing is
/// accepted that would be refused.
#[derive(Debug, Default)]
pub(crate) struct VerifiedSignatures {
    /// Position of each entry of the batch; empty when nothing runs ahead.
    positions: HashMap<Hash, usize>,
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    entries: Vec<EncodedEntry>,
    /// Per position: not checked yet (`None`), or the outcome (`Some(None)` for a
    /// failed check).
    outcomes: Mutex<Vec<Option<Option<Entry>>>>,
    checked: Condvar,
    /// The first position no one has claimed yet.
    next: AtomicUsize,
    /// Set when the batch ends early: verifiers stop claiming work.
    abandoned: AtomicBool,
}

impl VerifiedSignatures {
    /// Starts checking `entries`, in order, inside `scope`: on one thread per
    /// core but the writer's, which helps when it catches up.
    pub(crate) fn start<'scope>(scope: &'scope Scope<'scope, '_>, entries: Vec<&EncodedEntry>) -> Self {
        let positions = entries
            .iter()
            .enumerate()
            .map(|(position, entry)| (entry.hash(), position))
            .collect();
        let shared = Arc::new(Shared {
            outcomes: Mutex::new(vec![None; entries.len()]),
            entries: entries.into_iter().cloned().collect(),
            ..Shared::default()
        });
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        for _ in 1..cores.max(2) {
            let shared = Arc::clone(&shared);
            scope.spawn(move || {
                let mut keys = AuthorKeys::default();
                while shared.verify_next_claim(&mut keys) {}
            });
        }
        Self { positions, shared }
    }

    /// Entries checked before the batch started: `None` for a failed check.
    pub(crate) fn checked_before<'a>(
        entries: impl IntoIterator<Item = (&'a EncodedEntry, Option<Entry>)>,
    ) -> Self {
        let (positions, outcomes): (HashMap<Hash, usize>, Vec<Option<Option<Entry>>>) = entries
            .into_iter()
            .enumerate()
            .map(|(position, (entry, decoded))| ((entry.hash(), position), Some(decoded)))
            .unzip();
        Self {
            positions,
            shared: Arc::new(Shared {
                outcomes: Mutex::new(outcomes),
                ..Shared::default()
            }),
        }
    }

    /// Decodes `entry`; one of the batch is taken from the checks ahead, or
    /// checked here along with the next unclaimed ones while none is ready.
    pub(crate) fn decode(&self, entry: &EncodedEntry) -> Result<Entry, EntryError> {
        let Some(&position) = self.positions.get(&entry.hash()) else {
            return entry.decode();
        };
        let mut keys = AuthorKeys::default();
        loop {
            let outcomes = self.shared.lock();
            match &outcomes[position] {
                Some(Some(decoded)) => return Ok(decoded.clone()),
                // Checked again here for the error in its place in the order.
                Some(None) => return entry.decode(),
                None if self.shared.next.load(Ordering::Relaxed) > position => {
                    // Claimed by a verifier that is at it: wait for it.
                    drop(
                        self.shared
                            .checked
                            .wait(outcomes)
                            .unwrap_or_else(PoisonError::into_inner),
                    );
                }
                None => {
                    drop(outcomes);
                    self.shared.verify_next_claim(&mut keys);
                }
            }
        }
    }
}

impl Drop for VerifiedSignatures {
    fn drop(&mut self) {
        self.shared.abandoned.store(true, Ordering::Relaxed);
    }
}

impl Shared {
    /// Claims the next few entries and checks them; false when none are left.
    fn verify_next_claim(&self, keys: &mut AuthorKeys) -> bool {
        let start = self.next.fetch_add(CLAIM, Ordering::Relaxed);
        if start >= self.entries.len() || self.abandoned.load(Ordering::Relaxed) {
            return false;
        }
        let end = (start + CLAIM).min(self.entries.len());
        let decoded: Vec<Option<Entry>> = self.entries[start..end]
            .iter()
            .map(|entry| entry.decode_with(keys).ok())
            .collect();
        let mut outcomes = self.lock();
        for (slot, outcome) in outcomes[start..end].iter_mut().zip(decoded) {
            *slot = Some(outcome);
        }
        drop(outcomes);
        self.checked.notify_all();
        true
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Option<Option<Entry>>>> {
        self.outcomes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::{EncodedOperation, LogId, PrivateKey, SeqNum};

    /// First entries of `count` logs, each signature broken where `broken` says.
    fn entries(count: usize, broken: impl Fn(usize) -> bool) -> Vec<EncodedEntry> {
        let key = PrivateKey::from_bytes(&[7; 32]);
        let payload = EncodedOperation::from_bytes(vec![0x84, 1, 2, 0, 0]);
        (0..count)
            .map(|index| {
                let (_, entry) = Entry::sign(&key, LogId(index as u64), SeqNum::FIRST, None, None, &payload)
                    .expect("a first entry");
                let mut bytes = entry.as_bytes().to_vec();
                if broken(index) {
                    *bytes.last_mut().expect("a signature") ^= 1;
                }
                EncodedEntry::from_bytes(bytes)
            })
            .collect()
    }

    #[test]
    fn every_entry_decodes_as_a_single_check_would() {
        let batch = entries(50, |index| index % 7 == 3);
        let outside = entries(60, |_| false).pop().expect("an entry");
        std::thread::scope(|scope| {
            let verified = VerifiedSignatures::start(scope, batch.iter().collect());
            for entry in batch.iter().chain([&outside]) {
                assert_eq!(verified.decode(entry), entry.decode());
            }
        });
        assert!(batch[3].decode().is_err(), "the tampered entries fail");
    }

    #[test]
    fn a_batch_abandoned_early_stops_its_verifiers() {
        let batch = entries(2_000, |_| false);
        let shared = std::thread::scope(|scope| {
            let verified = VerifiedSignatures::start(scope, batch.iter().collect());
            assert!(verified.decode(&batch[0]).is_ok());
            Arc::clone(&verified.shared)
        });
        let checked = shared.lock().iter().filter(|outcome| outcome.is_some()).count();
        assert!(
            checked < batch.len(),
            "all {checked} checked after the batch ended"
        );
    }
}
