//! The one pipeline every entry goes through, whoever brings it.
//!
//! The checks run in the reference's order (p2panda-rs `publish`), so that the
//! same input fails at the same stage with the same message:
//! operation decode → schema lookup → entry decode (links, signature) →
//! log checks (seq num, skiplink, payload, backlink and skiplink hashes) →
//! operation against its schema → previous operations (exist, same schema,
//! same document, not deleted) → log id → store → materialise.
//!
//! Everything runs inside the caller's transaction. Every check comes before
//! the first write, so a refused entry leaves nothing behind even when the
//! transaction goes on with other entries; only a failing store can stop half
//! way, and then the caller rolls the whole transaction back.

use lineup_core::{
    Document, DocumentId, DocumentViewId, EncodedEntry, EncodedOperation, Entry, EntryError, Hash, LogId,
    OperationError, OperationId, PayloadError, PublicKey, PublishedOperation, Reduced, SchemaId, SeqNum,
    ValidationError,
};
use std::collections::hash_map::Entry as Slot;
use std::collections::{BTreeSet, HashMap};

use rusqlite::Connection;

mod signatures;

pub(crate) use signatures::VerifiedSignatures;

use crate::auth::authority::{Authority, Unauthorised};
use crate::auth::grants::Signed;
use crate::registry::{published_operations, SchemaRegistry};
use crate::store::documents::Changed;
use crate::store::forks::ForkedLog;
use crate::store::{self, StoreError};

/// Something an entry needs that this node does not have yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependency {
    /// The schema the operation claims.
    Schema(SchemaId),
    /// An operation it builds on.
    Operation(OperationId),
    /// An earlier entry of its own log.
    Entry {
        /// The author.
        public_key: PublicKey,
        /// The log.
        log_id: LogId,
        /// The entry that is missing.
        seq_num: SeqNum,
    },
}

/// Why an entry was not applied.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The operation bytes do not decode.
    #[error(transparent)]
    DecodeOperation(#[from] OperationError),
    /// The schema is not known here.
    #[error("Schema not found")]
    SchemaNotFound(SchemaId),
    /// The entry bytes do not decode, or the signature is wrong.
    #[error(transparent)]
    DecodeEntry(#[from] EntryError),
    /// The entry does not continue its log.
    #[error("Entry's claimed seq num of {claimed} does not match expected seq num of {expected} for given public key and log")]
    SeqNumMismatch {
        /// The entry's seq num.
        claimed: u64,
        /// The log's next seq num.
        expected: u64,
    },
    /// The log lacks the entry the skiplink points to.
    #[error("Expected skiplink entry not found in store: public key {public_key}, log id {log_id}, seq num {seq_num}")]
    SkiplinkNotFound {
        /// The author.
        public_key: PublicKey,
        /// The log.
        log_id: LogId,
        /// The missing entry.
        seq_num: SeqNum,
    },
    /// The operation is not the one the entry signs.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// The backlink is not the hash of the log's previous entry.
    #[error("claimed hash does not match backlink entry")]
    WrongBacklink,
    /// The skiplink is not the hash of the log's lipmaa entry.
    #[error("claimed hash does not match skiplink entry")]
    WrongSkiplink,
    /// The operation does not fit its schema.
    #[error(transparent)]
    InvalidOperation(#[from] ValidationError),
    /// An operation in `previous` is not in the store.
    #[error("Previous operation {0} not found in store")]
    PreviousNotFound(OperationId),
    /// An operation in `previous` has another schema than the one claimed.
    #[error("Operation {0} claims incorrect schema {1} for document with schema {2}")]
    ClaimedSchemaMismatch(OperationId, Box<SchemaId>, Box<SchemaId>),
    /// `previous` names operations of different documents.
    #[error("Operations in passed document view id originate from different documents")]
    PreviousFromSeveralDocuments,
    /// The document was deleted.
    #[error("You are trying to update or delete a document which has been deleted")]
    DocumentDeleted,
    /// An update or delete opens a log for a document the author never wrote.
    #[error("Expected log not found in store for: public key {0}, document id {1}")]
    DocumentLogNotFound(PublicKey, DocumentId),
    /// The entry is in another log than the author's log of the document.
    #[error("Entry's claimed log id of {claimed} does not match existing log id of {expected} for given public key and document id")]
    LogIdMismatch {
        /// The entry's log id.
        claimed: u64,
        /// The author's log of the document.
        expected: u64,
    },
    /// The log is full: seq num u64::MAX was reached.
    #[error("Max sequence number reached for public key {0} log {1}")]
    MaxSeqNum(PublicKey, LogId),
    /// The author's key signed two entries at one seq num of this log: from
    /// that seq num on, the log takes no entries.
    #[error("The log {log_id} of {public_key} is frozen at seq num {seq_num}: the author signed two entries there")]
    LogFrozen {
        /// The author.
        public_key: PublicKey,
        /// The log.
        log_id: LogId,
        /// Its first seq num with two entries.
        seq_num: SeqNum,
    },
    /// The author may not do this (key groups, `docs/authorisation.md`).
    #[error(transparent)]
    Unauthorised(#[from] Unauthorised),
    /// A peer sent more entries that wait for something than this node keeps.
    #[error("too many held entries: {0}")]
    HeldQuotaExceeded(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    /// What `entry` waits for, where it is valid but arrived too early. A
    /// client's `publish` gets the error; an entry from a peer is held.
    pub fn missing_dependency(&self, entry: &Entry) -> Option<Dependency> {
        match self {
            IngestError::SchemaNotFound(schema) => Some(Dependency::Schema(schema.clone())),
            IngestError::PreviousNotFound(operation) => Some(Dependency::Operation(*operation)),
            IngestError::SkiplinkNotFound {
                public_key,
                log_id,
                seq_num,
            } => Some(Dependency::Entry {
                public_key: *public_key,
                log_id: *log_id,
                seq_num: *seq_num,
            }),
            // A gap in the log: the entry before this one has not arrived.
            IngestError::SeqNumMismatch { claimed, expected } if claimed > expected => {
                Some(Dependency::Entry {
                    public_key: entry.public_key,
                    log_id: entry.log_id,
                    seq_num: entry.seq_num.backlink()?,
                })
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Dependency {
    /// The key under which held entries wait for this.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dependency::Schema(schema) => write!(f, "schema {schema}"),
            Dependency::Operation(operation) => write!(f, "operation {operation}"),
            Dependency::Entry {
                public_key,
                log_id,
                seq_num,
            } => write!(f, "entry {public_key} {log_id} {seq_num}"),
        }
    }
}

/// An entry that was stored and materialised.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The entry as decoded.
    pub entry: Entry,
    /// The id of its operation (the entry hash).
    pub operation_id: OperationId,
    /// The document it changed.
    pub document_id: DocumentId,
    /// The document's schema.
    pub schema_id: SchemaId,
}

/// Who brought an entry. The checks are the same; what differs is how an
/// operation on a deleted document is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A client's `publish` or the node's own user: as p2panda-rs, an update
    /// or delete of a deleted document is refused.
    Client,
    /// Replication: an operation made concurrently with the DELETE, before its
    /// author saw it, is stored like everywhere else (the document stays
    /// deleted), so that every node ends up with the same logs.
    Peer,
}

/// One write transaction's ingest: the open transaction, the known schemas,
/// the signatures verified ahead, and the documents changed so far, which
/// [`Batch::finish`] writes before the caller commits.
pub(crate) struct Batch<'a> {
    connection: &'a Connection,
    registry: &'a mut SchemaRegistry,
    authority: &'a mut Authority,
    /// The key-group documents this batch changed: what their groups
    /// govern is decided again when it finishes.
    key_groups_touched: std::collections::HashSet<DocumentId>,
    /// A document was created: it may own documents that wait for it.
    created: bool,
    verified: VerifiedSignatures,
    documents: DocumentCache,
}

impl<'a> Batch<'a> {
    /// Starts ingesting inside `connection`'s open transaction.
    pub(crate) fn new(
        connection: &'a Connection,
        registry: &'a mut SchemaRegistry,
        authority: &'a mut Authority,
        verified: VerifiedSignatures,
    ) -> Self {
        Self {
            connection,
            registry,
            authority,
            key_groups_touched: std::collections::HashSet::new(),
            created: false,
            verified,
            documents: DocumentCache::default(),
        }
    }

    /// The open transaction.
    pub(crate) fn connection(&self) -> &'a Connection {
        self.connection
    }

    /// The schemas, including those defined in this transaction.
    pub(crate) fn registry(&self) -> &SchemaRegistry {
        self.registry
    }

    /// Checks, stores and materialises one entry. On an error other than the
    /// store's, nothing was written; on a store error the caller must roll
    /// the transaction back.
    pub(crate) fn ingest(
        &mut self,
        entry: &EncodedEntry,
        operation: &EncodedOperation,
        source: Source,
    ) -> Result<Applied, IngestError> {
        let applied = self.apply(entry, operation, source)?;
        if crate::auth::schemas::key_group_schemas().contains(&applied.schema_id) {
            // Later checks in this transaction see the change.
            self.authority.changed();
            self.key_groups_touched.insert(applied.document_id);
        }
        // A CREATE's operation id is its document's id.
        self.created |= applied.document_id.0 == applied.operation_id.0;
        Ok(applied)
    }

    /// Keeps `entry` as evidence of a fork if its log holds another entry at
    /// its seq num, freezing the log there (if it was not frozen earlier);
    /// returns the fork. `None` if it is no fork: the entry is then refused
    /// as usual.
    pub(crate) fn keep_fork_evidence(
        &mut self,
        encoded_entry: &EncodedEntry,
        encoded_operation: &EncodedOperation,
    ) -> Result<Option<ForkedLog>, IngestError> {
        // Only the author's key can sign a fork: that is what it proves.
        let entry = encoded_entry.decode()?;
        let (public_key, log_id, seq_num) = (entry.public_key, entry.log_id, entry.seq_num);
        match store::logs::entry_at(self.connection, &public_key, log_id, seq_num)? {
            Some(in_log) if in_log.hash != encoded_entry.hash() => {}
            _ => return Ok(None),
        }
        entry.check_payload(encoded_operation)?;
        let frozen_before = store::forks::frozen_at(self.connection, &public_key, log_id)?;
        store::forks::keep_evidence(self.connection, &entry, encoded_entry, Some(encoded_operation))?;
        let fork = ForkedLog {
            public_key,
            log_id,
            seq_num: frozen_before.map_or(seq_num, |frozen| frozen.min(seq_num)),
        };
        if frozen_before != Some(fork.seq_num) {
            self.freeze(&fork)?;
        }
        Ok(Some(fork))
    }

    /// Leaves the operations of `fork`'s log from its seq num on, and all that
    /// build on them, out of the document, which is materialised again.
    fn freeze(&mut self, fork: &ForkedLog) -> Result<(), IngestError> {
        let connection = self.connection;
        let document_id = store::logs::document_of_log(connection, &fork.public_key, fork.log_id)?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("log {} of {} is missing", fork.log_id, fork.public_key))
            })?;
        let mut frozen: std::collections::HashSet<OperationId> =
            store::forks::operations_from(connection, &fork.public_key, fork.log_id, fork.seq_num)?
                .into_iter()
                .collect();
        let graph = store::operations::graph_of(connection, &document_id)?;
        frozen.extend(graph.iter().filter(|node| node.frozen).map(|node| node.id));
        // Whatever builds on a frozen operation, directly or not, is frozen too.
        let edges: Vec<(OperationId, &[OperationId])> = graph
            .iter()
            .map(|node| (node.id, node.previous.as_slice()))
            .collect();
        lineup_core::leave_out_what_builds_on(&mut frozen, &edges);
        store::forks::freeze(connection, &frozen.into_iter().collect::<Vec<_>>())?;
        self.rematerialise(document_id)
    }

    /// Materialises a document again from the operations that count (after
    /// some were left out, or let in): removed if its CREATE does not count.
    fn rematerialise(&mut self, document_id: DocumentId) -> Result<(), IngestError> {
        let connection = self.connection;
        self.documents.documents.remove(&document_id);
        let Some(operations) = published_operations(connection, &document_id, self.registry)? else {
            // Pruned after a deletion: it stays deleted.
            return Ok(());
        };
        store::documents::remove(connection, &document_id)?;
        if operations.is_empty() {
            return Ok(());
        }
        let reduced = Document::reduce_with_walk_end(&operations).map_err(corrupt)?;
        self.documents.documents.insert(
            document_id,
            CachedDocument {
                reduced,
                changed: None,
            },
        );
        Ok(())
    }

    /// Decides again what counts if key groups changed, and writes the
    /// documents the transaction changed.
    pub(crate) fn finish(mut self) -> Result<(), IngestError> {
        if !self.key_groups_touched.is_empty() {
            let touched = std::mem::take(&mut self.key_groups_touched);
            for document in self
                .authority
                .reauthorise(self.connection, self.registry, &touched)?
            {
                self.rematerialise(document)?;
            }
        }
        if self.created {
            for document in self
                .authority
                .reauthorise_unplaced(self.connection, self.registry)?
            {
                self.rematerialise(document)?;
            }
        }
        Ok(self.documents.flush(self.connection)?)
    }
}

impl Batch<'_> {
    /// Checks, stores and materialises one entry inside the open transaction.
    fn apply(
        &mut self,
        encoded_entry: &EncodedEntry,
        encoded_operation: &EncodedOperation,
        source: Source,
    ) -> Result<Applied, IngestError> {
        let connection = self.connection;
        let registry = &mut *self.registry;
        let verified = &self.verified;
        let cache = &mut self.documents;
        let plain = encoded_operation.decode()?;
        let schema = registry
            .get(&plain.schema_id)
            .ok_or_else(|| IngestError::SchemaNotFound(plain.schema_id.clone()))?;
        let entry = verified.decode(encoded_entry)?;
        let (public_key, log_id, seq_num) = (entry.public_key, entry.log_id, entry.seq_num);
        if let Some(frozen) = store::forks::frozen_at(connection, &public_key, log_id)? {
            if seq_num >= frozen {
                return Err(IngestError::LogFrozen {
                    public_key,
                    log_id,
                    seq_num: frozen,
                });
            }
        }

        // The log: this entry must be the next one, and its links must point at
        // the entries the log holds.
        let latest = store::logs::latest_entry(connection, &public_key, log_id)?;
        let expected = match &latest {
            Some(latest) => latest
                .seq_num
                .next()
                .ok_or(IngestError::MaxSeqNum(public_key, log_id))?,
            None => SeqNum::FIRST,
        };
        if expected != seq_num {
            return Err(IngestError::SeqNumMismatch {
                claimed: seq_num.get(),
                expected: expected.get(),
            });
        }
        let skiplink_entry = match (entry.skiplink, seq_num.skiplink()) {
            (Some(_), Some(skiplink_seq_num)) => Some(
                store::logs::entry_at(connection, &public_key, log_id, skiplink_seq_num)?.ok_or(
                    IngestError::SkiplinkNotFound {
                        public_key,
                        log_id,
                        seq_num: skiplink_seq_num,
                    },
                )?,
            ),
            _ => None,
        };
        entry.check_payload(encoded_operation)?;
        if let Some(skiplink_entry) = &skiplink_entry {
            if entry.skiplink != Some(skiplink_entry.hash) {
                return Err(IngestError::WrongSkiplink);
            }
        }
        if let Some(latest) = &latest {
            if entry.backlink != Some(latest.hash) {
                return Err(IngestError::WrongBacklink);
            }
        }
        let operation = lineup_core::validate_operation(&plain, schema)?;
        let operation_id = OperationId(encoded_entry.hash());

        // The document: a CREATE starts one; anything else continues the one
        // its previous operations belong to.
        let (document_id, builds_on) = match &operation.previous {
            None => (DocumentId(operation_id.0), LeftOut::default()),
            Some(previous) => document_of_previous(connection, previous, &operation.schema_id)?,
        };
        if source == Source::Client && cache.is_deleted(connection, &document_id)? {
            return Err(IngestError::DocumentDeleted);
        }
        check_log_id(connection, &entry, &document_id)?;
        // The reference refuses the entry that would leave no next seq num.
        if seq_num.next().is_none() {
            return Err(IngestError::MaxSeqNum(public_key, log_id));
        }
        // Lineup's own check, after all of the reference's: a client is
        // refused; from a peer, what does not count (yet) is stored and left
        // out. (Key-group operations are decided when the batch finishes.)
        let signed = Signed {
            author: public_key,
            log_id,
            seq_num,
        };
        let unauthorised = if builds_on.unauthorised {
            Some(Unauthorised::BuildsOnUnauthorised)
        } else {
            self.authority
                .check(connection, registry, signed, &operation, &document_id)?
                .err()
        };
        let unauthorised = match (unauthorised, source) {
            (Some(reason), Source::Client) => return Err(IngestError::Unauthorised(reason)),
            // Without what it builds on it cannot be part of its document.
            (Some(Unauthorised::BuildsOnUnauthorised), Source::Peer) => true,
            (Some(_), Source::Peer) => {
                !crate::auth::schemas::key_group_schemas().contains(&operation.schema_id)
            }
            (None, _) => false,
        };

        if seq_num.is_first() {
            store::logs::insert_log(
                connection,
                &public_key,
                log_id,
                &document_id,
                &operation.schema_id,
            )?;
        }
        store::logs::insert_entry(
            connection,
            &entry,
            encoded_entry,
            encoded_operation,
            &document_id,
            &operation,
        )?;
        let schema_id = operation.schema_id.clone();
        if builds_on.frozen || unauthorised {
            // Stored like everywhere else, and left out.
            if builds_on.frozen {
                store::forks::freeze(connection, &[operation_id])?;
            } else {
                store::operations::mark_unauthorised(connection, &document_id, &operation_id)?;
            }
            return Ok(Applied {
                entry,
                operation_id,
                document_id,
                schema_id,
            });
        }
        let published = PublishedOperation {
            id: operation_id,
            author: public_key,
            operation,
        };
        let document = materialise(connection, registry, cache, &document_id, &published)?;
        if schema_id == SchemaId::SCHEMA_DEFINITION_V1 {
            registry.register_definition(connection, document)?;
        } else if schema_id == SchemaId::SCHEMA_FIELD_DEFINITION_V1 {
            // Waiting definitions are read from the store: write what is pending first.
            cache.flush(connection)?;
            register_waiting_definitions(connection, registry)?;
        }
        Ok(Applied {
            entry,
            operation_id,
            document_id,
            schema_id,
        })
    }
}

/// Whether any of the operations an operation builds on is left out.
#[derive(Debug, Clone, Copy, Default)]
struct LeftOut {
    frozen: bool,
    unauthorised: bool,
}

/// The document the operations in `previous` belong to, checking that they
/// exist, have the claimed schema, and all belong to one document; and
/// whether any of them is left out.
fn document_of_previous(
    connection: &Connection,
    previous: &DocumentViewId,
    claimed_schema: &SchemaId,
) -> Result<(DocumentId, LeftOut), IngestError> {
    let mut metas = Vec::with_capacity(previous.operations().len());
    for id in previous.operations() {
        let meta = store::operations::meta(connection, id)?.ok_or(IngestError::PreviousNotFound(*id))?;
        if &meta.schema_id != claimed_schema {
            return Err(IngestError::ClaimedSchemaMismatch(
                *id,
                Box::new(claimed_schema.clone()),
                Box::new(meta.schema_id),
            ));
        }
        metas.push(meta);
    }
    let document_id = metas[0].document_id;
    if metas.iter().any(|meta| meta.document_id != document_id) {
        return Err(IngestError::PreviousFromSeveralDocuments);
    }
    Ok((
        document_id,
        LeftOut {
            frozen: metas.iter().any(|meta| meta.frozen),
            unauthorised: metas.iter().any(|meta| meta.unauthorised),
        },
    ))
}

/// A CREATE opens a log the author has not used; anything else goes into the
/// author's log of its document. (That a first entry's log is unused needs no
/// query: the seq num check found the log empty.)
fn check_log_id(connection: &Connection, entry: &Entry, document_id: &DocumentId) -> Result<(), IngestError> {
    let document_log = store::logs::log_of_document(connection, &entry.public_key, document_id)?;
    match (entry.seq_num.is_first(), document_log) {
        (true, None) => {}
        (false, None) => return Err(IngestError::DocumentLogNotFound(entry.public_key, *document_id)),
        (_, Some(expected)) => {
            if expected != entry.log_id {
                return Err(IngestError::LogIdMismatch {
                    claimed: entry.log_id.0,
                    expected: expected.0,
                });
            }
        }
    }
    Ok(())
}

/// The documents a transaction changed, kept in memory and written once at
/// its end, so that a batch of updates to one document loads and saves it once.
#[derive(Default)]
struct DocumentCache {
    documents: HashMap<DocumentId, CachedDocument>,
}

struct CachedDocument {
    reduced: Reduced,
    /// The fields to write; `None` for all of them.
    changed: Option<BTreeSet<String>>,
}

impl DocumentCache {
    /// Whether the document is deleted, as the transaction sees it.
    fn is_deleted(&self, connection: &Connection, id: &DocumentId) -> Result<bool, StoreError> {
        match self.documents.get(id) {
            Some(cached) => Ok(cached.reduced.document.is_deleted()),
            None => store::documents::is_deleted(connection, id),
        }
    }

    /// Writes every changed document; the cache is empty afterwards.
    fn flush(&mut self, connection: &Connection) -> Result<(), StoreError> {
        for (_, cached) in self.documents.drain() {
            let changed = match &cached.changed {
                Some(fields) => Changed::Fields(fields),
                None => Changed::All,
            };
            store::documents::save(
                connection,
                &cached.reduced.document,
                cached.reduced.walk_end,
                changed,
            )?;
        }
        Ok(())
    }
}

/// Brings the view of `document_id` up to date with `published`, which was
/// just stored. An operation that builds on the document's walk end alone is
/// applied on its own; anything else walks all operations again.
fn materialise<'c>(
    connection: &Connection,
    registry: &SchemaRegistry,
    cache: &'c mut DocumentCache,
    document_id: &DocumentId,
    published: &PublishedOperation,
) -> Result<&'c Document, IngestError> {
    let schema = registry
        .get(&published.operation.schema_id)
        .ok_or_else(|| IngestError::SchemaNotFound(published.operation.schema_id.clone()))?;
    if !cache.documents.contains_key(document_id) {
        if let Some(stored) = store::documents::load(connection, document_id, schema)? {
            let reduced = Reduced {
                document: stored.document,
                walk_end: stored.walk_end,
            };
            cache.documents.insert(
                *document_id,
                CachedDocument {
                    reduced,
                    changed: Some(BTreeSet::new()),
                },
            );
        }
    }
    let extends = |walk_end: &Option<OperationId>| {
        walk_end.is_some_and(|end| {
            published
                .operation
                .previous
                .as_ref()
                .map(DocumentViewId::operations)
                == Some(&[end][..])
        })
    };
    let cached = match cache.documents.entry(*document_id) {
        // A deleted document stays deleted; only its view (the graph tips)
        // moves, and its operations may have been pruned, so nothing is walked.
        Slot::Occupied(occupied) if occupied.get().reduced.document.is_deleted() => {
            let cached = occupied.into_mut();
            let tips = store::operations::tips_of(connection, document_id)?;
            cached.reduced.document.view_id = DocumentViewId::from_tips(tips)
                .ok_or_else(|| StoreError::Corrupt(format!("document {document_id} has no tips")))?;
            cached.reduced.walk_end = None;
            cached.changed = None;
            cached
        }
        Slot::Occupied(occupied) if extends(&occupied.get().reduced.walk_end) => {
            let cached = occupied.into_mut();
            cached.reduced.walk_end = Some(cached.reduced.document.extend(published).map_err(corrupt)?);
            if let (Some(changed), Some(fields)) = (&mut cached.changed, &published.operation.fields) {
                changed.extend(fields.keys().cloned());
            }
            cached
        }
        entry => {
            let operations = published_operations(connection, document_id, registry)?
                .ok_or_else(|| StoreError::Corrupt(format!("operations of {document_id} are missing")))?;
            let reduced = Document::reduce_with_walk_end(&operations).map_err(corrupt)?;
            let fresh = CachedDocument {
                reduced,
                changed: None,
            };
            match entry {
                Slot::Occupied(occupied) => {
                    let cached = occupied.into_mut();
                    *cached = fresh;
                    cached
                }
                Slot::Vacant(vacant) => vacant.insert(fresh),
            }
        }
    };
    Ok(&cached.reduced.document)
}

/// Ingest only lets through operations that reduce; failing to reduce them is
/// a bug or a damaged store.
fn corrupt(error: lineup_core::ReduceError) -> IngestError {
    IngestError::Store(StoreError::Corrupt(format!(
        "stored operations do not reduce: {error}"
    )))
}

/// A field definition arrived: schema definitions that waited for it may now
/// make schemas.
fn register_waiting_definitions(
    connection: &Connection,
    registry: &mut SchemaRegistry,
) -> Result<(), IngestError> {
    let definitions = store::documents::ids_of_schema(connection, &SchemaId::SCHEMA_DEFINITION_V1)?;
    let Some(schema) = registry.get(&SchemaId::SCHEMA_DEFINITION_V1).cloned() else {
        return Ok(());
    };
    for id in definitions {
        if let Some(stored) = store::documents::load(connection, &id, &schema)? {
            registry.register_definition(connection, &stored.document)?;
        }
    }
    Ok(())
}

/// The arguments for an author's next entry: in the log of the document whose
/// view is `view_id`, or in a new log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextArgs {
    /// The log to write into.
    pub log_id: LogId,
    /// The seq num the entry must have.
    pub seq_num: SeqNum,
    /// Hash of the log's latest entry.
    pub backlink: Option<Hash>,
    /// Hash of the lipmaa entry, where the entry must carry a skiplink.
    pub skiplink: Option<Hash>,
}

/// Why next arguments cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum NextArgsError {
    /// An operation of the view is not in the store.
    #[error("Previous operation {0} not found in store")]
    PreviousNotFound(OperationId),
    /// The view names operations of different documents.
    #[error("Operations in passed document view id originate from different documents")]
    ViewOfSeveralDocuments,
    /// The document was deleted.
    #[error("Document is deleted")]
    DocumentDeleted,
    /// The author's log of the document is full.
    #[error("Max sequence number reached for public key {0} log {1}")]
    MaxSeqNum(PublicKey, LogId),
    /// The author has used every log id.
    #[error("Max log id reached")]
    MaxLogId,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What p2panda-rs `next_args` answers, for any public key.
pub(crate) fn next_args(
    connection: &Connection,
    public_key: &PublicKey,
    view_id: Option<&DocumentViewId>,
) -> Result<NextArgs, NextArgsError> {
    let new_log = || -> Result<NextArgs, NextArgsError> {
        let log_id = match store::logs::latest_log_id(connection, public_key)? {
            Some(LogId(latest)) => LogId(latest.checked_add(1).ok_or(NextArgsError::MaxLogId)?),
            None => LogId(0),
        };
        Ok(NextArgs {
            log_id,
            seq_num: SeqNum::FIRST,
            backlink: None,
            skiplink: None,
        })
    };
    let Some(view_id) = view_id else {
        return new_log();
    };
    let mut document_id = None;
    for id in view_id.operations() {
        let meta = store::operations::meta(connection, id)?.ok_or(NextArgsError::PreviousNotFound(*id))?;
        if document_id.is_some_and(|document| document != meta.document_id) {
            return Err(NextArgsError::ViewOfSeveralDocuments);
        }
        document_id = Some(meta.document_id);
    }
    let Some(document_id) = document_id else {
        return new_log();
    };
    if store::documents::is_deleted(connection, &document_id)? {
        return Err(NextArgsError::DocumentDeleted);
    }
    let Some(log_id) = store::logs::log_of_document(connection, public_key, &document_id)? else {
        return new_log();
    };
    next_in_log(connection, public_key, log_id)
}

/// The arguments for the next entry of an existing log.
pub(crate) fn next_in_log(
    connection: &Connection,
    public_key: &PublicKey,
    log_id: LogId,
) -> Result<NextArgs, NextArgsError> {
    let latest = store::logs::latest_entry(connection, public_key, log_id)?
        .ok_or_else(|| StoreError::Corrupt(format!("log {log_id} of {public_key} has no entries")))?;
    let seq_num = latest
        .seq_num
        .next()
        .ok_or(NextArgsError::MaxSeqNum(*public_key, log_id))?;
    let skiplink = match seq_num.skiplink() {
        Some(skiplink_seq_num) => Some(
            store::logs::entry_at(connection, public_key, log_id, skiplink_seq_num)?
                .ok_or_else(|| StoreError::Corrupt(format!("log {log_id} of {public_key} has a gap")))?
                .hash,
        ),
        None => None,
    };
    Ok(NextArgs {
        log_id,
        seq_num,
        backlink: Some(latest.hash),
        skiplink,
    })
}
