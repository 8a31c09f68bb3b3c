//! Nodes talking to nodes: the QUIC transport, the replication messages,
//! the sync session that uses them, and the peers a node keeps in sync
//! with. (Discovery on the LAN comes next.)

pub mod peers;
pub mod replication;
pub mod transport;
pub mod wire;
