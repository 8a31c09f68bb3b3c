//! Keeps this node in sync with its peers. It accepts any node that dials
//! in, dials the peers it was given, those discovery finds on the LAN and
//! those it was connected to before (remembered in the store), redialling
//! with backoff, and not while a connection to that node is open. On every
//! connection each side streams what it stores to the other as it commits
//! it, so edits reach peers within moments; sync sessions (at the start,
//! every half minute, and when a live stream falls behind) catch up on
//! anything else.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lineup_core::PublicKey;

use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::discovery::Neighbours;
use super::live::{self, Taken};
use super::replication::{sync_observed, Progress, Replicated, ReplicationError, Role, SyncReport};
use super::status::SyncStatus;
use super::transport::{Connection, Transport};
use crate::node::Node;

/// Each side opens a session this often, to catch up on whatever the live
/// streams missed.
const RESYNC: Duration = Duration::from_secs(30);
/// Sessions a peer may open at once on a connection...
const SESSION_BURST: u32 = 10;
/// ...and one more every this long.
const SESSION_REFILL: Duration = Duration::from_millis(500);
/// A node opens its sessions at least this far apart.
const MIN_SESSION_GAP: Duration = Duration::from_secs(1);
/// How often a dialler checks whether a connection the other way has ended.
const RECHECK: Duration = Duration::from_secs(5);
/// Waits between dial attempts start here...
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// ...and grow up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// At most this many nodes that dialled in are served at once.
const MAX_ACCEPTED: usize = 64;
/// Two nodes find each other on the LAN at about the same moment; the one
/// with the higher key waits this long before dialling, so that usually a
/// single connection (the other's) serves both.
const DIAL_SECOND: Duration = Duration::from_secs(2);

/// Asks a running [`Peers`] to dial one more peer (the UI's "add a peer",
/// for networks where nodes cannot find each other).
#[derive(Debug, Clone)]
pub struct Dialler(tokio::sync::mpsc::Sender<Vec<SocketAddr>>);

impl Dialler {
    /// Starts dialling `address`, and keeps at it; false if replication has
    /// stopped or too many requests are waiting.
    pub fn dial(&self, address: SocketAddr) -> bool {
        self.dial_any(vec![address])
    }

    /// Starts dialling one node at `addresses` (a peer code's: the node's
    /// interfaces), all at once, keeping the connection of the first that
    /// answers, and keeps at it; false if replication has stopped or too
    /// many requests are waiting.
    pub fn dial_any(&self, addresses: Vec<SocketAddr>) -> bool {
        !addresses.is_empty() && self.0.try_send(addresses).is_ok()
    }
}

/// The node's replication: running until [`Peers::stop`].
#[derive(Debug)]
pub struct Peers {
    session: Session,
    transport: Arc<Transport>,
    dialler: Dialler,
    /// Accepting, and dialling each peer.
    tasks: JoinSet<()>,
    /// The connections of nodes that dialled in.
    accepted: Arc<tokio::sync::Mutex<JoinSet<()>>>,
    status: SyncStatus,
}

impl Peers {
    /// Starts accepting on `transport` and dialling `dial`, replicating the
    /// `replicated` schemas.
    pub fn start(
        node: Arc<Node>,
        transport: Transport,
        dial: Vec<SocketAddr>,
        replicated: Replicated,
    ) -> Self {
        let transport = Arc::new(transport);
        let status = SyncStatus::default();
        let session = Session {
            node,
            replicated: Arc::new(replicated),
            status: status.clone(),
        };
        let accepted = Arc::new(tokio::sync::Mutex::new(JoinSet::new()));
        let mut tasks = JoinSet::new();
        tasks.spawn(accept(
            session.clone(),
            Arc::clone(&transport),
            Arc::clone(&accepted),
        ));
        tasks.spawn(dial_remembered(
            session.clone(),
            Arc::clone(&transport),
            dial.clone(),
        ));
        let (requests, asked) = tokio::sync::mpsc::channel(16);
        tasks.spawn(dial_on_request(session.clone(), Arc::clone(&transport), asked));
        for address in dial {
            tasks.spawn(keep_dialling(
                session.clone(),
                Arc::clone(&transport),
                vec![address],
                None,
            ));
        }
        Self {
            session,
            transport,
            dialler: Dialler(requests),
            tasks,
            accepted,
            status,
        }
    }

    /// Dials the nodes that discovery finds, each for as long as it is
    /// announced.
    pub fn dial_neighbours(&mut self, neighbours: watch::Receiver<Neighbours>) {
        self.tasks.spawn(dial_neighbours(
            self.session.clone(),
            Arc::clone(&self.transport),
            neighbours,
        ));
    }

    /// Dials more peers while running.
    pub fn dialler(&self) -> Dialler {
        self.dialler.clone()
    }

    /// How replication stands, kept up to date.
    pub fn status(&self) -> SyncStatus {
        self.status.clone()
    }

    /// Where other nodes reach this one.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.transport.local_addr()
    }

    /// Closes every connection and ends every task; once it returns, none
    /// holds the node any more.
    pub async fn stop(mut self) {
        self.transport.close();
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        let mut accepted = self.accepted.lock().await;
        accepted.abort_all();
        while accepted.join_next().await.is_some() {}
    }
}

/// What every connection's sessions share.
#[derive(Debug, Clone)]
struct Session {
    node: Arc<Node>,
    replicated: Arc<Replicated>,
    status: SyncStatus,
}

impl Session {
    /// Notes a new connection in the status, and the peer in the store.
    async fn connected(&self, connection: &Connection, address: SocketAddr) {
        self.status.connected(connection.peer(), address);
        if let Err(error) = self.node.remember_peer(connection.peer(), address).await {
            tracing::warn!("cannot remember peer {}: {error}", connection.peer());
        }
    }
}

/// Takes nodes that dial in, each handshake and connection on a task of
/// its own (kept in `accepted`), as many as [`MAX_ACCEPTED`] at once.
async fn accept(session: Session, transport: Arc<Transport>, accepted: Arc<tokio::sync::Mutex<JoinSet<()>>>) {
    while let Some(incoming) = transport.accept().await {
        let mut accepted = accepted.lock().await;
        while accepted.try_join_next().is_some() {}
        if accepted.len() >= MAX_ACCEPTED {
            incoming.refuse();
            continue;
        }
        let session = session.clone();
        accepted.spawn(async move {
            // A node that fails its handshake is simply not served.
            if let Ok(connection) = incoming.handshake().await {
                // A node dials from the socket it listens on: this address reaches it.
                session
                    .connected(&connection, connection.quic().remote_address())
                    .await;
                serve(session, connection, Opens::Later).await;
            }
        });
    }
}

/// Dials the peers this node was connected to before (those not given by
/// address anyway), each expected to show the key it showed then.
async fn dial_remembered(session: Session, transport: Arc<Transport>, given: Vec<SocketAddr>) {
    let remembered = match session.node.remembered_peers().await {
        Ok(remembered) => remembered,
        Err(error) => {
            tracing::warn!("cannot read the remembered peers: {error}");
            return;
        }
    };
    // Polled here rather than spawned, so that stopping this task stops them.
    futures_util::future::join_all(
        remembered
            .into_iter()
            .filter(|(_, address)| !given.contains(address))
            .map(|(key, address)| {
                keep_dialling(session.clone(), Arc::clone(&transport), vec![address], Some(key))
            }),
    )
    .await;
}

/// Dials the nodes asked for through a [`Dialler`], each until stopped.
async fn dial_on_request(
    session: Session,
    transport: Arc<Transport>,
    mut asked: tokio::sync::mpsc::Receiver<Vec<SocketAddr>>,
) {
    // Polled here rather than spawned, so that stopping this task stops them.
    let mut dialling = futures_util::stream::FuturesUnordered::new();
    let mut addresses = std::collections::HashSet::new();
    loop {
        tokio::select! {
            address = asked.recv() => match address {
                Some(node) if addresses.insert(node.clone()) => {
                    dialling.push(keep_dialling(session.clone(), Arc::clone(&transport), node, None));
                }
                Some(_) => {}
                None => return,
            },
            Some(()) = dialling.next() => {}
        }
    }
}

/// Keeps a connection open to the node at `addresses` (one, or a peer
/// code's); once the connection ends, dials again, after a while.
async fn keep_dialling(
    session: Session,
    transport: Arc<Transport>,
    addresses: Vec<SocketAddr>,
    expected: Option<PublicKey>,
) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        if expected.is_some_and(|key| session.status.is_connected(key)) {
            // It dialled in, or was found at another address.
            tokio::time::sleep(RECHECK).await;
            continue;
        }
        // Quickly again only after a connection that synced: a peer that
        // fails every session is not hammered.
        if dial(&session, &transport, &addresses, expected).await == Some(true) {
            backoff = FIRST_BACKOFF;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Dials a node once at `addresses` (expecting the node `expected`, if
/// given) and syncs with it until the connection breaks: whether a session
/// went through, or `None` if it could not be reached (noted in the
/// status). Several addresses (one node's interfaces) are dialled at once,
/// and the first to answer is kept: a dead one takes the whole handshake
/// timeout to fail.
async fn dial(
    session: &Session,
    transport: &Transport,
    addresses: &[SocketAddr],
    expected: Option<PublicKey>,
) -> Option<bool> {
    let mut attempts: futures_util::stream::FuturesUnordered<_> = addresses
        .iter()
        .map(|address| async move { (*address, transport.connect(*address, expected).await) })
        .collect();
    while let Some((address, attempt)) = attempts.next().await {
        match attempt {
            Ok(connection) => {
                // The node answered: its other addresses do not matter now.
                drop(attempts);
                for other in addresses {
                    session.status.forget_unreachable(*other);
                }
                session.connected(&connection, address).await;
                return Some(serve(session.clone(), connection, Opens::AtOnce).await);
            }
            Err(error) => {
                tracing::debug!("cannot reach {address}: {error}");
                session.status.unreachable_at(address, error.to_string());
            }
        }
    }
    None
}

/// Follows each node in `neighbours` while it is there.
async fn dial_neighbours(
    session: Session,
    transport: Arc<Transport>,
    mut neighbours: watch::Receiver<Neighbours>,
) {
    // Polled here rather than spawned, so that stopping this task stops them.
    let mut following = futures_util::stream::FuturesUnordered::new();
    let mut keys = HashSet::new();
    loop {
        let found: Vec<PublicKey> = neighbours.borrow_and_update().keys().copied().collect();
        for key in found {
            if keys.insert(key) {
                following.push(follow_neighbour(
                    session.clone(),
                    Arc::clone(&transport),
                    key,
                    neighbours.clone(),
                ));
            }
        }
        tokio::select! {
            changed = neighbours.changed() => if changed.is_err() {
                return; // Discovery stopped.
            },
            Some(key) = following.next() => {
                keys.remove(&key);
            }
        }
    }
}

/// Keeps a connection to the neighbour `key` open while discovery lists it,
/// trying each address it announces; returns `key` once it is gone.
async fn follow_neighbour(
    session: Session,
    transport: Arc<Transport>,
    key: PublicKey,
    neighbours: watch::Receiver<Neighbours>,
) -> PublicKey {
    if session.node.public_key().as_bytes() > key.as_bytes() {
        tokio::time::sleep(DIAL_SECOND).await;
    }
    let mut backoff = FIRST_BACKOFF;
    let mut tried = HashSet::new();
    loop {
        let Some(addresses) = neighbours.borrow().get(&key).cloned() else {
            for address in tried {
                session.status.forget_unreachable(address);
            }
            return key;
        };
        if !session.status.is_connected(key) {
            for address in addresses {
                tried.insert(address);
                if let Some(synced) = dial(&session, &transport, &[address], Some(key)).await {
                    if synced {
                        backoff = FIRST_BACKOFF;
                    }
                    break;
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// When a side of a connection opens its first session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opens {
    /// The dialler, at once: its first session brings both sides up to date.
    AtOnce,
    /// The side that was dialled, after [`RESYNC`]: two first sessions at
    /// once would send everything twice.
    Later,
}

/// Sessions a peer may still open on a connection: [`SESSION_BURST`] at
/// once, and one more every [`SESSION_REFILL`]. A node opens one at the
/// start, every [`RESYNC`] and when its live stream fell behind; a peer
/// that opens them in a loop is disconnected.
struct SessionBudget {
    left: u32,
    since: tokio::time::Instant,
}

impl SessionBudget {
    fn new() -> Self {
        Self {
            left: SESSION_BURST,
            since: tokio::time::Instant::now(),
        }
    }

    /// Whether one more may be opened now.
    fn take(&mut self) -> bool {
        let refills = self.since.elapsed().as_millis() / SESSION_REFILL.as_millis();
        if refills > 0 {
            self.left = SESSION_BURST.min(self.left.saturating_add(refills as u32));
            self.since += SESSION_REFILL * refills as u32;
        }
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        true
    }
}

/// Syncs over `connection` until it breaks: each side asks the other for a
/// live stream of what it stores, and a session brings both up to date
/// (the dialler's at once, then each side's every [`RESYNC`] and whenever
/// its live stream fell behind). Whether any session went through.
async fn serve(session: Session, connection: Connection, opens: Opens) -> bool {
    let Session {
        node,
        replicated,
        status,
    } = session;
    let peer = connection.peer();
    let synced = std::sync::atomic::AtomicBool::new(false);
    let done = |report: SyncReport| {
        tracing::debug!("synced with {peer}: {report:?}");
        synced.store(true, std::sync::atomic::Ordering::Relaxed);
        status.synced(peer);
    };
    let progress = |progress: Progress| status.progressed(peer, progress);
    // Our live stream to the peer fell behind our store.
    let resync = tokio::sync::Notify::new();
    let taking = async {
        let mut streams = futures_util::stream::FuturesUnordered::new();
        let mut budget = SessionBudget::new();
        loop {
            tokio::select! {
                stream = connection.quic().accept_bi() => {
                    let stream = match stream {
                        Ok(stream) => stream,
                        Err(error) => return ReplicationError::Connection(error.to_string()),
                    };
                    if !budget.take() {
                        return ReplicationError::Protocol("opens sessions faster than allowed".into());
                    }
                    streams.push(live::take(&node, &connection, &replicated, stream, &resync, &progress));
                }
                Some(taken) = streams.next() => match taken {
                    Ok(Taken::Session(report)) => done(report),
                    Ok(Taken::Live) => {}
                    Err(error) => return error,
                },
            }
        }
    };
    let (subscribed, live_started) = tokio::sync::oneshot::channel();
    let live = async {
        match live::subscribe(&node, &connection, &replicated, subscribed, &progress).await {
            Ok(()) => ReplicationError::Connection("the live stream ended".into()),
            Err(error) => error,
        }
    };
    let opening = async {
        // What the peer stores from here on comes live; a session brings
        // what it had before.
        if live_started.await.is_err() {
            return std::future::pending().await;
        }
        let mut wait_first = opens == Opens::Later;
        loop {
            if wait_first {
                tokio::select! {
                    () = tokio::time::sleep(RESYNC) => {}
                    () = resync.notified() => {}
                }
            }
            wait_first = true;
            match sync_observed(&node, &connection, Role::Opener, &replicated, &progress).await {
                Ok(report) => done(report),
                Err(error) => return error,
            }
            // A live stream that keeps falling behind costs a session a second at most.
            tokio::time::sleep(MIN_SESSION_GAP).await;
        }
    };
    let error = tokio::select! {
        error = taking => error,
        error = live => error,
        error = opening => error,
    };
    tracing::debug!("sync with {peer} ended: {error}");
    status.disconnected(peer);
    connection.quic().close(0u32.into(), b"sync ended");
    synced.into_inner()
}
