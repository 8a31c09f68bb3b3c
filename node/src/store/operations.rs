//! Operations: what each one does to which document.

use lineup_core::{DocumentId, EncodedOperation, Hash, OperationAction, OperationId, PublicKey, SchemaId};
use rusqlite::{params, Connection, OptionalExtension};

use super::{stored, StoreError};

/// What the store knows of an operation without decoding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OperationMeta {
    pub(crate) document_id: DocumentId,
    pub(crate) schema_id: SchemaId,
}

fn hash_from(bytes: &[u8], what: &str) -> Result<Hash, StoreError> {
    stored(Hash::from_bytes(bytes), what)
}

/// The document and schema of an operation.
pub(crate) fn meta(connection: &Connection, id: &OperationId) -> Result<Option<OperationMeta>, StoreError> {
    let row: Option<(Vec<u8>, String)> = connection
        .prepare_cached("SELECT document_id, schema_id FROM operations WHERE id = ?1")?
        .query_row(params![id.hash().to_bytes()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?;
    row.map(|(document_id, schema_id)| {
        Ok(OperationMeta {
            document_id: DocumentId(hash_from(&document_id, "document id")?),
            schema_id: stored(schema_id.parse(), "schema id")?,
        })
    })
    .transpose()
}

/// Records an applied operation.
pub(crate) fn insert(
    connection: &Connection,
    id: &OperationId,
    document_id: &DocumentId,
    author: &PublicKey,
    schema_id: &SchemaId,
    action: OperationAction,
    previous: Option<String>,
) -> Result<(), StoreError> {
    connection
        .prepare_cached(
            "INSERT INTO operations (id, document_id, public_key, schema_id, action, previous)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            id.hash().to_bytes(),
            document_id.hash().to_bytes(),
            author.as_bytes(),
            schema_id.to_string(),
            action.code() as i64,
            previous,
        ])?;
    Ok(())
}

/// Every operation of a document with its author and payload, for a full
/// reduction. `None` payloads were pruned.
pub(crate) fn of_document(
    connection: &Connection,
    document_id: &DocumentId,
) -> Result<Vec<(OperationId, PublicKey, Option<EncodedOperation>)>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT operations.id, operations.public_key, entries.payload
         FROM operations JOIN entries ON entries.hash = operations.id
         WHERE operations.document_id = ?1",
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
            stored(PublicKey::from_bytes(&author), "public key")?,
            payload.map(EncodedOperation::from_bytes),
        ))
    })
    .collect()
}
