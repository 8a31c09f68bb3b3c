//! Operations: what each one does to which document (stored in the entries
//! table beside the entry that carries it).

use lineup_core::{DocumentId, EncodedOperation, OperationId, PublicKey, SchemaId};
use rusqlite::{params, Connection, OptionalExtension};

use super::{hash_from, stored, StoreError};

/// What the store knows of an operation without decoding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OperationMeta {
    pub(crate) document_id: DocumentId,
    pub(crate) schema_id: SchemaId,
    /// Left out of materialisation because of a fork.
    pub(crate) frozen: bool,
    /// Left out of materialisation: its author may not do it (for now).
    pub(crate) unauthorised: bool,
}

/// The document and schema of an operation.
pub(crate) fn meta(connection: &Connection, id: &OperationId) -> Result<Option<OperationMeta>, StoreError> {
    let row: Option<(Vec<u8>, String, bool, bool)> = connection
        .prepare_cached(
            "SELECT document_id, schema_id, EXISTS (SELECT 1 FROM frozen_operations WHERE hash = ?1),
                    EXISTS (SELECT 1 FROM unauthorised_operations WHERE hash = ?1)
             FROM entries WHERE hash = ?1",
        )?
        .query_row(params![id.hash().to_bytes()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    row.map(|(document_id, schema_id, frozen, unauthorised)| {
        Ok(OperationMeta {
            document_id: DocumentId(hash_from(&document_id, "document id")?),
            schema_id: stored(schema_id.parse(), "schema id")?,
            frozen,
            unauthorised,
        })
    })
    .transpose()
}

/// Every operation of a document that counts (neither frozen nor
/// unauthorised), with its author and
/// payload, for a full reduction. `None` payloads were pruned.
pub(crate) fn of_document(
    connection: &Connection,
    document_id: &DocumentId,
) -> Result<Vec<(OperationId, PublicKey, Option<EncodedOperation>)>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT hash, public_key, payload FROM logs JOIN entries USING (public_key, log_id)
             WHERE logs.document_id = ?1
               AND NOT EXISTS (SELECT 1 FROM frozen_operations f WHERE f.hash = entries.hash)
               AND NOT EXISTS (SELECT 1 FROM unauthorised_operations u WHERE u.hash = entries.hash)",
    )?;
    let rows = statement.query_map(params![document_id.hash().to_bytes()], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, Vec<u8>>(1)?,
            row.get::<_, Option<Vec<u8>>>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (id, author, payload) = row?;
        let author: [u8; 32] = stored(<[u8; 32]>::try_from(author.as_slice()), "public key")?;
        Ok((
            OperationId(hash_from(&id, "operation id")?),
            PublicKey::from_checked_bytes(author),
            payload.map(EncodedOperation::from_bytes),
        ))
    })
    .collect()
}

/// One operation of a document as a node of its graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GraphNode {
    pub(crate) id: OperationId,
    /// The operations it builds on.
    pub(crate) previous: Vec<OperationId>,
    /// Left out of materialisation because of a fork.
    pub(crate) frozen: bool,
    /// Left out of materialisation: its author may not do it (for now).
    pub(crate) unauthorised: bool,
}

/// Every operation of a document, left out or not, with what it builds on.
pub(crate) fn graph_of(
    connection: &Connection,
    document_id: &DocumentId,
) -> Result<Vec<GraphNode>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT hash, previous, EXISTS (SELECT 1 FROM frozen_operations f WHERE f.hash = entries.hash),
                EXISTS (SELECT 1 FROM unauthorised_operations u WHERE u.hash = entries.hash)
         FROM logs JOIN entries USING (public_key, log_id) WHERE logs.document_id = ?1",
    )?;
    let rows = statement.query_map(params![document_id.hash().to_bytes()], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, Option<String>>(1)?,
            row.get::<_, bool>(2)?,
            row.get::<_, bool>(3)?,
        ))
    })?;
    rows.map(|row| {
        let (id, previous, frozen, unauthorised) = row?;
        Ok(GraphNode {
            id: OperationId(hash_from(&id, "operation id")?),
            previous: previous
                .iter()
                .flat_map(|previous| previous.split('_'))
                .map(|previous| stored(previous.parse::<OperationId>(), "previous"))
                .collect::<Result<_, _>>()?,
            frozen,
            unauthorised,
        })
    })
    .collect()
}

/// The graph tips of a document: its operations that count (neither frozen
/// nor unauthorised) and that no other one builds on.
pub(crate) fn tips_of(
    connection: &Connection,
    document_id: &DocumentId,
) -> Result<Vec<OperationId>, StoreError> {
    let graph: Vec<GraphNode> = graph_of(connection, document_id)?
        .into_iter()
        .filter(|node| !node.frozen && !node.unauthorised)
        .collect();
    let built_on: std::collections::HashSet<OperationId> = graph
        .iter()
        .flat_map(|node| node.previous.iter().copied())
        .collect();
    Ok(graph
        .into_iter()
        .map(|node| node.id)
        .filter(|id| !built_on.contains(id))
        .collect())
}

/// Deleted documents whose operations still carry their payloads.
pub(crate) fn deleted_with_payloads(connection: &Connection) -> Result<Vec<DocumentId>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT id FROM documents WHERE deleted = 1 AND EXISTS (
             SELECT 1 FROM logs JOIN entries USING (public_key, log_id)
             WHERE logs.document_id = documents.id AND entries.payload IS NOT NULL)",
    )?;
    let rows = statement.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
    rows.map(|id| Ok(DocumentId(hash_from(&id?, "document id")?)))
        .collect()
}

/// Whether a field of a live document names one of these operations, as a
/// pinned relation to a view of theirs does. (A text field that happens to
/// hold the id counts too: it only keeps data longer.)
pub(crate) fn is_pinned(connection: &Connection, ids: &[OperationId]) -> Result<bool, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT 1 FROM document_fields WHERE instr(value, ?1) > 0 LIMIT 1")?;
    for id in ids {
        if statement.exists(params![id.to_string()])? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The ids of a document's operations.
pub(crate) fn ids_of(
    connection: &Connection,
    document_id: &DocumentId,
) -> Result<Vec<OperationId>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT hash FROM logs JOIN entries USING (public_key, log_id) WHERE logs.document_id = ?1",
    )?;
    let rows = statement.query_map(params![document_id.hash().to_bytes()], |row| {
        row.get::<_, Vec<u8>>(0)
    })?;
    rows.map(|id| Ok(OperationId(hash_from(&id?, "operation id")?)))
        .collect()
}

/// Drops the payloads of a document's operations; their entries stay.
/// Returns how many were dropped.
pub(crate) fn prune(connection: &Connection, document_id: &DocumentId) -> Result<usize, StoreError> {
    Ok(connection
        .prepare_cached(
            "UPDATE entries SET payload = NULL
             WHERE (public_key, log_id) IN (SELECT public_key, log_id FROM logs WHERE document_id = ?1)
             AND payload IS NOT NULL",
        )?
        .execute(params![document_id.hash().to_bytes()])?)
}

/// One stored operation with where it was signed, for authorisation.
#[derive(Debug, Clone)]
pub(crate) struct StoredOperation {
    pub(crate) document_id: DocumentId,
    pub(crate) id: OperationId,
    pub(crate) author: PublicKey,
    pub(crate) log_id: lineup_core::LogId,
    pub(crate) seq_num: lineup_core::SeqNum,
    /// `None` where pruned.
    pub(crate) payload: Option<EncodedOperation>,
}

/// Every operation of a schema's documents (only the CREATEs, if asked),
/// with where each was signed.
pub(crate) fn of_schema(
    connection: &Connection,
    schema_id: &SchemaId,
    creates_only: bool,
) -> Result<Vec<StoredOperation>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT entries.document_id, hash, public_key, log_id, seq_num, payload
         FROM logs JOIN entries USING (public_key, log_id)
         WHERE logs.schema_id = ?1 AND (?2 = 0 OR action = 0)",
    )?;
    let rows = statement.query_map(params![schema_id.to_string(), creates_only], read_stored)?;
    rows.map(|row| StoredOperation::try_from(row?)).collect()
}

/// A row of `document_id, hash, public_key, log_id, seq_num, payload`.
type StoredRow = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Option<Vec<u8>>);

fn read_stored(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

impl TryFrom<StoredRow> for StoredOperation {
    type Error = StoreError;

    fn try_from((document_id, id, author, log_id, seq_num, payload): StoredRow) -> Result<Self, StoreError> {
        let author: [u8; 32] = stored(<[u8; 32]>::try_from(author.as_slice()), "public key")?;
        Ok(StoredOperation {
            document_id: DocumentId(hash_from(&document_id, "document id")?),
            id: OperationId(hash_from(&id, "operation id")?),
            author: PublicKey::from_checked_bytes(author),
            log_id: lineup_core::LogId(super::u64_from(&log_id)?),
            seq_num: lineup_core::SeqNum::new(super::u64_from(&seq_num)?)
                .ok_or_else(|| StoreError::Corrupt("seq num 0".into()))?,
            payload: payload.map(EncodedOperation::from_bytes),
        })
    }
}

/// An operation's bytes; `None` if it is not here or was pruned.
pub(crate) fn payload(
    connection: &Connection,
    id: &OperationId,
) -> Result<Option<EncodedOperation>, StoreError> {
    let payload: Option<Option<Vec<u8>>> = connection
        .prepare_cached("SELECT payload FROM entries WHERE hash = ?1")?
        .query_row(params![id.hash().to_bytes()], |row| row.get(0))
        .optional()?;
    Ok(payload.flatten().map(EncodedOperation::from_bytes))
}

/// The operations of a document that are unauthorised now.
pub(crate) fn unauthorised_of(
    connection: &Connection,
    document_id: &DocumentId,
) -> Result<std::collections::HashSet<OperationId>, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT hash FROM unauthorised_operations WHERE document_id = ?1")?;
    let rows = statement.query_map(params![document_id.hash().to_bytes()], |row| {
        row.get::<_, Vec<u8>>(0)
    })?;
    rows.map(|id| Ok(OperationId(hash_from(&id?, "operation id")?)))
        .collect()
}

/// Makes `operations` the unauthorised operations of a document.
pub(crate) fn set_unauthorised(
    connection: &Connection,
    document_id: &DocumentId,
    operations: &std::collections::HashSet<OperationId>,
) -> Result<(), StoreError> {
    let document = document_id.hash().to_bytes();
    connection
        .prepare_cached("DELETE FROM unauthorised_operations WHERE document_id = ?1")?
        .execute(params![document])?;
    let mut insert = connection
        .prepare_cached("INSERT INTO unauthorised_operations (hash, document_id) VALUES (?1, ?2)")?;
    for id in operations {
        insert.execute(params![id.hash().to_bytes(), document])?;
    }
    Ok(())
}

/// Every document of these schemas that has an operation here, whether it
/// counts or not, with its schema.
pub(crate) fn documents_of_schemas(
    connection: &Connection,
    schemas: &[SchemaId],
) -> Result<Vec<(SchemaId, DocumentId)>, StoreError> {
    let mut statement =
        connection.prepare_cached("SELECT DISTINCT document_id FROM logs WHERE schema_id = ?1")?;
    let mut documents = Vec::new();
    for schema in schemas {
        let rows = statement.query_map(params![schema.to_string()], |row| row.get::<_, Vec<u8>>(0))?;
        for id in rows {
            documents.push((schema.clone(), DocumentId(hash_from(&id?, "document id")?)));
        }
    }
    Ok(documents)
}

/// Every operation of a document with where it was signed.
pub(crate) fn of_document_signed(
    connection: &Connection,
    document_id: &DocumentId,
) -> Result<Vec<StoredOperation>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT entries.document_id, hash, public_key, log_id, seq_num, payload
         FROM logs JOIN entries USING (public_key, log_id) WHERE logs.document_id = ?1",
    )?;
    let rows = statement.query_map(params![document_id.hash().to_bytes()], read_stored)?;
    rows.map(|row| StoredOperation::try_from(row?)).collect()
}

/// Records one operation as unauthorised.
pub(crate) fn mark_unauthorised(
    connection: &Connection,
    document_id: &DocumentId,
    id: &OperationId,
) -> Result<(), StoreError> {
    connection
        .prepare_cached("INSERT OR IGNORE INTO unauthorised_operations (hash, document_id) VALUES (?1, ?2)")?
        .execute(params![id.hash().to_bytes(), document_id.hash().to_bytes()])?;
    Ok(())
}
