//! Who is in a festival's groups and who asks to join them, on a node: a
//! request waits until a member who may authorise answers it; an accepted
//! key is a member until its membership is revoked; a festival document
//! whose groups its author did not found is no festival. The same over
//! GraphQL (`festivalPeople`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use lineup_core::{DocumentId, Operation, Value};
use lineup_node::auth::grants::{GroupMember, PendingRequest, Permissions};
use lineup_node::auth::memberships::{self, Answer};
use lineup_node::auth::schemas::key_group_schemas;
use lineup_node::festival::{self, FestivalDetails, FestivalPeople, FestivalRole, Founded};
use lineup_node::node::Node;
use lineup_schemas::model::{Document, Festival};
use lineup_schemas::{Invite, Kind};
use running_node::post_graphql;
use serde_json::json;
use test_utils::{local_api, serve_api, Author};

fn details() -> FestivalDetails {
    FestivalDetails {
        name: "Wiesenklang".into(),
        description: "Three days by the lake".into(),
        place: "Lake Stechlin".into(),
        start: Timestamp::from_second(1_783_591_200).unwrap(),
        end: Timestamp::from_second(1_783_850_400).unwrap(),
        time_zone: "Europe/Berlin".into(),
    }
}

/// `author` asks, with its own key, to join `group`; the request's id.
async fn ask_to_join(node: &Node, author: &mut Author, group: DocumentId) -> DocumentId {
    let fields = BTreeMap::from([
        ("key_group".to_owned(), Value::Relation(group)),
        ("member".to_owned(), Value::RelationList(Vec::new())),
    ]);
    let log = author.next_log();
    let (entry, operation) = author.sign(
        log,
        &Operation::create(key_group_schemas().request.clone(), fields),
    );
    node.publish(entry.clone(), operation).await.unwrap();
    DocumentId(entry.hash())
}

/// One of the festival's groups, by its role.
fn group_of(people: &FestivalPeople, role: FestivalRole) -> &festival::FestivalGroup {
    people.groups.iter().find(|group| group.role == role).unwrap()
}

fn founder(node: &Node) -> GroupMember {
    GroupMember {
        key: node.public_key(),
        membership: None,
        can_authorise: true,
    }
}

#[tokio::test]
async fn a_request_waits_until_answered_and_a_member_stays_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
    let Founded {
        festival: id,
        organisers,
        crew_leads,
        crew,
    } = festival::found(&node, details()).await.unwrap();

    // Founded: the founder alone in each group, nobody waiting (the
    // groups' requests to join each other are answered when founding).
    let people = festival::festival_people(&node, id).await.unwrap().unwrap();
    let roles: Vec<_> = people
        .groups
        .iter()
        .map(|group| (group.role, group.group))
        .collect();
    assert_eq!(
        roles,
        [
            (FestivalRole::Organiser, organisers),
            (FestivalRole::CrewLead, crew_leads),
            (FestivalRole::Crew, crew)
        ]
    );
    for group in &people.groups {
        assert_eq!(
            group.invite,
            Invite {
                festival: id,
                group: group.group
            }
        );
        assert_eq!(group.members, [founder(&node)]);
        assert_eq!(group.requests, []);
    }

    // A volunteer asks to join the crew with its invite: waiting there only.
    let mut volunteer = Author::new(81);
    let request = ask_to_join(&node, &mut volunteer, crew).await;
    let people = festival::festival_people(&node, id).await.unwrap().unwrap();
    let asking = PendingRequest {
        request,
        key: volunteer.key.public_key(),
    };
    assert_eq!(group_of(&people, FestivalRole::Crew).requests, [asking]);
    assert_eq!(group_of(&people, FestivalRole::Organiser).requests, []);

    // Accepted: a member, by that membership, and no longer waiting.
    let membership = memberships::answer(
        &node,
        request,
        Answer::Accept {
            permissions: Permissions::default(),
            schema: None,
        },
    )
    .await
    .unwrap();
    let people = festival::festival_people(&node, id).await.unwrap().unwrap();
    let crew_now = group_of(&people, FestivalRole::Crew);
    assert_eq!(
        crew_now.members,
        [
            founder(&node),
            GroupMember {
                key: volunteer.key.public_key(),
                membership: Some(membership),
                can_authorise: false,
            }
        ]
    );
    assert_eq!(crew_now.requests, []);

    // Revoked: gone, and not waiting again.
    memberships::revoke(&node, membership).await.unwrap();
    let people = festival::festival_people(&node, id).await.unwrap().unwrap();
    assert_eq!(group_of(&people, FestivalRole::Crew).members, [founder(&node)]);
    assert_eq!(group_of(&people, FestivalRole::Crew).requests, []);

    // A rejected request is answered too.
    let mut stranger = Author::new(82);
    let request = ask_to_join(&node, &mut stranger, organisers).await;
    memberships::answer(&node, request, Answer::Reject).await.unwrap();
    let people = festival::festival_people(&node, id).await.unwrap().unwrap();
    assert_eq!(
        group_of(&people, FestivalRole::Organiser).members,
        [founder(&node)]
    );
    assert_eq!(group_of(&people, FestivalRole::Organiser).requests, []);
    node.stop().await.unwrap();
}

#[tokio::test]
async fn a_festival_whose_groups_its_author_did_not_found_has_no_people() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
    let founded = festival::found(&node, details()).await.unwrap();
    // An organiser, who may create festival documents, writes one naming
    // the same groups.
    let mut organiser = Author::new(83);
    let request = ask_to_join(&node, &mut organiser, founded.organisers).await;
    let everything = Permissions {
        authorise: false,
        create: true,
        update: true,
        delete: true,
    };
    memberships::answer(
        &node,
        request,
        Answer::Accept {
            permissions: everything,
            schema: None,
        },
    )
    .await
    .unwrap();
    let copy = Festival {
        organisers: founded.organisers,
        crew_leads: founded.crew_leads,
        crew: founded.crew,
        name: "Wiesenklang (copy)".into(),
        description: String::new(),
        place: String::new(),
        start: details().start,
        end: details().end,
        time_zone: "Europe/Berlin".into(),
        demo: false,
    };
    let log = organiser.next_log();
    let (entry, operation) = organiser.sign(
        log,
        &Operation::create(Kind::Festival.schema_id().clone(), copy.fields()),
    );
    node.publish(entry.clone(), operation).await.unwrap();
    let copy = DocumentId(entry.hash());

    assert!(festival::festival_people(&node, copy).await.unwrap().is_none());
    assert!(
        festival::festival_people(&node, founded.crew)
            .await
            .unwrap()
            .is_none(),
        "a group is no festival"
    );
    assert!(festival::festival_people(&node, founded.festival)
        .await
        .unwrap()
        .is_some());
    node.stop().await.unwrap();
}

#[tokio::test]
async fn festival_people_over_graphql() {
    let dir = tempfile::tempdir().unwrap();
    let node = Arc::new(Node::builder().data_dir(dir.path()).spawn().await.unwrap());
    let founded = festival::found(&node, details()).await.unwrap();
    let mut volunteer = Author::new(84);
    let request = ask_to_join(&node, &mut volunteer, founded.crew).await;
    let url = serve_api(Arc::clone(&node), local_api()).await;
    let client = reqwest::Client::new();
    let query =
        "query P($festival: DocumentId!) { festivalPeople(festival: $festival) { groups { role group \
                 invite members { publicKey membership canAuthorise } requests { request publicKey } } } }";
    let ask =
        |festival: DocumentId| json!({ "query": query, "variables": { "festival": festival.to_string() } });

    let answer = post_graphql(&client, &url, None, &ask(founded.festival)).await;
    let groups = &answer["data"]["festivalPeople"]["groups"];
    let founder =
        json!([{ "publicKey": node.public_key().to_string(), "membership": "", "canAuthorise": true }]);
    let group = |role: &str, group: DocumentId, requests: serde_json::Value| {
        json!({
            "role": role,
            "group": group.to_string(),
            "invite": Invite { festival: founded.festival, group }.to_string(),
            "members": founder,
            "requests": requests,
        })
    };
    let waiting =
        json!([{ "request": request.to_string(), "publicKey": volunteer.key.public_key().to_string() }]);
    assert_eq!(
        *groups,
        json!([
            group("ORGANISER", founded.organisers, json!([])),
            group("CREW_LEAD", founded.crew_leads, json!([])),
            group("CREW", founded.crew, waiting),
        ]),
        "{answer}"
    );

    let answer = post_graphql(&client, &url, None, &ask(founded.crew)).await;
    assert_eq!(answer["data"]["festivalPeople"], json!(null), "{answer}");
}
