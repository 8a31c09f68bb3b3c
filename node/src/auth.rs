//! Key groups: who may change what (see `docs/authorisation.md`). For now
//! the key-group schemas themselves; the checks come next.

pub mod schemas;
