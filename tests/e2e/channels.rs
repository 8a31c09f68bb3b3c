//! A crew channel in the app: three `lineup-node`s replicating over QUIC on
//! 127.0.0.1, each with its owner's browser. A crew lead opens an
//! end-to-end encrypted channel and adds people, an organiser removes one;
//! each device shows what it can read, and says why it cannot read the rest.

use lineup_schemas::Kind;
use lineup_tests::steps::{self, NewFestival};
use lineup_tests::{Browser, NodeProcess};

#[tokio::test]
async fn a_crew_channel_is_read_by_its_members_only_and_follows_who_is_in_it() -> anyhow::Result<()> {
    const TEST: &str = "crew_channel";
    let (organiser_node, ben_node, cleo_node) = steps::three_nodes()?;
    let (organiser, ben, cleo) = (
        steps::short_key(organiser_node.public_key()),
        steps::short_key(ben_node.public_key()),
        steps::short_key(cleo_node.public_key()),
    );
    let organiser_browser = steps::browser_across_nodes().await?;
    steps::open_as_owner(&organiser_browser, &organiser_node).await?;
    let festival = steps::found_festival(&organiser_browser, &NewFestival::in_july("Wiesenklang")).await?;

    // Ben asks to lead the crew; the organiser takes him in on the People
    // page, with what crew leads need to run channels. Cleo joins the crew.
    steps::ask_to_join(&organiser_node, &ben_node, &festival, "CREW_LEAD").await?;
    organiser_browser.click_button("People").await?;
    organiser_browser.wait_for_text_in(".requests", &ben).await?;
    organiser_browser.click_button("Accept").await?;
    organiser_browser.wait_for_text_gone("Accept").await?;
    steps::wait_for_role(&ben_node, &festival, "CREW_LEAD").await?;
    steps::join_crew(&organiser_node, &cleo_node, &festival).await?;
    for someone in [&organiser_node, &cleo_node] {
        key_package_arrived(&ben_node, someone).await?;
    }

    // Ben opens a chat channel, run by the crew leads, with the organiser.
    let ben_browser = open_channels(&ben_node, &festival).await?;
    ben_browser.wait_for_text("No channels yet").await?;
    ben_browser.fill("Channel name", "Gate crew").await?;
    ben_browser.check(&organiser).await?;
    ben_browser.screenshot(&format!("{TEST}-new")).await?;
    ben_browser.click_button("Open channel").await?;
    ben_browser.wait_for_text("Members (2)").await?;
    ben_browser
        .wait_for_text("Crew leads and organisers add and remove people.")
        .await?;
    send(&ben_browser, "The gate code is 4711").await?;

    // The organiser's device reads it, and the answer reaches Ben's page
    // while it is open.
    organiser_browser.click_button("Channels").await?;
    organiser_browser
        .wait_for_text("You are in it · 2 members")
        .await?;
    organiser_browser.click_button("Gate crew").await?;
    organiser_browser
        .wait_for_text_in(".message .text", "The gate code is 4711")
        .await?;
    send(&organiser_browser, "Copy that").await?;
    ben_browser
        .wait_for_text_in(".message .text", "Copy that")
        .await?;
    ben_browser.screenshot(&format!("{TEST}-ben")).await?;

    // Cleo's device holds the channel's messages but cannot read them, and
    // crew open no channels.
    let cleo_browser = open_channels(&cleo_node, &festival).await?;
    cleo_browser
        .wait_for_text("You are not in it: its messages are sealed for its members")
        .await?;
    cleo_browser
        .wait_for_text("Crew leads and organisers open channels and add people to them.")
        .await?;
    cleo_browser.click_button("Gate crew").await?;
    cleo_browser.wait_for_text("You are not in this channel").await?;
    cleo_browser.wait_for_text("Sealed messages here: 2.").await?;
    cleo_browser
        .wait_for_text("Cannot be read on this device: this device is not a member of the channel")
        .await?;
    assert_not_shown(&cleo_browser, "4711").await?;
    // No form to send outside the channel.
    assert_not_shown(&cleo_browser, "Send").await?;
    cleo_browser.screenshot(&format!("{TEST}-outside")).await?;

    // Ben adds Cleo: she reads what follows, not the chat before.
    ben_browser.select("Add someone", &cleo).await?;
    ben_browser.click_button("Add").await?;
    ben_browser.wait_for_text("Members (3)").await?;
    send(&ben_browser, "Welcome, Cleo").await?;
    cleo_browser
        .wait_for_text_in(".message .text", "Welcome, Cleo")
        .await?;
    cleo_browser
        .wait_for_text("Cannot be read on this device: sent before this device joined the channel")
        .await?;
    assert_not_shown(&cleo_browser, "4711").await?;
    cleo_browser.screenshot(&format!("{TEST}-joined")).await?;

    // The organiser removes Ben: he keeps what he read, and reads nothing
    // sent after.
    organiser_browser.wait_for_text("Members (3)").await?;
    organiser_browser.click_button(&format!("Remove {ben}")).await?;
    organiser_browser.wait_for_text("Members (2)").await?;
    send(&organiser_browser, "The new code is 0815").await?;
    organiser_browser.screenshot(&format!("{TEST}-organiser")).await?;
    cleo_browser
        .wait_for_text_in(".message .text", "The new code is 0815")
        .await?;
    ben_browser.wait_for_text("You are not in this channel").await?;
    ben_browser
        .wait_for_text("Cannot be read on this device: sent after this device left the channel")
        .await?;
    ben_browser
        .wait_for_text_in(".message .text", "The gate code is 4711")
        .await?;
    assert_not_shown(&ben_browser, "0815").await?;
    ben_browser.screenshot(&format!("{TEST}-removed")).await?;

    // A visitor's browser, without the owner's token, has no channels.
    let visitor = steps::browser_across_nodes().await?;
    visitor
        .open(&steps::festival_page(&organiser_node, &festival, ""))
        .await?;
    visitor.wait_for_text("Visitor: read-only").await?;
    assert_not_shown(&visitor, "Channels").await?;
    visitor
        .open(&steps::festival_page(&organiser_node, &festival, "channels"))
        .await?;
    visitor.wait_for_text("Crew channels are private").await?;
    assert_not_shown(&visitor, "Gate crew").await?;

    for browser in [visitor, cleo_browser, ben_browser, organiser_browser] {
        browser.close().await?;
    }
    Ok(())
}

/// A browser open as `node`'s owner on the festival's Channels page.
async fn open_channels(node: &NodeProcess, festival: &str) -> anyhow::Result<Browser> {
    let browser = steps::browser_across_nodes().await?;
    steps::open_as_owner(&browser, node).await?;
    browser
        .open(&steps::festival_page(node, festival, "channels"))
        .await?;
    Ok(browser)
}

/// Sends a message from the open channel and waits until it shows there.
async fn send(browser: &Browser, text: &str) -> anyhow::Result<()> {
    browser.fill("Message", text).await?;
    browser.click_button("Send").await?;
    browser.wait_for_text_in(".message .text", text).await
}

async fn assert_not_shown(browser: &Browser, text: &str) -> anyhow::Result<()> {
    let page = browser.body_text().await?;
    anyhow::ensure!(!page.contains(text), "the page shows {text:?}:\n{page}");
    Ok(())
}

/// Waits until `node` has one of `someone`'s key packages: a channel takes
/// in only someone whose node published one.
async fn key_package_arrived(node: &NodeProcess, someone: &NodeProcess) -> anyhow::Result<()> {
    let query = format!(
        "{{ all_{schema}(filter: {{ owner: {{ eq: \"{key}\" }} }}) {{ documents {{ meta {{ documentId }} }} }} }}",
        schema = Kind::KeyPackage.schema_id(),
        key = someone.public_key(),
    );
    steps::until("a key package", async || {
        let answer = node.graphql(&query).await?;
        let documents = answer[format!("all_{}", Kind::KeyPackage.schema_id())]["documents"]
            .as_array()
            .map_or(0, Vec::len);
        Ok((documents > 0).then_some(()))
    })
    .await
}
