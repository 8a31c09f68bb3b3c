//! Lineup's app: the festival app in a window, with its own p2panda node.
//!
//! On start it runs the node in the background (data in `node/` of the
//! platform's app data dir), then shows the UI that trunk built into `ui/dist`. The UI asks
//! the app where the node listens and for the owner token (the `connection`
//! command), then talks to the node over GraphQL like in any browser. On
//! quit the node stops cleanly.
//!
//! `LINEUP_QUIC` sets where other nodes reach this one (default
//! `0.0.0.0:2022`, or any port if that is taken); a loopback address keeps
//! the node off the LAN.

mod identity;
mod menu;
mod node_host;
mod settings;

use std::sync::Arc;

use tauri::{Manager, RunEvent};

use node_host::{Connection, NodeHost};
use settings::AppSettings;

/// Where the app's node listens, for the window: it waits until the node is
/// up.
#[tauri::command]
async fn connection(host: tauri::State<'_, Arc<NodeHost>>) -> Result<Connection, String> {
    host.connection().await
}

/// Runs the app until it quits.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    #[cfg(target_os = "linux")]
    draw_without_gpu_compositing();
    lineup_node::logging::to_stderr();
    let builder = tauri::Builder::default();
    // A second launch shows the first window instead of a second node on
    // the same data.
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_single_instance::init(
        |app, _arguments, _directory| {
            show_main_window(app);
        },
    ));
    let app = builder
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            connection,
            identity::export_identity,
            identity::import_identity
        ])
        .setup(|app| {
            // The window's own files (WebKit's storage and caches) are in the
            // app data dir too: the node keeps to a folder of its own.
            let data_dir = app.path().app_data_dir()?.join("node");
            let settings = AppSettings::load(&data_dir);
            let quic = quic_from_env()?;
            let host = Arc::new(NodeHost::new(data_dir, quic));
            app.manage(Arc::clone(&host));
            tauri::async_runtime::spawn(async move { host.start(settings.share_on_lan).await });
            #[cfg(desktop)]
            {
                app.set_menu(menu::build(app.handle(), settings.share_on_lan)?)?;
                app.on_menu_event(menu::on_event);
            }
            #[cfg(unix)]
            quit_on_signals(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(error) => {
            eprintln!("Lineup could not start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        // No host if the setup failed before it made one.
        if let (RunEvent::Exit, Some(host)) = (event, app.try_state::<Arc<NodeHost>>()) {
            tauri::async_runtime::block_on(host.stop());
        }
    });
}

/// Asks WebKitGTK to draw pages without its compositing mode, unless the
/// person running the app set `WEBKIT_DISABLE_COMPOSITING_MODE` (`0` turns
/// compositing back on).
///
/// Lineup's pages are documents and forms, with no animation that needs
/// layers; composited, WebKitGTK 2.50 on Debian 12 keeps ~90 MiB more in
/// its web process and paints the first page later (measured with
/// `app_figures`), and its GPU paths are behind the blank windows some
/// drivers give Tauri apps. Called first thing, before any thread starts,
/// as changing the environment requires.
#[cfg(target_os = "linux")]
fn draw_without_gpu_compositing() {
    const VARIABLE: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VARIABLE).is_none() {
        std::env::set_var(VARIABLE, "1");
    }
}

/// `LINEUP_QUIC`, if set.
fn quic_from_env() -> Result<Option<std::net::SocketAddr>, String> {
    match std::env::var("LINEUP_QUIC") {
        Ok(address) => address
            .parse()
            .map(Some)
            .map_err(|error| format!("LINEUP_QUIC={address}: {error}")),
        Err(_) => Ok(None),
    }
}

#[cfg(desktop)]
fn show_main_window(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Quits like the menu's Quit on SIGTERM and SIGINT (a logout, `kill`,
/// Ctrl+C in a terminal), so that the node stops cleanly then too.
#[cfg(unix)]
fn quit_on_signals(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut terminate), Ok(mut interrupt)) =
            (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        else {
            return;
        };
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        app.exit(0);
    });
}
