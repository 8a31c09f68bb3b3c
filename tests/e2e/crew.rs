//! A volunteer joins the crew from their own device: two `lineup-node`s
//! replicating over QUIC on 127.0.0.1, each with its owner's browser.

use lineup_tests::steps::{self, NewFestival, NewShift};

#[tokio::test]
async fn a_volunteer_joins_the_crew_with_its_invite_fills_a_shift_and_cannot_edit_the_programme(
) -> anyhow::Result<()> {
    const TEST: &str = "volunteer_joins_the_crew";
    let (organiser_node, volunteer_node) = steps::two_nodes()?;
    let (organiser, volunteer) = (
        steps::short_key(organiser_node.public_key()),
        steps::short_key(volunteer_node.public_key()),
    );
    let organiser_browser = steps::browser_across_nodes().await?;
    let volunteer_browser = steps::browser_across_nodes().await?;

    // The organiser founds the festival, with a bar shift for two people,
    // and takes the first place.
    steps::open_as_owner(&organiser_browser, &organiser_node).await?;
    let festival = steps::found_festival(&organiser_browser, &NewFestival::in_july("Wiesenklang")).await?;
    organiser_browser.click_button("Edit programme").await?;
    steps::add_area(&organiser_browser, "Bar Tent").await?;
    organiser_browser.click_button("Shifts").await?;
    steps::add_shift(
        &organiser_browser,
        &NewShift {
            area: "Bar Tent",
            role: "Bar",
            starts: "2027-07-10T14:00",
            ends: "2027-07-10T18:00",
            people: 2,
        },
    )
    .await?;
    organiser_browser.click_button("Sign up").await?;
    organiser_browser.wait_for_text("You work this shift.").await?;
    organiser_browser.wait_for_text("1 of 2 places taken").await?;
    organiser_browser
        .wait_for_text(&format!("Working: {organiser}"))
        .await?;
    organiser_browser
        .screenshot(&format!("{TEST}-organiser-signed-up"))
        .await?;

    // The crew's invite, as the People page shows it.
    organiser_browser.click_button("People").await?;
    let invite = organiser_browser
        .text_under_heading("Crew", "code.invite-code")
        .await?;
    assert_eq!(
        invite,
        steps::invite_of(&organiser_node, &festival, "CREW").await?,
        "the Crew section shows the crew group's invite"
    );

    // The volunteer asks to join on their own device.
    steps::open_as_owner(&volunteer_browser, &volunteer_node).await?;
    volunteer_browser.fill("Invite", &invite).await?;
    volunteer_browser.click_button("Ask to join").await?;
    volunteer_browser
        .wait_for_text("Asked. The festival shows here once you are accepted.")
        .await?;
    volunteer_browser.wait_for_text("Wiesenklang").await?;
    volunteer_browser
        .wait_for_text_in(".card .badge", "Asked to join")
        .await?;
    volunteer_browser.screenshot(&format!("{TEST}-asked")).await?;

    // The organiser sees the request and accepts it.
    organiser_browser.wait_for_text(&volunteer).await?;
    organiser_browser
        .wait_for_text_in(".requests", &volunteer)
        .await?;
    organiser_browser.scroll_to("Accept").await?;
    organiser_browser
        .screenshot(&format!("{TEST}-request-arrived"))
        .await?;
    organiser_browser.click_button("Accept").await?;
    organiser_browser.wait_for_text_gone("Accept").await?;
    let crew = organiser_browser.text_under_heading("Crew", ".members").await?;
    assert!(crew.contains(&volunteer), "the crew lists the volunteer: {crew}");
    organiser_browser.scroll_to(&volunteer).await?;
    organiser_browser.screenshot(&format!("{TEST}-accepted")).await?;

    // The volunteer's app shows the festival as crew.
    volunteer_browser.wait_for_text_in(".card .badge", "Crew").await?;
    volunteer_browser.screenshot(&format!("{TEST}-crew")).await?;
    volunteer_browser.click_button("Wiesenklang").await?;
    volunteer_browser.wait_for_text_in("h1", "Wiesenklang").await?;
    volunteer_browser
        .wait_for_text_in(".festival-title .badge", "Crew")
        .await?;
    volunteer_browser.wait_for_text("People").await?;
    let tabs = volunteer_browser.body_text().await?;
    assert!(
        !tabs.contains("Edit programme"),
        "crew have no Edit programme tab:\n{tabs}"
    );

    // The programme is the organisers' to change.
    volunteer_browser
        .open(&steps::festival_page(&volunteer_node, &festival, "edit"))
        .await?;
    volunteer_browser
        .wait_for_text("Only the festival's organisers can change this.")
        .await?;
    let edit = volunteer_browser.body_text().await?;
    assert!(!edit.contains("Add a slot"), "crew get no slot form:\n{edit}");
    volunteer_browser.screenshot(&format!("{TEST}-no-edit")).await?;

    // The volunteer takes the last place of the bar shift.
    volunteer_browser.click_button("Shifts").await?;
    volunteer_browser.wait_for_text("1 of 2 places taken").await?;
    volunteer_browser
        .wait_for_text(&format!("Working: {organiser}"))
        .await?;
    volunteer_browser
        .wait_for_text("Only crew leads and organisers can change this.")
        .await?;
    volunteer_browser.click_button("Sign up").await?;
    volunteer_browser.wait_for_text("You work this shift.").await?;
    volunteer_browser.wait_for_text("Full: 2 of 2").await?;
    volunteer_browser
        .wait_for_text(&format!("Working: {organiser}, {volunteer}"))
        .await?;
    volunteer_browser.screenshot(&format!("{TEST}-full")).await?;

    // The organiser's board shows the shift full too.
    organiser_browser.click_button("Shifts").await?;
    organiser_browser.wait_for_text("Full: 2 of 2").await?;
    organiser_browser
        .wait_for_text(&format!("Working: {organiser}, {volunteer}"))
        .await?;
    organiser_browser
        .screenshot(&format!("{TEST}-organiser-sees-full"))
        .await?;

    volunteer_browser.close().await?;
    organiser_browser.close().await
}
