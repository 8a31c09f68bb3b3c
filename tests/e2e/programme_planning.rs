//! An organiser plans the programme in the app: a festival, its areas,
//! artists and slots, and the clashes the app points out.

use lineup_tests::steps::{self, NewFestival, NewSlot};
use lineup_tests::{built_ui, Browser, NodeProcess};

#[tokio::test]
async fn an_organiser_is_warned_of_clashing_slots_while_typing_and_after_saving() -> anyhow::Result<()> {
    const TEST: &str = "organiser_is_warned_of_clashing_slots";
    let node = NodeProcess::builder().ui_dir(built_ui()?).start()?;
    let browser = Browser::start().await?;

    steps::open_as_owner(&browser, &node).await?;
    let festival = NewFestival::in_july("Wiesenklang");
    steps::found_festival(&browser, &festival).await?;
    browser.wait_for_text("Tempelhofer Feld").await?;
    browser.screenshot(&format!("{TEST}-founded")).await?;

    browser.click_button("Edit programme").await?;
    browser.wait_for_text("Add a slot").await?;
    browser.wait_for_text("No clashes in the programme.").await?;
    steps::add_area(&browser, "Main Stage").await?;
    steps::add_artist(&browser, "Ada Lovelace Trio").await?;
    browser.screenshot(&format!("{TEST}-area-and-artist")).await?;

    steps::add_slot(
        &browser,
        &NewSlot {
            title: "Opening Night",
            area: "Main Stage",
            starts: "2027-07-10T20:00",
            ends: "2027-07-10T21:00",
            artists: &["Ada Lovelace Trio"],
        },
    )
    .await?;
    browser.wait_for_text("No clashes in the programme.").await?;
    browser.screenshot(&format!("{TEST}-first-slot")).await?;

    // The second slot overlaps the first on the same stage from 20:30.
    steps::fill_slot(
        &browser,
        &NewSlot {
            title: "Late Jam",
            area: "Main Stage",
            starts: "2027-07-10T20:30",
            ends: "2027-07-10T21:30",
            artists: &[],
        },
    )
    .await?;
    browser
        .wait_for_text("Clash: “Opening Night” and the new slot are both on Main Stage at 20:30–21:00")
        .await?;
    browser.screenshot(&format!("{TEST}-clash-while-typing")).await?;

    browser.click_button("Add slot").await?;
    browser.wait_for_text_in(".slot-list", "Late Jam").await?;
    browser.wait_for_text("To sort out").await?;
    browser
        .wait_for_text("“Opening Night” and “Late Jam” are both on Main Stage at 20:30–21:00")
        .await?;
    // The form is empty again: only the saved clash is left to sort out.
    browser.wait_for_text_gone("Clash:").await?;
    browser.screenshot(&format!("{TEST}-to-sort-out")).await?;

    browser.click_button("Programme").await?;
    browser.click_button("Sat 10").await?;
    browser.wait_for_text("Opening Night").await?;
    browser.wait_for_text("Late Jam").await?;
    browser.wait_for_text("20:00–21:00").await?;
    browser.wait_for_text("20:30–21:30").await?;
    browser.wait_for_text("Ada Lovelace Trio").await?;
    browser.wait_for_text("Main Stage").await?;
    browser.screenshot(&format!("{TEST}-programme")).await?;
    browser.close().await
}

#[tokio::test]
async fn a_festival_founded_from_friday_to_sunday_has_those_three_days() -> anyhow::Result<()> {
    const TEST: &str = "festival_has_its_three_days";
    let node = NodeProcess::builder().ui_dir(built_ui()?).start()?;
    let browser = Browser::start().await?;

    steps::open_as_owner(&browser, &node).await?;
    let festival = steps::found_festival(&browser, &NewFestival::in_july("Wiesenklang")).await?;

    browser
        .open(&steps::festival_page(&node, &festival, "programme"))
        .await?;
    browser.wait_for_text("The programme is empty").await?;
    for day in ["Fri 9", "Sat 10", "Sun 11"] {
        browser.wait_for_text(day).await?;
    }
    let days = browser.body_text().await?;
    for outside in ["Thu 8", "Mon 12"] {
        assert!(
            !days.contains(outside),
            "the festival runs Friday to Sunday:\n{days}"
        );
    }
    browser.screenshot(&format!("{TEST}-programme")).await?;

    browser.open(&node.url("/")).await?;
    browser.wait_for_text("Wiesenklang").await?;
    browser.wait_for_text("Friday 9 July – Sunday 11 July").await?;
    browser.screenshot(&format!("{TEST}-festivals")).await?;
    browser.close().await
}
