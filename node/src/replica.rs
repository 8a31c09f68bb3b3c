//! This node's copy of the data: the store, the schema registry, and the
//! ingest pipeline that is the only way in.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use lineup_core::{
    AuthorKeys, Document, DocumentId, DocumentViewId, EncodedEntry, EncodedOperation, Hash, PublicKey,
};

use crate::auth::authority::Authority;
use crate::ingest::{
    self, Applied, Batch, Dependency, IngestError, NextArgs, NextArgsError, Source, VerifiedSignatures,
};
use crate::registry::SchemaRegistry;
use crate::store::forks::ForkedLog;
use crate::store::{self, CommitCount, Durability, Store, StoreError};
use lineup_core::{Entry, Operation, PrivateKey};
use lineup_schemas::plan::{Action, Plan};

/// What one client's publish came to: applied, with the next arguments of
/// its log, or refused.
pub type Published = Result<(Applied, NextArgs), IngestError>;

/// An entry and its operation, its signature checked where it arrived (a
/// client request's thread, a peer's connection) rather than by the one
/// writer: the check costs as much as storing it.
#[derive(Debug, Clone)]
pub struct CheckedEntry {
    entry: EncodedEntry,
    operation: EncodedOperation,
    /// The decoded entry; `None` if it failed, to be checked again in its
    /// place in the order of checks, for the error that place gives.
    decoded: Option<lineup_core::Entry>,
}

impl CheckedEntry {
    /// Checks the entry's signature now.
    pub fn check(entry: EncodedEntry, operation: EncodedOperation) -> Self {
        Self::check_with(entry, operation, &mut AuthorKeys::default())
    }

    /// Checks the entry's signature now, reading its author's key through
    /// `keys` (for a batch of a few authors).
    pub fn check_with(entry: EncodedEntry, operation: EncodedOperation, keys: &mut AuthorKeys) -> Self {
        let decoded = entry.decode_with(keys).ok();
        Self {
            entry,
            operation,
            decoded,
        }
    }

    fn checked_before(entries: &[Self]) -> VerifiedSignatures {
        VerifiedSignatures::checked_before(
            entries
                .iter()
                .map(|checked| (&checked.entry, checked.decoded.clone())),
        )
    }
}

/// Why a plan was not published (and nothing of it was).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A change was refused.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// No next entry could be made for a change.
    #[error(transparent)]
    NextArgs(#[from] NextArgsError),
    /// A change relates to a document that only a later change creates.
    #[error("change {0} relates to a document the plan creates after it")]
    Unresolved(usize),
    /// A document to update is not here.
    #[error("document {0} to update is not here")]
    Missing(DocumentId),
    /// A document to update is not of the schema the change is for.
    #[error("document {document} is not a {kind}")]
    WrongKind {
        /// The document.
        document: DocumentId,
        /// The schema the change is for.
        kind: &'static str,
    },
}

impl From<StoreError> for PlanError {
    fn from(error: StoreError) -> Self {
        Self::Ingest(error.into())
    }
}

/// How many entries that wait for something this node keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldQuota {
    /// Per author.
    pub per_author: u64,
    /// Per peer that sent them.
    pub per_peer: u64,
}

impl Default for HeldQuota {
    fn default() -> Self {
        Self {
            per_author: 10_000,
            per_peer: 50_000,
        }
    }
}

/// What became of an entry from a peer.
#[derive(Debug, Clone, PartialEq)]
pub enum Ingested {
    /// Applied, with the held entries it made applicable, in order.
    Applied(Vec<Applied>),
    /// Valid, but kept aside until this arrives.
    Held(Dependency),
    /// This node has it already (applied, held, or kept as fork evidence).
    AlreadyKnown,
    /// Its log holds another entry at its seq num: it is kept as evidence
    /// that the author's key forked the log, which is frozen from there on.
    Fork(ForkedLog),
    /// Its log is frozen at or before its seq num: not taken.
    Frozen,
}

/// A node's data. Synchronous: the node runs it on a thread of its own.
#[derive(Debug)]
pub struct Replica {
    store: Store,
    registry: SchemaRegistry,
    authority: Authority,
    quota: HeldQuota,
}

impl Replica {
    /// Opens the database file at `path`, creating it if needed.
    pub fn open(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let store = Store::open(path, durability)?;
        let registry = SchemaRegistry::load(store.connection())?;
        Ok(Self {
            store,
            registry,
            authority: Authority::default(),
            quota: HeldQuota::default(),
        })
    }

    /// Ingests the schema definitions of a lock file (the key groups', the
    /// festival's) unless its last entry is here already.
    pub fn define_locked_schemas(
        &mut self,
        lock: &[(EncodedEntry, EncodedOperation)],
    ) -> Result<(), IngestError> {
        let defined = match lock.last() {
            Some((last, _)) => store::logs::contains(self.store.connection(), &last.hash())?,
            None => true,
        };
        if !defined {
            self.ingest_from_peer("lock", lock.iter().map(|(entry, operation)| (entry, operation)))?;
        }
        Ok(())
    }

    /// Counts the commits to this replica's store.
    pub fn commit_count(&self) -> CommitCount {
        self.store.commit_count()
    }

    /// Sets how many waiting entries are kept.
    pub fn set_held_quota(&mut self, quota: HeldQuota) {
        self.quota = quota;
    }

    /// The known schemas.
    pub fn schemas(&self) -> &SchemaRegistry {
        &self.registry
    }

    /// Checks, stores and materialises one entry, as p2panda's `publish` does:
    /// all of it or, with an error, nothing. Nothing is held.
    pub fn publish(
        &mut self,
        entry: &EncodedEntry,
        operation: &EncodedOperation,
    ) -> Result<Applied, IngestError> {
        self.in_transaction(VerifiedSignatures::default(), |batch, _| {
            batch.ingest(entry, operation, Source::Client)
        })
    }

    /// Publishes several clients' entries in one transaction (a group
    /// commit): each is checked and applied as [`Replica::publish`] would on
    /// its own, and one refused leaves the others alone; all are committed
    /// together. Each successful one comes with the next arguments of its log.
    pub fn publish_many(&mut self, entries: &[CheckedEntry]) -> Result<Vec<Published>, StoreError> {
        let outcome = self.in_transaction(CheckedEntry::checked_before(entries), |batch, _| {
            let mut results = Vec::with_capacity(entries.len());
            for CheckedEntry { entry, operation, .. } in entries {
                match batch.ingest(entry, operation, Source::Client) {
                    Ok(applied) => {
                        let public_key = applied.entry.public_key;
                        let next = ingest::next_in_log(batch.connection(), &public_key, applied.entry.log_id)
                            .map_err(|error| match error {
                                NextArgsError::Store(error) => IngestError::Store(error),
                                other => IngestError::Store(StoreError::Corrupt(other.to_string())),
                            })?;
                        results.push(Ok((applied, next)));
                    }
                    // The database failed: nothing of the group may stay.
                    Err(IngestError::Store(error)) => return Err(IngestError::Store(error)),
                    Err(refused) => results.push(Err(refused)),
                }
            }
            Ok(results)
        });
        outcome.map_err(|error| match error {
            IngestError::Store(error) => error,
            other => StoreError::Corrupt(format!("a group of publishes failed as a whole: {other}")),
        })
    }

    /// Ingests entries from `peer` in one transaction. Entries that arrive
    /// before what they need are held and applied when it arrives. An invalid
    /// entry, or a flood of held ones beyond the quota, rejects the whole batch.
    pub fn ingest_from_peer<'a>(
        &mut self,
        peer: &str,
        entries: impl IntoIterator<Item = (&'a EncodedEntry, &'a EncodedOperation)>,
    ) -> Result<Vec<Ingested>, IngestError> {
        let entries: Vec<_> = entries.into_iter().collect();
        // Signature checks cost as much as storing: they run on every core,
        // ahead of the one writer that takes the entries in order.
        std::thread::scope(|scope| {
            let verified = if entries.len() > 1 {
                VerifiedSignatures::start(scope, entries.iter().map(|(entry, _)| *entry).collect())
            } else {
                VerifiedSignatures::default()
            };
            self.ingest_batch(peer, &entries, verified)
        })
    }

    /// [`Replica::ingest_from_peer`] for entries whose signatures were checked
    /// on their way in.
    pub fn ingest_checked_from_peer(
        &mut self,
        peer: &str,
        entries: &[CheckedEntry],
    ) -> Result<Vec<Ingested>, IngestError> {
        let pairs: Vec<_> = entries
            .iter()
            .map(|checked| (&checked.entry, &checked.operation))
            .collect();
        self.ingest_batch(peer, &pairs, CheckedEntry::checked_before(entries))
    }

    fn ingest_batch(
        &mut self,
        peer: &str,
        entries: &[(&EncodedEntry, &EncodedOperation)],
        verified: VerifiedSignatures,
    ) -> Result<Vec<Ingested>, IngestError> {
        self.in_transaction(verified, |batch, quota| {
            entries
                .iter()
                .map(|(entry, operation)| ingest_from_peer(batch, quota, peer, entry, operation))
                .collect()
        })
    }

    /// Runs `work` in one write transaction, committed only if it succeeds.
    fn in_transaction<T, E: From<IngestError>>(
        &mut self,
        verified: VerifiedSignatures,
        work: impl FnOnce(&mut Batch<'_>, HeldQuota) -> Result<T, E>,
    ) -> Result<T, E> {
        let transaction = self.store.transaction().map_err(|error| E::from(error.into()))?;
        let mut batch = Batch::new(&transaction, &mut self.registry, &mut self.authority, verified);
        let result = work(&mut batch, self.quota)
            .and_then(|value| batch.finish().map(|()| value).map_err(E::from))
            .and_then(|value| {
                transaction
                    .commit()
                    .map(|()| value)
                    .map_err(|error| E::from(StoreError::from(error).into()))
            });
        match result {
            Ok(value) => {
                self.registry.commit();
                Ok(value)
            }
            Err(error) => {
                self.registry.roll_back();
                // What it learnt in the transaction may be gone with it.
                self.authority = Authority::default();
                Err(error)
            }
        }
    }

    /// Signs with `key` and publishes every change of `plan`, in order, in
    /// one transaction: all of them or, with an error, none. An update
    /// builds on the view the plan was decided on (what others changed
    /// since stays, as a concurrent change), or on the plan's own earlier
    /// update of the document.
    pub fn publish_plan(&mut self, key: &PrivateKey, plan: &Plan) -> Result<Vec<Applied>, PlanError> {
        self.publish_own(key, |publisher| {
            let mut documents = Vec::with_capacity(plan.changes.len());
            let mut applied = Vec::with_capacity(plan.changes.len());
            // The operation the plan last wrote to each document it changed.
            let mut written: std::collections::HashMap<DocumentId, lineup_core::OperationId> =
                std::collections::HashMap::new();
            for (index, change) in plan.changes.iter().enumerate() {
                let fields = change.fields(&documents).ok_or(PlanError::Unresolved(index))?;
                let operation = match &change.action {
                    Action::Create => Operation::create(change.kind.schema_id().clone(), fields),
                    Action::Update { document, previous } => {
                        let schema = store::operations::meta(
                            publisher.connection(),
                            &lineup_core::OperationId(document.0),
                        )?
                        .map(|meta| meta.schema_id)
                        .ok_or(PlanError::Missing(*document))?;
                        if lineup_schemas::Kind::of(&schema) != Some(change.kind) {
                            return Err(PlanError::WrongKind {
                                document: *document,
                                kind: change.kind.name(),
                            });
                        }
                        let previous = match written.get(document) {
                            Some(operation) => DocumentViewId::from(*operation),
                            None => previous.clone(),
                        };
                        Operation::update(schema, previous, fields)
                    }
                };
                let one = publisher.publish::<PlanError>(&operation)?;
                written.insert(one.document_id, one.operation_id);
                documents.push(one.document_id);
                applied.push(one);
            }
            Ok(applied)
        })
    }

    /// Runs `work` in one transaction, in which it may sign operations with
    /// `key` and publish them, and write what must change with them (the
    /// node's own tables beside the documents): all of it or, with an error,
    /// nothing.
    pub fn publish_own<T, E: From<IngestError>>(
        &mut self,
        key: &PrivateKey,
        work: impl FnOnce(&mut OwnPublisher<'_, '_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.in_transaction(VerifiedSignatures::default(), |batch, _| {
            work(&mut OwnPublisher { batch, key })
        })
    }

    /// Runs `work` in one write transaction on the store's own tables
    /// (nothing that ingest keeps): all of it or, with an error, nothing.
    pub(crate) fn write<T>(
        &mut self,
        work: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let transaction = self.store.transaction()?;
        let value = work(&transaction)?;
        transaction.commit()?;
        Ok(value)
    }

    /// The database, to read the store's own tables.
    pub(crate) fn connection(&self) -> &rusqlite::Connection {
        self.store.connection()
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
        crate::reader::document(self.store.connection(), &self.registry, id)
    }

    /// A document at a view: the current one or any earlier one, as long as
    /// its operations are stored.
    pub fn document_view(&self, view_id: &DocumentViewId) -> Result<Option<Document>, StoreError> {
        crate::reader::document_view(self.store.connection(), &self.registry, view_id)
    }

    /// One page of the live documents of a schema; `None` if the schema is unknown.
    pub fn documents(
        &self,
        schema_id: &lineup_core::SchemaId,
        query: &crate::query::DocumentQuery,
    ) -> Result<Option<crate::query::Page<Document>>, StoreError> {
        crate::reader::documents(self.store.connection(), &self.registry, schema_id, query)
    }

    /// Frees the space of deleted documents: drops their operations' payloads,
    /// keeping the entries (every log still verifies) and every document a
    /// live document pins a view of. Returns how many payloads were dropped.
    pub fn prune_deleted(&mut self) -> Result<usize, StoreError> {
        let transaction = self.store.transaction()?;
        let mut pruned = 0;
        for document in store::operations::deleted_with_payloads(&transaction)? {
            let operations = store::operations::ids_of(&transaction, &document)?;
            if !store::operations::is_pinned(&transaction, &operations)? {
                pruned += store::operations::prune(&transaction, &document)?;
            }
        }
        transaction.commit()?;
        Ok(pruned)
    }

    /// The first live document of a schema with a field, by name and the
    /// operation that set it, that `matches`.
    pub fn find_document(
        &self,
        schema_id: &lineup_core::SchemaId,
        matches: impl Fn(&str, &lineup_core::OperationId) -> bool,
    ) -> Result<Option<DocumentId>, StoreError> {
        store::documents::find_by_field(self.store.connection(), schema_id, matches)
    }

    /// The ids of all documents of a schema, deleted or not.
    pub fn document_ids(&self, schema_id: &lineup_core::SchemaId) -> Result<Vec<DocumentId>, StoreError> {
        store::documents::ids_of_schema(self.store.connection(), schema_id)
    }

    /// All operations of a document, typed by its schema; `None` if some were
    /// pruned (the document is deleted) or the document is unknown.
    pub fn operations(
        &self,
        id: &DocumentId,
    ) -> Result<Option<Vec<lineup_core::PublishedOperation>>, StoreError> {
        crate::registry::published_operations(self.store.connection(), id, &self.registry)
    }

    /// Whether the entry with this hash is stored (applied).
    pub fn contains_entry(&self, hash: &Hash) -> Result<bool, StoreError> {
        store::logs::contains(self.store.connection(), hash)
    }

    /// Notes that the node `public_key` was reached at `address` just now.
    pub fn remember_peer(
        &mut self,
        public_key: &PublicKey,
        address: std::net::SocketAddr,
    ) -> Result<(), StoreError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        store::peers::remember(self.store.connection(), public_key, address, now)
    }

    /// The held entries and what each waits for, sorted by entry hash.
    pub fn held(&self) -> Result<Vec<(Hash, String)>, StoreError> {
        store::held::all(self.store.connection())
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

fn ingest_from_peer(
    batch: &mut Batch<'_>,
    quota: HeldQuota,
    peer: &str,
    entry: &EncodedEntry,
    operation: &EncodedOperation,
) -> Result<Ingested, IngestError> {
    let connection = batch.connection();
    if store::logs::is_known(connection, &entry.hash())? {
        return Ok(Ingested::AlreadyKnown);
    }
    match apply(batch, entry, operation)? {
        Ok(applied) => {
            let mut all = vec![applied];
            release(batch, &mut all)?;
            Ok(Ingested::Applied(all))
        }
        Err(IngestError::LogFrozen { .. }) => Ok(Ingested::Frozen),
        Err(error @ IngestError::SeqNumMismatch { claimed, expected }) if claimed < expected => {
            match batch.keep_fork_evidence(entry, operation)? {
                Some(fork) => Ok(Ingested::Fork(fork)),
                None => Err(error),
            }
        }
        Err(error) => {
            let Some(dependency) = dependency_of(&error, entry, operation)? else {
                return Err(error);
            };
            let decoded = entry.decode_unverified()?;
            let (by_author, by_peer) = store::held::counts(connection, &decoded.public_key, peer)?;
            if by_author >= quota.per_author {
                return Err(IngestError::HeldQuotaExceeded(format!(
                    "author {} has {by_author}",
                    decoded.public_key
                )));
            }
            if by_peer >= quota.per_peer {
                return Err(IngestError::HeldQuotaExceeded(format!(
                    "peer {peer} sent {by_peer}"
                )));
            }
            store::held::hold(
                connection,
                &decoded,
                entry,
                operation,
                &dependency.to_string(),
                peer,
                now(),
            )?;
            Ok(Ingested::Held(dependency))
        }
    }
}

/// What an entry that failed with `error` waits for: `None` if it is invalid
/// rather than early. An entry is only held once its own signature and
/// payload are proven, so that nobody can park forged entries here.
fn dependency_of(
    error: &IngestError,
    entry: &EncodedEntry,
    operation: &EncodedOperation,
) -> Result<Option<Dependency>, IngestError> {
    let Some(dependency) = error.missing_dependency(&entry.decode_unverified()?) else {
        return Ok(None);
    };
    entry.decode()?.check_payload(operation)?;
    Ok(Some(dependency))
}

/// Applies one entry from a peer. Ingest makes every check before its first
/// write, so an entry it refuses leaves nothing behind, even inside a larger
/// transaction. The outer `Result` is the store's (the whole transaction
/// fails); the inner one the entry's.
fn apply(
    batch: &mut Batch<'_>,
    entry: &EncodedEntry,
    operation: &EncodedOperation,
) -> Result<Result<Applied, IngestError>, IngestError> {
    match batch.ingest(entry, operation, Source::Peer) {
        Ok(applied) => Ok(Ok(applied)),
        Err(IngestError::Store(error)) => Err(IngestError::Store(error)),
        Err(error) => Ok(Err(error)),
    }
}

/// Applies the held entries that `applied` (and what they unblock in turn)
/// were waiting for, appending them to `applied`.
fn release(batch: &mut Batch<'_>, applied: &mut Vec<Applied>) -> Result<(), IngestError> {
    let connection = batch.connection();
    if store::held::is_empty(connection)? {
        return Ok(());
    }
    let mut next = 0;
    let mut schemas_seen = 0;
    while next < applied.len() {
        let one = &applied[next];
        next += 1;
        let entry = Dependency::Entry {
            public_key: one.entry.public_key,
            log_id: one.entry.log_id,
            seq_num: one.entry.seq_num,
        };
        let mut keys = vec![
            Dependency::Operation(one.operation_id).to_string(),
            entry.to_string(),
        ];
        let staged = batch.registry().staged();
        keys.extend(
            staged[schemas_seen..]
                .iter()
                .map(|schema| Dependency::Schema(schema.clone()).to_string()),
        );
        schemas_seen = staged.len();
        for key in keys {
            for held in store::held::take_waiting_for(connection, &key)? {
                let error = match apply(batch, &held.entry, &held.operation)? {
                    Ok(applied_now) => {
                        applied.push(applied_now);
                        continue;
                    }
                    Err(error) => error,
                };
                match dependency_of(&error, &held.entry, &held.operation) {
                    Ok(Some(dependency)) => {
                        let decoded = held.entry.decode_unverified()?;
                        let waiting_for = dependency.to_string();
                        store::held::hold(
                            connection,
                            &decoded,
                            &held.entry,
                            &held.operation,
                            &waiting_for,
                            &held.peer,
                            now(),
                        )?;
                    }
                    Ok(None) | Err(_) => {
                        tracing::warn!(entry = %held.entry.hash(), %error, "held entry is invalid; dropped");
                    }
                }
            }
        }
    }
    Ok(())
}

/// Signs operations with the node's key and publishes them, inside one
/// transaction ([`Replica::publish_own`]).
pub struct OwnPublisher<'a, 'b> {
    batch: &'a mut Batch<'b>,
    key: &'a PrivateKey,
}

impl OwnPublisher<'_, '_> {
    /// Signs `operation` as the next entry of its log and ingests it.
    pub fn publish<E: From<IngestError> + From<NextArgsError>>(
        &mut self,
        operation: &Operation,
    ) -> Result<Applied, E> {
        let payload = operation.encode();
        let next = ingest::next_args(
            self.batch.connection(),
            &self.key.public_key(),
            operation.previous.as_ref(),
        )?;
        let (_, entry) = Entry::sign(
            self.key,
            next.log_id,
            next.seq_num,
            next.skiplink,
            next.backlink,
            &payload,
        )
        .map_err(IngestError::from)?;
        Ok(self.batch.ingest(&entry, &payload, Source::Client)?)
    }

    /// The transaction, to read and to write the node's own tables.
    pub fn connection(&self) -> &rusqlite::Connection {
        self.batch.connection()
    }
}
