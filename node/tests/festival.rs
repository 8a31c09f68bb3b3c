//! The festival on running nodes, over GraphQL and replication: a fresh
//! node knows every festival schema; who may change what follows the
//! festival's key groups: a volunteer signs up for a shift but cannot edit
//! the programme; a device invited as an organiser and accepted can.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use lineup_node::secret::channels::KEY_PACKAGES_PUBLISHED;
use std::time::Duration;

use jiff::Timestamp;
use lineup_core::{DocumentId, Operation};
use lineup_schemas::model::{Document, Shift, ShiftSignup, Stored};
use lineup_schemas::{rules, Invite, Kind};
use running_node::{post_graphql, publish_all, refusal, RunningNode};
use serde_json::{json, Value as Json};
use test_utils::{eventually, Author, Signed};

/// Asks `node` a GraphQL question, as its owner.
async fn ask(node: &RunningNode, query: &str, variables: Json) -> Json {
    let body = json!({ "query": query, "variables": variables });
    post_graphql(
        &reqwest::Client::new(),
        &node.graphql,
        Some(&node.owner_token),
        &body,
    )
    .await
}

/// Asks and expects an answer without errors; its data.
async fn ok(node: &RunningNode, query: &str, variables: Json) -> Json {
    let answer = ask(node, query, variables).await;
    assert!(answer.get("errors").is_none(), "{query}: {answer}");
    answer["data"].clone()
}

fn id(kind: Kind) -> String {
    kind.schema_id().to_string()
}

/// Waits until `node` answers `query` with data for which `ready` holds.
async fn until(node: &RunningNode, query: &str, ready: impl Fn(&Json) -> bool) -> Json {
    eventually(Duration::from_secs(30), || async {
        let answer = ask(node, query, json!({})).await;
        if ready(&answer["data"]) {
            Ok(answer["data"].clone())
        } else {
            Err(answer.to_string())
        }
    })
    .await
}

#[tokio::test]
async fn a_fresh_node_knows_every_festival_schema() {
    let node = RunningNode::start();
    for kind in Kind::ALL {
        let query = format!("{{ all_{} {{ totalCount }} }}", id(kind));
        let data = ok(&node, &query, json!({})).await;
        // The node's own key packages, with which others add it to channels.
        let expected = if kind == Kind::KeyPackage {
            KEY_PACKAGES_PUBLISHED
        } else {
            0
        };
        assert_eq!(
            data[format!("all_{}", id(kind))]["totalCount"],
            expected,
            "{kind:?}"
        );
    }

    let bare = RunningNode::start_with(&["--bare".as_ref()]);
    let query = format!("{{ all_{} {{ totalCount }} }}", id(Kind::Festival));
    let answer = ask(&bare, &query, json!({})).await;
    assert!(
        answer.get("errors").is_some(),
        "a bare node has no festival: {answer}"
    );
}

const CREATE_FESTIVAL: &str =
    "mutation { createFestival(name: \"Wiesenklang\", description: \"Three days by the lake\", \
     place: \"Lake Stechlin\", start: 1783591200, end: 1783850400, timeZone: \"Europe/Berlin\") }";

/// Founds a festival on `node`; its id.
async fn found_festival(node: &RunningNode) -> String {
    ok(node, CREATE_FESTIVAL, json!({})).await["createFestival"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The festival's key groups, by their field: `owner` (the organisers),
/// `crew_leads`, `crew`.
async fn group_of(node: &RunningNode, festival: &str, field: &str) -> String {
    let query = format!(
        "{{ {}(id: \"{festival}\") {{ fields {{ {field} {{ meta {{ documentId }} }} }} }} }}",
        id(Kind::Festival)
    );
    ok(node, &query, json!({})).await[id(Kind::Festival)]["fields"][field]["meta"]["documentId"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `node` asks to join `group` of `festival` with an invite; the request's id.
async fn join(node: &RunningNode, festival: &str, group: &str) -> String {
    let invite = Invite {
        festival: festival.parse().unwrap(),
        group: group.parse().unwrap(),
    };
    let join = format!("mutation {{ joinFestival(invite: \"{invite}\") }}");
    ok(node, &join, json!({})).await["joinFestival"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits until `node` has `count` membership requests.
async fn until_requests(node: &RunningNode, count: u64) {
    let collection = format!("all_{}", lineup_node::auth::schemas::key_group_schemas().request);
    until(node, &format!("{{ {collection} {{ totalCount }} }}"), |data| {
        data[&collection]["totalCount"] == count
    })
    .await;
}

/// Creates a document of `kind` as the node's owner; its id, or the refusal.
async fn create(node: &RunningNode, kind: Kind, fields: &str) -> Result<String, String> {
    let query = format!(
        "mutation {{ create_{}(fields: {{ {fields} }}) {{ meta {{ documentId }} }} }}",
        id(kind)
    );
    let answer = ask(node, &query, json!({})).await;
    match answer.get("errors") {
        Some(_) => Err(refusal(&answer)),
        None => Ok(
            answer["data"][format!("create_{}", id(kind))]["meta"]["documentId"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
    }
}

async fn rename_slot(node: &RunningNode, slot: &str, title: &str) -> Result<(), String> {
    let query = format!(
        "mutation {{ update_{}(id: \"{slot}\", fields: {{ title: \"{title}\" }}) {{ meta {{ viewId }} }} }}",
        id(Kind::Slot)
    );
    let answer = ask(node, &query, json!({})).await;
    match answer.get("errors") {
        Some(_) => Err(refusal(&answer)),
        None => Ok(()),
    }
}

async fn slot_title(node: &RunningNode, slot: &str) -> Json {
    let query = format!(
        "{{ {}(id: \"{slot}\") {{ fields {{ title }} }} }}",
        id(Kind::Slot)
    );
    ok(node, &query, json!({})).await[id(Kind::Slot)]["fields"]["title"].clone()
}

#[tokio::test]
async fn a_volunteer_signs_up_for_a_shift_but_only_an_accepted_organiser_edits_the_programme() {
    let organiser = RunningNode::start();
    let festival = found_festival(&organiser).await;
    let organisers = group_of(&organiser, &festival, "owner").await;
    let crew = group_of(&organiser, &festival, "crew").await;
    let mine = ok(&organiser, "{ myFestivals { festival role } }", json!({})).await;
    assert_eq!(
        mine["myFestivals"],
        json!([{ "festival": festival, "role": "ORGANISER" }])
    );

    let stage = create(
        &organiser,
        Kind::Area,
        &format!("owner: \"{festival}\", name: \"Lake Stage\", kind: \"stage\", capacity: 2000, location: \"\", description: \"\", guid: \"\""),
    )
    .await
    .unwrap();
    let slot = create(
        &organiser,
        Kind::Slot,
        &format!(
            "owner: \"{festival}\", title: \"Opening\", description: \"\", artists: [], area: \"{stage}\", \
             start: 1783616400, end: 1783620000, status: \"scheduled\", track: \"\", language: \"\", guid: \"\""
        ),
    )
    .await
    .unwrap();
    let shift = create(
        &organiser,
        Kind::Shift,
        &format!(
            "owner: \"{festival}\", area: \"{stage}\", role: \"Stage hands\", start: 1783612800, end: 1783627200, \
             capacity: 4, description: \"\""
        ),
    )
    .await
    .unwrap();

    // A volunteer's node, connected to the organiser's, joins the crew.
    let volunteer = RunningNode::start_with(&["--peer".as_ref(), organiser.quic.as_ref()]);
    let slot_query = format!(
        "{{ {}(id: \"{slot}\") {{ fields {{ title }} }} }}",
        id(Kind::Slot)
    );
    until(&volunteer, &slot_query, |data| {
        data[id(Kind::Slot)]["fields"]["title"] == "Opening"
    })
    .await;
    join(&volunteer, &festival, &crew).await;
    let theirs = ok(&volunteer, "{ myFestivals { festival role } }", json!({})).await;
    assert_eq!(
        theirs["myFestivals"],
        json!([{ "festival": festival, "role": "ASKED" }])
    );

    // The volunteer signs up with their own key, and not for anyone else.
    let signup = |owner: &str| format!("owner: \"{owner}\", shift: \"{shift}\", signed_up_at: 1783500000");
    let signed_up = create(&volunteer, Kind::ShiftSignup, &signup(&volunteer.public_key))
        .await
        .unwrap();
    let for_someone_else = create(&volunteer, Kind::ShiftSignup, &signup(&organiser.public_key)).await;
    assert!(
        for_someone_else
            .as_ref()
            .is_err_and(|refusal| refusal.contains("may not change a document that belongs to")),
        "{for_someone_else:?}"
    );
    let signups = format!(
        "{{ all_{} {{ totalCount documents {{ meta {{ documentId }} }} }} }}",
        id(Kind::ShiftSignup)
    );
    let seen = until(&organiser, &signups, |data| {
        data[format!("all_{}", id(Kind::ShiftSignup))]["totalCount"] == 1
    })
    .await;
    assert_eq!(
        seen[format!("all_{}", id(Kind::ShiftSignup))]["documents"][0]["meta"]["documentId"],
        signed_up
    );

    // ...but cannot edit the programme, nor create in it.
    let refused = rename_slot(&volunteer, &slot, "Volunteers' party")
        .await
        .unwrap_err();
    assert!(
        refused.contains("may not update documents of key group") && refused.contains("no can_update"),
        "{refused}"
    );
    let refused = create(&volunteer, Kind::Announcement, &format!("owner: \"{festival}\", title: \"Free beer\", body: \"\", priority: \"urgent\", published_at: 1783600000")).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|refusal| refusal.contains("no can_create")),
        "{refused:?}"
    );
    assert_eq!(slot_title(&volunteer, &slot).await, "Opening");

    // A new device, invited as an organiser, asks; the organiser accepts.
    let device = RunningNode::start_with(&["--peer".as_ref(), organiser.quic.as_ref()]);
    until(&device, &slot_query, |data| {
        data[id(Kind::Slot)]["fields"]["title"] == "Opening"
    })
    .await;
    let request = join(&device, &festival, &organisers).await;
    assert_eq!(
        rename_slot(&device, &slot, "Grand opening")
            .await
            .map_err(|error| error.contains("no can_update")),
        Err(true)
    );
    // The founding requests (3), the volunteer's and the device's.
    until_requests(&organiser, 5).await;
    let accept = format!(
        "mutation {{ acceptMembership(request: \"{request}\", canAuthorise: false, canCreate: true, canUpdate: true, canDelete: true) }}"
    );
    ok(&organiser, &accept, json!({})).await;

    // Once the acceptance reaches the device, it edits the programme, and
    // the organiser's node takes the edit.
    eventually(Duration::from_secs(30), || async {
        rename_slot(&device, &slot, "Grand opening").await
    })
    .await;
    until(&organiser, &slot_query, |data| {
        data[id(Kind::Slot)]["fields"]["title"] == "Grand opening"
    })
    .await;
    let theirs = ok(&device, "{ myFestivals { festival role } }", json!({})).await;
    assert_eq!(
        theirs["myFestivals"],
        json!([{ "festival": festival, "role": "ORGANISER" }])
    );
    // The volunteer still may not.
    until(&volunteer, &slot_query, |data| {
        data[id(Kind::Slot)]["fields"]["title"] == "Grand opening"
    })
    .await;
    assert!(rename_slot(&volunteer, &slot, "Volunteers' party").await.is_err());
}

/// Sign-ups as a node lists them, typed.
async fn signups_on(node: &RunningNode) -> Vec<Stored<ShiftSignup>> {
    let query = format!(
        "{{ all_{}(first: 100) {{ documents {{ meta {{ documentId viewId }} fields {{ owner shift {{ meta {{ documentId }} }} signed_up_at }} }} }} }}",
        id(Kind::ShiftSignup)
    );
    let data = ok(node, &query, json!({})).await;
    data[format!("all_{}", id(Kind::ShiftSignup))]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|document| Stored {
            id: document["meta"]["documentId"].as_str().unwrap().parse().unwrap(),
            view: document["meta"]["viewId"].as_str().unwrap().parse().unwrap(),
            value: ShiftSignup {
                person: document["fields"]["owner"].as_str().unwrap().parse().unwrap(),
                shift: document["fields"]["shift"]["meta"]["documentId"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap(),
                signed_up_at: Timestamp::from_second(document["fields"]["signed_up_at"].as_i64().unwrap())
                    .unwrap(),
            },
        })
        .collect()
}

/// `volunteer` signs up for `shift` with their own key, at `at`.
fn sign_up(volunteer: &mut Author, shift: DocumentId, at: i64) -> Signed {
    let signup = ShiftSignup {
        person: volunteer.key.public_key(),
        shift,
        signed_up_at: Timestamp::from_second(at).unwrap(),
    };
    let log = volunteer.next_log();
    volunteer.sign(
        log,
        &Operation::create(Kind::ShiftSignup.schema_id().clone(), signup.fields()),
    )
}

#[tokio::test]
async fn sign_ups_made_apart_beyond_capacity_give_both_nodes_the_same_waiting_list() {
    let data_dir = tempfile::tempdir().unwrap();
    let organiser = RunningNode::start_in(data_dir.path(), &[]);
    let festival = found_festival(&organiser).await;
    let stage = create(
        &organiser,
        Kind::Area,
        &format!("owner: \"{festival}\", name: \"Gate\", kind: \"other\", capacity: 0, location: \"\", description: \"\", guid: \"\""),
    )
    .await
    .unwrap();
    let shift_fields = format!(
        "owner: \"{festival}\", area: \"{stage}\", role: \"Gate\", start: 1783612800, end: 1783627200, capacity: 2, description: \"\""
    );
    let shift_id = create(&organiser, Kind::Shift, &shift_fields).await.unwrap();
    let shift: DocumentId = shift_id.parse().unwrap();

    // The gate's node has the shift; then both nodes restart on new ports,
    // so neither finds the other where it remembers it: the network split.
    let gate_dir = tempfile::tempdir().unwrap();
    let gate = RunningNode::start_in(gate_dir.path(), &["--peer".as_ref(), organiser.quic.as_ref()]);
    let shift_query = format!(
        "{{ {}(id: \"{shift_id}\") {{ meta {{ documentId }} }} }}",
        id(Kind::Shift)
    );
    until(&gate, &shift_query, |data| !data[id(Kind::Shift)].is_null()).await;
    drop((gate, organiser));
    let organiser = RunningNode::start_in(data_dir.path(), &[]);
    let gate = RunningNode::start_in(gate_dir.path(), &[]);

    // Apart, two volunteers sign up on each side: four for two places. Two
    // sign up at the same second, on different sides.
    let client = reqwest::Client::new();
    let mut volunteers: Vec<Author> = (0..4).map(|n| Author::new(60 + n)).collect();
    let at = 1_783_500_000;
    let on_organisers = [
        sign_up(&mut volunteers[0], shift, at + 30),
        sign_up(&mut volunteers[1], shift, at + 10),
    ];
    let on_gate = [
        sign_up(&mut volunteers[2], shift, at + 10),
        sign_up(&mut volunteers[3], shift, at + 5),
    ];
    publish_all(&client, &organiser.graphql, &on_organisers).await;
    publish_all(&client, &gate.graphql, &on_gate).await;
    assert_eq!(signups_on(&organiser).await.len(), 2);
    assert_eq!(signups_on(&gate).await.len(), 2);

    // The network is back.
    let reconnect = format!("mutation {{ addPeer(address: \"{}\") }}", organiser.quic);
    ok(&gate, &reconnect, json!({})).await;
    let count = format!("{{ all_{} {{ totalCount }} }}", id(Kind::ShiftSignup));
    for node in [&organiser, &gate] {
        until(node, &count, |data| {
            data[format!("all_{}", id(Kind::ShiftSignup))]["totalCount"] == 4
        })
        .await;
    }

    let shift_document = Stored {
        id: shift,
        view: shift_id.parse().unwrap(),
        value: Shift {
            festival: festival.parse().unwrap(),
            area: stage.parse().unwrap(),
            role: "Gate".into(),
            start: Timestamp::from_second(1_783_612_800).unwrap(),
            end: Timestamp::from_second(1_783_627_200).unwrap(),
            capacity: 2,
            description: String::new(),
        },
    };
    let roster_on = |signups: Vec<Stored<ShiftSignup>>| {
        let roster = rules::rosters(std::slice::from_ref(&shift_document), &signups)[&shift].clone();
        let people = |volunteers: &[rules::Volunteer]| {
            volunteers
                .iter()
                .map(|volunteer| volunteer.person)
                .collect::<Vec<_>>()
        };
        (
            people(&roster.confirmed),
            people(&roster.waiting),
            roster.over_capacity(),
        )
    };
    let on_organisers = roster_on(signups_on(&organiser).await);
    let on_gate = roster_on(signups_on(&gate).await);
    assert_eq!(on_organisers, on_gate);
    let (confirmed, waiting, over) = on_organisers;
    let key = |n: usize| volunteers[n].key.public_key();
    assert_eq!(confirmed[0], key(3), "the earliest");
    // Volunteers 1 and 2 signed up at the same second: their sign-ups' ids decide.
    assert_eq!(
        [confirmed[1], waiting[0]]
            .iter()
            .filter(|person| [key(1), key(2)].contains(person))
            .count(),
        2
    );
    assert_eq!(waiting[1], key(0), "the latest");
    assert_eq!(over.map(|over| over.signed_up), Some(4));
}

#[tokio::test]
async fn the_demo_fills_a_festival_that_never_leaves_its_node() {
    let data_dir = tempfile::tempdir().unwrap();
    let demo = || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_lineup-node"))
            .arg("--data-dir")
            .arg(data_dir.path())
            .arg("demo")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(demo().starts_with("Made the demo festival"));
    assert_eq!(demo(), "The demo festival is here already.\n");

    let node = RunningNode::start_in(data_dir.path(), &[]);
    let mine = ok(&node, "{ myFestivals { festival role } }", json!({})).await;
    assert_eq!(mine["myFestivals"][0]["role"], "DEMO", "{mine}");
    let count = |kind: Kind| format!("all_{}", id(kind));
    let query = format!(
        "{{ {} {{ totalCount }} {} {{ totalCount }} {} {{ totalCount }} {} {{ totalCount }} {} {{ totalCount }} }}",
        count(Kind::Area),
        count(Kind::Artist),
        count(Kind::Slot),
        count(Kind::Shift),
        count(Kind::ShiftSignup)
    );
    let counts = ok(&node, &query, json!({})).await;
    let total = |kind: Kind| counts[count(kind)]["totalCount"].as_u64().unwrap();
    assert_eq!(total(Kind::Area), 6);
    assert!(total(Kind::Artist) >= 150 && total(Kind::Slot) >= 150, "{counts}");
    assert!(total(Kind::Shift) >= 200, "{counts}");
    assert_eq!(total(Kind::ShiftSignup), 240);

    // Another node syncs with it, and gets none of it.
    let other = RunningNode::start_with(&["--peer".as_ref(), node.quic.as_ref()]);
    let synced = "{ syncStatus { peers { lastSync } } }";
    until(&other, synced, |data| {
        !data["syncStatus"]["peers"][0]["lastSync"].is_null()
    })
    .await;
    let theirs = ok(&other, &query, json!({})).await;
    for kind in [
        Kind::Area,
        Kind::Artist,
        Kind::Slot,
        Kind::Shift,
        Kind::ShiftSignup,
    ] {
        assert_eq!(theirs[count(kind)]["totalCount"], 0, "{kind:?}: {theirs}");
    }
    let festivals = format!("{{ {} {{ totalCount }} }}", count(Kind::Festival));
    assert_eq!(
        ok(&other, &festivals, json!({})).await[count(Kind::Festival)]["totalCount"],
        0
    );
}

const SCHEDULE_XML: &str = include_str!("../../schemas/tests/fixtures/pretalx-style/schedule.xml");

/// Imports `file` into `festival` on `node` as its owner; (created, updated) or the refusal.
async fn import(node: &RunningNode, festival: &str, file: &str) -> Result<(u64, u64), String> {
    let query = "mutation I($festival: String!, $file: String!) { importSchedule(festival: $festival, file: $file) { created updated } }";
    let answer = ask(node, query, json!({ "festival": festival, "file": file })).await;
    match answer.get("errors") {
        Some(_) => Err(refusal(&answer)),
        None => {
            let imported = &answer["data"]["importSchedule"];
            Ok((
                imported["created"].as_u64().unwrap(),
                imported["updated"].as_u64().unwrap(),
            ))
        }
    }
}

async fn slot_count(node: &RunningNode) -> Json {
    let query = format!("{{ all_{} {{ totalCount }} }}", id(Kind::Slot));
    ok(node, &query, json!({})).await[format!("all_{}", id(Kind::Slot))]["totalCount"].clone()
}

#[tokio::test]
async fn an_organiser_imports_a_schedule_once_and_everyone_downloads_it() {
    let organiser = RunningNode::start();
    let festival = found_festival(&organiser).await;

    // A malformed file is refused naming its line, and nothing is stored.
    let broken = SCHEDULE_XML.replacen("</event>", "</evnt>", 1);
    let refused = import(&organiser, &festival, &broken).await.unwrap_err();
    assert!(refused.contains("line "), "{refused}");
    assert_eq!(slot_count(&organiser).await, 0);

    let (created, updated) = import(&organiser, &festival, SCHEDULE_XML).await.unwrap();
    assert!(created >= 12 && updated == 0, "{created} {updated}");
    assert_eq!(slot_count(&organiser).await, 12);
    assert_eq!(
        import(&organiser, &festival, SCHEDULE_XML).await,
        Ok((0, 0)),
        "the same file again changes nothing"
    );

    // Any browser on the network downloads the programme, without the token.
    let client = reqwest::Client::new();
    let base = organiser.graphql.trim_end_matches("/graphql");
    for (file, content_type, marker) in [
        ("schedule.xml", "application/xml", "<title>Nachtschicht</title>"),
        ("schedule.json", "application/json", "\"Nachtschicht\""),
        ("programme.ics", "text/calendar", "SUMMARY:Nachtschicht"),
    ] {
        let response = client
            .get(format!("{base}/festivals/{festival}/{file}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{file}");
        let got_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(got_type.starts_with(content_type), "{file}: {got_type}");
        let body = response.text().await.unwrap();
        assert!(body.contains(marker), "{file}: {body}");
    }
    let unknown = client
        .get(format!("{base}/festivals/{festival}/schedule.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // A node whose key may not change the programme imports nothing at all.
    let volunteer = RunningNode::start_with(&["--peer".as_ref(), organiser.quic.as_ref()]);
    until(
        &volunteer,
        &format!("{{ all_{} {{ totalCount }} }}", id(Kind::Slot)),
        |data| data[format!("all_{}", id(Kind::Slot))]["totalCount"] == 12,
    )
    .await;
    let newer = SCHEDULE_XML.replace("Nachtschicht", "Nachtschicht (neu)");
    let refused = import(&volunteer, &festival, &newer).await.unwrap_err();
    assert!(
        refused.contains("no can_update") || refused.contains("no can_create"),
        "{refused}"
    );
    let titles = format!(
        "{{ all_{}(filter: {{ title: {{ eq: \"Nachtschicht (neu)\" }} }}) {{ totalCount }} }}",
        id(Kind::Slot)
    );
    assert_eq!(
        ok(&volunteer, &titles, json!({})).await[format!("all_{}", id(Kind::Slot))]["totalCount"],
        0
    );
    // The organiser's newer file updates the changed slot only.
    assert_eq!(import(&organiser, &festival, &newer).await, Ok((0, 1)));
}

#[tokio::test]
async fn a_plan_with_one_refused_change_stores_none_of_its_changes() {
    use lineup_node::festival::{found, FestivalDetails};
    use lineup_schemas::model::Resource;
    use lineup_schemas::plan::Plan;

    let dir = tempfile::tempdir().unwrap();
    let node = lineup_node::node::Node::builder()
        .data_dir(dir.path())
        .spawn()
        .await
        .unwrap();
    let details = FestivalDetails {
        name: "Wiesenklang".into(),
        description: String::new(),
        place: String::new(),
        start: Timestamp::from_second(1_783_591_200).unwrap(),
        end: Timestamp::from_second(1_783_850_400).unwrap(),
        time_zone: "Europe/Berlin".into(),
    };
    let festival = found(&node, details).await.unwrap().festival;
    let mut plan = Plan::default();
    let van = Resource {
        festival,
        name: "Van".into(),
        description: String::new(),
    };
    plan.create(&van, &[]);
    // The festival is no resource: the second change is refused.
    plan.update(
        Kind::Resource,
        festival,
        festival.to_string().parse().unwrap(),
        van.fields(),
    );
    let refused = node.apply_plan(plan).await.unwrap_err();
    assert!(refused.to_string().contains("is not a resource"), "{refused}");
    let resources = node
        .documents(Kind::Resource.schema_id().clone(), Default::default())
        .await
        .unwrap();
    assert!(
        resources.items.is_empty(),
        "the van stayed: {:?}",
        resources.items
    );

    let mut plan = Plan::default();
    plan.create(&van, &[]);
    let van_id = node.apply_plan(plan).await.unwrap()[0];

    // Two updates of one document in a plan: the second builds on the first.
    let view = node.document(van_id).await.unwrap().unwrap().view_id;
    let mut plan = Plan::default();
    let rename = |name: &str| {
        std::collections::BTreeMap::from([("name".to_owned(), lineup_core::Value::Str(name.into()))])
    };
    plan.update(Kind::Resource, van_id, view.clone(), rename("Blue van"));
    plan.update(Kind::Resource, van_id, view, rename("Red van"));
    node.apply_plan(plan).await.unwrap();
    let renamed = node.document(van_id).await.unwrap().unwrap();
    assert_eq!(
        renamed.view_id.operations().len(),
        1,
        "one tip: {}",
        renamed.view_id
    );
    assert_eq!(
        renamed.fields.unwrap()["name"].value,
        lineup_core::Value::Str("Red van".into())
    );
}

#[tokio::test]
async fn an_accepted_crew_lead_runs_shifts_but_not_the_programme() {
    let organiser = RunningNode::start();
    let festival = found_festival(&organiser).await;
    let crew_leads = group_of(&organiser, &festival, "crew_leads").await;
    let stage = create(
        &organiser,
        Kind::Area,
        &format!("owner: \"{festival}\", name: \"Stage\", kind: \"stage\", capacity: 0, location: \"\", description: \"\", guid: \"\""),
    )
    .await
    .unwrap();

    let lead = RunningNode::start_with(&["--peer".as_ref(), organiser.quic.as_ref()]);
    let stage_query = format!(
        "{{ {}(id: \"{stage}\") {{ meta {{ documentId }} }} }}",
        id(Kind::Area)
    );
    until(&lead, &stage_query, |data| !data[id(Kind::Area)].is_null()).await;
    let request = join(&lead, &festival, &crew_leads).await;
    until_requests(&organiser, 4).await;
    // A member of the crew leads, with no permissions of its own there.
    let accept = format!(
        "mutation {{ acceptMembership(request: \"{request}\", canAuthorise: false, canCreate: false, canUpdate: false, canDelete: false) }}"
    );
    ok(&organiser, &accept, json!({})).await;

    let shift = format!(
        "owner: \"{festival}\", area: \"{stage}\", role: \"Bar\", start: 1783612800, end: 1783627200, capacity: 3, description: \"\""
    );
    eventually(Duration::from_secs(30), || async {
        create(&lead, Kind::Shift, &shift).await
    })
    .await;
    let theirs = ok(&lead, "{ myFestivals { festival role } }", json!({})).await;
    assert_eq!(
        theirs["myFestivals"],
        json!([{ "festival": festival, "role": "CREW_LEAD" }])
    );
    let slot = format!(
        "owner: \"{festival}\", title: \"Secret set\", description: \"\", artists: [], area: \"{stage}\", \
         start: 1783616400, end: 1783620000, status: \"scheduled\", track: \"\", language: \"\", guid: \"\""
    );
    let refused = create(&lead, Kind::Slot, &slot).await.unwrap_err();
    assert!(refused.contains("no can_create"), "{refused}");
}
