//! The desktop app in a real window (WebKitGTK under Xvfb): the UI finds the
//! app's own node, a festival planned there shows in its programme, and
//! nothing acknowledged is lost when the app is killed.
//!
//! One test: WebKitWebDriver drives one window at a time.

use std::time::{Duration, Instant};

use lineup_tests::desktop_app::{api_port, listens_on_every_address};
use lineup_tests::steps::{self, NewFestival};
use lineup_tests::DesktopApp;

/// The Lineup menu's items, by position (the separator is not one).
const MENU_SHARE: usize = 1;
const MENU_COPY_KEY: usize = 2;
const MENU_QUIT: usize = 4;

#[tokio::test]
async fn a_programme_planned_in_the_app_survives_the_app_being_killed() -> anyhow::Result<()> {
    const TEST: &str = "desktop_app";
    let app = DesktopApp::new()?;

    let window = app.open().await?;
    // The owner's forms: the app handed the UI its node and owner token.
    window.wait_for_text("Found a festival").await?;
    window.wait_for_text("Live").await?;
    steps::found_festival(&window, &NewFestival::in_july("Wiesenklang")).await?;
    window.click_button("Edit programme").await?;
    steps::add_area(&window, "Main Stage").await?;
    steps::add_slot(&window, &steps::OPENING_NIGHT).await?;
    window.click_button("Programme").await?;
    window.click_button("Sat 10").await?;
    window.wait_for_text("20:00–21:00").await?;
    window.wait_for_text("Opening Night").await?;
    window.screenshot(&format!("{TEST}-programme")).await?;
    assert!(
        app.node_data_dir().join("private-key").is_file(),
        "the node keeps its data in the app's data dir"
    );
    // Only the app moves an identity: it has the file dialogs.
    window.click_button("Settings").await?;
    window.wait_for_text("Move to another device").await?;
    window.wait_for_text("Share programme on this network").await?;
    window.screenshot(&format!("{TEST}-settings")).await?;

    // The menu, from the keyboard. Sharing moves the API from loopback to
    // every address, on the same port, and the window says so.
    let port = api_port(&window).await?;
    assert!(
        !listens_on_every_address(port)?,
        "the API is shared before it is asked to be"
    );
    app.choose_menu_item(MENU_SHARE)?;
    wait_until("the API listens on every address", || {
        listens_on_every_address(port)
    })?;
    window
        .wait_for_text("Other devices on this network can open the programme here")
        .await?;
    // Copying the key puts the key the window shows on the clipboard.
    app.choose_menu_item(MENU_COPY_KEY)?;
    let mut copied = String::new();
    wait_until("the public key is on the clipboard", || {
        // xclip fails while the clipboard is still empty.
        copied = app.clipboard().unwrap_or_default();
        Ok(copied.len() == 64 && copied.bytes().all(|byte| byte.is_ascii_hexdigit()))
    })?;
    window.wait_for_text_in("code.key", &copied).await?;

    // Started again from the menu: the running app shows its window, and
    // the second copy ends instead of opening the same data twice.
    let running = app.app_process();
    let second = app.launch_again()?;
    assert!(second.success(), "the second copy ended with {second}");
    assert_eq!(app.app_process(), running, "the first copy still runs");
    window.wait_for_text("Move to another device").await?;

    // A crash: no chance to stop the node cleanly.
    app.kill_app()?;
    drop(window);

    let window = app.open().await?;
    window.click_button("Wiesenklang").await?;
    window.click_button("Programme").await?;
    window.click_button("Sat 10").await?;
    window.wait_for_text("Opening Night").await?;
    window.screenshot(&format!("{TEST}-after-kill")).await?;
    // Sharing was kept.
    let port = api_port(&window).await?;
    assert!(listens_on_every_address(port)?, "sharing was forgotten");

    // A logout: the app stops its node cleanly, which folds the
    // write-ahead log into the database.
    app.terminate_app()?;
    let wal = app.node_data_dir().join("lineup.sqlite-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |wal| wal.len() == 0),
        "{} is left after a clean stop",
        wal.display()
    );
    drop(window);

    // Quit from the menu stops the node cleanly too.
    let window = app.open().await?;
    window.click_button("Wiesenklang").await?;
    window.click_button("Edit programme").await?;
    steps::add_area(&window, "Forest Stage").await?;
    assert!(
        std::fs::metadata(&wal).is_ok_and(|wal| wal.len() > 0),
        "the edit is in the write-ahead log"
    );
    app.choose_menu_item(MENU_QUIT)?;
    wait_until("the app quits", || Ok(app.app_process().is_none()))?;
    assert!(
        std::fs::metadata(&wal).map_or(true, |wal| wal.len() == 0),
        "{} is left after Quit",
        wal.display()
    );
    drop(window);
    Ok(())
}

/// Waits up to 10 s until `done` says so.
fn wait_until(what: &str, mut done: impl FnMut() -> anyhow::Result<bool>) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done()? {
        anyhow::ensure!(Instant::now() < deadline, "waited 10 s in vain until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
