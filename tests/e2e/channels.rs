//! A crew channel in the app: three `lineup-node`s replicating over QUIC on
//! 127.0.0.1, each with its owner's browser. The organiser opens an
//! end-to-end encrypted channel, adds and removes people; each device shows
//! what it can read, and says why it cannot read the rest.

use lineup_schemas::Kind;
use lineup_tests::steps::{self, NewFestival};
use lineup_tests::{Browser, NodeProcess};

#[tokio::test]
async fn a_crew_channel_is_read_by_its_members_only_and_follows_who_is_in_it() -> anyhow::Result<()> {
    const TEST: &str = "crew_channel";
    let (organiser_node, ben_node, cleo_node) = steps::three_nodes()?;
    let (ben, cleo) = (
        steps::short_key(ben_node.public_key()),
        steps::short_key(cleo_node.public_key()),
    );
    let organiser = steps::browser_across_nodes().await?;
    steps::open_as_owner(&organiser, &organiser_node).await?;
    let festival = steps::found_festival(&organiser, &NewFestival::in_july("Wiesenklang")).await?;
    for volunteer in [&ben_node, &cleo_node] {
        steps::join_crew(&organiser_node, volunteer, &festival).await?;
        key_package_arrived(&organiser_node, volunteer).await?;
    }

    // The organiser opens a chat channel with Ben and writes in it.
    organiser.click_button("Channels").await?;
    organiser.wait_for_text("No channels yet").await?;
    organiser.fill("Channel name", "Gate crew").await?;
    organiser.check(&ben).await?;
    organiser.screenshot(&format!("{TEST}-new")).await?;
    organiser.click_button("Open channel").await?;
    organiser.wait_for_text("Members (2)").await?;
    send(&organiser, "The gate code is 4711").await?;
    organiser.screenshot(&format!("{TEST}-organiser")).await?;

    // Ben's device reads it, and his answer reaches the organiser's page
    // while it is open.
    let ben_browser = open_channels(&ben_node, &festival).await?;
    ben_browser.wait_for_text("You are in it · 2 members").await?;
    ben_browser.click_button("Gate crew").await?;
    ben_browser
        .wait_for_text_in(".message .text", "The gate code is 4711")
        .await?;
    send(&ben_browser, "Copy that").await?;
    organiser.wait_for_text_in(".message .text", "Copy that").await?;
    ben_browser.screenshot(&format!("{TEST}-ben")).await?;

    // Cleo's device holds the channel's messages but cannot read them.
    let cleo_browser = open_channels(&cleo_node, &festival).await?;
    cleo_browser
        .wait_for_text("You are not in it: its messages are sealed for its members")
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

    // The organiser adds Cleo: she reads what follows, not the chat before.
    organiser.select("Add someone", &cleo).await?;
    organiser.click_button("Add").await?;
    organiser.wait_for_text("Members (3)").await?;
    send(&organiser, "Welcome, Cleo").await?;
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
    organiser.click_button(&format!("Remove {ben}")).await?;
    organiser.wait_for_text("Members (2)").await?;
    send(&organiser, "The new code is 0815").await?;
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

    for browser in [visitor, cleo_browser, ben_browser, organiser] {
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

/// Waits until `organiser`'s node has one of `volunteer`'s key packages:
/// a channel can take in only someone whose node published one.
async fn key_package_arrived(organiser: &NodeProcess, volunteer: &NodeProcess) -> anyhow::Result<()> {
    let query = format!(
        "{{ all_{schema}(filter: {{ owner: {{ eq: \"{key}\" }} }}) {{ documents {{ meta {{ documentId }} }} }} }}",
        schema = Kind::KeyPackage.schema_id(),
        key = volunteer.public_key(),
    );
    steps::until("a key package of the volunteer", async || {
        let answer = organiser.graphql(&query).await?;
        let documents = answer[format!("all_{}", Kind::KeyPackage.schema_id())]["documents"]
            .as_array()
            .map_or(0, Vec::len);
        Ok((documents > 0).then_some(()))
    })
    .await
}
