//! Copies the write-ahead log back into the database on a thread of its own.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its
//! threshold: every few thousand entries one commit waited ~100 ms for the copy
//! and its flushes. Here a second connection copies the log into the database
//! in the background; a passive checkpoint never blocks the writer. The log
//! only starts over from its beginning once all of it is copied, which a
//! writer that never pauses does not allow; so once it is long, the writer
//! checkpoints itself as before, but only the pages the thread has not copied
//! yet are left to copy.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use rusqlite::Connection;

use super::StoreError;

/// Log length (in pages) from which the writer asks for a checkpoint: ~4 MB.
const REQUEST_AT_PAGES: i32 = 1_000;
/// Log length from which the writer checkpoints itself, so that the log
/// starts over and stays bounded (~40 MB).
const WRITER_CHECKPOINTS_AT_PAGES: i32 = 10_000;
/// How long the thread lets requests gather before it copies, so a stream of
/// small commits costs one checkpoint, not one each.
const GATHER: Duration = Duration::from_millis(50);

/// The checkpointing thread of one database; it ends when this is dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    requests: SyncSender<()>,
    stopped: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path`, which `writer` writes,
    /// and counts `writer`'s commits in `commits` (the hook that sees every
    /// commit is this one; SQLite allows one).
    pub(crate) fn start(
        path: &Path,
        writer: &mut Connection,
        commits: Arc<AtomicU64>,
    ) -> Result<Self, StoreError> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        // SQLite opens the file at the first statement; until then the
        // connection does not know the database is in WAL mode.
        let mode: String = connection.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
        if mode != "wal" {
            return Err(StoreError::Corrupt(format!(
                "journal mode {mode} where WAL was set"
            )));
        }
        // One pending request is enough: the checkpoint copies all there is.
        let (requests, pending) = sync_channel(1);
        let hook_requests = requests.clone();
        // Held while copying: two checkpoints at once would make one fail.
        let copying = Arc::new(Mutex::new(()));
        let writer_copying = Arc::clone(&copying);
        // Replaces SQLite's automatic checkpoint, whose hook this is.
        writer.wal_hook(Some(move |wal: &mut Wal, pages: i32| {
            // Called once the commit is visible to new readers.
            commits.fetch_add(1, Ordering::Release);
            if pages >= WRITER_CHECKPOINTS_AT_PAGES {
                let _copying = writer_copying.lock().unwrap_or_else(PoisonError::into_inner);
                // The commit is done whatever happens here; a checkpoint that
                // fails (a reader holds old pages) is tried again at the next one.
                let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
            } else if pages >= REQUEST_AT_PAGES {
                // Full: a request is pending already; disconnected: the store is closing.
                let _ = hook_requests.try_send(());
            }
            Ok(())
        }))?;
        let stopped = Arc::new(AtomicBool::new(false));
        let thread_stopped = Arc::clone(&stopped);
        let thread = std::thread::Builder::new()
            .name("lineup-checkpoint".into())
            .spawn(move || checkpoint_on_request(&connection, &pending, &copying, &thread_stopped))
            .map_err(|error| StoreError::Corrupt(format!("cannot start the checkpoint thread: {error}")))?;
        Ok(Self {
            requests,
            stopped,
            thread: Some(thread),
        })
    }
}

fn checkpoint_on_request(
    connection: &Connection,
    pending: &Receiver<()>,
    copying: &Mutex<()>,
    stopped: &AtomicBool,
) {
    while pending.recv().is_ok() {
        std::thread::sleep(GATHER);
        while pending.try_recv().is_ok() {}
        // Checked after draining: the request that wakes the thread to stop
        // may have been drained with the others.
        if stopped.load(Ordering::Acquire) {
            return;
        }
        let _copying = copying.lock().unwrap_or_else(PoisonError::into_inner);
        // A failed checkpoint loses nothing: the pages stay in the log and the
        // next request (or the writer) copies them.
        let _ = connection.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE);
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Release);
        // Wakes the thread; a full channel has woken it already.
        let _ = self.requests.try_send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Durability, Store};

    fn write_pages(store: &mut Store, pages: usize) {
        for _ in 0..pages / 25 {
            let transaction = store.transaction().unwrap();
            for _ in 0..25 {
                transaction
                    .execute("INSERT INTO filler VALUES (randomblob(4000))", [])
                    .unwrap();
            }
            transaction.commit().unwrap();
        }
    }

    fn open_with_filler(dir: &tempfile::TempDir) -> Store {
        let store = Store::open(&dir.path().join("lineup.sqlite"), Durability::Normal).unwrap();
        store
            .connection()
            .execute_batch("CREATE TABLE filler (bytes BLOB)")
            .unwrap();
        store
    }

    #[test]
    fn pages_reach_the_database_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open_with_filler(&dir);
        write_pages(&mut store, 2_000);
        // Only a checkpoint moves pages from the log into the database file.
        let database = dir.path().join("lineup.sqlite");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::metadata(&database).unwrap().len() < 4_000_000 {
            assert!(std::time::Instant::now() < deadline, "nothing was checkpointed");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    #[test]
    fn the_log_starts_over_while_the_writer_keeps_writing() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open_with_filler(&dir);
        let limit = super::WRITER_CHECKPOINTS_AT_PAGES as usize;
        write_pages(&mut store, 3 * limit);
        let log = std::fs::metadata(dir.path().join("lineup.sqlite-wal"))
            .unwrap()
            .len();
        // A frame is a page and its 24-byte header; one commit may cross the limit.
        let frames = (log as usize).div_ceil(4096 + 24);
        assert!(frames <= limit + 100, "the log grew to {frames} frames");
    }
}
