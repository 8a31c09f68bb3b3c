//! Lineup's festival on p2panda: the schemas every node agrees on (signed
//! once into a lock file), a typed model of the festival's documents, the
//! rules the data alone does not enforce (clashes, capacity), and the
//! schedule formats festivals already use.
//!
//! Pure: no I/O, no clock; builds for `wasm32-unknown-unknown`, so the UI
//! shares all of it.

pub mod fields;
pub mod formats;
pub mod ids;
pub mod invite;
mod lock;
pub mod model;
pub mod plan;
pub mod rules;

pub use invite::Invite;
pub use lock::{lock_entries, Kind};
