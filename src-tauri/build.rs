//! Tauri's build step: the app's context (config, the UI's files, icons) and
//! the permissions of the app's own commands.

fn main() {
    let commands =
        tauri_build::AppManifest::new().commands(&["connection", "export_identity", "import_identity"]);
    if let Err(error) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(commands)) {
        panic!("{error:#}");
    }
}
