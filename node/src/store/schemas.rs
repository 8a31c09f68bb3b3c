//! Application schemas this node has seen defined.

use lineup_core::{FieldType, Schema, SchemaId};
use rusqlite::{params, Connection};

use super::{stored, StoreError};

/// Records a schema; recording it again changes nothing.
pub(crate) fn insert(connection: &Connection, schema: &Schema) -> Result<(), StoreError> {
    let fields: Vec<String> = schema
        .fields()
        .iter()
        .map(|(name, kind)| format!("{name} {kind}"))
        .collect();
    connection
        .prepare_cached("INSERT OR IGNORE INTO schemas (id, description, fields) VALUES (?1, ?2, ?3)")?
        .execute(params![
            schema.id().to_string(),
            schema.description(),
            fields.join("\n")
        ])?;
    Ok(())
}

/// Every recorded schema.
pub(crate) fn all(connection: &Connection) -> Result<Vec<Schema>, StoreError> {
    let mut statement = connection.prepare_cached("SELECT id, description, fields FROM schemas")?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    rows.map(|row| {
        let (id, description, fields) = row?;
        let id: SchemaId = stored(id.parse(), "schema id")?;
        let fields = fields
            .lines()
            .map(|line| {
                let (name, kind) = line
                    .split_once(' ')
                    .ok_or_else(|| StoreError::Corrupt(format!("field {line}")))?;
                Ok((name.to_owned(), stored(kind.parse::<FieldType>(), "field type")?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        stored(Schema::new(id, &description, fields), "schema")
    })
    .collect()
}
