//! Nodes talking to nodes: the QUIC transport, the replication messages,
//! the sync session that uses them, the peers a node keeps in sync with,
//! and finding those peers on the LAN.

pub mod discovery;
pub mod peers;
pub mod replication;
pub mod transport;
pub mod wire;
