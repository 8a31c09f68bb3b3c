//! Nodes talking to nodes: the QUIC transport (replication and discovery
//! build on it).

pub mod transport;
pub mod wire;
