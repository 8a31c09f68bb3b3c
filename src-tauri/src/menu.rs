//! The app's menu: what a person expects of a desktop app beside the window.

use tauri::menu::{
    CheckMenuItem, CheckMenuItemBuilder, Menu, MenuBuilder, MenuEvent, MenuItemBuilder, SubmenuBuilder,
};
use tauri::{AppHandle, Manager, Wry};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_opener::OpenerExt;

use crate::node_host::NodeHost;
use crate::settings::AppSettings;

const SHARE: &str = "share";
const COPY_KEY: &str = "copy-key";
const OPEN_DATA: &str = "open-data";
const QUIT: &str = "quit";

/// The sharing item, kept to read and reset: a menu finds only its
/// top-level items by id.
struct ShareItem(CheckMenuItem<Wry>);

/// The menu bar, with sharing shown as it is.
pub(crate) fn build(app: &AppHandle, shared: bool) -> tauri::Result<Menu<Wry>> {
    let share = CheckMenuItemBuilder::with_id(SHARE, "Share programme on this network")
        .checked(shared)
        .build(app)?;
    app.manage(ShareItem(share.clone()));
    let lineup = SubmenuBuilder::new(app, "Lineup")
        .item(&share)
        .item(&MenuItemBuilder::with_id(COPY_KEY, "Copy my public key").build(app)?)
        .item(&MenuItemBuilder::with_id(OPEN_DATA, "Open data folder").build(app)?)
        .separator()
        .item(
            &MenuItemBuilder::with_id(QUIT, "Quit")
                .accelerator("CmdOrCtrl+Q")
                .build(app)?,
        )
        .build()?;
    MenuBuilder::new(app).item(&lineup).build()
}

/// Does what a menu item says.
pub(crate) fn on_event(app: &AppHandle, event: MenuEvent) {
    let host = app.state::<std::sync::Arc<NodeHost>>().inner().clone();
    match event.id().as_ref() {
        SHARE => {
            let item = app.state::<ShareItem>().0.clone();
            // The item has toggled itself already.
            let shared = item.is_checked().unwrap_or(false);
            tauri::async_runtime::spawn(async move {
                match host.share(shared).await {
                    Ok(()) => {
                        let settings = AppSettings { share_on_lan: shared };
                        if let Err(error) = settings.save(host.data_dir()) {
                            tracing::warn!("cannot keep the sharing setting: {error}");
                        }
                    }
                    Err(error) => {
                        tracing::error!("cannot change sharing: {error}");
                        let _ = item.set_checked(!shared);
                    }
                }
            });
        }
        COPY_KEY => {
            if let Some(key) = host.public_key() {
                if let Err(error) = app.clipboard().write_text(key.to_string()) {
                    tracing::error!("cannot copy the public key: {error}");
                }
            }
        }
        OPEN_DATA => {
            let folder = host.data_dir().to_string_lossy().into_owned();
            if let Err(error) = app.opener().open_path(folder, None::<&str>) {
                tracing::error!("cannot open the data folder: {error}");
            }
        }
        QUIT => app.exit(0),
        _ => {}
    }
}
