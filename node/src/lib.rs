//! Lineup's p2panda node.
//!
//! For now it holds the device identity; the store, ingest pipeline, GraphQL API
//! and replication follow the layout in `DESIGN.md`.

pub mod data_dir;
pub mod ingest;
pub mod key_file;
pub mod registry;
pub mod replica;
pub mod store;
