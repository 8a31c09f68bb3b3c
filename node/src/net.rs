//! Nodes talking to nodes: the QUIC transport, the replication messages and
//! the sync session that uses them. (Discovery comes next.)

pub mod replication;
pub mod transport;
pub mod wire;
