//! The desktop app's entry point.

// No console window on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    lineup_app::run();
}
