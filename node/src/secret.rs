//! Secret groups: encrypted channels whose members are p2panda keys, on MLS
//! (RFC 9420, with openmls), as the p2panda handbook specifies them
//! (`specifications/aquadoggo/encryption`).
//!
//! [`SecretGroup`] is one group's MLS state on this device; [`KeyPackages`]
//! the private halves of the key packages this device has published. Both
//! keep their state in memory and hand out what changed after each
//! operation, for the node to save in its SQLite file.

pub mod channels;
mod group;
mod identity;
pub mod letter;
pub mod long_term;
mod sealing;
mod state;

pub use group::{Commit, KeyPackages, SecretGroup};
pub use sealing::Sealer;
pub use state::{Changes, Entries};

/// Why a secret-group operation failed. It changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Bytes that are not the MLS message they should be.
    #[error("malformed: {0}")]
    Malformed(String),
    /// A well-formed MLS message this member refuses: not for this group or
    /// epoch, a bad signature, a replay of a message already read.
    #[error("rejected: {0}")]
    Rejected(String),
    /// A message from an epoch this member has not reached: it may be read
    /// once the commits before it are applied.
    #[error("from epoch {0}, which this device has not reached")]
    FromLaterEpoch(u64),
    /// A key that is not a member of the group.
    #[error("not a member of the group")]
    NotAMember,
    /// openmls failed to make something.
    #[error("{0}")]
    Mls(String),
    /// The saved state cannot be read back.
    #[error("corrupt secret-group state: {0}")]
    Corrupt(String),
}
