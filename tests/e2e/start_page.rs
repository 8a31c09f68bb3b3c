//! The web UI as a person first sees it, served by a real `lineup-node` and
//! shown in headless Chromium.

use lineup_tests::{built_ui, Browser, NodeProcess};

#[tokio::test]
async fn the_start_page_is_lineup_and_shows_the_festivals() -> anyhow::Result<()> {
    let node = NodeProcess::builder().ui_dir(built_ui()?).start()?;
    let browser = Browser::start().await?;

    browser.open(&node.url("/")).await?;

    browser.wait_for_text("Festivals").await?;
    assert_eq!(browser.title().await?, "Lineup");
    browser.screenshot("start-page").await?;
    browser.close().await
}
