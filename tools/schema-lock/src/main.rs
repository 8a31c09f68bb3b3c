//! `cargo run -p lineup-schema-lock`: signs the festival schema definitions
//! (`schemas/definitions.toml`) that changed since the lock file was last
//! written, appends them to `schemas/schemas.lock` as new schema versions,
//! and writes every version's id into `schemas/src/ids.rs`.
//!
//! Each run signs with a key made for it and then forgotten, so nobody can
//! ever sign more into those logs. Run it only to change a schema: every
//! changed schema (and every schema that relates to it) gets a new id.

use std::path::{Path, PathBuf};

use anyhow::Context;
use lineup_schema_lock::{Definitions, Lock};

fn main() -> anyhow::Result<()> {
    let schemas = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let definitions = read(&schemas.join("definitions.toml"))?;
    let definitions = Definitions::parse(&definitions)?;
    let lock_path = schemas.join("schemas.lock");
    let mut lock = Lock::parse(&read(&lock_path).unwrap_or_default())?;

    let key = lineup_core::PrivateKey::generate(&mut rand::rngs::OsRng);
    let signed = lock.sign_changes(&definitions, &key)?;
    std::fs::write(&lock_path, lock.to_text()).context("writing the lock file")?;
    std::fs::write(schemas.join("src/ids.rs"), lock.ids_source()).context("writing ids.rs")?;
    if signed.is_empty() {
        println!("The lock file is up to date.");
    } else {
        println!("New versions: {}", signed.join(", "));
    }
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}
