//! Two `lineup-node`s keep one festival: what the organiser changes on one
//! shows on the other's open page, with no reload.

use lineup_tests::steps::{self, NewFestival, NewSlot};

#[tokio::test]
async fn an_announcement_published_on_one_node_appears_on_the_news_page_open_on_another() -> anyhow::Result<()>
{
    const TEST: &str = "announcement_appears_on_another_node";
    let (organiser_node, other_node) = steps::two_nodes()?;
    let organiser = steps::browser_across_nodes().await?;
    let reader = steps::browser_across_nodes().await?;

    steps::open_as_owner(&organiser, &organiser_node).await?;
    let festival = steps::found_festival(&organiser, &NewFestival::in_july("Wiesenklang")).await?;

    // Someone reads the news on the other node, as a visitor.
    reader
        .open(&steps::festival_page(&other_node, &festival, "announcements"))
        .await?;
    reader.wait_for_text_in("h1", "Wiesenklang").await?;
    reader.wait_for_text("No announcements yet").await?;
    reader.mark_page().await?;
    reader.screenshot(&format!("{TEST}-before")).await?;

    organiser.click_button("News").await?;
    organiser.fill("Headline", "Gates open at noon").await?;
    organiser
        .fill("Message", "Bring water: the bars open at two.")
        .await?;
    organiser.select("Priority", "Important").await?;
    organiser.click_button("Publish").await?;
    organiser.wait_for_text_in(".news", "Gates open at noon").await?;
    organiser.screenshot(&format!("{TEST}-published")).await?;

    reader.wait_for_text("Gates open at noon").await?;
    reader.wait_for_text("Bring water: the bars open at two.").await?;
    reader.wait_for_text_gone("No announcements yet").await?;
    assert!(
        reader.is_marked().await?,
        "the news page showed the announcement without loading again"
    );
    reader.screenshot(&format!("{TEST}-after")).await?;

    reader.close().await?;
    organiser.close().await
}

#[tokio::test]
async fn a_slot_added_on_one_node_appears_in_the_programme_open_on_another() -> anyhow::Result<()> {
    const TEST: &str = "slot_appears_on_another_node";
    let (organiser_node, other_node) = steps::two_nodes()?;
    let organiser = steps::browser_across_nodes().await?;
    let reader = steps::browser_across_nodes().await?;

    steps::open_as_owner(&organiser, &organiser_node).await?;
    let festival = steps::found_festival(&organiser, &NewFestival::in_july("Wiesenklang")).await?;
    organiser.click_button("Edit programme").await?;
    steps::add_area(&organiser, "Main Stage").await?;
    steps::add_slot(&organiser, &steps::OPENING_NIGHT).await?;

    // Someone has Saturday's programme open on the other node.
    let saturday = format!(
        "{}?day=2027-07-10",
        steps::festival_page(&other_node, &festival, "programme")
    );
    reader.open(&saturday).await?;
    reader.wait_for_text("Opening Night").await?;
    reader.mark_page().await?;
    reader.screenshot(&format!("{TEST}-before")).await?;

    steps::add_slot(
        &organiser,
        &NewSlot {
            title: "Late Jam",
            area: "Main Stage",
            starts: "2027-07-10T22:00",
            ends: "2027-07-10T23:30",
            artists: &[],
        },
    )
    .await?;

    reader.wait_for_text("Late Jam").await?;
    reader.wait_for_text("22:00–23:30").await?;
    reader.wait_for_text("Opening Night").await?;
    assert!(
        reader.is_marked().await?,
        "the programme showed the new slot without loading again"
    );
    reader.screenshot(&format!("{TEST}-after")).await?;

    reader.close().await?;
    organiser.close().await
}
