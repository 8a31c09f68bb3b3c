//! The tables of what this device keeps of its secret groups
//! (`schema_v3.sql`). Values go in sealed and come out opened; whoever
//! calls decides the transaction.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::{stored, StoreError};
use crate::secret::{Changes, Entries, Sealer};

/// The group id under which this device's key packages are kept.
pub(crate) const KEY_PACKAGES: &[u8] = b"";

fn context(table: &str, group_id: &[u8], key: &[u8]) -> Vec<u8> {
    [table.as_bytes(), &[0], group_id, &[0], key].concat()
}

/// Saves what changed in a group's MLS state.
pub(crate) fn save_state(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
    changes: &Changes,
) -> Result<(), StoreError> {
    let mut upsert = connection.prepare_cached(
        "INSERT INTO secret_state (group_id, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (group_id, key) DO UPDATE SET value = excluded.value",
    )?;
    let mut delete =
        connection.prepare_cached("DELETE FROM secret_state WHERE group_id = ?1 AND key = ?2")?;
    for (key, value) in changes {
        match value {
            Some(value) => upsert.execute(params![
                group_id,
                key,
                sealer.seal(&context("state", group_id, key), value)
            ])?,
            None => delete.execute(params![group_id, key])?,
        };
    }
    Ok(())
}

/// A group's MLS state as saved: empty if none.
pub(crate) fn load_state(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
) -> Result<Entries, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT key, value FROM secret_state WHERE group_id = ?1")?;
    let rows = statement.query_map([group_id], |row| {
        Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?))
    })?;
    let mut entries = Entries::new();
    for row in rows {
        let (key, sealed) = row?;
        let value = stored(
            sealer.open(&context("state", group_id, &key), &sealed),
            "secret state",
        )?;
        entries.insert(key, value.to_vec());
    }
    Ok(entries)
}

/// Replaces a group's MLS state whole (going back to an earlier epoch), or
/// removes it (`entries` empty).
pub(crate) fn replace_state(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
    entries: &Entries,
) -> Result<(), StoreError> {
    connection.execute("DELETE FROM secret_state WHERE group_id = ?1", [group_id])?;
    let changes: Changes = entries
        .iter()
        .map(|(key, value)| (key.clone(), Some(value.clone())))
        .collect();
    save_state(connection, sealer, group_id, &changes)
}

/// One commit this device applied to a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppliedCommit {
    /// The epoch it led to.
    pub(crate) epoch: u64,
    /// Its document's id (as bytes); empty for the group's creation.
    pub(crate) commit_id: Vec<u8>,
}

/// Records that this device applied `commit_id`, leading the group to
/// `epoch`, with the group's state after it.
pub(crate) fn push_commit(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
    commit: &AppliedCommit,
    state: &Entries,
) -> Result<(), StoreError> {
    let sealed = sealer.seal(
        &context("commit", group_id, &commit.epoch.to_be_bytes()),
        &encode_entries(state)?,
    );
    connection.execute(
        "INSERT OR REPLACE INTO secret_commits (group_id, epoch, commit_id, state) VALUES (?1, ?2, ?3, ?4)",
        params![group_id, commit.epoch as i64, commit.commit_id, sealed],
    )?;
    Ok(())
}

/// The commits this device applied to a group, in order.
pub(crate) fn applied_commits(
    connection: &Connection,
    group_id: &[u8],
) -> Result<Vec<AppliedCommit>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT epoch, commit_id FROM secret_commits WHERE group_id = ?1 ORDER BY epoch")?;
    let rows = statement.query_map([group_id], |row| {
        Ok(AppliedCommit {
            epoch: row.get::<_, i64>(0)? as u64,
            commit_id: row.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The group's state right after the commit that led to `epoch`, if kept.
pub(crate) fn state_at(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
    epoch: u64,
) -> Result<Option<Entries>, StoreError> {
    let sealed: Option<Option<Vec<u8>>> = connection
        .query_row(
            "SELECT state FROM secret_commits WHERE group_id = ?1 AND epoch = ?2",
            params![group_id, epoch as i64],
            |row| row.get(0),
        )
        .optional()?;
    let Some(Some(sealed)) = sealed else {
        return Ok(None);
    };
    let plain = stored(
        sealer.open(&context("commit", group_id, &epoch.to_be_bytes()), &sealed),
        "secret commit state",
    )?;
    decode_entries(&plain).map(Some)
}

/// Forgets the commits from `epoch` on: they lost to others.
pub(crate) fn drop_commits_from(
    connection: &Connection,
    group_id: &[u8],
    epoch: u64,
) -> Result<(), StoreError> {
    connection.execute(
        "DELETE FROM secret_commits WHERE group_id = ?1 AND epoch >= ?2",
        params![group_id, epoch as i64],
    )?;
    Ok(())
}

/// Forgets the group's states after the commits before `epoch`: too old to
/// go back to.
pub(crate) fn drop_states_before(
    connection: &Connection,
    group_id: &[u8],
    epoch: u64,
) -> Result<(), StoreError> {
    connection.execute(
        "UPDATE secret_commits SET state = NULL WHERE group_id = ?1 AND epoch < ?2 AND state IS NOT NULL",
        params![group_id, epoch as i64],
    )?;
    Ok(())
}

/// Forgets everything of a group: this device is no longer in it.
pub(crate) fn forget_group(connection: &Connection, group_id: &[u8]) -> Result<(), StoreError> {
    connection.execute("DELETE FROM secret_state WHERE group_id = ?1", [group_id])?;
    connection.execute("DELETE FROM secret_commits WHERE group_id = ?1", [group_id])?;
    Ok(())
}

/// Keeps a long-term secret of a group.
pub(crate) fn save_long_term(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
    epoch: u64,
    secret: &[u8],
) -> Result<(), StoreError> {
    let sealed = sealer.seal(&context("long_term", group_id, &epoch.to_be_bytes()), secret);
    connection.execute(
        "INSERT OR IGNORE INTO secret_long_term (group_id, epoch, secret) VALUES (?1, ?2, ?3)",
        params![group_id, epoch as i64, sealed],
    )?;
    Ok(())
}

/// A group's long-term secrets, by epoch.
pub(crate) fn long_term(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let mut statement = connection
        .prepare_cached("SELECT epoch, secret FROM secret_long_term WHERE group_id = ?1 ORDER BY epoch")?;
    let rows = statement.query_map([group_id], |row| {
        Ok((row.get::<_, i64>(0)? as u64, row.get::<_, Vec<u8>>(1)?))
    })?;
    let mut secrets = Vec::new();
    for row in rows {
        let (epoch, sealed) = row?;
        let secret = stored(
            sealer.open(&context("long_term", group_id, &epoch.to_be_bytes()), &sealed),
            "long-term secret",
        )?;
        secrets.push((epoch, secret.to_vec()));
    }
    Ok(secrets)
}

/// What this device made of a channel message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reading {
    /// It read it.
    Read(Vec<u8>),
    /// It cannot read it, and why; `retry` while a later state of the group
    /// may read it.
    Unreadable { why: String, retry: bool },
}

/// A channel message as this device keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeptMessage {
    pub(crate) message_id: Vec<u8>,
    pub(crate) sender: Vec<u8>,
    pub(crate) reading: Reading,
    /// For a message this device sent: the group's epoch it sealed it in.
    pub(crate) sent_in_epoch: Option<u64>,
}

/// Keeps what this device made of a message, replacing what it made before.
pub(crate) fn keep_message(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
    message: &KeptMessage,
) -> Result<(), StoreError> {
    let (plaintext, unreadable, retry) = match &message.reading {
        Reading::Read(plaintext) => (
            Some(sealer.seal(&context("message", group_id, &message.message_id), plaintext)),
            None,
            false,
        ),
        Reading::Unreadable { why, retry } => (None, Some(why.as_str()), *retry),
    };
    connection.execute(
        "INSERT INTO secret_messages
             (message_id, group_id, sender, plaintext, unreadable, retry, sent_in_epoch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (message_id) DO UPDATE SET plaintext = excluded.plaintext,
             unreadable = excluded.unreadable, retry = excluded.retry, sent_in_epoch = excluded.sent_in_epoch",
        params![
            message.message_id,
            group_id,
            message.sender,
            plaintext,
            unreadable,
            retry.then_some(1),
            message.sent_in_epoch.map(|epoch| epoch as i64)
        ],
    )?;
    Ok(())
}

/// The messages of a group this device has tried to read; with `retry`,
/// only those that a later state of the group may read.
pub(crate) fn kept_messages(
    connection: &Connection,
    sealer: &Sealer,
    group_id: &[u8],
    only_retry: bool,
) -> Result<Vec<KeptMessage>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT message_id, sender, plaintext, unreadable, retry, sent_in_epoch FROM secret_messages
         WHERE group_id = ?1 AND (?2 = 0 OR retry IS NOT NULL)",
    )?;
    let rows = statement.query_map(params![group_id, only_retry], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, Vec<u8>>(1)?,
            row.get::<_, Option<Vec<u8>>>(2)?,
            row.get::<_, Option<String>>(3)?,
            row.get::<_, Option<i64>>(4)?,
            row.get::<_, Option<i64>>(5)?,
        ))
    })?;
    let mut messages = Vec::new();
    for row in rows {
        let (message_id, sender, plaintext, unreadable, retry, sent_in_epoch) = row?;
        let reading = match plaintext {
            Some(sealed) => {
                let plain = stored(
                    sealer.open(&context("message", group_id, &message_id), &sealed),
                    "message",
                )?;
                Reading::Read(plain.to_vec())
            }
            None => Reading::Unreadable {
                why: unreadable.unwrap_or_default(),
                retry: retry.is_some(),
            },
        };
        messages.push(KeptMessage {
            message_id,
            sender,
            reading,
            sent_in_epoch: sent_in_epoch.map(|epoch| epoch as u64),
        });
    }
    Ok(messages)
}

/// Marks every message of the group this device could not read to be
/// read again: the group's state they were tried with lost.
pub(crate) fn retry_unreadable(connection: &Connection, group_id: &[u8]) -> Result<(), StoreError> {
    connection.execute(
        "UPDATE secret_messages SET retry = 1 WHERE group_id = ?1 AND plaintext IS NULL",
        [group_id],
    )?;
    Ok(())
}

/// When this device first kept each message of the group (ms since 1970).
pub(crate) fn kept_at(connection: &Connection, group_id: &[u8]) -> Result<HashMap<Vec<u8>, i64>, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT message_id, kept_at FROM secret_messages WHERE group_id = ?1")?;
    let rows = statement.query_map([group_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether this device kept the message as one to read again.
pub(crate) fn waits_to_be_read(connection: &Connection, message_id: &[u8]) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached("SELECT 1 FROM secret_messages WHERE message_id = ?1 AND retry IS NOT NULL")?
        .exists([message_id])?)
}

/// Whether this device has tried to read the message.
pub(crate) fn has_message(connection: &Connection, message_id: &[u8]) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached("SELECT 1 FROM secret_messages WHERE message_id = ?1")?
        .exists([message_id])?)
}

/// Records that this device used a key package (its document) in a welcome.
pub(crate) fn use_key_package(connection: &Connection, document_id: &[u8]) -> Result<(), StoreError> {
    connection.execute(
        "INSERT OR IGNORE INTO secret_used_key_packages (document_id) VALUES (?1)",
        [document_id],
    )?;
    Ok(())
}

/// Whether this device used a key package (its document) before.
pub(crate) fn used_key_package(connection: &Connection, document_id: &[u8]) -> Result<bool, StoreError> {
    Ok(connection
        .prepare_cached("SELECT 1 FROM secret_used_key_packages WHERE document_id = ?1")?
        .exists([document_id])?)
}

fn encode_entries(entries: &Entries) -> Result<Vec<u8>, StoreError> {
    let pairs: Vec<(serde_bytes::ByteBuf, serde_bytes::ByteBuf)> = entries
        .iter()
        .map(|(key, value)| {
            (
                serde_bytes::ByteBuf::from(key.clone()),
                serde_bytes::ByteBuf::from(value.clone()),
            )
        })
        .collect();
    let mut bytes = Vec::new();
    stored(
        ciborium::into_writer(&pairs, &mut bytes),
        "encoding a group state",
    )?;
    Ok(bytes)
}

fn decode_entries(bytes: &[u8]) -> Result<Entries, StoreError> {
    let pairs: Vec<(serde_bytes::ByteBuf, serde_bytes::ByteBuf)> =
        stored(ciborium::from_reader(bytes), "a group state")?;
    Ok(pairs
        .into_iter()
        .map(|(key, value)| (key.into_vec(), value.into_vec()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Durability, Store};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("lineup.sqlite"), Durability::Normal).unwrap();
        (dir, store)
    }

    #[test]
    fn a_groups_state_is_saved_sealed_and_loads_back() {
        let (_dir, store) = store();
        let sealer = Sealer::new(&[1; 32]);
        let connection = store.connection();
        let changes = vec![
            (b"a".to_vec(), Some(b"private key".to_vec())),
            (b"b".to_vec(), Some(b"ratchet".to_vec())),
        ];
        save_state(connection, &sealer, b"group", &changes).unwrap();
        save_state(connection, &sealer, b"group", &vec![(b"a".to_vec(), None)]).unwrap();
        assert_eq!(
            load_state(connection, &sealer, b"group").unwrap(),
            Entries::from([(b"b".to_vec(), b"ratchet".to_vec())])
        );
        let raw: Vec<u8> = connection
            .query_row("SELECT value FROM secret_state", [], |row| row.get(0))
            .unwrap();
        assert!(!raw.windows(7).any(|window| window == b"ratchet"));
        assert!(load_state(connection, &Sealer::new(&[2; 32]), b"group").is_err());
    }

    #[test]
    fn commits_keep_their_states_until_dropped() {
        let (_dir, store) = store();
        let sealer = Sealer::new(&[1; 32]);
        let connection = store.connection();
        for epoch in 1..=3 {
            let state = Entries::from([(b"epoch".to_vec(), vec![epoch as u8])]);
            let commit = AppliedCommit {
                epoch,
                commit_id: vec![epoch as u8],
            };
            push_commit(connection, &sealer, b"g", &commit, &state).unwrap();
        }
        assert_eq!(applied_commits(connection, b"g").unwrap().len(), 3);
        assert_eq!(
            state_at(connection, &sealer, b"g", 2).unwrap(),
            Some(Entries::from([(b"epoch".to_vec(), vec![2])]))
        );
        drop_commits_from(connection, b"g", 3).unwrap();
        drop_states_before(connection, b"g", 2).unwrap();
        let epochs: Vec<u64> = applied_commits(connection, b"g")
            .unwrap()
            .iter()
            .map(|c| c.epoch)
            .collect();
        assert_eq!(epochs, vec![1, 2]);
        assert_eq!(
            state_at(connection, &sealer, b"g", 1).unwrap(),
            None,
            "older states are dropped"
        );
        assert!(state_at(connection, &sealer, b"g", 2).unwrap().is_some());
    }

    #[test]
    fn messages_are_kept_read_or_with_why_not() {
        let (_dir, store) = store();
        let sealer = Sealer::new(&[1; 32]);
        let connection = store.connection();
        let read = KeptMessage {
            message_id: b"m1".to_vec(),
            sender: b"k".to_vec(),
            reading: Reading::Read(b"see you at gate B".to_vec()),
            sent_in_epoch: Some(3),
        };
        let waiting = KeptMessage {
            message_id: b"m2".to_vec(),
            sender: b"k".to_vec(),
            reading: Reading::Unreadable {
                why: "from a later epoch".into(),
                retry: true,
            },
            sent_in_epoch: None,
        };
        keep_message(connection, &sealer, b"g", &read).unwrap();
        keep_message(connection, &sealer, b"g", &waiting).unwrap();
        assert!(has_message(connection, b"m1").unwrap());
        let first = kept_at(connection, b"g").unwrap()[b"m2".as_slice()];
        std::thread::sleep(std::time::Duration::from_millis(5));
        keep_message(connection, &sealer, b"g", &waiting).unwrap();
        assert_eq!(
            kept_at(connection, b"g").unwrap()[b"m2".as_slice()],
            first,
            "kept again, first kept then"
        );
        assert_eq!(
            kept_messages(connection, &sealer, b"g", true).unwrap(),
            vec![waiting]
        );
        let mut all = kept_messages(connection, &sealer, b"g", false).unwrap();
        all.sort_by(|a, b| a.message_id.cmp(&b.message_id));
        assert_eq!(all[0], read);
    }
}
