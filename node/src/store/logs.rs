//! Authors' logs and the entries in them.

use lineup_core::{
    DocumentId, EncodedEntry, EncodedOperation, Entry, Hash, LogId, Operation, PublicKey, SchemaId, SeqNum,
};
use rusqlite::{params, Connection, OptionalExtension};

use super::{stored, u64_bytes, u64_from, StoreError};

/// Where an entry sits in its log, and its hash: what links to it need.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredEntry {
    pub(crate) seq_num: SeqNum,
    pub(crate) hash: Hash,
}

/// The entry at `seq_num` of a log. Only its hash is read: stored entries were
/// verified on the way in and need not be decoded again.
pub(crate) fn entry_at(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
    seq_num: SeqNum,
) -> Result<Option<StoredEntry>, StoreError> {
    let hash: Option<Vec<u8>> = connection
        .prepare_cached("SELECT hash FROM entries WHERE public_key = ?1 AND log_id = ?2 AND seq_num = ?3")?
        .query_row(
            params![
                public_key.as_bytes(),
                u64_bytes(log_id.0),
                u64_bytes(seq_num.get())
            ],
            |row| row.get(0),
        )
        .optional()?;
    hash.map(|hash| {
        Ok(StoredEntry {
            seq_num,
            hash: stored(Hash::from_bytes(&hash), "entry hash")?,
        })
    })
    .transpose()
}

/// Whether an entry with this hash is stored, held or kept as fork evidence.
pub(crate) fn is_known(connection: &Connection, hash: &Hash) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached(
            "SELECT 1 WHERE EXISTS (SELECT 1 FROM entries WHERE hash = ?1)
                         OR EXISTS (SELECT 1 FROM held_entries WHERE hash = ?1)
                         OR EXISTS (SELECT 1 FROM forks WHERE hash = ?1)",
        )?
        .exists(params![hash.to_bytes()])?)
}

/// Whether an entry with this hash is stored.
pub(crate) fn contains(connection: &Connection, hash: &Hash) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached("SELECT 1 FROM entries WHERE hash = ?1")?
        .exists(params![hash.to_bytes()])?)
}

/// How far one log goes here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogHeight {
    /// The author.
    pub public_key: PublicKey,
    /// The log.
    pub log_id: LogId,
    /// The schema of the log's document.
    pub schema_id: SchemaId,
    /// Its highest seq num.
    pub seq_num: SeqNum,
    /// Where a fork froze it, if one did (see [`super::forks`]).
    pub frozen_at: Option<SeqNum>,
}

/// Every log with at least one entry, and how far it goes.
pub(crate) fn heights(connection: &Connection) -> Result<Vec<LogHeight>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT l.public_key, l.log_id, l.schema_id,
                (SELECT seq_num FROM entries e
                 WHERE e.public_key = l.public_key AND e.log_id = l.log_id
                 ORDER BY seq_num DESC LIMIT 1) AS height,
                (SELECT MIN(seq_num) FROM forks f
                 WHERE f.public_key = l.public_key AND f.log_id = l.log_id) AS frozen_at
         FROM logs l WHERE height IS NOT NULL",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, Vec<u8>>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, Vec<u8>>(3)?,
            row.get::<_, Option<Vec<u8>>>(4)?,
        ))
    })?;
    let seq_num_from =
        |bytes: &[u8]| SeqNum::new(u64_from(bytes)?).ok_or_else(|| StoreError::Corrupt("seq num 0".into()));
    rows.map(|row| {
        let (public_key, log_id, schema_id, seq_num, frozen_at) = row?;
        let public_key = stored(<[u8; 32]>::try_from(public_key.as_slice()), "author")?;
        Ok(LogHeight {
            public_key: PublicKey::from_checked_bytes(public_key),
            log_id: LogId(u64_from(&log_id)?),
            schema_id: stored(schema_id.parse(), "schema id")?,
            seq_num: seq_num_from(&seq_num)?,
            frozen_at: frozen_at.as_deref().map(seq_num_from).transpose()?,
        })
    })
    .collect()
}

/// Up to `limit` entries of a log after `after` (0: from the start), in
/// order, with their operations (`None` where pruned); `usize::MAX` for all.
pub(crate) fn entries_after(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
    after: u64,
    limit: usize,
) -> Result<Vec<(EncodedEntry, Option<EncodedOperation>)>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT entry, payload FROM entries
         WHERE public_key = ?1 AND log_id = ?2 AND seq_num > ?3
         ORDER BY seq_num LIMIT ?4",
    )?;
    let rows = statement.query_map(
        params![
            public_key.as_bytes(),
            u64_bytes(log_id.0),
            u64_bytes(after),
            // SQLite reads a negative limit as none.
            i64::try_from(limit).unwrap_or(-1)
        ],
        |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Option<Vec<u8>>>(1)?)),
    )?;
    rows.map(|row| {
        let (entry, payload) = row?;
        Ok((
            EncodedEntry::from_bytes(entry),
            payload.map(EncodedOperation::from_bytes),
        ))
    })
    .collect()
}

/// The last entry of a log: the highest seq num (stored big-endian, so SQL
/// orders it numerically) found through the primary key.
pub(crate) fn latest_entry(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
) -> Result<Option<StoredEntry>, StoreError> {
    let row: Option<(Vec<u8>, Vec<u8>)> = connection
        .prepare_cached(
            "SELECT seq_num, hash FROM entries WHERE public_key = ?1 AND log_id = ?2
             ORDER BY seq_num DESC LIMIT 1",
        )?
        .query_row(params![public_key.as_bytes(), u64_bytes(log_id.0)], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    row.map(|(seq_num, hash)| {
        Ok(StoredEntry {
            seq_num: SeqNum::new(u64_from(&seq_num)?)
                .ok_or_else(|| StoreError::Corrupt("seq num 0".into()))?,
            hash: stored(Hash::from_bytes(&hash), "entry hash")?,
        })
    })
    .transpose()
}

/// The log in which `public_key` writes `document_id`.
pub(crate) fn log_of_document(
    connection: &Connection,
    public_key: &PublicKey,
    document_id: &DocumentId,
) -> Result<Option<LogId>, StoreError> {
    let bytes: Option<Vec<u8>> = connection
        .prepare_cached("SELECT log_id FROM logs WHERE public_key = ?1 AND document_id = ?2")?
        .query_row(
            params![public_key.as_bytes(), document_id.hash().to_bytes()],
            |row| row.get(0),
        )
        .optional()?;
    bytes.map(|bytes| u64_from(&bytes).map(LogId)).transpose()
}

/// The document `public_key` writes in `log_id`.
pub(crate) fn document_of_log(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
) -> Result<Option<DocumentId>, StoreError> {
    let bytes: Option<Vec<u8>> = connection
        .prepare_cached("SELECT document_id FROM logs WHERE public_key = ?1 AND log_id = ?2")?
        .query_row(params![public_key.as_bytes(), u64_bytes(log_id.0)], |row| {
            row.get(0)
        })
        .optional()?;
    bytes
        .map(|bytes| stored(Hash::from_bytes(&bytes), "document id").map(DocumentId))
        .transpose()
}

/// The highest log id `public_key` has used.
pub(crate) fn latest_log_id(
    connection: &Connection,
    public_key: &PublicKey,
) -> Result<Option<LogId>, StoreError> {
    let bytes: Option<Vec<u8>> = connection
        .prepare_cached("SELECT MAX(log_id) FROM logs WHERE public_key = ?1")?
        .query_row(params![public_key.as_bytes()], |row| row.get(0))?;
    bytes.map(|bytes| u64_from(&bytes).map(LogId)).transpose()
}

/// Records a new log, opened by its first entry.
pub(crate) fn insert_log(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
    document_id: &DocumentId,
    schema_id: &SchemaId,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO logs (public_key, log_id, document_id, schema_id) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            public_key.as_bytes(),
            u64_bytes(log_id.0),
            document_id.hash().to_bytes(),
            schema_id.to_string(),
        ])?;
    Ok(())
}

/// Appends an entry, with its operation, to its (existing) log.
pub(crate) fn insert_entry(
    connection: &Connection,
    entry: &Entry,
    encoded: &EncodedEntry,
    payload: &EncodedOperation,
    document_id: &DocumentId,
    operation: &Operation,
) -> Result<(), StoreError> {
    let key = entry.public_key.as_bytes();
    let log_id = u64_bytes(entry.log_id.0);
    let seq_num = u64_bytes(entry.seq_num.get());
    connection
        .prepare_cached(
            "INSERT INTO entries
                 (public_key, log_id, seq_num, hash, entry, payload, document_id, schema_id, action, previous)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            key,
            log_id,
            seq_num,
            encoded.hash().to_bytes(),
            encoded.as_bytes(),
            payload.as_bytes(),
            document_id.hash().to_bytes(),
            operation.schema_id.to_string(),
            operation.action.code() as i64,
            operation.previous.as_ref().map(ToString::to_string),
        ])?;
    Ok(())
}
