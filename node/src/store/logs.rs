//! Authors' logs and the entries in them.

use lineup_core::{
    DocumentId, EncodedEntry, EncodedOperation, Entry, Hash, LogId, Operation, PublicKey, SchemaId, SeqNum,
};
use rusqlite::{params, Connection, OptionalExtension};

use super::{stored, u64_bytes, u64_from, StoreError};

/// An entry as stored: decoded, with its hash.
#[derive(Debug, Clone)]
pub(crate) struct StoredEntry {
    pub(crate) entry: Entry,
    pub(crate) hash: Hash,
}

fn read_entry(bytes: Vec<u8>) -> Result<StoredEntry, StoreError> {
    let encoded = EncodedEntry::from_bytes(bytes);
    // Stored entries were verified when they were ingested.
    let entry = stored(encoded.decode_unverified(), "stored entry")?;
    Ok(StoredEntry {
        hash: encoded.hash(),
        entry,
    })
}

/// The entry at `seq_num` of a log.
pub(crate) fn entry_at(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
    seq_num: SeqNum,
) -> Result<Option<StoredEntry>, StoreError> {
    let row: Option<Vec<u8>> = connection
        .prepare_cached("SELECT entry FROM entries WHERE public_key = ?1 AND log_id = ?2 AND seq_num = ?3")?
        .query_row(
            params![
                public_key.as_bytes(),
                u64_bytes(log_id.0),
                u64_bytes(seq_num.get())
            ],
            |row| row.get(0),
        )
        .optional()?;
    row.map(read_entry).transpose()
}

/// Whether an entry with this hash is stored.
pub(crate) fn contains(connection: &Connection, hash: &Hash) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached("SELECT 1 FROM entries WHERE hash = ?1")?
        .exists(params![hash.to_bytes()])?)
}

/// The last entry of a log.
pub(crate) fn latest_entry(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
) -> Result<Option<StoredEntry>, StoreError> {
    match latest_seq_num(connection, public_key, log_id)? {
        Some(seq_num) => entry_at(connection, public_key, log_id, seq_num),
        None => Ok(None),
    }
}

/// The sequence number of the last entry of a log.
pub(crate) fn latest_seq_num(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
) -> Result<Option<SeqNum>, StoreError> {
    let bytes: Option<Vec<u8>> = connection
        .prepare_cached("SELECT latest_seq_num FROM logs WHERE public_key = ?1 AND log_id = ?2")?
        .query_row(params![public_key.as_bytes(), u64_bytes(log_id.0)], |row| {
            row.get(0)
        })
        .optional()?;
    bytes
        .map(|bytes| SeqNum::new(u64_from(&bytes)?).ok_or_else(|| StoreError::Corrupt("seq num 0".into())))
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
            "INSERT INTO logs (public_key, log_id, document_id, schema_id, latest_seq_num)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            public_key.as_bytes(),
            u64_bytes(log_id.0),
            document_id.hash().to_bytes(),
            schema_id.to_string(),
            u64_bytes(1),
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
    connection
        .prepare_cached("UPDATE logs SET latest_seq_num = ?3 WHERE public_key = ?1 AND log_id = ?2")?
        .execute(params![key, log_id, seq_num])?;
    Ok(())
}
