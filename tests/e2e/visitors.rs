//! A visitor opens the node's plain address, without the owner token: they
//! see the festival and may change nothing, in the app or over GraphQL.

use lineup_schemas::Kind;
use lineup_tests::steps::{self, NewFestival, NewShift};
use lineup_tests::{built_ui, Browser, NodeProcess};
use serde_json::Value;

#[tokio::test]
async fn a_visitor_without_the_owner_token_sees_the_festival_read_only() -> anyhow::Result<()> {
    const TEST: &str = "visitor_sees_the_festival_read_only";
    let node = NodeProcess::builder().ui_dir(built_ui()?).start()?;
    let festival = planned_festival(&node).await?;
    let visitor = Browser::start().await?;

    visitor.open(&steps::festival_page(&node, &festival, "")).await?;
    visitor.wait_for_text_in("h1", "Wiesenklang").await?;
    visitor.wait_for_text("Visitor: read-only").await?;
    visitor.wait_for_text("People").await?;
    let tabs = visitor.body_text().await?;
    assert!(
        !tabs.contains("Edit programme"),
        "a visitor has no Edit programme tab:\n{tabs}"
    );
    visitor.screenshot(&format!("{TEST}-festival")).await?;

    visitor.click_button("Programme").await?;
    visitor.click_button("Sat 10").await?;
    visitor.wait_for_text("Opening Night").await?;
    visitor.wait_for_text("20:00–21:00").await?;
    visitor.screenshot(&format!("{TEST}-programme")).await?;

    visitor.click_button("Shifts").await?;
    visitor.wait_for_text("Bar").await?;
    visitor.wait_for_text("0 of 2 places taken").await?;
    assert!(visitor.is_disabled("Sign up").await?, "a visitor cannot sign up");
    visitor
        .wait_for_text("Open Lineup on your own device to sign up.")
        .await?;
    visitor.screenshot(&format!("{TEST}-shifts")).await?;

    visitor
        .open(&steps::festival_page(&node, &festival, "edit"))
        .await?;
    visitor
        .wait_for_text("Only the festival's organisers can change this")
        .await?;
    let edit = visitor.body_text().await?;
    for form in ["Add a slot", "Add an area", "Add an artist"] {
        assert!(!edit.contains(form), "a visitor gets no {form:?} form:\n{edit}");
    }
    visitor.screenshot(&format!("{TEST}-edit")).await?;

    visitor.open(&node.url("/")).await?;
    visitor.wait_for_text("Wiesenklang").await?;
    visitor.wait_for_text("Visitor: read-only").await?;
    let start = visitor.body_text().await?;
    for form in ["Found a festival", "Join a festival"] {
        assert!(!start.contains(form), "a visitor gets no {form:?} form:\n{start}");
    }
    visitor.screenshot(&format!("{TEST}-festivals")).await?;
    visitor.close().await
}

#[tokio::test]
async fn a_mutation_without_the_owner_token_is_refused_and_changes_nothing() -> anyhow::Result<()> {
    const TEST: &str = "mutation_without_token_is_refused";
    let node = NodeProcess::builder().ui_dir(built_ui()?).start()?;
    let festival = planned_festival(&node).await?;
    let before = festival_as_stored(&node, &festival).await?;
    let slot = before["slots"]["documents"][0]["meta"]["documentId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!slot.is_empty(), "the festival has a slot: {before}");

    let rename = format!(
        "mutation {{ update_{schema}(id: \"{festival}\", fields: {{ name: \"Taken Over\" }}) {{ meta {{ documentId }} }} }}",
        schema = Kind::Festival.schema_id()
    );
    let delete = format!(
        "mutation {{ delete_{schema}(id: \"{slot}\") }}",
        schema = Kind::Slot.schema_id()
    );
    let found = "mutation { createFestival(name: \"Elsewhere\", description: \"\", place: \"\", \
                 start: 1815004800, end: 1815264000, timeZone: \"Europe/Berlin\") }";
    for mutation in [rename.as_str(), delete.as_str(), found] {
        let refused = node
            .graphql(mutation)
            .await
            .expect_err("a mutation needs the owner token");
        assert!(
            refused.to_string().contains("only the node's owner may do this"),
            "refused for want of the token: {refused:#}"
        );
    }

    assert_eq!(
        festival_as_stored(&node, &festival).await?,
        before,
        "the refused mutations changed nothing"
    );
    assert_eq!(steps::my_festivals(&node).await?.len(), 1);
    let visitor = Browser::start().await?;
    visitor
        .open(&format!(
            "{}?day=2027-07-10",
            steps::festival_page(&node, &festival, "programme")
        ))
        .await?;
    visitor.wait_for_text_in("h1", "Wiesenklang").await?;
    visitor.wait_for_text("Opening Night").await?;
    visitor.screenshot(&format!("{TEST}-unchanged")).await?;
    visitor.close().await
}

/// The festival "Wiesenklang" on `node`, planned by its owner in the app:
/// a slot "Opening Night" on Saturday 10 July 2027, 20:00–21:00, on the
/// Main Stage, and a bar shift there for two people. Answers its id.
async fn planned_festival(node: &NodeProcess) -> anyhow::Result<String> {
    let owner = Browser::start().await?;
    steps::open_as_owner(&owner, node).await?;
    let festival = steps::found_festival(&owner, &NewFestival::in_july("Wiesenklang")).await?;
    owner.click_button("Edit programme").await?;
    steps::add_area(&owner, "Main Stage").await?;
    steps::add_slot(&owner, &steps::OPENING_NIGHT).await?;
    owner.click_button("Shifts").await?;
    steps::add_shift(
        &owner,
        &NewShift {
            area: "Main Stage",
            role: "Bar",
            starts: "2027-07-10T18:00",
            ends: "2027-07-10T22:00",
            people: 2,
        },
    )
    .await?;
    owner.close().await?;
    Ok(festival)
}

/// The festival's name and slots as `node` stores them.
async fn festival_as_stored(node: &NodeProcess, festival: &str) -> anyhow::Result<Value> {
    node.graphql(&format!(
        "{{ festival: {festival_schema}(id: \"{festival}\") {{ meta {{ viewId }} fields {{ name }} }} \
         slots: all_{slot_schema}(filter: {{ owner: {{ eq: \"{festival}\" }} }}) \
         {{ documents {{ meta {{ documentId viewId }} fields {{ title }} }} }} }}",
        festival_schema = Kind::Festival.schema_id(),
        slot_schema = Kind::Slot.schema_id(),
    ))
    .await
}
