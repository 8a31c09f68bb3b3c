//! One sync session with a peer: both sides say which version they speak
//! and how far each of their logs goes, send each other what the other
//! lacks in log order, and say when they are done. What arrives goes
//! through ingest in batches, as any entry does: nothing a peer sends is
//! trusted.
//!
//! A log frozen by a fork (see [`crate::store::forks`]) travels up to the
//! entry before the fork, then its evidence: both entries at the fork.
//!
//! Not yet: a stream that stays open for live entries (a new session is
//! opened on each change, see [`super::peers`]), and entries whose operation
//! was pruned (refused for now).

use std::collections::{BTreeSet, HashMap};

use lineup_core::{AuthorKeys, EncodedEntry, EncodedOperation, LogId, PublicKey, SchemaId, SeqNum};

use super::transport::Connection;
use super::wire::{self, EntryBytes, LogHeight, Message, WireError};
use crate::node::{Node, NodeError};
use crate::replica::{CheckedEntry, Ingested};
use crate::store::forks::ForkedLog;

/// Entries per message and per ingest transaction...
pub const BATCH_ENTRIES: usize = 256;
/// ...and bytes of entries and operations per message, well below what a
/// receiver reads ([`wire::MAX_MESSAGE_BYTES`]).
pub const BATCH_BYTES: usize = 1024 * 1024;

/// The schemas a node replicates. Schema definitions always travel: a
/// node needs the definitions of the schemas it replicates, and they are
/// few; so do key groups, without which it cannot tell who may change what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Replicated {
    /// Every schema the node knows.
    #[default]
    Everything,
    /// These schemas only.
    Only(BTreeSet<SchemaId>),
}

impl Replicated {
    /// Whether entries of `schema` travel.
    pub fn contains(&self, schema: &SchemaId) -> bool {
        match self {
            _ if *schema == SchemaId::SCHEMA_DEFINITION_V1
                || *schema == SchemaId::SCHEMA_FIELD_DEFINITION_V1
                || crate::auth::schemas::key_group_schemas().contains(schema) =>
            {
                true
            }
            Replicated::Everything => true,
            Replicated::Only(schemas) => schemas.contains(schema),
        }
    }

    /// As `hello` says it.
    pub(super) fn announced(&self) -> Option<Vec<String>> {
        match self {
            Replicated::Everything => None,
            Replicated::Only(schemas) => Some(schemas.iter().map(SchemaId::to_string).collect()),
        }
    }

    /// What both this node and a peer that announced `theirs` replicate.
    pub(super) fn shared_with(&self, theirs: Option<Vec<String>>) -> Result<Replicated, ReplicationError> {
        let Some(theirs) = theirs else {
            return Ok(self.clone());
        };
        let theirs = theirs
            .iter()
            .map(|text| text.parse::<SchemaId>())
            .collect::<Result<BTreeSet<_>, _>>()
            .map_err(|error| ReplicationError::Protocol(format!("a schema id in hello: {error}")))?;
        Ok(Replicated::Only(match self {
            Replicated::Everything => theirs,
            Replicated::Only(mine) => mine.intersection(&theirs).cloned().collect(),
        }))
    }
}

/// Which side of the session's stream this node is. Either side of a
/// connection may open a session, whoever dialled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// This node opens the stream.
    Opener,
    /// This node takes the stream the peer opened.
    Acceptor,
}

/// Why a session ended early. The caller drops the connection: a peer that
/// sends what it should not gets nothing more.
#[derive(Debug, thiserror::Error)]
pub enum ReplicationError {
    /// A message could not be read or sent.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// This node failed, or refused what the peer sent.
    #[error("{0}")]
    Node(#[from] NodeError),
    /// The peer broke the protocol.
    #[error("the peer broke the protocol: {0}")]
    Protocol(String),
    /// The connection was lost.
    #[error("connection: {0}")]
    Connection(String),
}

/// What a session did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SyncReport {
    /// Entries sent to the peer.
    pub sent: usize,
    /// Entries received from it.
    pub received: usize,
    /// Received entries applied here (with held ones they released).
    pub applied: usize,
    /// Received entries held until what they need arrives.
    pub held: usize,
    /// Received entries this node had already (another session sent them).
    pub already_known: usize,
    /// Received entries kept as evidence of a fork.
    pub forks: usize,
    /// Received entries of logs frozen here at or before them: not taken.
    pub frozen: usize,
}

impl SyncReport {
    /// Counts what became of received entries.
    pub(super) fn tally(&mut self, ingested: Vec<Ingested>) {
        for ingested in ingested {
            match ingested {
                Ingested::Applied(applied) => self.applied += applied.len(),
                Ingested::Held(_) => self.held += 1,
                Ingested::AlreadyKnown => self.already_known += 1,
                Ingested::Fork(_) => self.forks += 1,
                Ingested::Frozen => self.frozen += 1,
            }
        }
    }
}

/// How a session or a live stream is going, as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A session compared heights: the entries the peer has that this node
    /// lacks, and the other way round.
    Compared {
        /// Entries to receive.
        behind: u64,
        /// Entries to send.
        ahead: u64,
    },
    /// A message of entries went out.
    Sent {
        /// How many.
        entries: usize,
        /// On a live stream rather than in a session.
        live: bool,
    },
    /// A message of entries was stored (or found known).
    Received {
        /// How many.
        entries: usize,
        /// How many of them were new here.
        new: usize,
        /// On a live stream rather than in a session.
        live: bool,
    },
}

/// Told of each step of a session or live stream.
pub type Observer<'a> = &'a (dyn Fn(Progress) + Sync);

/// Syncs with the peer at the other end of `connection`, both ways, once.
pub async fn sync(
    node: &Node,
    connection: &Connection,
    role: Role,
    replicated: &Replicated,
) -> Result<SyncReport, ReplicationError> {
    sync_observed(node, connection, role, replicated, &|_| {}).await
}

/// [`sync`], telling `progress` how it goes.
pub async fn sync_observed(
    node: &Node,
    connection: &Connection,
    role: Role,
    replicated: &Replicated,
    progress: Observer<'_>,
) -> Result<SyncReport, ReplicationError> {
    let quic = connection.quic();
    match role {
        Role::Opener => {
            let stream = quic.open_bi().await.map_err(connection_error)?;
            session(node, connection, replicated, stream, None, progress).await
        }
        Role::Acceptor => {
            let (send, mut receive) = quic.accept_bi().await.map_err(connection_error)?;
            let hello = expect(&mut receive).await?;
            session(
                node,
                connection,
                replicated,
                (send, receive),
                Some(hello),
                progress,
            )
            .await
        }
    }
}

pub(super) fn connection_error(error: impl std::fmt::Display) -> ReplicationError {
    ReplicationError::Connection(error.to_string())
}

/// A sync session on a stream, after the peer's hello if it was read.
pub(super) async fn session(
    node: &Node,
    connection: &Connection,
    replicated: &Replicated,
    (send, mut receive): (quinn::SendStream, quinn::RecvStream),
    their_hello: Option<Message>,
    progress: Observer<'_>,
) -> Result<SyncReport, ReplicationError> {
    let mut outgoing = Outgoing::new(send, progress, false);
    let hello = Message::Hello {
        version: wire::VERSION,
        schemas: replicated.announced(),
    };
    wire::write(&mut outgoing.stream, &hello).await?;
    let their_hello = match their_hello {
        Some(hello) => hello,
        None => expect(&mut receive).await?,
    };
    let shared = match their_hello {
        Message::Hello { version, schemas } if version == wire::VERSION => replicated.shared_with(schemas)?,
        Message::Hello { version, .. } => {
            return Err(ReplicationError::Protocol(format!("speaks version {version}")))
        }
        other => return Err(unexpected(&other)),
    };
    let mine: Vec<_> = node
        .log_heights()
        .await?
        .into_iter()
        .filter(|log| shared.contains(&log.schema_id) && !node.is_demo_key(&log.public_key))
        .collect();
    let heights = mine
        .iter()
        .map(|log| LogHeight {
            author: log.public_key.as_bytes().to_vec(),
            log_id: log.log_id.0,
            seq_num: log.seq_num.get(),
            frozen_at: log.frozen_at.map(SeqNum::get),
        })
        .collect();
    // Written and read at once: with many logs, two sides that both wrote
    // first would both wait for the other to read.
    let (_, theirs) = tokio::try_join!(
        async {
            wire::write(&mut outgoing.stream, &Message::Heights { logs: heights })
                .await
                .map_err(ReplicationError::from)
        },
        async {
            match expect(&mut receive).await? {
                Message::Heights { logs } => heights_by_log(logs),
                other => Err(unexpected(&other)),
            }
        }
    )?;
    let announced = announced_entries(&mine, &theirs);
    progress(compare(&mine, &theirs));

    let sending = async {
        send_missing(node, &mine, &theirs, &mut outgoing).await?;
        wire::write(&mut outgoing.stream, &Message::Synced).await?;
        outgoing.stream.finish().map_err(connection_error)?;
        Ok::<_, ReplicationError>(outgoing.outbox.sent)
    };
    let receiving = async move {
        // Signatures are checked as batches arrive, while the store writes
        // the batch before: two batches in flight at most.
        let (checked_batches, mut to_ingest) = tokio::sync::mpsc::channel::<Vec<CheckedEntry>>(2);
        let reading = async move {
            let mut received = 0;
            loop {
                match expect(&mut receive).await? {
                    Message::Entries { entries } => {
                        received += entries.len();
                        if received as u64 > announced {
                            return Err(ReplicationError::Protocol(format!(
                                "{received} entries, more than its heights announced ({announced})"
                            )));
                        }
                        let batch = checked(entries, &shared).await?;
                        if checked_batches.send(batch).await.is_err() {
                            // Ingest stopped; its error ends the session.
                            break;
                        }
                    }
                    Message::Synced => break,
                    other => return Err(unexpected(&other)),
                }
            }
            Ok(received)
        };
        let ingesting = async {
            let mut report = SyncReport::default();
            let peer = connection.peer().to_string();
            while let Some(batch) = to_ingest.recv().await {
                store_batch(node, &peer, batch, false, progress, &mut report).await?;
            }
            Ok::<_, ReplicationError>(report)
        };
        let (received, report) = tokio::try_join!(reading, ingesting)?;
        Ok(SyncReport { received, ..report })
    };
    let (sent, report) = tokio::try_join!(sending, receiving)?;
    Ok(SyncReport { sent, ..report })
}

/// Stores a checked batch from `peer`, counting what became of it in
/// `report` and telling `progress`.
pub(super) async fn store_batch(
    node: &Node,
    peer: &str,
    batch: Vec<CheckedEntry>,
    live: bool,
    progress: Observer<'_>,
    report: &mut SyncReport,
) -> Result<(), ReplicationError> {
    let entries = batch.len();
    let known_before = report.already_known;
    report.tally(node.ingest_from_peer(peer.to_owned(), batch).await?);
    progress(Progress::Received {
        entries,
        new: entries - (report.already_known - known_before),
        live,
    });
    Ok(())
}

/// The last seq num of a log that travels: nothing from a fork on does but
/// its evidence, since no node that knows of the fork takes it.
fn sendable(height: u64, own_fork: Option<u64>, their_fork: Option<u64>) -> u64 {
    match own_fork.into_iter().chain(their_fork).min() {
        Some(fork) => height.min(fork - 1),
        None => height,
    }
}

/// How far apart the two sides are, by the heights they exchanged.
fn compare(
    mine: &[crate::store::logs::LogHeight],
    theirs: &HashMap<(PublicKey, LogId), TheirLog>,
) -> Progress {
    let mut heights: HashMap<(PublicKey, LogId), (u64, Option<u64>)> = HashMap::new();
    let mut ahead = 0;
    for log in mine {
        let own_fork = log.frozen_at.map(SeqNum::get);
        let their = theirs
            .get(&(log.public_key, log.log_id))
            .copied()
            .unwrap_or_default();
        ahead += sendable(log.seq_num.get(), own_fork, their.frozen_at).saturating_sub(their.height);
        heights.insert((log.public_key, log.log_id), (log.seq_num.get(), own_fork));
    }
    let behind = theirs
        .iter()
        .map(|(log, their)| {
            let (height, own_fork) = heights.get(log).copied().unwrap_or((0, None));
            sendable(their.height, their.frozen_at, own_fork).saturating_sub(height)
        })
        .sum();
    Progress::Compared { behind, ahead }
}

/// Sends, log by log, what the peer lacks by its heights, then the evidence
/// of the forks it does not know of.
async fn send_missing(
    node: &Node,
    mine: &[crate::store::logs::LogHeight],
    theirs: &HashMap<(PublicKey, LogId), TheirLog>,
    outgoing: &mut Outgoing<'_>,
) -> Result<(), ReplicationError> {
    // Short logs are read together, a batch's worth at a time (a festival
    // has many documents edited a few times each); a long one is paged
    // through on its own.
    let mut short: Vec<(PublicKey, LogId, u64, usize)> = Vec::new();
    let mut short_entries = 0;
    let mut evidence = Vec::new();
    for log in mine {
        let their = theirs
            .get(&(log.public_key, log.log_id))
            .copied()
            .unwrap_or_default();
        let own_fork = log.frozen_at.map(SeqNum::get);
        let up_to = sendable(log.seq_num.get(), own_fork, their.frozen_at);
        if let Some(frozen_at) = log.frozen_at {
            if their.frozen_at.is_none_or(|theirs| theirs > frozen_at.get()) {
                evidence.push(ForkedLog {
                    public_key: log.public_key,
                    log_id: log.log_id,
                    seq_num: frozen_at,
                });
            }
        }
        let after = their.height;
        let missing = up_to.saturating_sub(after) as usize;
        if missing == 0 {
            continue;
        }
        if missing > BATCH_ENTRIES {
            send_log(node, log.public_key, log.log_id, after, up_to, outgoing).await?;
            continue;
        }
        if short_entries + missing > BATCH_ENTRIES {
            outgoing
                .post(node.entries_of_logs(std::mem::take(&mut short)).await?)
                .await?;
            short_entries = 0;
        }
        short.push((log.public_key, log.log_id, after, missing));
        short_entries += missing;
    }
    if !short.is_empty() {
        outgoing.post(node.entries_of_logs(short).await?).await?;
    }
    // After every log: the entries before each fork went first.
    for fork in evidence {
        outgoing.post(node.fork_evidence(fork).await?).await?;
    }
    outgoing.flush().await
}

/// Sends a log's entries after seq num `after`, up to `up_to`, a batch at a time.
async fn send_log(
    node: &Node,
    public_key: PublicKey,
    log_id: LogId,
    mut after: u64,
    up_to: u64,
    outgoing: &mut Outgoing<'_>,
) -> Result<(), ReplicationError> {
    while after < up_to {
        let limit = BATCH_ENTRIES.min((up_to - after) as usize);
        let batch = node.entries_after(public_key, log_id, after, limit).await?;
        if batch.is_empty() {
            break;
        }
        after += batch.len() as u64;
        outgoing.post(batch).await?;
    }
    Ok(())
}

/// Entries on their way to the peer: gathered into messages, written, and
/// told to the observer.
pub(super) struct Outgoing<'a> {
    pub(super) stream: quinn::SendStream,
    pub(super) outbox: Outbox,
    progress: Observer<'a>,
    live: bool,
}

impl<'a> Outgoing<'a> {
    pub(super) fn new(stream: quinn::SendStream, progress: Observer<'a>, live: bool) -> Self {
        Self {
            stream,
            outbox: Outbox::default(),
            progress,
            live,
        }
    }

    /// Puts entries in the outbox, sending each message as it fills.
    pub(super) async fn post(
        &mut self,
        entries: Vec<(EncodedEntry, Option<EncodedOperation>)>,
    ) -> Result<(), ReplicationError> {
        for (entry, operation) in entries {
            let entry = EntryBytes {
                entry: entry.as_bytes().to_vec(),
                operation: operation.map(|operation| operation.as_bytes().to_vec()),
            };
            if let Some(message) = self.outbox.add(entry) {
                self.write(message).await?;
            }
        }
        Ok(())
    }

    /// Sends what is left in the outbox.
    pub(super) async fn flush(&mut self) -> Result<(), ReplicationError> {
        match self.outbox.rest() {
            Some(message) => self.write(message).await,
            None => Ok(()),
        }
    }

    async fn write(&mut self, entries: Vec<EntryBytes>) -> Result<(), ReplicationError> {
        let count = entries.len();
        wire::write(&mut self.stream, &Message::Entries { entries }).await?;
        (self.progress)(Progress::Sent {
            entries: count,
            live: self.live,
        });
        Ok(())
    }
}

/// Entries on their way out, gathered into messages of at most
/// [`BATCH_ENTRIES`] entries and [`BATCH_BYTES`] bytes whatever logs they come
/// from (an entry longer than that goes alone): a peer with many short logs
/// gets few messages, and large operations never reach the receiver's limit.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    entries: Vec<EntryBytes>,
    bytes: usize,
    /// Entries handed out in messages so far.
    pub(super) sent: usize,
}

impl Outbox {
    /// Adds `entry`; gives the message to send first when it does not fit.
    fn add(&mut self, entry: EntryBytes) -> Option<Vec<EntryBytes>> {
        let size = entry.entry.len() + entry.operation.as_ref().map_or(0, Vec::len);
        let full = self.entries.len() == BATCH_ENTRIES || self.bytes + size > BATCH_BYTES;
        let ready = if full { self.rest() } else { None };
        self.bytes += size;
        self.entries.push(entry);
        ready
    }

    /// What is left to send.
    fn rest(&mut self) -> Option<Vec<EntryBytes>> {
        if self.entries.is_empty() {
            return None;
        }
        self.bytes = 0;
        self.sent += self.entries.len();
        Some(std::mem::take(&mut self.entries))
    }
}

/// A batch as it arrived, its signatures checked on a blocking thread.
pub(super) async fn checked(
    entries: Vec<EntryBytes>,
    shared: &Replicated,
) -> Result<Vec<CheckedEntry>, ReplicationError> {
    if entries.len() > BATCH_ENTRIES {
        return Err(ReplicationError::Protocol(format!(
            "a batch of {} entries",
            entries.len()
        )));
    }
    let pairs = entries
        .into_iter()
        .map(|sent| match sent.operation {
            Some(operation) => Ok((
                EncodedEntry::from_bytes(sent.entry),
                EncodedOperation::from_bytes(operation),
            )),
            None => Err(ReplicationError::Protocol(
                "an entry without its operation (pruned entries are not taken yet)".into(),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    for (_, operation) in &pairs {
        // One that does not decode is refused by ingest, with its reason.
        if let Ok(plain) = operation.decode() {
            if !shared.contains(&plain.schema_id) {
                return Err(ReplicationError::Protocol(format!(
                    "an entry of {}, which is not replicated here",
                    plain.schema_id
                )));
            }
        }
    }
    tokio::task::spawn_blocking(move || {
        let mut keys = AuthorKeys::default();
        pairs
            .into_iter()
            .map(|(entry, operation)| CheckedEntry::check_with(entry, operation, &mut keys))
            .collect()
    })
    .await
    .map_err(|error| ReplicationError::Connection(format!("checking signatures failed: {error}")))
}

/// The next message; the stream ending here breaks the protocol.
pub(super) async fn expect(receive: &mut quinn::RecvStream) -> Result<Message, ReplicationError> {
    wire::read(receive)
        .await?
        .ok_or_else(|| ReplicationError::Protocol("the stream ended early".into()))
}

pub(super) fn unexpected(message: &Message) -> ReplicationError {
    let kind = match message {
        Message::Hello { .. } => "hello",
        Message::Heights { .. } => "heights",
        Message::Entries { .. } => "entries",
        Message::Synced => "synced",
        Message::Live { .. } => "live",
    };
    ReplicationError::Protocol(format!("an unexpected {kind} message"))
}

/// Fork evidence a peer may send for each fork it announces that this node
/// has not frozen as early: both entries, and a few more should the key
/// have signed more than two.
const EVIDENCE_PER_FORK: u64 = 8;

/// The most entries a peer may send in a session: what its heights say it
/// has beyond ours, and the evidence of its forks. More is a flood.
fn announced_entries(
    mine: &[crate::store::logs::LogHeight],
    theirs: &HashMap<(PublicKey, LogId), TheirLog>,
) -> u64 {
    let mine: HashMap<(PublicKey, LogId), (u64, Option<u64>)> = mine
        .iter()
        .map(|log| {
            let frozen_at = log.frozen_at.map(SeqNum::get);
            ((log.public_key, log.log_id), (log.seq_num.get(), frozen_at))
        })
        .collect();
    theirs
        .iter()
        .map(|(log, their)| {
            let (height, frozen_at) = mine.get(log).copied().unwrap_or((0, None));
            let evidence = match (their.frozen_at, frozen_at) {
                (Some(theirs), Some(ours)) if ours <= theirs => 0,
                (Some(_), _) => EVIDENCE_PER_FORK,
                (None, _) => 0,
            };
            their.height.saturating_sub(height).saturating_add(evidence)
        })
        .fold(0, u64::saturating_add)
}

/// How far a peer has one log.
#[derive(Debug, Clone, Copy, Default)]
struct TheirLog {
    height: u64,
    frozen_at: Option<u64>,
}

fn heights_by_log(logs: Vec<LogHeight>) -> Result<HashMap<(PublicKey, LogId), TheirLog>, ReplicationError> {
    logs.into_iter()
        .map(|log| {
            let author = <[u8; 32]>::try_from(log.author.as_slice())
                .map_err(|_| ReplicationError::Protocol("an author of other than 32 bytes".into()))?;
            if log.frozen_at == Some(0) {
                return Err(ReplicationError::Protocol("a log frozen at seq num 0".into()));
            }
            // Only compared with keys this node holds: not checked as a point.
            Ok((
                (PublicKey::from_checked_bytes(author), LogId(log.log_id)),
                TheirLog {
                    height: log.seq_num,
                    frozen_at: log.frozen_at,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: usize) -> EntryBytes {
        EntryBytes {
            entry: vec![0; 100],
            operation: Some(vec![0; size - 100]),
        }
    }

    fn messages(entries: impl IntoIterator<Item = EntryBytes>) -> Vec<usize> {
        let mut outbox = Outbox::default();
        let mut sizes: Vec<usize> = entries
            .into_iter()
            .filter_map(|entry| outbox.add(entry))
            .map(|message| message.len())
            .collect();
        sizes.extend(outbox.rest().map(|message| message.len()));
        sizes
    }

    #[test]
    fn messages_stay_under_both_limits() {
        assert_eq!(messages((0..10).map(|_| entry(300_000))), [3, 3, 3, 1]);
        // One longer than the limit travels alone.
        assert_eq!(
            messages([entry(1_000), entry(2 * BATCH_BYTES), entry(1_000)]),
            [1, 1, 1]
        );
        assert_eq!(messages((0..600).map(|_| entry(200))), [256, 256, 88]);
        assert!(messages([]).is_empty());
    }

    #[test]
    fn definitions_and_key_groups_travel_whatever_a_node_replicates() {
        let nothing_else = Replicated::Only(BTreeSet::new());
        let key_groups = crate::auth::schemas::key_group_schemas();
        for schema in [
            &SchemaId::SCHEMA_DEFINITION_V1,
            &SchemaId::SCHEMA_FIELD_DEFINITION_V1,
            &key_groups.key_group,
            &key_groups.request,
            &key_groups.membership,
        ] {
            assert!(nothing_else.contains(schema), "{schema}");
        }
    }

    #[test]
    fn heights_name_real_authors_and_forks() {
        let height = |author: Vec<u8>, frozen_at| LogHeight {
            author,
            log_id: 0,
            seq_num: 5,
            frozen_at,
        };
        let read = heights_by_log(vec![height(vec![7; 32], Some(3))]).unwrap();
        assert_eq!(read.values().next().unwrap().frozen_at, Some(3));
        assert!(heights_by_log(vec![height(vec![7; 31], None)]).is_err());
        // No log has a seq num 0 to be frozen at.
        assert!(heights_by_log(vec![height(vec![7; 32], Some(0))]).is_err());
    }

    #[test]
    fn a_peer_may_send_what_it_has_beyond_ours_and_the_evidence_of_its_forks() {
        let author = PublicKey::from_checked_bytes([7; 32]);
        let ours = |seq_num: u64, frozen_at: Option<u64>| crate::store::logs::LogHeight {
            public_key: author,
            log_id: LogId(0),
            schema_id: SchemaId::SCHEMA_DEFINITION_V1,
            seq_num: SeqNum::new(seq_num).unwrap(),
            frozen_at: frozen_at.and_then(SeqNum::new),
        };
        let theirs = |height: u64, frozen_at: Option<u64>| {
            HashMap::from([((author, LogId(0)), TheirLog { height, frozen_at })])
        };
        assert_eq!(announced_entries(&[ours(3, None)], &theirs(10, None)), 7);
        assert_eq!(announced_entries(&[ours(12, None)], &theirs(10, None)), 0);
        assert_eq!(announced_entries(&[], &theirs(10, None)), 10);
        assert_eq!(
            announced_entries(&[ours(3, None)], &theirs(10, Some(5))),
            7 + EVIDENCE_PER_FORK
        );
        // A fork this node froze as early already: no evidence to send.
        assert_eq!(announced_entries(&[ours(3, Some(2))], &theirs(10, Some(5))), 7);
    }
}
