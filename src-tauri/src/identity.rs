//! Moving a person's identity between devices: the window asks, the person
//! picks the file in the system's file dialog, and the node's key goes into
//! (or comes from) a passphrase-sealed file.

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::node_host::NodeHost;

/// What an identity file's name ends with.
const EXTENSION: &str = "lineup-identity";

/// Saves the node's identity, sealed with `passphrase`, where the person
/// chooses; answers the file's path, or nothing if they cancelled.
#[tauri::command]
pub(crate) async fn export_identity(
    app: AppHandle,
    host: State<'_, Arc<NodeHost>>,
    passphrase: String,
) -> Result<Option<String>, String> {
    let short_key: String = host
        .public_key()
        .map(|key| key.to_string().chars().take(8).collect())
        .unwrap_or_default();
    let (chosen, choice) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Export your Lineup identity")
        .set_file_name(format!("lineup-{short_key}.{EXTENSION}"))
        .add_filter("Lineup identity", &[EXTENSION])
        .save_file(move |path| {
            let _ = chosen.send(path);
        });
    let Some(path) = picked(choice).await? else {
        return Ok(None);
    };
    host.export_identity(path.clone(), passphrase).await?;
    Ok(Some(path.display().to_string()))
}

/// Makes the identity in a file the person picks this device's, and
/// restarts the node with it; answers the new public key, or nothing if
/// they cancelled.
#[tauri::command]
pub(crate) async fn import_identity(
    app: AppHandle,
    host: State<'_, Arc<NodeHost>>,
    passphrase: String,
) -> Result<Option<String>, String> {
    let (chosen, choice) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Import a Lineup identity")
        .add_filter("Lineup identity", &[EXTENSION])
        .pick_file(move |path| {
            let _ = chosen.send(path);
        });
    let Some(path) = picked(choice).await? else {
        return Ok(None);
    };
    let key = host.import_identity(path, passphrase).await?;
    Ok(Some(key.to_string()))
}

/// The path the file dialog answers, if the person chose one.
async fn picked(
    choice: tokio::sync::oneshot::Receiver<Option<tauri_plugin_dialog::FilePath>>,
) -> Result<Option<PathBuf>, String> {
    match choice.await {
        Ok(Some(path)) => path
            .into_path()
            .map(Some)
            .map_err(|error| format!("the chosen file: {error}")),
        Ok(None) | Err(_) => Ok(None),
    }
}
