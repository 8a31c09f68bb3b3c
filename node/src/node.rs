//! The node: its identity and its data, behind a handle that async code
//! (the API, replication, the app) uses.
//!
//! The replica lives on a thread of its own; the handle sends it work and
//! awaits the answer, so no SQLite call ever blocks the async executor.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use lineup_core::{
    Document, DocumentId, DocumentViewId, EncodedEntry, EncodedOperation, LogId, Operation, OperationId,
    PrivateKey, PublicKey, Schema, SchemaId, SeqNum, Value,
};
use tokio::sync::{broadcast, oneshot};

use crate::data_dir::default_data_dir;
use crate::ingest::{Applied, IngestError, NextArgs, NextArgsError};
use crate::key_file::{self, KeyFileError};
use crate::query::{DocumentQuery, Page};
use crate::reader::{ReadPool, Reader};
use crate::replica::{CheckedEntry, Ingested, Replica};
use crate::secret::channels::{ChannelError, Channels};
use crate::store::forks::ForkedLog;
use crate::store::logs::LogHeight;
use crate::store::{CommitCount, Durability, StoreError};

mod channels;

/// How many changes a subscriber may fall behind before it misses some.
const EVENT_BACKLOG: usize = 16_384;
/// How many commits replication may fall behind before it misses some (and
/// syncs in full instead).
const STORED_BACKLOG: usize = 1_024;

/// The entries one commit stored, for replication to pass on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The peer they came from (as its key in hex); `None` if published here.
    pub from_peer: Option<String>,
    /// Where each one is.
    pub entries: Vec<EntryPlace>,
}

/// Where an entry is: its log and seq num, and its document's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPlace {
    /// The author.
    pub public_key: PublicKey,
    /// The log.
    pub log_id: LogId,
    /// Its seq num.
    pub seq_num: SeqNum,
    /// The schema of its operation.
    pub schema_id: SchemaId,
}

impl EntryPlace {
    fn of(applied: &Applied) -> Self {
        Self {
            public_key: applied.entry.public_key,
            log_id: applied.entry.log_id,
            seq_num: applied.entry.seq_num,
            schema_id: applied.schema_id.clone(),
        }
    }
}

/// Name of the database file inside the data directory.
pub const DATABASE_FILE_NAME: &str = "lineup.sqlite";

/// Why the node failed to do something.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The key file could not be read or created.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An entry was refused.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// No next entry could be made for the document.
    #[error(transparent)]
    NextArgs(#[from] NextArgsError),
    /// A plan of changes was refused, and nothing of it stored.
    #[error(transparent)]
    Plan(#[from] crate::replica::PlanError),
    /// The document does not exist.
    #[error("document {0} not found")]
    DocumentNotFound(DocumentId),
    /// The document was deleted.
    #[error("document {0} is deleted")]
    DocumentDeleted(DocumentId),
    /// The schema is not known to this node.
    #[error("schema {0} not found")]
    SchemaNotFound(SchemaId),
    /// The API could not serve.
    #[error("{0}")]
    Api(String),
    /// A channel operation failed.
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// The node has stopped.
    #[error("the node has stopped")]
    Stopped,
}

/// Something that changed in the node's data.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeEvent {
    /// A document has a new current view.
    DocumentChanged(Arc<Document>),
    /// Documents of a new schema can be published from now on.
    SchemaAdded(SchemaId),
}

/// Configures and starts a [`Node`].
#[derive(Debug, Clone, Default)]
pub struct NodeBuilder {
    data_dir: Option<PathBuf>,
    durability: Durability,
    bare: bool,
    no_channels: bool,
}

impl NodeBuilder {
    /// Where the node keeps its key and database (default: [`default_data_dir`]).
    pub fn data_dir(mut self, data_dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(data_dir.into());
        self
    }

    /// How much of the latest work survives a crash (default: [`Durability::Normal`]).
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// A plain p2panda node: without Lineup's own schemas (the key groups).
    /// For conformance with p2panda nodes; off by default.
    pub fn bare(mut self, bare: bool) -> Self {
        self.bare = bare;
        self
    }

    /// A node that takes no part in channels (a relay): it replicates their
    /// documents, publishes no key packages, and nobody can add it. Channels
    /// are on by default, except on a bare node.
    pub fn channels(mut self, channels: bool) -> Self {
        self.no_channels = !channels;
        self
    }

    /// Opens the key and the database and starts the node.
    pub async fn spawn(self) -> Result<Node, NodeError> {
        let data_dir = self.data_dir.unwrap_or_else(default_data_dir);
        let database = data_dir.join(DATABASE_FILE_NAME);
        let (ready_sender, ready) = oneshot::channel();
        let (commands, inbox) = std_mpsc::channel::<Command>();
        let (durability, bare, no_channels) = (self.durability, self.bare, self.no_channels);
        let schema_generation = Arc::new(AtomicU64::new(0));
        // Generous, so that a subscriber that falls behind during a burst of
        // writes still sees every change.
        let (events, _) = broadcast::channel(EVENT_BACKLOG);
        let thread_events = events.clone();
        let (stored, _) = broadcast::channel(STORED_BACKLOG);
        let thread_stored = stored.clone();
        let thread_generation = Arc::clone(&schema_generation);
        let thread = std::thread::Builder::new()
            .name("lineup-store".into())
            .spawn(move || {
                let opened = key_file::load_or_create(&data_dir)
                    .map_err(NodeError::from)
                    .and_then(|key| {
                        let mut replica = Replica::open(&data_dir.join(DATABASE_FILE_NAME), durability)?;
                        // Every Lineup node knows who may change what, and the festival.
                        let mut channels = None;
                        if !bare {
                            replica.define_locked_schemas(&crate::auth::schemas::lock_entries())?;
                            replica.define_locked_schemas(&lineup_schemas::lock_entries())?;
                        }
                        if !bare && !no_channels {
                            let mut opened = Channels::open(&replica, &data_dir)?;
                            // Reads what arrived while the node was stopping, and
                            // publishes key packages (peers sync them by log heights).
                            opened.catch_up_all(&mut replica, &key)?;
                            channels = Some(opened);
                        }
                        Ok((key, replica, channels))
                    });
                match opened {
                    Ok((key, replica, channels)) => {
                        let demo_keys = crate::demo::DemoKeys::of(&key).public_keys();
                        if ready_sender
                            .send(Ok((key.public_key(), demo_keys, replica.commit_count())))
                            .is_err()
                        {
                            return;
                        }
                        let mut state = StoreThread {
                            key,
                            replica,
                            channels,
                            schema_generation: thread_generation,
                            events: thread_events,
                            stored: thread_stored,
                        };
                        // Runs until stop is called or every handle is dropped.
                        state.run(&inbox);
                    }
                    Err(error) => {
                        let _ = ready_sender.send(Err(error));
                    }
                }
            })
            .map_err(|error| StoreError::Corrupt(format!("cannot start the store thread: {error}")))?;
        let (public_key, demo_keys, commits) = ready.await.map_err(|_| NodeError::Stopped)??;
        let reads = Arc::new(ReadPool::new(&database, Arc::clone(&schema_generation)));
        Ok(Node {
            commands,
            thread: tokio::sync::Mutex::new(Some(thread)),
            public_key,
            demo_keys: Arc::new(demo_keys),
            events,
            stored,
            schema_generation,
            commits,
            reads,
        })
    }
}

/// What the store thread owns.
struct StoreThread {
    key: PrivateKey,
    replica: Replica,
    /// This device's channels; `None` on a bare node, which has none.
    channels: Option<Channels>,
    schema_generation: Arc<AtomicU64>,
    events: broadcast::Sender<NodeEvent>,
    stored: broadcast::Sender<Arc<Stored>>,
}

/// Work for the store thread.
enum Command {
    /// Anything, in order.
    Work(Box<dyn FnOnce(&mut StoreThread) + Send>),
    /// A client's publish: publishes waiting together are committed together.
    Publish(Box<PublishRequest>),
    /// Close the store, after the work sent before.
    Stop,
}

struct PublishRequest {
    checked: CheckedEntry,
    answer: oneshot::Sender<Result<(Applied, NextArgs), NodeError>>,
}

/// At most this many publishes share one transaction.
const MAX_PUBLISH_GROUP: usize = 256;

/// How often [`Node::stop_shared`] looks whether the others let go.
const RELEASE_POLL: Duration = Duration::from_millis(10);

/// A running node.
#[derive(Debug)]
pub struct Node {
    commands: std_mpsc::Sender<Command>,
    /// The store thread, until the node is stopped.
    thread: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    public_key: PublicKey,
    /// The keys of this installation's demo festival (`crate::demo`).
    demo_keys: Arc<std::collections::HashSet<PublicKey>>,
    events: broadcast::Sender<NodeEvent>,
    stored: broadcast::Sender<Arc<Stored>>,
    schema_generation: Arc<AtomicU64>,
    commits: CommitCount,
    reads: Arc<ReadPool>,
}

impl Node {
    /// Starts configuring a node.
    pub fn builder() -> NodeBuilder {
        NodeBuilder::default()
    }

    /// This node's identity: the key that signs its entries.
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// Whether `key` is one of this node's demo keys: what they sign stays
    /// on this node (`crate::demo`).
    pub fn is_demo_key(&self, key: &PublicKey) -> bool {
        self.demo_keys.contains(key)
    }

    /// Runs `work` on the store thread and returns its result.
    async fn call<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut StoreThread) -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        let (answer, result) = oneshot::channel();
        let command = Command::Work(Box::new(move |state| {
            let _ = answer.send(work(state));
        }));
        self.commands.send(command).map_err(|_| NodeError::Stopped)?;
        result.await.map_err(|_| NodeError::Stopped)
    }

    /// Receives every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    /// Tells what each commit from now on stores, for replication to pass
    /// on: cheaper than [`Node::subscribe`], whose events carry documents.
    pub fn stored_entries(&self) -> broadcast::Receiver<Arc<Stored>> {
        self.stored.subscribe()
    }

    /// Creates a document, signed by this node's key.
    pub async fn create(
        &self,
        schema_id: SchemaId,
        fields: BTreeMap<String, Value>,
    ) -> Result<DocumentId, NodeError> {
        let applied = self
            .call(move |state| {
                state.applying(|state| state.publish_own(Operation::create(schema_id, fields)))
            })
            .await??;
        Ok(applied.document_id)
    }

    /// Changes fields of a document, building on its current view.
    pub async fn update(
        &self,
        id: DocumentId,
        fields: BTreeMap<String, Value>,
    ) -> Result<DocumentViewId, NodeError> {
        let applied = self
            .call(move |state| {
                state.applying(|state| {
                    let current = state.current(&id)?;
                    state.publish_own(Operation::update(current.schema_id, current.view_id, fields))
                })
            })
            .await??;
        Ok(DocumentViewId::from(applied.operation_id))
    }

    /// Makes every change of `plan`, signed by this node's key, in one
    /// transaction: all of them or, with an error, none. Gives the
    /// document each change created or updated.
    pub async fn apply_plan(&self, plan: lineup_schemas::plan::Plan) -> Result<Vec<DocumentId>, NodeError> {
        self.call(move |state| {
            let mark = state.replica.schemas().learnt_count();
            let applied = state.replica.publish_plan(&state.key, &plan)?;
            state.announce(mark, &applied, None);
            Ok(applied.iter().map(|applied| applied.document_id).collect())
        })
        .await?
    }

    /// Deletes a document.
    pub async fn delete(&self, id: DocumentId) -> Result<(), NodeError> {
        self.call(move |state| {
            state.applying(|state| {
                let current = state.current(&id)?;
                state.publish_own(Operation::delete(current.schema_id, current.view_id))
            })
        })
        .await??;
        Ok(())
    }

    /// Checks, stores and materialises an entry signed elsewhere (a client's
    /// `publish`); answers with the arguments for the next entry of its log.
    /// Publishes from several clients at once share a transaction, so they
    /// share its cost; each is checked, and refused, on its own.
    pub async fn publish(
        &self,
        entry: EncodedEntry,
        operation: EncodedOperation,
    ) -> Result<(Applied, NextArgs), NodeError> {
        let (answer, result) = oneshot::channel();
        let request = PublishRequest {
            checked: CheckedEntry::check(entry, operation),
            answer,
        };
        self.commands
            .send(Command::Publish(Box::new(request)))
            .map_err(|_| NodeError::Stopped)?;
        result.await.map_err(|_| NodeError::Stopped)?
    }

    /// Runs `work` with one of the readers, beside the writer.
    async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Reader) -> Result<T, NodeError> + Send + 'static,
    ) -> Result<T, NodeError> {
        match self.reads.read(work).await {
            Ok(value) => value,
            Err(StoreError::Closed) => Err(NodeError::Stopped),
            Err(error) => Err(error.into()),
        }
    }

    /// The current view of a document, deleted or not.
    pub async fn document(&self, id: DocumentId) -> Result<Option<Document>, NodeError> {
        self.read(move |reader| Ok(reader.document(&id)?)).await
    }

    /// A document at a view, current or earlier.
    pub async fn document_view(&self, view_id: DocumentViewId) -> Result<Option<Document>, NodeError> {
        self.read(move |reader| Ok(reader.document_view(&view_id)?)).await
    }

    /// One page of the live documents of a schema.
    pub async fn documents(
        &self,
        schema_id: SchemaId,
        query: DocumentQuery,
    ) -> Result<Page<Document>, NodeError> {
        self.read(move |reader| {
            reader
                .documents(&schema_id, &query)?
                .ok_or(NodeError::SchemaNotFound(schema_id))
        })
        .await
    }

    /// The arguments for `public_key`'s next entry (in the log of the document
    /// `view_id` belongs to, or a new log), as p2panda's `nextArgs`.
    pub async fn next_args(
        &self,
        public_key: PublicKey,
        view_id: Option<DocumentViewId>,
    ) -> Result<NextArgs, NodeError> {
        self.read(move |reader| Ok(reader.next_args(&public_key, view_id.as_ref())?))
            .await
    }

    /// Every schema this node knows, system schemas included.
    pub async fn schemas(&self) -> Result<Vec<Schema>, NodeError> {
        self.read(|reader| Ok(reader.schemas().iter().cloned().collect()))
            .await
    }

    /// The current views of these documents, deleted or not; unknown ones are left out.
    pub async fn documents_by_id(
        &self,
        ids: Vec<DocumentId>,
    ) -> Result<HashMap<DocumentId, Document>, NodeError> {
        self.read(move |reader| Ok(reader.documents_by_id(&ids)?)).await
    }

    /// Documents at these views, where the document is not deleted; views that
    /// are unknown (or name operations of several documents) are left out.
    pub async fn live_document_views(
        &self,
        view_ids: Vec<DocumentViewId>,
    ) -> Result<HashMap<DocumentViewId, Document>, NodeError> {
        self.read(move |reader| {
            let mut found = HashMap::with_capacity(view_ids.len());
            for view_id in view_ids {
                if let Some(document) = reader.document_view(&view_id)? {
                    found.insert(view_id, document);
                }
            }
            let ids: Vec<DocumentId> = found.values().map(|document| document.id).collect();
            let current = reader.documents_by_id(&ids)?;
            found.retain(|_, document| {
                current
                    .get(&document.id)
                    .is_some_and(|current| !current.is_deleted())
            });
            Ok(found)
        })
        .await
    }

    /// The first live document of a schema with a field, by name and the
    /// operation that set it, that `matches`.
    pub async fn find_document(
        &self,
        schema_id: SchemaId,
        matches: impl Fn(&str, &OperationId) -> bool + Send + 'static,
    ) -> Result<Option<DocumentId>, NodeError> {
        self.read(move |reader| Ok(reader.find_document(&schema_id, matches)?))
            .await
    }

    /// Notes that the node `public_key` was reached at `address`, to dial it
    /// again after a restart.
    pub async fn remember_peer(
        &self,
        public_key: PublicKey,
        address: std::net::SocketAddr,
    ) -> Result<(), NodeError> {
        self.call(move |state| Ok(state.replica.remember_peer(&public_key, address)?))
            .await?
    }

    /// The nodes this one was last connected to, the most recent first.
    pub async fn remembered_peers(&self) -> Result<Vec<(PublicKey, std::net::SocketAddr)>, NodeError> {
        self.read(|reader| Ok(reader.remembered_peers()?)).await
    }

    /// For each of `asked` (a key group, a need, a schema), whether the
    /// key `key` has it now, directly or through a group.
    pub async fn key_may(
        &self,
        key: PublicKey,
        asked: Vec<(DocumentId, crate::auth::grants::Need, Option<SchemaId>)>,
    ) -> Result<Vec<bool>, NodeError> {
        self.read(move |reader| Ok(reader.key_may(key, &asked)?)).await
    }

    /// Who is in each of `groups` (in this order) and who asks to join it,
    /// as decided now.
    pub async fn key_group_people(
        &self,
        groups: Vec<DocumentId>,
    ) -> Result<Vec<crate::auth::grants::GroupPeople>, NodeError> {
        self.read(move |reader| Ok(reader.key_group_people(&groups)?))
            .await
    }

    /// Every log this node has, and how far it goes: what replication tells peers.
    pub async fn log_heights(&self) -> Result<Vec<LogHeight>, NodeError> {
        self.read(|reader| Ok(reader.log_heights()?)).await
    }

    /// Up to `limit` entries of a log after seq num `after`, in order, with
    /// their operations (`None` where pruned).
    pub async fn entries_after(
        &self,
        public_key: PublicKey,
        log_id: LogId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(EncodedEntry, Option<EncodedOperation>)>, NodeError> {
        self.read(move |reader| Ok(reader.entries_after(&public_key, log_id, after, limit)?))
            .await
    }

    /// Up to a number of entries of each log after a seq num, log by log,
    /// in one read.
    pub async fn entries_of_logs(
        &self,
        logs: Vec<(PublicKey, LogId, u64, usize)>,
    ) -> Result<Vec<(EncodedEntry, Option<EncodedOperation>)>, NodeError> {
        self.read(move |reader| {
            let mut entries = Vec::new();
            for (public_key, log_id, after, limit) in logs {
                entries.extend(reader.entries_after(&public_key, log_id, after, limit)?);
            }
            Ok(entries)
        })
        .await
    }

    /// Every log frozen by a fork (its author's key signed two entries at
    /// one seq num), and where.
    pub async fn forked_logs(&self) -> Result<Vec<ForkedLog>, NodeError> {
        self.read(|reader| Ok(reader.forked_logs()?)).await
    }

    /// The entries at these places, in this order, each with its operation
    /// (`None` where pruned); places with no entry are left out.
    pub async fn entries_at(
        &self,
        places: Vec<(PublicKey, LogId, SeqNum)>,
    ) -> Result<Vec<(EncodedEntry, Option<EncodedOperation>)>, NodeError> {
        self.read(move |reader| {
            let mut entries = Vec::with_capacity(places.len());
            for (public_key, log_id, seq_num) in places {
                entries.extend(reader.entries_after(&public_key, log_id, seq_num.get() - 1, 1)?);
            }
            Ok(entries)
        })
        .await
    }

    /// The entries that prove a fork, each with its operation (`None`
    /// where pruned).
    pub async fn fork_evidence(
        &self,
        fork: ForkedLog,
    ) -> Result<Vec<(EncodedEntry, Option<EncodedOperation>)>, NodeError> {
        self.read(move |reader| Ok(reader.fork_evidence(&fork)?)).await
    }

    /// Takes a batch of entries from the peer named `peer`, in one
    /// transaction: entries that arrive before what they need are held (see
    /// [`Replica::ingest_from_peer`]); an invalid one refuses the batch.
    /// Check the signatures where the entries arrive ([`CheckedEntry::check`]),
    /// off the one thread that writes.
    pub async fn ingest_from_peer(
        &self,
        peer: String,
        entries: Vec<CheckedEntry>,
    ) -> Result<Vec<Ingested>, NodeError> {
        self.call(move |state| {
            let mark = state.replica.schemas().learnt_count();
            let ingested = state.replica.ingest_checked_from_peer(&peer, &entries)?;
            let applied = ingested.iter().flat_map(|ingested| match ingested {
                Ingested::Applied(applied) => applied.as_slice(),
                _ => &[],
            });
            state.announce(mark, applied, Some(peer));
            Ok(ingested)
        })
        .await?
    }

    /// Counts up whenever the node learns a schema.
    pub fn schema_generation(&self) -> u64 {
        self.schema_generation.load(Ordering::Acquire)
    }

    /// Counts up with every commit to the node's store, once readers see it:
    /// an answer computed at one count is current while the count stays.
    pub fn commit_count(&self) -> u64 {
        self.commits.get()
    }

    /// Stops the node: finishes the work already sent, then closes the
    /// database. Whatever else holds the node gets [`NodeError::Stopped`]
    /// from then on; stopping it again does nothing.
    pub async fn stop(&self) -> Result<(), NodeError> {
        // Held until the thread has ended: a second caller waits for it too.
        let mut thread = self.thread.lock().await;
        let Some(running) = thread.take() else {
            return Ok(());
        };
        // The readers close first, so that the writer, closing last, folds
        // the write-ahead log into the database.
        self.reads.close().await;
        // If the thread is gone already (a panic), the join below tells.
        let _ = self.commands.send(Command::Stop);
        tokio::task::spawn_blocking(move || running.join())
            .await
            .map_err(|_| NodeError::Stopped)?
            .map_err(|_| NodeError::Stopped)?;
        Ok(())
    }

    /// Stops a node that other tasks may still hold (the API's, the
    /// replication's): waits up to `within` for them to let go, then stops
    /// it regardless, so that the store closes cleanly either way. Tells how
    /// many other handles were left.
    pub async fn stop_shared(node: Arc<Node>, within: Duration) -> Result<usize, NodeError> {
        let deadline = tokio::time::Instant::now() + within;
        // Handles go as their tasks end, which nothing announces: look often.
        while Arc::strong_count(&node) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(RELEASE_POLL).await;
        }
        let others = Arc::strong_count(&node) - 1;
        node.stop().await?;
        Ok(others)
    }
}

impl StoreThread {
    /// Takes commands until told to stop or every handle is gone;
    /// publishes that wait together are committed in one transaction.
    fn run(&mut self, inbox: &std_mpsc::Receiver<Command>) {
        let mut next = None;
        loop {
            let command = match next.take() {
                Some(command) => command,
                None => match inbox.recv() {
                    Ok(command) => command,
                    Err(_) => return,
                },
            };
            match command {
                Command::Work(work) => work(self),
                Command::Stop => return,
                Command::Publish(first) => {
                    let mut group = vec![*first];
                    while group.len() < MAX_PUBLISH_GROUP {
                        match inbox.try_recv() {
                            Ok(Command::Publish(request)) => group.push(*request),
                            // Other work keeps its place after the group.
                            Ok(other) => {
                                next = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.publish_group(group);
                }
            }
        }
    }

    fn publish_group(&mut self, group: Vec<PublishRequest>) {
        let mark = self.replica.schemas().learnt_count();
        let (entries, answers): (Vec<_>, Vec<_>) = group
            .into_iter()
            .map(|request| (request.checked, request.answer))
            .unzip();
        match self.replica.publish_many(&entries) {
            Ok(results) => {
                let applied = results
                    .iter()
                    .filter_map(|result| result.as_ref().ok().map(|(applied, _)| applied));
                self.announce(mark, applied, None);
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result.map_err(NodeError::from));
                }
            }
            Err(error) => {
                let message = error.to_string();
                for answer in answers {
                    let _ = answer.send(Err(NodeError::Store(StoreError::Failed(message.clone()))));
                }
            }
        }
    }

    /// Tells subscribers what a commit did (a document changed twice in one
    /// transaction shows its last view both times), replication what it
    /// stored (`applied`, which came from `from_peer`), and counts the schemas
    /// learnt since `mark`: in the order of the commits, since only this
    /// thread writes, and before the answers, so that whoever awaits one sees
    /// the new schema generation.
    fn announce<'a>(
        &mut self,
        mark: usize,
        applied: impl IntoIterator<Item = &'a Applied>,
        from_peer: Option<String>,
    ) {
        let learnt = self.replica.schemas().learnt_since(mark).to_vec();
        if !learnt.is_empty() {
            self.schema_generation.fetch_add(1, Ordering::Release);
        }
        let applied: Vec<&Applied> = applied.into_iter().collect();
        if !applied.is_empty() && self.stored.receiver_count() > 0 {
            let _ = self.stored.send(Arc::new(Stored {
                from_peer,
                entries: applied.iter().map(|applied| EntryPlace::of(applied)).collect(),
            }));
        }
        // The views, for subscribers, are only read when somebody listens.
        if self.events.receiver_count() > 0 {
            for id in applied.iter().map(|applied| applied.document_id) {
                // The change is committed whatever happens here.
                if let Ok(Some(document)) = self.replica.document(&id) {
                    let _ = self.events.send(NodeEvent::DocumentChanged(Arc::new(document)));
                }
            }
        }
        for schema in learnt {
            let _ = self.events.send(NodeEvent::SchemaAdded(schema));
        }
        self.follow_channels(&applied);
    }

    /// Runs `work`, which applies an entry, and announces what changed.
    fn applying(
        &mut self,
        work: impl FnOnce(&mut Self) -> Result<Applied, NodeError>,
    ) -> Result<Applied, NodeError> {
        let mark = self.replica.schemas().learnt_count();
        let applied = work(self)?;
        self.announce(mark, [&applied], None);
        Ok(applied)
    }

    /// The current view of a live document.
    fn current(&self, id: &DocumentId) -> Result<Document, NodeError> {
        let document = self
            .replica
            .document(id)?
            .ok_or(NodeError::DocumentNotFound(*id))?;
        if document.is_deleted() {
            return Err(NodeError::DocumentDeleted(*id));
        }
        Ok(document)
    }

    /// Signs `operation` as the next entry of this node's log for its document
    /// and ingests it like any other entry.
    fn publish_own(&mut self, operation: Operation) -> Result<Applied, NodeError> {
        if self.replica.schemas().get(&operation.schema_id).is_none() {
            return Err(NodeError::SchemaNotFound(operation.schema_id));
        }
        self.replica
            .publish_own(&self.key, |publisher| publisher.publish::<NodeError>(&operation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::{Hash, OperationId};

    /// Defines a schema `stage` with a name and a capacity through the node itself.
    async fn define_stage_schema(node: &Node) -> SchemaId {
        let mut fields = Vec::new();
        for (name, kind) in [("capacity", "int"), ("name", "str")] {
            let id = node
                .create(
                    SchemaId::SCHEMA_FIELD_DEFINITION_V1,
                    BTreeMap::from([
                        ("name".into(), Value::Str(name.into())),
                        ("type".into(), Value::Str(kind.into())),
                    ]),
                )
                .await
                .unwrap();
            fields.push(DocumentViewId::from(OperationId(*id.hash())));
        }
        let definition = node
            .create(
                SchemaId::SCHEMA_DEFINITION_V1,
                BTreeMap::from([
                    ("name".into(), Value::Str("stage".into())),
                    ("description".into(), Value::Str("A stage".into())),
                    ("fields".into(), Value::PinnedRelationList(fields)),
                ]),
            )
            .await
            .unwrap();
        SchemaId::application("stage", DocumentViewId::from(OperationId(*definition.hash()))).unwrap()
    }

    fn stage(name: &str, capacity: i64) -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("name".into(), Value::Str(name.into())),
            ("capacity".into(), Value::Int(capacity)),
        ])
    }

    #[tokio::test]
    async fn creates_updates_and_deletes_documents_signed_with_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
        let schema = define_stage_schema(&node).await;
        let mut events = node.subscribe();

        let id = node.create(schema.clone(), stage("Main", 500)).await.unwrap();
        let NodeEvent::DocumentChanged(created) = events.recv().await.unwrap() else {
            panic!("a change of the document");
        };
        assert_eq!((created.id, &created.schema_id), (id, &schema));
        let view = node
            .update(id, BTreeMap::from([("capacity".into(), Value::Int(800))]))
            .await
            .unwrap();
        let document = node.document(id).await.unwrap().unwrap();
        assert_eq!(document.view_id, view);
        assert_eq!(document.author, node.public_key());
        let fields = document.fields.unwrap();
        assert_eq!(fields["capacity"].value, Value::Int(800));
        assert_eq!(fields["name"].value, Value::Str("Main".into()));

        node.delete(id).await.unwrap();
        assert!(node.document(id).await.unwrap().unwrap().is_deleted());
        assert!(matches!(
            node.update(id, stage("x", 1)).await,
            Err(NodeError::DocumentDeleted(_))
        ));
        node.stop().await.unwrap();
    }

    #[tokio::test]
    async fn lists_documents_with_filters_order_and_cursors() {
        use crate::query::{Condition, Direction, Filter};
        let dir = tempfile::tempdir().unwrap();
        let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
        let schema = define_stage_schema(&node).await;
        for (index, name) in ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf"]
            .iter()
            .enumerate()
        {
            node.create(schema.clone(), stage(name, 100 * (7 - index as i64)))
                .await
                .unwrap();
        }
        let deleted = node.create(schema.clone(), stage("Gone", 1_000)).await.unwrap();
        node.delete(deleted).await.unwrap();

        // By capacity, smallest first, three at a time, only capacity >= 200.
        let mut query = DocumentQuery {
            filters: vec![Filter::field("capacity", Condition::Gte(Value::Int(200)))],
            order_by: Some(("capacity".into(), Direction::Ascending)),
            first: 3,
            ..DocumentQuery::default()
        };
        let mut names = Vec::new();
        loop {
            let page = node.documents(schema.clone(), query.clone()).await.unwrap();
            assert_eq!(page.total_count, 6);
            query.after = page.items.last().map(|document| document.id);
            names.extend(page.items.into_iter().map(
                |document| match &document.fields.unwrap()["name"].value {
                    Value::Str(name) => name.clone(),
                    other => panic!("{other:?}"),
                },
            ));
            if !page.has_next_page {
                break;
            }
        }
        assert_eq!(names, ["Foxtrot", "Echo", "Delta", "Charlie", "Bravo", "Alpha"]);

        let contains = DocumentQuery {
            filters: vec![Filter::field("name", Condition::Contains("o".into()))],
            order_by: Some(("name".into(), Direction::Descending)),
            ..DocumentQuery::default()
        };
        let page = node.documents(schema.clone(), contains).await.unwrap();
        let names: Vec<_> = page
            .items
            .iter()
            .map(|document| document.fields.as_ref().unwrap()["name"].value.clone())
            .collect();
        assert_eq!(
            names,
            [
                Value::Str("Golf".into()),
                Value::Str("Foxtrot".into()),
                Value::Str("Echo".into()),
                Value::Str("Bravo".into())
            ]
        );
        assert!(!page.has_next_page);
        node.stop().await.unwrap();
    }

    #[tokio::test]
    async fn serves_earlier_views_of_a_document() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
        let schema = define_stage_schema(&node).await;
        let id = node.create(schema, stage("Main", 500)).await.unwrap();
        let first_view = DocumentViewId::from(OperationId(*id.hash()));
        node.update(id, BTreeMap::from([("capacity".into(), Value::Int(900))]))
            .await
            .unwrap();
        let earlier = node.document_view(first_view.clone()).await.unwrap().unwrap();
        assert_eq!(earlier.view_id, first_view);
        assert_eq!(earlier.fields.unwrap()["capacity"].value, Value::Int(500));
        let unknown = DocumentViewId::from(OperationId(Hash::of(b"unknown")));
        assert!(node.document_view(unknown).await.unwrap().is_none());
        node.stop().await.unwrap();
    }

    #[tokio::test]
    async fn keeps_its_identity_and_data_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
        let public_key = node.public_key();
        let schema = define_stage_schema(&node).await;
        let id = node.create(schema, stage("Tent", 80)).await.unwrap();
        node.stop().await.unwrap();

        let node = Node::builder()
            .data_dir(dir.path())
            .durability(Durability::Full)
            .spawn()
            .await
            .unwrap();
        assert_eq!(node.public_key(), public_key);
        let document = node.document(id).await.unwrap().unwrap();
        assert_eq!(document.fields.unwrap()["name"].value, Value::Str("Tent".into()));
        node.stop().await.unwrap();
    }

    #[tokio::test]
    async fn a_shared_node_stops_once_the_others_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let node = Arc::new(Node::builder().data_dir(dir.path()).spawn().await.unwrap());
        let held = Arc::clone(&node);
        let letting_go = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(held);
        });
        let left = Node::stop_shared(node, Duration::from_secs(10)).await.unwrap();
        assert_eq!(left, 0);
        letting_go.await.unwrap();
    }

    #[tokio::test]
    async fn a_node_still_held_elsewhere_stops_and_closes_its_store_regardless() {
        let dir = tempfile::tempdir().unwrap();
        let node = Arc::new(Node::builder().data_dir(dir.path()).spawn().await.unwrap());
        let schema = define_stage_schema(&node).await;
        let id = node.create(schema.clone(), stage("Main", 500)).await.unwrap();
        // A reader is open beside the writer.
        assert!(node.document(id).await.unwrap().is_some());
        let held = Arc::clone(&node);

        let left = Node::stop_shared(node, Duration::from_millis(50)).await.unwrap();

        assert_eq!(left, 1);
        assert!(matches!(
            held.create(schema, stage("Late", 1)).await,
            Err(NodeError::Stopped)
        ));
        assert!(matches!(held.document(id).await, Err(NodeError::Stopped)));
        // Every connection closed: the write-ahead log is folded in and gone.
        assert!(!dir.path().join(format!("{DATABASE_FILE_NAME}-wal")).exists());
        // Stopping again does nothing.
        held.stop().await.unwrap();
        let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
        assert!(node.document(id).await.unwrap().is_some());
        node.stop().await.unwrap();
    }

    #[tokio::test]
    async fn refuses_unknown_schemas_and_documents() {
        let dir = tempfile::tempdir().unwrap();
        let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
        let unknown =
            SchemaId::application("ghost", DocumentViewId::from(OperationId(Hash::of(b"x")))).unwrap();
        assert!(matches!(
            node.create(unknown, stage("x", 1)).await,
            Err(NodeError::SchemaNotFound(_))
        ));
        let missing = DocumentId(Hash::of(b"nothing"));
        assert!(matches!(
            node.delete(missing).await,
            Err(NodeError::DocumentNotFound(_))
        ));
        assert!(node.document(missing).await.unwrap().is_none());
        node.stop().await.unwrap();
    }
}
