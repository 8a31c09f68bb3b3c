//! The schemas this node can validate operations against: the system schemas,
//! and every application schema whose definition it has materialised.

use std::collections::HashMap;

use lineup_core::{Document, DocumentViewId, FieldType, PublishedOperation, Schema, SchemaId, Value};
use rusqlite::Connection;

use crate::store::{self, StoreError};

/// Known schemas by id. Schemas defined inside a transaction are staged and
/// only become permanent when the transaction commits.
#[derive(Debug)]
pub struct SchemaRegistry {
    schemas: HashMap<SchemaId, Schema>,
    staged: Vec<SchemaId>,
    /// Application schemas in the order this node learnt them (since it started).
    learnt: Vec<SchemaId>,
}

impl SchemaRegistry {
    /// The system schemas and every schema recorded in the store.
    pub(crate) fn load(connection: &Connection) -> Result<Self, StoreError> {
        let mut schemas: HashMap<SchemaId, Schema> = Schema::all_system()
            .into_iter()
            .map(|schema| (schema.id().clone(), schema))
            .collect();
        for schema in store::schemas::all(connection)? {
            schemas.insert(schema.id().clone(), schema);
        }
        Ok(Self {
            schemas,
            staged: Vec::new(),
            learnt: Vec::new(),
        })
    }

    /// The schema with this id, if this node knows it.
    pub fn get(&self, id: &SchemaId) -> Option<&Schema> {
        self.schemas.get(id)
    }

    /// All known schemas.
    pub fn iter(&self) -> impl Iterator<Item = &Schema> {
        self.schemas.values()
    }

    /// Adds a schema defined in the running transaction.
    fn stage(&mut self, schema: Schema) {
        if !self.schemas.contains_key(schema.id()) {
            self.staged.push(schema.id().clone());
            self.schemas.insert(schema.id().clone(), schema);
        }
    }

    /// The schemas defined in the running transaction, in order.
    pub(crate) fn staged(&self) -> &[SchemaId] {
        &self.staged
    }

    /// The transaction committed: staged schemas stay.
    pub(crate) fn commit(&mut self) {
        self.learnt.append(&mut self.staged);
    }

    /// How many schemas this node has learnt since it started: a mark for
    /// [`SchemaRegistry::learnt_since`].
    pub fn learnt_count(&self) -> usize {
        self.learnt.len()
    }

    /// The schemas learnt after the mark `count`.
    pub fn learnt_since(&self, count: usize) -> &[SchemaId] {
        self.learnt.get(count..).unwrap_or_default()
    }

    /// The transaction rolled back: staged schemas go.
    pub(crate) fn roll_back(&mut self) {
        for id in self.staged.drain(..) {
            self.schemas.remove(&id);
        }
    }

    /// Registers the schema that a materialised `schema_definition_v1`
    /// document defines, once all its field definitions are in the store.
    /// Returns whether a new schema was registered.
    pub(crate) fn register_definition(
        &mut self,
        connection: &Connection,
        definition: &Document,
    ) -> Result<bool, StoreError> {
        let Some(fields) = &definition.fields else {
            return Ok(false);
        };
        let text = |name: &str| match fields.get(name).map(|field| &field.value) {
            Some(Value::Str(text)) => Ok(text.clone()),
            _ => Err(StoreError::Corrupt(format!("schema definition without {name}"))),
        };
        let (name, description) = (text("name")?, text("description")?);
        let Some(Value::PinnedRelationList(field_views)) = fields.get("fields").map(|field| &field.value)
        else {
            return Err(StoreError::Corrupt("schema definition without fields".into()));
        };
        let id = match SchemaId::application(&name, definition.view_id.clone()) {
            Ok(id) => id,
            // The definition's name was checked when it was ingested.
            Err(error) => return Err(StoreError::Corrupt(error.to_string())),
        };
        if self.schemas.contains_key(&id) {
            return Ok(false);
        }
        let mut schema_fields = Vec::with_capacity(field_views.len());
        for view_id in field_views {
            match field_definition(connection, view_id, self)? {
                Some(field) => schema_fields.push(field),
                // A field definition has not arrived yet: try again when it does.
                None => return Ok(false),
            }
        }
        match Schema::new(id, &description, schema_fields) {
            Ok(schema) => {
                store::schemas::insert(connection, &schema)?;
                tracing::info!(schema = %schema.id(), "schema registered");
                self.stage(schema);
                Ok(true)
            }
            Err(error) => {
                // p2panda accepts such definitions but can never use them.
                tracing::warn!(definition = %definition.id, %error, "schema definition does not make a schema");
                Ok(false)
            }
        }
    }
}

/// The field a `schema_field_definition_v1` view defines; `None` if that view
/// is not (yet) in the store.
fn field_definition(
    connection: &Connection,
    view_id: &DocumentViewId,
    registry: &SchemaRegistry,
) -> Result<Option<(String, FieldType)>, StoreError> {
    let Some(first) = view_id.operations().first() else {
        return Ok(None);
    };
    let Some(meta) = store::operations::meta(connection, first)? else {
        return Ok(None);
    };
    if meta.schema_id != SchemaId::SCHEMA_FIELD_DEFINITION_V1 {
        return Ok(None);
    }
    let Some(operations) = published_operations(connection, &meta.document_id, registry)? else {
        return Ok(None);
    };
    let Ok(document) = Document::reduce_to_view(&operations, view_id) else {
        return Ok(None);
    };
    let field = |name: &str| match document.fields.as_ref().and_then(|fields| fields.get(name)) {
        Some(field) => match &field.value {
            Value::Str(text) => Some(text.clone()),
            _ => None,
        },
        None => None,
    };
    match (
        field("name"),
        field("type").and_then(|kind| kind.parse::<FieldType>().ok()),
    ) {
        (Some(name), Some(kind)) => Ok(Some((name, kind))),
        _ => Ok(None),
    }
}

/// All operations of a document, decoded and typed by its schema. `None` if
/// one was pruned or the schema is unknown.
pub(crate) fn published_operations(
    connection: &Connection,
    document_id: &lineup_core::DocumentId,
    registry: &SchemaRegistry,
) -> Result<Option<Vec<PublishedOperation>>, StoreError> {
    let mut published = Vec::new();
    for (id, author, payload) in store::operations::of_document(connection, document_id)? {
        let Some(payload) = payload else {
            return Ok(None);
        };
        let Some(operation) = typed_operation(&payload, registry)? else {
            return Ok(None);
        };
        published.push(PublishedOperation {
            id,
            author,
            operation,
        });
    }
    Ok(Some(published))
}

/// A stored operation, typed by its schema; `None` if the schema is not
/// known here. (It was validated on the way in: failing now is corruption.)
pub(crate) fn typed_operation(
    payload: &lineup_core::EncodedOperation,
    registry: &SchemaRegistry,
) -> Result<Option<lineup_core::Operation>, StoreError> {
    let plain = store::stored(payload.decode(), "stored operation")?;
    let Some(schema) = registry.get(&plain.schema_id) else {
        return Ok(None);
    };
    store::stored(
        lineup_core::validate_operation(&plain, schema),
        "stored operation",
    )
    .map(Some)
}
