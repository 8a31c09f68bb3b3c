//! Lineup's app: a festival's programme, shifts, crew and network, served by
//! any Lineup node to any browser on the festival's network, and shown in
//! the desktop app. It talks to its node only over GraphQL.

// A binary: `pub` in its modules means "for the other modules".
#![allow(unreachable_pub)]

mod actions;
mod api;
mod app;
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
    // In the desktop app the node's address comes from the app, which
    // answers once its node is up.
    wasm_bindgen_futures::spawn_local(async {
        match session::connect().await {
            Ok(client) => mount_to_body(move || view! { <app::App client /> }),
            Err(error) => mount_to_body(move || view! { <app::NoNode error /> }),
        }
    });
}
