//! Nothing but tests: see `tests/differential.rs`. This crate is not a default
//! workspace member, so the everyday build never compiles the reference.
