//! This node's copy of the data: the store, the schema registry, and the
//! ingest pipeline that is the only way in.

use std::path::Path;

use lineup_core::{Document, DocumentId, DocumentViewId, EncodedEntry, EncodedOperation, PublicKey};

use crate::ingest::{self, Applied, IngestError, NextArgs, NextArgsError};
use crate::registry::SchemaRegistry;
use crate::store::{self, Durability, Store, StoreError};

/// A node's data. Synchronous: the node runs it on a thread of its own.
#[derive(Debug)]
pub struct Replica {
    store: Store,
    registry: SchemaRegistry,
}

impl Replica {
    /// Opens the database file at `path`, creating it if needed.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let store = Store::open(path, durability)?;
        let registry = SchemaRegistry::load(store.connection())?;
        Ok(Self { store, registry })
    }

    /// The known schemas.
    pub fn schemas(&self) -> &SchemaRegistry {
        &self.registry
    }

    /// Checks, stores and materialises one entry, as p2panda's `publish` does:
    /// all of it or, with an error, nothing.
    pub fn publish(
        &mut self,
        entry: &EncodedEntry,
        operation: &EncodedOperation,
    ) -> Result<Applied, IngestError> {
        let mut applied = self.ingest_batch(std::iter::once((entry, operation)))?;
        Ok(applied.remove(0))
    }

    /// Ingests entries in order in one transaction: all are applied, or none
    /// (the error names the first that failed).
    pub fn ingest_batch<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a EncodedEntry, &'a EncodedOperation)>,
    ) -> Result<Vec<Applied>, IngestError> {
        let transaction = self.store.transaction()?;
        let mut applied = Vec::new();
        for (entry, operation) in entries {
            match ingest::ingest(&transaction, &mut self.registry, entry, operation) {
                Ok(one) => applied.push(one),
                Err(error) => {
                    drop(transaction);
                    self.registry.roll_back();
                    return Err(error);
                }
            }
        }
        if let Err(error) = transaction.commit() {
            self.registry.roll_back();
            return Err(IngestError::Store(error.into()));
        }
        self.registry.commit();
        Ok(applied)
    }

    /// The arguments for `public_key`'s next entry, as p2panda's `nextArgs`.
    pub fn next_args(
        &self,
        public_key: &PublicKey,
        view_id: Option<&DocumentViewId>,
    ) -> Result<NextArgs, NextArgsError> {
        ingest::next_args(self.store.connection(), public_key, view_id)
    }

    /// The current view of a document.
    pub fn document(&self, id: &DocumentId) -> Result<Option<Document>, StoreError> {
        let connection = self.store.connection();
        let Some(schema_id) = store::documents::schema_of(connection, id)? else {
            return Ok(None);
        };
        let schema = self
            .registry
            .get(&schema_id)
            .ok_or_else(|| StoreError::Corrupt(format!("document {id} has unknown schema {schema_id}")))?;
        Ok(store::documents::load(connection, id, schema)?.map(|stored| stored.document))
    }
}
