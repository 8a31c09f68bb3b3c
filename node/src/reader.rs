//! Reading the store beside the writer: SQLite in WAL mode lets connections
//! of their own read the last commit while the writer goes on, so queries
//! never wait behind ingest, and several run at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use lineup_core::{Document, DocumentId, DocumentViewId, OperationId, PublicKey, SchemaId};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use crate::query::{DocumentQuery, Page};
use crate::registry::{published_operations, SchemaRegistry};
use crate::store::{self, StoreError};

/// The current view of a document, deleted or not.
pub(crate) fn document(
    connection: &Connection,
    registry: &SchemaRegistry,
    id: &DocumentId,
) -> Result<Option<Document>, StoreError> {
    let Some(schema_id) = store::documents::schema_of(connection, id)? else {
        return Ok(None);
    };
    let schema = registry
        .get(&schema_id)
        .ok_or_else(|| StoreError::Corrupt(format!("document {id} has unknown schema {schema_id}")))?;
    Ok(store::documents::load(connection, id, schema)?.map(|stored| stored.document))
}

/// A document at a view: the current one or any earlier one, as long as its
/// operations are stored.
pub(crate) fn document_view(
    connection: &Connection,
    registry: &SchemaRegistry,
    view_id: &DocumentViewId,
) -> Result<Option<Document>, StoreError> {
    let Some(meta) = store::operations::meta(connection, &view_id.operations()[0])? else {
        return Ok(None);
    };
    let Some(operations) = published_operations(connection, &meta.document_id, registry)? else {
        return Ok(None);
    };
    // A view naming operations of another document, or unknown ones, is no view.
    Ok(Document::reduce_to_view(&operations, view_id).ok())
}

/// One page of the live documents of a schema; `None` if the schema is unknown.
pub(crate) fn documents(
    connection: &Connection,
    registry: &SchemaRegistry,
    schema_id: &SchemaId,
    query: &DocumentQuery,
) -> Result<Option<Page<Document>>, StoreError> {
    let Some(schema) = registry.get(schema_id) else {
        return Ok(None);
    };
    let page = store::documents::list(connection, schema_id, query)?;
    let mut loaded = store::documents::load_many(connection, &page.items, |_| Some(schema))?;
    let documents = page
        .items
        .iter()
        .map(|id| {
            loaded
                .remove(id)
                .ok_or_else(|| StoreError::Corrupt(format!("listed document {id} vanished")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Page {
        items: documents,
        has_next_page: page.has_next_page,
        total_count: page.total_count,
    }))
}

/// A read-only connection and the schemas it knows.
pub struct Reader {
    connection: Connection,
    registry: SchemaRegistry,
    /// The schema generation `registry` was loaded at.
    generation: u64,
}

impl Reader {
    fn open(path: &Path, generation: u64) -> Result<Self, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        connection.pragma_update(None, "cache_size", -16_000)?;
        connection.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        connection.set_prepared_statement_cache_capacity(128);
        let registry = SchemaRegistry::load(&connection)?;
        Ok(Self {
            connection,
            registry,
            generation,
        })
    }

    /// The schemas this reader knows.
    pub fn schemas(&self) -> &SchemaRegistry {
        &self.registry
    }

    /// See [`document`].
    pub fn document(&self, id: &DocumentId) -> Result<Option<Document>, StoreError> {
        document(&self.connection, &self.registry, id)
    }

    /// The current views of these documents, deleted or not; unknown ones
    /// are left out.
    pub fn documents_by_id(&self, ids: &[DocumentId]) -> Result<HashMap<DocumentId, Document>, StoreError> {
        store::documents::load_many(&self.connection, ids, |schema_id| self.registry.get(schema_id))
    }

    /// For each of `asked` (a group, a need, a schema), whether the key
    /// `key` has it now.
    pub fn key_may(
        &self,
        key: PublicKey,
        asked: &[(DocumentId, crate::auth::grants::Need, Option<SchemaId>)],
    ) -> Result<Vec<bool>, StoreError> {
        crate::auth::authority::key_may(&self.connection, &self.registry, key, asked)
    }

    /// Who is in each of `groups` and who asks to join it, as decided now.
    pub fn key_group_people(
        &self,
        groups: &[DocumentId],
    ) -> Result<Vec<crate::auth::grants::GroupPeople>, StoreError> {
        crate::auth::authority::people(&self.connection, &self.registry, groups)
    }

    /// See [`document_view`].
    pub fn document_view(&self, view_id: &DocumentViewId) -> Result<Option<Document>, StoreError> {
        document_view(&self.connection, &self.registry, view_id)
    }

    /// See [`documents`].
    pub fn documents(
        &self,
        schema_id: &SchemaId,
        query: &DocumentQuery,
    ) -> Result<Option<Page<Document>>, StoreError> {
        documents(&self.connection, &self.registry, schema_id, query)
    }

    /// The first live document of a schema with a field, by name and the
    /// operation that set it, that `matches`.
    pub fn find_document(
        &self,
        schema_id: &SchemaId,
        matches: impl Fn(&str, &OperationId) -> bool,
    ) -> Result<Option<DocumentId>, StoreError> {
        store::documents::find_by_field(&self.connection, schema_id, matches)
    }

    /// The nodes this one was last connected to, the most recent first.
    pub fn remembered_peers(
        &self,
    ) -> Result<Vec<(lineup_core::PublicKey, std::net::SocketAddr)>, StoreError> {
        store::peers::remembered(&self.connection)
    }

    /// Every log this node has, and how far it goes.
    pub fn log_heights(&self) -> Result<Vec<store::logs::LogHeight>, StoreError> {
        store::logs::heights(&self.connection)
    }

    /// Up to `limit` entries of a log after seq num `after`, in order.
    pub fn entries_after(
        &self,
        public_key: &lineup_core::PublicKey,
        log_id: lineup_core::LogId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(lineup_core::EncodedEntry, Option<lineup_core::EncodedOperation>)>, StoreError> {
        store::logs::entries_after(&self.connection, public_key, log_id, after, limit)
    }

    /// Every log frozen by a fork, and where.
    pub fn forked_logs(&self) -> Result<Vec<store::forks::ForkedLog>, StoreError> {
        store::forks::frozen_logs(&self.connection)
    }

    /// The entries that prove a fork.
    pub fn fork_evidence(
        &self,
        fork: &store::forks::ForkedLog,
    ) -> Result<Vec<(lineup_core::EncodedEntry, Option<lineup_core::EncodedOperation>)>, StoreError> {
        store::forks::evidence(&self.connection, fork)
    }

    /// The arguments for `public_key`'s next entry.
    pub fn next_args(
        &self,
        public_key: &lineup_core::PublicKey,
        view_id: Option<&DocumentViewId>,
    ) -> Result<crate::ingest::NextArgs, crate::ingest::NextArgsError> {
        crate::ingest::next_args(&self.connection, public_key, view_id)
    }
}

/// A few readers, used in turn by async code on tokio's blocking threads.
#[derive(Debug)]
pub struct ReadPool {
    path: PathBuf,
    /// The readers not in use; `None` once the pool is closed.
    idle: Mutex<Option<Vec<Reader>>>,
    /// More readers than cores only make them wait for each other.
    permits: Semaphore,
    readers: u32,
    schema_generation: Arc<AtomicU64>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("generation", &self.generation)
            .finish()
    }
}

impl ReadPool {
    /// Readers of the database at `path`, which reload their schemas whenever
    /// `schema_generation` moves on.
    pub(crate) fn new(path: &Path, schema_generation: Arc<AtomicU64>) -> Self {
        let readers = std::thread::available_parallelism().map_or(2, usize::from) * 2;
        let readers = u32::try_from(readers).unwrap_or(64);
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Some(Vec::new())),
            permits: Semaphore::new(readers as usize),
            readers,
            schema_generation,
        }
    }

    /// Runs `work` with a reader on a blocking thread.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Reader) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let _permit = self.permits.acquire().await.map_err(|_| StoreError::Closed)?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let generation = pool.schema_generation.load(Ordering::Acquire);
            let reader = pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_mut()
                .ok_or(StoreError::Closed)?
                .pop();
            let reader = match reader {
                Some(reader) if reader.generation == generation => reader,
                // New schemas since this reader last looked: start afresh.
                _ => Reader::open(&pool.path, generation)?,
            };
            let value = work(&reader);
            // A read that outlived its caller finds the pool closed: its
            // reader closes here rather than stay open.
            if let Some(idle) = pool.idle.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
                idle.push(reader);
            }
            Ok(value)
        })
        .await
        .map_err(|error| StoreError::Corrupt(format!("a read failed: {error}")))?
    }

    /// Waits for the reads under way, then closes every reader: the writer
    /// can then be the last connection, which folds the write-ahead log
    /// into the database. Reads from now on fail with [`StoreError::Closed`].
    pub(crate) async fn close(&self) {
        // Every permit: no read is under way, and none starts (the
        // semaphore is fair, so reads that come later queue behind).
        if let Ok(all) = self.permits.acquire_many(self.readers).await {
            all.forget();
        }
        self.permits.close();
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).take();
    }
}
