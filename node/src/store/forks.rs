//! Forks: entries an author signed at a seq num its log already holds
//! another entry for, and the operations that materialisation leaves out
//! because of them.

use lineup_core::{EncodedEntry, EncodedOperation, Entry, LogId, OperationId, PublicKey, SeqNum};
use rusqlite::{params, Connection, OptionalExtension};

use super::{hash_from, stored, u64_bytes, u64_from, StoreError};

/// A log frozen at its first fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForkedLog {
    /// The author whose key signed the fork.
    pub public_key: PublicKey,
    /// The log.
    pub log_id: LogId,
    /// The first seq num with two entries: nothing from here on is materialised.
    pub seq_num: SeqNum,
}

/// Where the log is frozen, if it is.
pub(crate) fn frozen_at(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
) -> Result<Option<SeqNum>, StoreError> {
    let bytes: Option<Vec<u8>> = connection
        .prepare_cached("SELECT MIN(seq_num) FROM forks WHERE public_key = ?1 AND log_id = ?2")?
        .query_row(params![public_key.as_bytes(), u64_bytes(log_id.0)], |row| {
            row.get(0)
        })?;
    bytes.map(|bytes| seq_num_from(&bytes)).transpose()
}

/// Keeps `entry` (verified, and not the one its log holds at its seq num)
/// as evidence of a fork.
pub(crate) fn keep_evidence(
    connection: &Connection,
    entry: &Entry,
    encoded: &EncodedEntry,
    payload: Option<&EncodedOperation>,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT OR IGNORE INTO forks (public_key, log_id, seq_num, hash, entry, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            entry.public_key.as_bytes(),
            u64_bytes(entry.log_id.0),
            u64_bytes(entry.seq_num.get()),
            encoded.hash().to_bytes(),
            encoded.as_bytes(),
            payload.map(EncodedOperation::as_bytes),
        ])?;
    Ok(())
}

/// Every frozen log, with the seq num it is frozen at.
pub(crate) fn frozen_logs(connection: &Connection) -> Result<Vec<ForkedLog>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT public_key, log_id, MIN(seq_num) FROM forks GROUP BY public_key, log_id ORDER BY public_key, log_id",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, Vec<u8>>(1)?,
            row.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (public_key, log_id, seq_num) = row?;
        let public_key: [u8; 32] = stored(<[u8; 32]>::try_from(public_key.as_slice()), "public key")?;
        Ok(ForkedLog {
            public_key: PublicKey::from_checked_bytes(public_key),
            log_id: LogId(u64_from(&log_id)?),
            seq_num: seq_num_from(&seq_num)?,
        })
    })
    .collect()
}

/// The entries that prove `fork`: the one its log holds at the fork's seq
/// num, then the others, each with its operation unless that was pruned.
pub(crate) fn evidence(
    connection: &Connection,
    fork: &ForkedLog,
) -> Result<Vec<(EncodedEntry, Option<EncodedOperation>)>, StoreError> {
    let key = (
        fork.public_key.as_bytes(),
        u64_bytes(fork.log_id.0),
        u64_bytes(fork.seq_num.get()),
    );
    let in_log: Option<(Vec<u8>, Option<Vec<u8>>)> = connection
        .prepare_cached(
            "SELECT entry, payload FROM entries WHERE public_key = ?1 AND log_id = ?2 AND seq_num = ?3",
        )?
        .query_row(params![key.0, key.1, key.2], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let mut statement = connection.prepare_cached(
        "SELECT entry, payload FROM forks WHERE public_key = ?1 AND log_id = ?2 AND seq_num = ?3 ORDER BY hash",
    )?;
    let others = statement.query_map(params![key.0, key.1, key.2], |row| {
        Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Option<Vec<u8>>>(1)?))
    })?;
    let mut evidence = Vec::new();
    for row in in_log.into_iter().map(Ok).chain(others) {
        let (entry, payload) = row?;
        evidence.push((
            EncodedEntry::from_bytes(entry),
            payload.map(EncodedOperation::from_bytes),
        ));
    }
    Ok(evidence)
}

/// The operations of a log from `seq_num` on.
pub(crate) fn operations_from(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
    seq_num: SeqNum,
) -> Result<Vec<OperationId>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT hash FROM entries WHERE public_key = ?1 AND log_id = ?2 AND seq_num >= ?3")?;
    let rows = statement.query_map(
        params![
            public_key.as_bytes(),
            u64_bytes(log_id.0),
            u64_bytes(seq_num.get())
        ],
        |row| row.get::<_, Vec<u8>>(0),
    )?;
    rows.map(|hash| Ok(OperationId(hash_from(&hash?, "operation id")?)))
        .collect()
}

/// Leaves these operations out of materialisation from now on.
pub(crate) fn freeze(connection: &Connection, operations: &[OperationId]) -> Result<(), StoreError> {
    let mut statement =
        connection.prepare_cached("INSERT OR IGNORE INTO frozen_operations (hash) VALUES (?1)")?;
    for id in operations {
        statement.execute(params![id.hash().to_bytes()])?;
    }
    Ok(())
}

fn seq_num_from(bytes: &[u8]) -> Result<SeqNum, StoreError> {
    SeqNum::new(u64_from(bytes)?).ok_or_else(|| StoreError::Corrupt("seq num 0".into()))
}
