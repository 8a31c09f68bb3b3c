//! What people do in Lineup, step by step, as the end-to-end scenarios
//! share it: each step fills in and sends a form of the app as a person
//! would, and waits until the page shows what it made.
//!
//! Times are given as a `datetime-local` field takes them, in the
//! festival's time zone: `2027-07-10T20:00`.

use std::time::Duration;

use crate::{built_ui, Browser, NodeProcess};

/// How long a page may take to show what another node did: replication,
/// then the app's reload once the changes settle, on a slow machine.
pub const ACROSS_NODES: Duration = Duration::from_secs(60);

/// A festival to found with the "Found a festival" form.
#[derive(Debug, Clone, Copy)]
pub struct NewFestival<'a> {
    /// Its name.
    pub name: &'a str,
    /// Where it is.
    pub place: &'a str,
    /// Its first day, `2027-07-09`.
    pub first_day: &'a str,
    /// Its last day.
    pub last_day: &'a str,
    /// Its time zone, `Europe/Berlin`.
    pub time_zone: &'a str,
}

impl NewFestival<'static> {
    /// A three-day festival in Berlin's time zone, in July 2027 (Friday to
    /// Sunday), so that nothing depends on today.
    pub fn in_july(name: &'static str) -> Self {
        NewFestival {
            name,
            place: "Tempelhofer Feld",
            first_day: "2027-07-09",
            last_day: "2027-07-11",
            time_zone: "Europe/Berlin",
        }
    }
}

/// A slot for the "Add a slot" form.
#[derive(Debug, Clone, Copy)]
pub struct NewSlot<'a> {
    /// What it is called.
    pub title: &'a str,
    /// The name of its area.
    pub area: &'a str,
    /// When it starts, `2027-07-10T20:00`.
    pub starts: &'a str,
    /// When it ends.
    pub ends: &'a str,
    /// The names of its artists, ticked in the form.
    pub artists: &'a [&'a str],
}

/// A slot the scenarios share: "Opening Night" on the Main Stage, Saturday
/// 10 July 2027, 20:00–21:00, with no artist.
pub const OPENING_NIGHT: NewSlot<'static> = NewSlot {
    title: "Opening Night",
    area: "Main Stage",
    starts: "2027-07-10T20:00",
    ends: "2027-07-10T21:00",
    artists: &[],
};

/// A shift for the "Add a shift" form.
#[derive(Debug, Clone, Copy)]
pub struct NewShift<'a> {
    /// The name of its area.
    pub area: &'a str,
    /// What its people do, `Bar`.
    pub role: &'a str,
    /// When it starts, `2027-07-10T14:00`.
    pub starts: &'a str,
    /// When it ends.
    pub ends: &'a str,
    /// How many people it needs.
    pub people: u32,
}

/// Two nodes serving the app, the second keeping in sync with the first
/// over QUIC on 127.0.0.1 (`--peer`).
pub fn two_nodes() -> anyhow::Result<(NodeProcess, NodeProcess)> {
    let first = NodeProcess::builder().ui_dir(built_ui()?).start()?;
    let second = NodeProcess::builder()
        .ui_dir(built_ui()?)
        .peer(first.quic_addr())
        .start()?;
    Ok((first, second))
}

/// Three nodes serving the app, the second and third keeping in sync with
/// the first (and through it with each other).
pub fn three_nodes() -> anyhow::Result<(NodeProcess, NodeProcess, NodeProcess)> {
    let (first, second) = two_nodes()?;
    let third = NodeProcess::builder()
        .ui_dir(built_ui()?)
        .peer(first.quic_addr())
        .start()?;
    Ok((first, second, third))
}

/// A browser whose helpers wait [`ACROSS_NODES`] for what they look for.
pub async fn browser_across_nodes() -> anyhow::Result<Browser> {
    let mut browser = Browser::start().await?;
    browser.set_timeout(ACROSS_NODES);
    Ok(browser)
}

/// Opens the node's owner link, as its owner does from what the node
/// prints, and waits until the app shows the owner's forms.
pub async fn open_as_owner(browser: &Browser, node: &NodeProcess) -> anyhow::Result<()> {
    browser.open(node.owner_url()).await?;
    browser.wait_for_text("Found a festival").await?;
    browser.wait_for_text("Live").await
}

/// On the Festivals page of an owner's browser: founds `festival`, waits
/// until its page shows it with the role "Organiser", and answers its id.
pub async fn found_festival(browser: &Browser, festival: &NewFestival<'_>) -> anyhow::Result<String> {
    browser.wait_for_text("Found a festival").await?;
    browser.fill("Name", festival.name).await?;
    browser.fill("Place", festival.place).await?;
    browser.fill("First day", festival.first_day).await?;
    browser.fill("Last day", festival.last_day).await?;
    browser.fill("Time zone", festival.time_zone).await?;
    browser.click_button("Found festival").await?;
    let url = browser.wait_for_url("/f/").await?;
    browser.wait_for_text_in("h1", festival.name).await?;
    browser.wait_for_text("Organiser").await?;
    festival_id_in(&url)
}

/// The festival id in an app address, `…/f/<id>` or `…/f/<id>/<page>`.
pub fn festival_id_in(url: &str) -> anyhow::Result<String> {
    let (_, rest) = url
        .split_once("/f/")
        .ok_or_else(|| anyhow::anyhow!("{url} is not a festival's page"))?;
    let id = rest.split(['/', '?', '#']).next().unwrap_or_default();
    anyhow::ensure!(!id.is_empty(), "{url} names no festival");
    Ok(id.to_owned())
}

/// The address of one of a festival's pages on `node`: `page` is `""` for
/// its front page, or `programme`, `edit`, `shifts`, `people`, ….
pub fn festival_page(node: &NodeProcess, festival: &str, page: &str) -> String {
    if page.is_empty() {
        node.url(&format!("/f/{festival}"))
    } else {
        node.url(&format!("/f/{festival}/{page}"))
    }
}

/// On the "Edit programme" page: adds a stage called `name` and waits until
/// the page lists it.
pub async fn add_area(browser: &Browser, name: &str) -> anyhow::Result<()> {
    browser.fill("Area name", name).await?;
    browser.select("Kind", "Stage").await?;
    browser.click_button("Add area").await?;
    browser.wait_for_text(name).await
}

/// On the "Edit programme" page: adds an artist called `name` and waits
/// until the page lists them.
pub async fn add_artist(browser: &Browser, name: &str) -> anyhow::Result<()> {
    browser.fill("Artist name", name).await?;
    browser.click_button("Add artist").await?;
    browser.wait_for_text(name).await
}

/// On the "Edit programme" page: fills in the "Add a slot" form with
/// `slot`, without sending it.
pub async fn fill_slot(browser: &Browser, slot: &NewSlot<'_>) -> anyhow::Result<()> {
    browser.fill("Title", slot.title).await?;
    browser.select("Area", slot.area).await?;
    browser.fill("Starts", slot.starts).await?;
    browser.fill("Ends", slot.ends).await?;
    for artist in slot.artists {
        browser.check(artist).await?;
    }
    Ok(())
}

/// On the "Edit programme" page: adds `slot` and waits until the list of
/// slots shows it.
pub async fn add_slot(browser: &Browser, slot: &NewSlot<'_>) -> anyhow::Result<()> {
    fill_slot(browser, slot).await?;
    browser.click_button("Add slot").await?;
    browser.wait_for_text_in(".slot-list", slot.title).await
}

/// On the Shifts page: adds `shift` and waits until the board shows it
/// with its places.
pub async fn add_shift(browser: &Browser, shift: &NewShift<'_>) -> anyhow::Result<()> {
    browser.select("Area", shift.area).await?;
    browser.fill("Role", shift.role).await?;
    browser.fill("Starts", shift.starts).await?;
    browser.fill("Ends", shift.ends).await?;
    browser.fill("People", &shift.people.to_string()).await?;
    browser.click_button("Add shift").await?;
    browser.wait_for_text(shift.role).await?;
    browser
        .wait_for_text(&format!("0 of {} places taken", shift.people))
        .await
}

/// What a person's key shows as on a page where they chose no name: its
/// first eight hex digits and an ellipsis.
pub fn short_key(public_key: &str) -> String {
    format!("{}…", &public_key[..public_key.len().min(8)])
}

/// The invite code of one of a festival's groups (`ORGANISER`,
/// `CREW_LEAD` or `CREW`), as `node` tells it.
pub async fn invite_of(node: &NodeProcess, festival: &str, role: &str) -> anyhow::Result<String> {
    let people = node
        .graphql(&format!(
            "{{ festivalPeople(festival: \"{festival}\") {{ groups {{ role invite }} }} }}"
        ))
        .await?;
    people["festivalPeople"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|group| group["role"] == role)
        .and_then(|group| group["invite"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("{festival} has no {role} group: {people}"))
}

/// The festivals `node`'s key belongs to, as `(id, role)`.
pub async fn my_festivals(node: &NodeProcess) -> anyhow::Result<Vec<(String, String)>> {
    let answer = node.graphql("{ myFestivals { festival role } }").await?;
    Ok(answer["myFestivals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|belonging| {
            let text = |field: &str| belonging[field].as_str().unwrap_or_default().to_owned();
            (text("festival"), text("role"))
        })
        .collect())
}

/// `volunteer` asks, over GraphQL, to join the festival's group `role`
/// (`ORGANISER`, `CREW_LEAD` or `CREW`) with its invite; waits until
/// `organiser`'s node has the request, and answers the request's id.
pub async fn ask_to_join(
    organiser: &NodeProcess,
    volunteer: &NodeProcess,
    festival: &str,
    role: &str,
) -> anyhow::Result<String> {
    let invite = invite_of(organiser, festival, role).await?;
    volunteer
        .graphql_with(
            Some(volunteer.owner_token()),
            "mutation Join($invite: String!) { joinFestival(invite: $invite) }",
            serde_json::json!({ "invite": invite }),
        )
        .await?;
    let people = format!(
        "{{ festivalPeople(festival: \"{festival}\") {{ groups {{ role requests {{ request publicKey }} }} }} }}"
    );
    until(
        &format!("{}'s request to reach the organiser", volunteer.public_key()),
        async || {
            let answer = organiser.graphql(&people).await?;
            Ok(answer["festivalPeople"]["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|group| group["role"] == role)
                .flat_map(|group| group["requests"].as_array().into_iter().flatten())
                .find(|request| request["publicKey"] == volunteer.public_key())
                .and_then(|request| request["request"].as_str())
                .map(str::to_owned))
        },
    )
    .await
}

/// `volunteer` joins the festival's crew with its invite and `organiser`
/// accepts, over GraphQL (the app's way is `e2e/crew.rs`); waits until
/// `volunteer`'s node knows it is crew.
pub async fn join_crew(
    organiser: &NodeProcess,
    volunteer: &NodeProcess,
    festival: &str,
) -> anyhow::Result<()> {
    let request = ask_to_join(organiser, volunteer, festival, "CREW").await?;
    organiser
        .graphql_with(
            Some(organiser.owner_token()),
            "mutation Accept($request: String!) { acceptMembership(request: $request, canAuthorise: false, \
             canCreate: false, canUpdate: false, canDelete: false) }",
            serde_json::json!({ "request": request }),
        )
        .await?;
    wait_for_role(volunteer, festival, "CREW").await
}

/// Waits until `node` knows its key is `role` at the festival.
pub async fn wait_for_role(node: &NodeProcess, festival: &str, role: &str) -> anyhow::Result<()> {
    until(&format!("{} to be {role}", node.public_key()), async || {
        let belongs = my_festivals(node)
            .await?
            .contains(&(festival.to_owned(), role.to_owned()));
        Ok(belongs.then_some(()))
    })
    .await
}

/// Asks `check` every quarter second until it answers something, for at
/// most [`ACROSS_NODES`].
pub async fn until<T>(
    what: &str,
    mut check: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let deadline = tokio::time::Instant::now() + ACROSS_NODES;
    loop {
        if let Some(found) = check().await? {
            return Ok(found);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "waited {ACROSS_NODES:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
