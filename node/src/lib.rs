//! Lineup's p2panda node.
//!
//! [`node::Node`] is the handle: it owns the device identity ([`key_file`]; [`identity_file`] carries
//! it to another device) and
//! a [`replica::Replica`] (the SQLite [`store`], the schema [`registry`] and the
//! [`ingest`] pipeline every entry goes through). The GraphQL API and
//! replication follow the layout in `DESIGN.md`.

pub mod api;
pub mod auth;
pub mod data_dir;
pub mod demo;
pub mod festival;
pub mod identity_file;
pub mod ingest;
pub mod key_file;
pub mod logging;
pub mod net;
pub mod node;
pub mod query;
pub mod reader;
pub mod registry;
pub mod replica;
pub mod secret;
pub mod service;
pub mod store;
