//! Nodes talking to nodes: the QUIC transport, the replication messages,
//! the sync sessions and live streams that use them, the peers a node keeps
//! in sync with and how it stands with each, finding them on the LAN, and
//! the codes that name a node where it cannot be found.

pub mod discovery;
pub mod live;
pub mod peer_code;
pub mod peers;
pub mod replication;
pub mod status;
pub mod transport;
pub mod wire;
