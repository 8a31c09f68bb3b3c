//! Materialised documents: the current view of each document.

use std::collections::{BTreeMap, HashMap};

use lineup_core::{Document, DocumentId, FieldValue, OperationId, PublicKey, Schema, Value};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, Connection, OptionalExtension};

use super::{hash_from, stored, StoreError};

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

/// Removes a document's view and fields (its operations stay).
pub(crate) fn remove(connection: &Connection, id: &DocumentId) -> Result<(), StoreError> {
    let id = id.hash().to_bytes();
    connection
        .prepare_cached("DELETE FROM document_fields WHERE document_id = ?1")?
        .execute(params![id])?;
    connection
        .prepare_cached("DELETE FROM documents WHERE id = ?1")?
        .execute(params![id])?;
    Ok(())
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
            let operation_id = OperationId(hash_from(&operation_id, "operation id")?);
            fields.insert(name, FieldValue { operation_id, value });
        }
        Some(fields)
    };
    let document = Document {
        id: *id,
        schema_id: schema.id().clone(),
        author: PublicKey::from_checked_bytes(author),
        view_id: stored(view_id.parse(), "view id")?,
        fields,
    };
    let walk_end = walk_end
        .map(|bytes| hash_from(&bytes, "walk end").map(OperationId))
        .transpose()?;
    Ok(Some(StoredDocument { document, walk_end }))
}

/// The current views of many documents, deleted or not, in two queries;
/// unknown documents are left out. `schema` gives the schema of an id.
pub(crate) fn load_many<'s>(
    connection: &Connection,
    ids: &[DocumentId],
    schema: impl Fn(&lineup_core::SchemaId) -> Option<&'s Schema>,
) -> Result<HashMap<DocumentId, Document>, StoreError> {
    // The ids travel as one JSON array of hex, so one prepared statement
    // serves any number of them.
    let list = format!(
        "[{}]",
        ids.iter()
            .map(|id| format!("\"{}\"", hex::encode(id.hash().to_bytes())))
            .collect::<Vec<_>>()
            .join(",")
    );
    let mut documents = HashMap::with_capacity(ids.len());
    // Documents mostly share a few schemas: each id is read once.
    let mut schema_ids: HashMap<String, lineup_core::SchemaId> = HashMap::new();
    let mut statement = connection.prepare_cached(
        "SELECT id, schema_id, author, view_id, deleted FROM documents
         WHERE id IN (SELECT unhex(value) FROM json_each(?1))",
    )?;
    let mut rows = statement.query(params![list])?;
    while let Some(row) = rows.next()? {
        let id = DocumentId(hash_from(&row.get::<_, Vec<u8>>(0)?, "document id")?);
        let schema_text = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let schema_id = match schema_ids.get(schema_text) {
            Some(schema_id) => schema_id.clone(),
            None => {
                let schema_id: lineup_core::SchemaId = stored(schema_text.parse(), "schema id")?;
                schema_ids.insert(schema_text.to_owned(), schema_id.clone());
                schema_id
            }
        };
        let author: [u8; 32] = stored(
            <[u8; 32]>::try_from(row.get::<_, Vec<u8>>(2)?.as_slice()),
            "author",
        )?;
        let deleted: bool = row.get(4)?;
        documents.insert(
            id,
            Document {
                id,
                schema_id,
                author: PublicKey::from_checked_bytes(author),
                view_id: stored(row.get::<_, String>(3)?.parse(), "view id")?,
                fields: (!deleted).then(BTreeMap::new),
            },
        );
    }
    let mut statement = connection.prepare_cached(
        "SELECT document_id, name, operation_id, cbor FROM document_fields
         WHERE document_id IN (SELECT unhex(value) FROM json_each(?1))",
    )?;
    let mut rows = statement.query(params![list])?;
    while let Some(row) = rows.next()? {
        let id = DocumentId(hash_from(&row.get::<_, Vec<u8>>(0)?, "document id")?);
        let Some(document) = documents.get_mut(&id) else {
            continue;
        };
        let name: String = row.get(1)?;
        let field_type = schema(&document.schema_id)
            .and_then(|schema| schema.fields().get(&name))
            .ok_or_else(|| StoreError::Corrupt(format!("field {name} is not in {}", document.schema_id)))?;
        let value = stored(
            Value::from_cbor(&row.get::<_, Vec<u8>>(3)?, field_type),
            "field value",
        )?;
        let operation_id = OperationId(hash_from(&row.get::<_, Vec<u8>>(2)?, "operation id")?);
        if let Some(fields) = document.fields.as_mut() {
            fields.insert(name, FieldValue { operation_id, value });
        }
    }
    Ok(documents)
}

/// The ids of all documents of a schema, deleted or not.
pub(crate) fn ids_of_schema(
    connection: &Connection,
    schema_id: &lineup_core::SchemaId,
) -> Result<Vec<DocumentId>, StoreError> {
    let mut statement = connection.prepare_cached("SELECT id FROM documents WHERE schema_id = ?1")?;
    let rows = statement.query_map(params![schema_id.to_string()], |row| row.get::<_, Vec<u8>>(0))?;
    rows.map(|id| Ok(DocumentId(hash_from(&id?, "document id")?)))
        .collect()
}

/// The first live document of a schema with a field, by name and the
/// operation that set it, that `matches`.
pub(crate) fn find_by_field(
    connection: &Connection,
    schema_id: &lineup_core::SchemaId,
    matches: impl Fn(&str, &OperationId) -> bool,
) -> Result<Option<DocumentId>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT d.id, f.name, f.operation_id FROM documents d JOIN document_fields f ON f.document_id = d.id
         WHERE d.schema_id = ?1 AND d.deleted = 0",
    )?;
    let mut rows = statement.query(params![schema_id.to_string()])?;
    while let Some(row) = rows.next()? {
        let name: String = row.get(1)?;
        let operation_id = OperationId(hash_from(&row.get::<_, Vec<u8>>(2)?, "operation id")?);
        if matches(&name, &operation_id) {
            let id: Vec<u8> = row.get(0)?;
            return Ok(Some(DocumentId(hash_from(&id, "document id")?)));
        }
    }
    Ok(None)
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

/// SQL for the live documents of a schema that meet `filters`, as a WHERE
/// clause over `documents d`, with its arguments.
struct Selection {
    sql: String,
    arguments: Vec<Box<dyn rusqlite::types::ToSql>>,
}

impl Selection {
    fn new(schema_id: &lineup_core::SchemaId, filters: &[crate::query::Filter]) -> Self {
        let mut selection = Self {
            sql: String::new(),
            arguments: Vec::new(),
        };
        let schema = selection.bind(schema_id.to_string());
        selection.sql = format!(" WHERE d.schema_id = {schema} AND d.deleted = 0");
        for filter in filters {
            selection.filter(filter);
        }
        selection
    }

    /// Adds an argument; returns its placeholder.
    fn bind(&mut self, value: impl rusqlite::types::ToSql + 'static) -> String {
        self.arguments.push(Box::new(value));
        format!("?{}", self.arguments.len())
    }

    fn filter(&mut self, filter: &crate::query::Filter) {
        use crate::query::{Condition, Subject};
        let (column, field) = match &filter.subject {
            Subject::Field(name) => ("f.value", Some(self.bind(name.clone()))),
            Subject::DocumentId => ("d.id", None),
            Subject::ViewId => ("d.view_id", None),
            Subject::Owner => ("d.author", None),
            Subject::Edited => ("d.edited", None),
        };
        let subject = &filter.subject;
        let compare = |operator: &str, value: &Value, this: &mut Self| {
            let value = this.bind(comparable(subject, value));
            format!("{column} {operator} {value}")
        };
        let condition = match &filter.condition {
            Condition::Eq(value) => compare("=", value, self),
            Condition::NotEq(value) => compare("!=", value, self),
            Condition::Gt(value) => compare(">", value, self),
            Condition::Gte(value) => compare(">=", value, self),
            Condition::Lt(value) => compare("<", value, self),
            Condition::Lte(value) => compare("<=", value, self),
            Condition::In(values) | Condition::NotIn(values) => {
                let placeholders: Vec<String> = values
                    .iter()
                    .map(|value| self.bind(comparable(subject, value)))
                    .collect();
                let not = if matches!(filter.condition, Condition::NotIn(_)) {
                    "NOT "
                } else {
                    ""
                };
                format!("{column} {not}IN ({})", placeholders.join(", "))
            }
            Condition::Contains(text) => format!("instr({column}, {}) > 0", self.bind(text.clone())),
            Condition::NotContains(text) => format!("instr({column}, {}) = 0", self.bind(text.clone())),
            Condition::HoldsAny(ids) | Condition::HoldsNone(ids) => {
                // Lists are stored as their ids joined with spaces.
                let held: Vec<String> = ids
                    .iter()
                    .map(|id| {
                        format!(
                            "instr(' ' || {column} || ' ', {}) > 0",
                            self.bind(format!(" {id} "))
                        )
                    })
                    .collect();
                let any = if held.is_empty() {
                    "0".to_owned()
                } else {
                    held.join(" OR ")
                };
                match filter.condition {
                    Condition::HoldsNone(_) => format!("NOT ({any})"),
                    _ => format!("({any})"),
                }
            }
        };
        match field {
            Some(name) => self.sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM document_fields f WHERE f.document_id = d.id AND f.name = {name} AND {condition})"
            )),
            None => self.sql.push_str(&format!(" AND {condition}")),
        }
    }

    fn parameters(&self) -> Vec<&dyn rusqlite::types::ToSql> {
        self.arguments.iter().map(|value| value.as_ref()).collect()
    }
}

/// A value as SQL compares it with the column of `subject`.
fn comparable(subject: &crate::query::Subject, value: &Value) -> SqlValue {
    use crate::query::Subject;
    match (subject, value) {
        (Subject::DocumentId, Value::Relation(id)) => SqlValue::Blob(id.hash().to_bytes().to_vec()),
        (Subject::ViewId, Value::PinnedRelation(view_id)) => SqlValue::Text(view_id.to_string()),
        (Subject::Edited, Value::Bool(edited)) => SqlValue::Integer(i64::from(*edited)),
        _ => sortable(value),
    }
}

/// How many live documents of a schema meet `filters`.
pub(crate) fn count(
    connection: &Connection,
    schema_id: &lineup_core::SchemaId,
    filters: &[crate::query::Filter],
) -> Result<u64, StoreError> {
    let selection = Selection::new(schema_id, filters);
    let sql = format!("SELECT COUNT(*) FROM documents d{}", selection.sql);
    let count: i64 = connection
        .prepare_cached(&sql)?
        .query_row(selection.parameters().as_slice(), |row| row.get(0))?;
    Ok(count.unsigned_abs())
}

/// The ids of one page of live documents of a schema, and how many there are.
pub(crate) fn list(
    connection: &Connection,
    schema_id: &lineup_core::SchemaId,
    query: &crate::query::DocumentQuery,
) -> Result<crate::query::Page<DocumentId>, StoreError> {
    use crate::query::{Direction, Subject};

    let total_count = if query.count_total {
        count(connection, schema_id, &query.filters)?
    } else {
        0
    };
    let mut selection = Selection::new(schema_id, &query.filters);
    let (subject, direction) = match &query.order_by {
        Some((subject, direction)) => (subject, *direction),
        None => (&Subject::DocumentId, Direction::Ascending),
    };
    let field = match subject {
        Subject::Field(name) => Some(selection.bind(name.clone())),
        _ => None,
    };
    // What to order by before the id, of the document that `document` names;
    // `None` when the id alone orders.
    let value_of = |document: &str| -> Option<String> {
        let column = match (subject, &field) {
            (_, Some(name)) => {
                return Some(format!(
                    "(SELECT value FROM document_fields WHERE document_id = {document} AND name = {name})"
                ))
            }
            (Subject::ViewId, _) => "view_id",
            (Subject::Owner, _) => "author",
            (Subject::Edited, _) => "edited",
            (Subject::DocumentId | Subject::Field(_), None) => return None,
        };
        Some(format!("(SELECT {column} FROM documents WHERE id = {document})"))
    };
    let order = value_of("d.id");
    let (compare, sort) = match direction {
        Direction::Ascending => (">", "ASC"),
        Direction::Descending => ("<", "DESC"),
    };
    let mut sql = format!("SELECT d.id FROM documents d{}", selection.sql);
    if let Some(after) = &query.after {
        let cursor = selection.bind(after.hash().to_bytes().to_vec());
        match (&order, value_of(&cursor)) {
            (Some(value), Some(of_cursor)) => {
                sql.push_str(&format!(" AND ({value}, d.id) {compare} ({of_cursor}, {cursor})"))
            }
            _ => sql.push_str(&format!(" AND d.id {compare} {cursor}")),
        }
    }
    match &order {
        Some(value) => sql.push_str(&format!(" ORDER BY {value} {sort}, d.id {sort}")),
        None => sql.push_str(&format!(" ORDER BY d.id {sort}")),
    }
    let limit = selection.bind(query.first.saturating_add(1) as i64);
    sql.push_str(&format!(" LIMIT {limit}"));

    let mut statement = connection.prepare_cached(&sql)?;
    let mut ids = statement
        .query_map(selection.parameters().as_slice(), |row| row.get::<_, Vec<u8>>(0))?
        .map(|id| Ok(DocumentId(hash_from(&id?, "document id")?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let has_next_page = ids.len() > query.first;
    ids.truncate(query.first);
    Ok(crate::query::Page {
        items: ids,
        has_next_page,
        total_count,
    })
}
