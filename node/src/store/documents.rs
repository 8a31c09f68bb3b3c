//! Materialised documents: the current view of each document.

use std::collections::BTreeMap;

use lineup_core::{Document, DocumentId, FieldValue, Hash, OperationId, PublicKey, Schema, Value};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};

use super::{stored, StoreError};

/// A document with the walk end that lets the next operation extend it.
pub(crate) struct StoredDocument {
    pub(crate) document: Document,
    pub(crate) walk_end: Option<OperationId>,
}

/// Which fields a save writes.
pub(crate) enum Changed<'a> {
    /// All of them: the stored fields are replaced.
    All,
    /// Only these fields; the others are as stored.
    Fields(&'a std::collections::BTreeSet<String>),
}

/// Writes the current view of a document.
pub(crate) fn save(
    connection: &Connection,
    document: &Document,
    walk_end: Option<OperationId>,
    changed: Changed<'_>,
) -> Result<(), StoreError> {
    let id = document.id.hash().to_bytes();
    connection
        .prepare_cached(
            "INSERT INTO documents (id, schema_id, author, view_id, deleted, edited, walk_end)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET view_id = ?4, edited = ?6, walk_end = ?7",
        )?
        .execute(params![
            id,
            document.schema_id.to_string(),
            document.author.as_bytes(),
            document.view_id.to_string(),
            document.is_deleted(),
            document.is_edited(),
            walk_end.map(|end| end.hash().to_bytes()),
        ])?;
    // Apart, so that the many updates that do not delete leave the index of
    // `deleted` alone: an update setting an indexed column rewrites the index.
    if document.is_deleted() {
        connection
            .prepare_cached("UPDATE documents SET deleted = 1 WHERE id = ?1")?
            .execute(params![id])?;
    }
    let mut write = connection.prepare_cached(
        "INSERT INTO document_fields (document_id, name, operation_id, cbor, value) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (document_id, name) DO UPDATE SET operation_id = ?3, cbor = ?4, value = ?5",
    )?;
    let mut write_field = |name: &String| -> Result<(), StoreError> {
        if let Some(field) = document.fields.as_ref().and_then(|fields| fields.get(name)) {
            write.execute(params![
                id,
                name,
                field.operation_id.hash().to_bytes(),
                field.value.to_cbor(),
                sortable(&field.value)
            ])?;
        }
        Ok(())
    };
    match changed {
        Changed::Fields(names) if !document.is_deleted() => names.iter().try_for_each(&mut write_field),
        _ => {
            connection
                .prepare_cached("DELETE FROM document_fields WHERE document_id = ?1")?
                .execute(params![id])?;
            document
                .fields
                .iter()
                .flatten()
                .try_for_each(|(name, _)| write_field(name))
        }
    }
}

/// A copy of a value that SQL can compare.
fn sortable(value: &Value) -> SqlValue {
    let joined = |texts: Vec<String>| SqlValue::Text(texts.join(" "));
    match value {
        Value::Bool(value) => SqlValue::Integer(i64::from(*value)),
        Value::Int(value) => SqlValue::Integer(*value),
        // SQLite cannot store NaN; it sorts as NULL.
        Value::Float(value) if value.is_nan() => SqlValue::Null,
        Value::Float(value) => SqlValue::Real(*value),
        Value::Str(value) => SqlValue::Text(value.clone()),
        Value::Bytes(value) => SqlValue::Blob(value.clone()),
        Value::Relation(id) => SqlValue::Text(id.to_string()),
        Value::RelationList(ids) => joined(ids.iter().map(ToString::to_string).collect()),
        Value::PinnedRelation(view_id) => SqlValue::Text(view_id.to_string()),
        Value::PinnedRelationList(view_ids) => joined(view_ids.iter().map(ToString::to_string).collect()),
    }
}

/// A row of the documents table.
struct DocumentRow {
    author: Vec<u8>,
    view_id: String,
    deleted: bool,
    walk_end: Option<Vec<u8>>,
}

/// Loads the current view of a document of `schema`.
pub(crate) fn load(
    connection: &Connection,
    id: &DocumentId,
    schema: &Schema,
) -> Result<Option<StoredDocument>, StoreError> {
    let key = id.hash().to_bytes();
    let row = connection
        .prepare_cached("SELECT author, view_id, deleted, walk_end FROM documents WHERE id = ?1")?
        .query_row(params![key], |row| {
            Ok(DocumentRow {
                author: row.get(0)?,
                view_id: row.get(1)?,
                deleted: row.get(2)?,
                walk_end: row.get(3)?,
            })
        })
        .optional()?;
    let Some(DocumentRow {
        author,
        view_id,
        deleted,
        walk_end,
    }) = row
    else {
        return Ok(None);
    };
    let author: [u8; 32] = stored(<[u8; 32]>::try_from(author.as_slice()), "author")?;
    let fields = if deleted {
        None
    } else {
        let mut statement = connection
            .prepare_cached("SELECT name, operation_id, cbor FROM document_fields WHERE document_id = ?1")?;
        let rows = statement.query_map(params![key], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut fields = BTreeMap::new();
        for row in rows {
            let (name, operation_id, cbor) = row?;
            let field_type = schema
                .fields()
                .get(&name)
                .ok_or_else(|| StoreError::Corrupt(format!("field {name} is not in {}", schema.id())))?;
            let value = stored(Value::from_cbor(&cbor, field_type), "field value")?;
            let operation_id = OperationId(stored(Hash::from_bytes(&operation_id), "operation id")?);
            fields.insert(name, FieldValue { operation_id, value });
        }
        Some(fields)
    };
    let document = Document {
        id: *id,
        schema_id: schema.id().clone(),
        author: stored(PublicKey::from_bytes(&author), "author")?,
        view_id: stored(view_id.parse(), "view id")?,
        fields,
    };
    let walk_end = walk_end
        .map(|bytes| stored(Hash::from_bytes(&bytes), "walk end").map(OperationId))
        .transpose()?;
    Ok(Some(StoredDocument { document, walk_end }))
}

/// The ids of all documents of a schema, deleted or not.
pub(crate) fn ids_of_schema(
    connection: &Connection,
    schema_id: &lineup_core::SchemaId,
) -> Result<Vec<DocumentId>, StoreError> {
    let mut statement = connection.prepare_cached("SELECT id FROM documents WHERE schema_id = ?1")?;
    let rows = statement.query_map(params![schema_id.to_string()], |row| row.get::<_, Vec<u8>>(0))?;
    rows.map(|id| Ok(DocumentId(stored(Hash::from_bytes(&id?), "document id")?)))
        .collect()
}

/// Whether the document was deleted (`false` for unknown documents).
pub(crate) fn is_deleted(connection: &Connection, id: &DocumentId) -> Result<bool, StoreError> {
    let deleted: Option<bool> = connection
        .prepare_cached("SELECT deleted FROM documents WHERE id = ?1")?
        .query_row(params![id.hash().to_bytes()], |row| row.get(0))
        .optional()?;
    Ok(deleted.unwrap_or(false))
}

/// The schema of a document.
pub(crate) fn schema_of(
    connection: &Connection,
    id: &DocumentId,
) -> Result<Option<lineup_core::SchemaId>, StoreError> {
    let schema_id: Option<String> = connection
        .prepare_cached("SELECT schema_id FROM documents WHERE id = ?1")?
        .query_row(params![id.hash().to_bytes()], |row| row.get(0))
        .optional()?;
    schema_id.map(|id| stored(id.parse(), "schema id")).transpose()
}

/// The ids of one page of live documents of a schema.
pub(crate) fn list(
    connection: &Connection,
    schema_id: &lineup_core::SchemaId,
    query: &crate::query::DocumentQuery,
) -> Result<crate::query::Page<DocumentId>, StoreError> {
    use crate::query::{Direction, FilterOp};
    use rusqlite::types::ToSql;

    let mut sql = String::from("SELECT d.id FROM documents d");
    let mut arguments: Vec<Box<dyn ToSql>> = Vec::new();
    let argument = |value: Box<dyn ToSql>, arguments: &mut Vec<Box<dyn ToSql>>| {
        arguments.push(value);
        format!("?{}", arguments.len())
    };
    // The placeholder of the field to order by, bound once for the join and the cursor.
    let order_field = query.order_by.as_ref().map(|(field, _)| {
        let name = argument(Box::new(field.clone()), &mut arguments);
        sql.push_str(&format!(
            " LEFT JOIN document_fields s ON s.document_id = d.id AND s.name = {name}"
        ));
        name
    });
    let direction = query
        .order_by
        .as_ref()
        .map_or(Direction::Ascending, |(_, direction)| *direction);
    let schema = argument(Box::new(schema_id.to_string()), &mut arguments);
    sql.push_str(&format!(" WHERE d.schema_id = {schema} AND d.deleted = 0"));
    for filter in &query.filters {
        let name = argument(Box::new(filter.field.clone()), &mut arguments);
        let value = argument(Box::new(sortable(&filter.value)), &mut arguments);
        let condition = match filter.op {
            FilterOp::Eq => format!("f.value = {value}"),
            FilterOp::NotEq => format!("f.value != {value}"),
            FilterOp::Gt => format!("f.value > {value}"),
            FilterOp::Gte => format!("f.value >= {value}"),
            FilterOp::Lt => format!("f.value < {value}"),
            FilterOp::Lte => format!("f.value <= {value}"),
            FilterOp::Contains => format!("instr(f.value, {value}) > 0"),
        };
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM document_fields f WHERE f.document_id = d.id AND f.name = {name} AND {condition})"
        ));
    }
    let (compare, order) = match direction {
        Direction::Ascending => (">", "ASC"),
        Direction::Descending => ("<", "DESC"),
    };
    if let Some(after) = &query.after {
        let cursor = argument(Box::new(after.hash().to_bytes().to_vec()), &mut arguments);
        if let Some(name) = &order_field {
            sql.push_str(&format!(
                " AND (s.value, d.id) {compare} ((SELECT value FROM document_fields WHERE document_id = {cursor} AND name = {name}), {cursor})"
            ));
        } else {
            sql.push_str(&format!(" AND d.id {compare} {cursor}"));
        }
    }
    if order_field.is_some() {
        sql.push_str(&format!(" ORDER BY s.value {order}, d.id {order}"));
    } else {
        sql.push_str(&format!(" ORDER BY d.id {order}"));
    }
    let limit = argument(Box::new(query.first.saturating_add(1) as i64), &mut arguments);
    sql.push_str(&format!(" LIMIT {limit}"));

    let mut statement = connection.prepare_cached(&sql)?;
    let parameters: Vec<&dyn ToSql> = arguments.iter().map(|value| value.as_ref()).collect();
    let mut ids = statement
        .query_map(parameters.as_slice(), |row| row.get::<_, Vec<u8>>(0))?
        .map(|id| Ok(DocumentId(stored(Hash::from_bytes(&id?), "document id")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let has_next_page = ids.len() > query.first;
    ids.truncate(query.first);
    Ok(crate::query::Page {
        items: ids,
        has_next_page,
    })
}
