//! Key groups: who may change what (see `docs/authorisation.md`): the
//! key-group schemas, and who holds which permissions in a group. The
//! checks in ingest come next.

pub mod authority;
pub mod grants;
pub mod schemas;
