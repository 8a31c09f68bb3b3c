//! Lineup's app: a festival's programme, shifts, crew and network, served by
//! any Lineup node to any browser on the festival's network, and shown in
//! the desktop app. It talks to its node only over GraphQL.

// A binary: `pub` in its modules means "for the other modules".
#![allow(unreachable_pub)]

mod actions;
mod api;
mod app;
mod channels;
mod components;
mod context;
mod desktop_app;
mod favourites;
mod festival;
mod session;
mod time;
mod views;

use leptos::mount::mount_to_body;
use leptos::prelude::*;

fn main() {
    mark("lineup:ui-running");
    // In the desktop app the node's address comes from the app, which
    // answers once its node is up.
    wasm_bindgen_futures::spawn_local(async {
        let connected = session::connect().await;
        mark("lineup:connected");
        match connected {
            Ok(client) => mount_to_body(move || view! { <app::App client /> }),
            Err(error) => mount_to_body(move || view! { <app::NoNode error /> }),
        }
    });
}

/// Marks a moment of the start in the page's performance timeline (User
/// Timing), where the figures' programs and the browser's tools read it.
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark(name);
    }
}
