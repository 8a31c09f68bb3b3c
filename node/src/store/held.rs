//! Entries that wait for something before they can be applied.

use lineup_core::{EncodedEntry, EncodedOperation, Entry, Hash, PublicKey};
use rusqlite::{params, Connection};

use super::{u64_bytes, StoreError};

/// A held entry, as it arrived.
pub(crate) struct HeldEntry {
    pub(crate) entry: EncodedEntry,
    pub(crate) operation: EncodedOperation,
    pub(crate) peer: String,
}

/// Keeps an entry until `waiting_for` arrives (replacing what it waited for before).
pub(crate) fn hold(
    connection: &Connection,
    entry: &Entry,
    encoded: &EncodedEntry,
    operation: &EncodedOperation,
    waiting_for: &str,
    peer: &str,
    now: i64,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO held_entries
                 (hash, public_key, log_id, seq_num, entry, payload, waiting_for, peer, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (hash) DO UPDATE SET waiting_for = ?7",
        )?
        .execute(params![
            encoded.hash().to_bytes(),
            entry.public_key.as_bytes(),
            u64_bytes(entry.log_id.0),
            u64_bytes(entry.seq_num.get()),
            encoded.as_bytes(),
            operation.as_bytes(),
            waiting_for,
            peer,
            now,
        ])?;
    Ok(())
}

/// Whether no entry is held: the common case, where nothing need be released.
pub(crate) fn is_empty(connection: &Connection) -> Result<bool, StoreError> {
    Ok(!connection
        .prepare_cached("SELECT 1 FROM held_entries LIMIT 1")?
        .exists([])?)
}

/// How many entries are held for an author, and from a peer.
pub(crate) fn counts(
    connection: &Connection,
    public_key: &PublicKey,
    peer: &str,
) -> Result<(u64, u64), StoreError> {
    let by_author: i64 = connection
        .prepare_cached("SELECT COUNT(*) FROM held_entries WHERE public_key = ?1")?
        .query_row(params![public_key.as_bytes()], |row| row.get(0))?;
    let by_peer: i64 = connection
        .prepare_cached("SELECT COUNT(*) FROM held_entries WHERE peer = ?1")?
        .query_row(params![peer], |row| row.get(0))?;
    Ok((by_author.unsigned_abs(), by_peer.unsigned_abs()))
}

/// Takes out the entries that wait for `dependency`, oldest log positions first.
pub(crate) fn take_waiting_for(
    connection: &Connection,
    dependency: &str,
) -> Result<Vec<HeldEntry>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT entry, payload, peer FROM held_entries WHERE waiting_for = ?1 ORDER BY public_key, log_id, seq_num",
    )?;
    let held = statement
        .query_map(params![dependency], |row| {
            Ok(HeldEntry {
                entry: EncodedEntry::from_bytes(row.get(0)?),
                operation: EncodedOperation::from_bytes(row.get(1)?),
                peer: row.get(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    connection
        .prepare_cached("DELETE FROM held_entries WHERE waiting_for = ?1")?
        .execute(params![dependency])?;
    Ok(held)
}

/// The hashes of all held entries with what each waits for, sorted.
pub(crate) fn all(connection: &Connection) -> Result<Vec<(Hash, String)>, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT hash, waiting_for FROM held_entries ORDER BY hash")?;
    let rows = statement.query_map([], |row| {
        Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (hash, waiting_for) = row?;
        Ok((
            super::stored(Hash::from_bytes(&hash), "held entry hash")?,
            waiting_for,
        ))
    })
    .collect()
}
