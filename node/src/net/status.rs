//! How replication stands with each peer, kept up to date by the tasks of
//! [`super::peers`] and read by the UI (GraphQL `syncStatus`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use lineup_core::PublicKey;

use super::replication::Progress;

/// How this node stands with each peer, for the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerStatus {
    /// The peer's node key.
    pub public_key: PublicKey,
    /// Where it was last reached.
    pub address: SocketAddr,
    /// Whether a connection is open now.
    pub connected: bool,
    /// When the last sync session with it ended well.
    pub last_sync: Option<SystemTime>,
    /// Entries sent to it, in sessions and live.
    pub sent: u64,
    /// Entries received from it that were new here, in sessions and live.
    pub received: u64,
    /// Entries it has that this node lacks, by the last comparison of
    /// heights, less those received since.
    pub behind: u64,
    /// Entries this node has that it lacks, by the last comparison of
    /// heights, less those sent since.
    pub ahead: u64,
}

/// A peer this node was told to dial and cannot reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    /// The address dialled.
    pub address: SocketAddr,
    /// Why the last attempt failed.
    pub error: String,
}

/// The state of replication, shared by the tasks that change it.
#[derive(Debug, Clone, Default)]
pub struct SyncStatus(Arc<Mutex<Board>>);

#[derive(Debug, Default)]
struct Board {
    peers: HashMap<PublicKey, PeerStatus>,
    /// Open connections by peer: two nodes may dial each other at once.
    connections: HashMap<PublicKey, usize>,
    unreachable: HashMap<SocketAddr, String>,
}

impl SyncStatus {
    /// Every peer this node has been connected to, by key.
    pub fn peers(&self) -> Vec<PeerStatus> {
        let mut peers: Vec<PeerStatus> = self.lock().peers.values().cloned().collect();
        peers.sort_by_key(|peer| *peer.public_key.as_bytes());
        peers
    }

    /// The peers this node dials and cannot reach, by address.
    pub fn unreachable(&self) -> Vec<Unreachable> {
        let mut unreachable: Vec<Unreachable> = self
            .lock()
            .unreachable
            .iter()
            .map(|(address, error)| Unreachable {
                address: *address,
                error: error.clone(),
            })
            .collect();
        unreachable.sort_by_key(|peer| peer.address);
        unreachable
    }

    /// Whether a connection to `peer` is open now.
    pub fn is_connected(&self, peer: PublicKey) -> bool {
        self.lock().connections.contains_key(&peer)
    }

    /// Notes a new connection to `peer`, which is reached at `address`.
    pub(super) fn connected(&self, peer: PublicKey, address: SocketAddr) {
        let mut board = self.lock();
        board.unreachable.remove(&address);
        let status = board.peers.entry(peer).or_insert(PeerStatus {
            public_key: peer,
            address,
            connected: true,
            last_sync: None,
            sent: 0,
            received: 0,
            behind: 0,
            ahead: 0,
        });
        status.address = address;
        status.connected = true;
        *board.connections.entry(peer).or_default() += 1;
    }

    /// Notes a session that went through.
    pub(super) fn synced(&self, peer: PublicKey) {
        if let Some(status) = self.lock().peers.get_mut(&peer) {
            status.last_sync = Some(SystemTime::now());
        }
    }

    /// Counts what a session or live stream did.
    pub(super) fn progressed(&self, peer: PublicKey, progress: Progress) {
        let mut board = self.lock();
        let Some(status) = board.peers.get_mut(&peer) else {
            return;
        };
        match progress {
            Progress::Compared { behind, ahead } => {
                status.behind = behind;
                status.ahead = ahead;
            }
            Progress::Sent { entries, live } => {
                status.sent += entries as u64;
                if !live {
                    status.ahead = status.ahead.saturating_sub(entries as u64);
                }
            }
            Progress::Received { entries, new, live } => {
                status.received += new as u64;
                if !live {
                    status.behind = status.behind.saturating_sub(entries as u64);
                }
            }
        }
    }

    pub(super) fn disconnected(&self, peer: PublicKey) {
        let mut board = self.lock();
        let open = board.connections.get_mut(&peer).map_or(0, |open| {
            *open -= 1;
            *open
        });
        if open == 0 {
            board.connections.remove(&peer);
            if let Some(status) = board.peers.get_mut(&peer) {
                status.connected = false;
            }
        }
    }

    pub(super) fn unreachable_at(&self, address: SocketAddr, error: String) {
        self.lock().unreachable.insert(address, error);
    }

    /// Stops listing `address` as unreachable: no one asks for it any more.
    pub(super) fn forget_unreachable(&self, address: SocketAddr) {
        self.lock().unreachable.remove(&address);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Board> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::PrivateKey;

    #[test]
    fn a_peer_stays_connected_until_its_last_connection_closes() {
        let status = SyncStatus::default();
        let peer = PrivateKey::generate(&mut rand::rngs::OsRng).public_key();
        let address: SocketAddr = "10.0.0.7:2022".parse().unwrap();
        status.unreachable_at(address, "timed out".into());

        // Two nodes that find each other may dial each other at once.
        status.connected(peer, address);
        status.connected(peer, address);
        assert!(status.unreachable().is_empty());
        status.disconnected(peer);
        assert!(status.is_connected(peer));
        assert!(status.peers()[0].connected);
        status.disconnected(peer);
        assert!(!status.is_connected(peer));
        assert!(!status.peers()[0].connected);
        // A stray disconnect changes nothing.
        status.disconnected(peer);
        assert!(!status.is_connected(peer));
    }

    #[test]
    fn how_far_behind_and_ahead_follows_each_session() {
        let status = SyncStatus::default();
        let peer = PrivateKey::generate(&mut rand::rngs::OsRng).public_key();
        status.connected(peer, "10.0.0.7:2022".parse().unwrap());
        status.progressed(peer, Progress::Compared { behind: 10, ahead: 3 });
        status.progressed(
            peer,
            Progress::Received {
                entries: 4,
                new: 3,
                live: false,
            },
        );
        status.progressed(
            peer,
            Progress::Sent {
                entries: 3,
                live: false,
            },
        );
        let now = &status.peers()[0];
        assert_eq!((now.behind, now.ahead, now.received, now.sent), (6, 0, 3, 3));
        // Live entries are new on both sides: they count, but were never behind.
        status.progressed(
            peer,
            Progress::Received {
                entries: 2,
                new: 2,
                live: true,
            },
        );
        status.progressed(
            peer,
            Progress::Sent {
                entries: 1,
                live: true,
            },
        );
        let now = &status.peers()[0];
        assert_eq!((now.behind, now.ahead, now.received, now.sent), (6, 0, 5, 4));
    }
}
