//! The node's SQLite database: logs and entries, operations, materialised
//! documents, the schema registry, held entries and peers.
//!
//! The store is synchronous; the node runs it on its own thread (see
//! [`crate::node`]) so that no SQLite call blocks the async executor. Queries
//! are free functions over a [`rusqlite::Connection`], so that the ingest
//! pipeline runs all of them inside one transaction.

mod checkpoint;
pub(crate) mod documents;
pub mod forks;
pub(crate) mod held;
pub mod logs;
pub(crate) mod operations;
pub(crate) mod peers;
pub(crate) mod schemas;
pub(crate) mod secrets;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use checkpoint::Checkpointer;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, Transaction};

/// How much of the most recent work survives a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// SQLite `synchronous=NORMAL` in WAL mode: everything acknowledged survives
    /// a killed process; a power cut may lose the last transactions (never
    /// corrupt the database).
    #[default]
    Normal,
    /// `synchronous=FULL`: everything acknowledged survives a power cut too, at
    /// the cost of a disk flush per transaction.
    Full,
}

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer Lineup.
    #[error("the database has schema version {found}; this Lineup knows versions up to {known}")]
    NewerVersion {
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// A failure shared by several callers, such as a group commit's.
    #[error("database error: {0}")]
    Failed(String),
    /// The database holds something this code cannot read: a bug or a
    /// damaged file, never bad input from outside (that is never stored).
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// The store was closed: the node has stopped.
    #[error("the store is closed")]
    Closed,
}

/// Each migration takes the database from the version before it to its index + 1.
const MIGRATIONS: &[&str] = &[
    include_str!("store/schema_v1.sql"),
    include_str!("store/schema_v2.sql"),
    include_str!("store/schema_v3.sql"),
];

/// An open database.
#[derive(Debug)]
pub struct Store {
    connection: Connection,
    commits: CommitCount,
    _checkpointer: Checkpointer,
}

/// How many transactions the store has committed since it opened: whoever
/// keeps something derived from the data knows it is still current while
/// the count has not moved. A commit is counted once readers can see it.
#[derive(Debug, Clone, Default)]
pub struct CommitCount(Arc<AtomicU64>);

impl CommitCount {
    /// The commits so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its tables up to date.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let mut connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        let synchronous = match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        connection.pragma_update(None, "synchronous", synchronous)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        // 8 MiB of page cache (the default is 2 MiB): a batch's pages stay in
        // memory until commit instead of spilling into the WAL mid-transaction.
        // Not more: SQLite walks the cache's hash table at every commit, which
        // at 64 MiB took a sixth of the writer's time under many small commits.
        connection.pragma_update(None, "cache_size", -8_000)?;
        connection.pragma_update(None, "temp_store", "MEMORY")?;
        // Keep each query's plan: the bundled SQLite (built with STAT4) would
        // otherwise re-prepare a statement whenever a bound value might change
        // its plan, which made the log-head lookup cost more than the insert.
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // Every query is prepared once and kept: more than rusqlite's default 16.
        connection.set_prepared_statement_cache_capacity(128);
        migrate(&mut connection)?;
        let commits = CommitCount::default();
        let checkpointer = Checkpointer::start(path, &mut connection, Arc::clone(&commits.0))?;
        Ok(Self {
            connection,
            commits,
            _checkpointer: checkpointer,
        })
    }

    /// Counts this store's commits.
    pub fn commit_count(&self) -> CommitCount {
        self.commits.clone()
    }

    /// Starts a write transaction; it takes the write lock at once, so that a
    /// check made inside it cannot be invalidated by another writer.
    pub(crate) fn transaction(&mut self) -> Result<Transaction<'_>, StoreError> {
        Ok(self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }

    /// The connection, for reads.
    pub(crate) fn connection(&self) -> &Connection {
        &self.connection
    }
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::NewerVersion {
            found: version,
            known,
        });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(migration)?;
        transaction.pragma_update(None, "user_version", index as i64 + 1)?;
        transaction.commit()?;
    }
    Ok(())
}

/// A u64 as stored: 8 big-endian bytes, which SQLite orders numerically.
pub(crate) fn u64_bytes(value: u64) -> [u8; 8] {
    value.to_be_bytes()
}

/// Reads a u64 stored by [`u64_bytes`].
pub(crate) fn u64_from(bytes: &[u8]) -> Result<u64, StoreError> {
    <[u8; 8]>::try_from(bytes)
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::Corrupt(format!("{} bytes where a u64 was stored", bytes.len())))
}

/// Reads a hash (an entry, operation or document id) the store holds.
pub(crate) fn hash_from(bytes: &[u8], what: &str) -> Result<lineup_core::Hash, StoreError> {
    stored(lineup_core::Hash::from_bytes(bytes), what)
}

/// Turns a value read from the store into a `StoreError::Corrupt` on failure.
pub(crate) fn stored<T, E: std::fmt::Display>(result: Result<T, E>, what: &str) -> Result<T, StoreError> {
    result.map_err(|error| StoreError::Corrupt(format!("{what}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_the_tables_once_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lineup.sqlite");
        drop(Store::open(&path, Durability::Normal).unwrap());
        let store = Store::open(&path, Durability::Full).unwrap();
        let version: i64 = store
            .connection()
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let mode: String = store
            .connection()
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn counts_commits_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("lineup.sqlite"), Durability::Normal).unwrap();
        let commits = store.commit_count();
        let before = commits.get();
        let count = |store: &Store| -> i64 {
            store
                .connection()
                .query_row("SELECT count(*) FROM logs", [], |row| row.get(0))
                .unwrap()
        };
        count(&store);
        let transaction = store.transaction().unwrap();
        transaction.execute("CREATE TABLE scratch (x)", []).unwrap();
        drop(transaction); // rolled back
        assert_eq!(commits.get(), before, "reads and rollbacks are no commits");
        let transaction = store.transaction().unwrap();
        transaction.execute("CREATE TABLE scratch (x)", []).unwrap();
        transaction.commit().unwrap();
        assert_eq!(commits.get(), before + 1);
    }

    #[test]
    fn upgrades_a_database_of_an_earlier_version_keeping_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lineup.sqlite");
        {
            // A store as the first version left it, with a row in it.
            let connection = Connection::open(&path).unwrap();
            connection.execute_batch(MIGRATIONS[0]).unwrap();
            connection.pragma_update(None, "user_version", 1).unwrap();
            connection
                .execute(
                    "INSERT INTO peers (public_key, address, last_seen) VALUES (x'01', 'a', 1)",
                    [],
                )
                .unwrap();
        }
        let store = Store::open(&path, Durability::Normal).unwrap();
        let connection = store.connection();
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        let peers: i64 = connection
            .query_row("SELECT count(*) FROM peers", [], |row| row.get(0))
            .unwrap();
        assert_eq!(peers, 1);
        for table in ["forks", "frozen_operations", "unauthorised_operations"] {
            let found: i64 = connection
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                    [table],
                    |row| row.get(0),
                )
                .unwrap();
            assert_eq!(found, 1, "{table}");
        }
    }

    #[test]
    fn refuses_a_database_from_a_newer_lineup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lineup.sqlite");
        let store = Store::open(&path, Durability::Normal).unwrap();
        store
            .connection()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        drop(store);
        assert!(matches!(
            Store::open(&path, Durability::Normal),
            Err(StoreError::NewerVersion { found: 99, .. })
        ));
    }

    #[test]
    fn stores_u64s_in_numeric_order() {
        assert!(u64_bytes(255) < u64_bytes(256));
        assert!(u64_bytes(1 << 63) > u64_bytes((1 << 63) - 1));
        assert_eq!(u64_from(&u64_bytes(u64::MAX)).unwrap(), u64::MAX);
    }
}
