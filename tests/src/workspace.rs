//! Where things are in the Lineup workspace the tests run in.

use std::path::{Path, PathBuf};

/// The root of the Lineup workspace: the parent of this crate's directory,
/// whatever `CARGO_TARGET_DIR` says.
pub fn workspace_root() -> &'static Path {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir)
}

/// The built web UI, `ui/dist`, or an error that says how to build it.
pub fn built_ui() -> anyhow::Result<PathBuf> {
    let dist = workspace_root().join("ui").join("dist");
    anyhow::ensure!(
        dist.join("index.html").is_file(),
        "{} has no index.html: build the UI first: (cd ui && trunk build --release), as scripts/test does",
        dist.display()
    );
    Ok(dist)
}

/// Where tests leave what a person looks at after a run (screenshots):
/// `target/e2e` in the workspace, created if it is missing.
pub fn e2e_output_dir() -> anyhow::Result<PathBuf> {
    let dir = workspace_root().join("target").join("e2e");
    std::fs::create_dir_all(&dir).map_err(|error| anyhow::anyhow!("creating {}: {error}", dir.display()))?;
    Ok(dir)
}
