//! Key groups: who may change what (see `docs/authorisation.md`): the
//! key-group schemas, who holds which permissions in a group, the checks of
//! every operation at ingest, and the owner's membership steps.

pub mod authority;
pub mod grants;
pub mod memberships;
pub mod schemas;
