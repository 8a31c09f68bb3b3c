//! Key groups decide who may change the documents of authorised schemas:
//! over `publish`, what the author may not do is refused, naming the
//! missing permission, and nothing of it is stored.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use std::collections::BTreeMap;

use lineup_core::{DocumentId, DocumentViewId, Operation, OperationId, Value};
use lineup_node::auth::schemas::key_group_schemas;
use lineup_node::node::Node;
use test_utils::{define_schema, shuffle, Author, Signed};

async fn node() -> (Node, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::builder().data_dir(dir.path()).spawn().await.unwrap();
    (node, dir)
}

/// Publishes; the refusal's message if refused.
async fn publish(node: &Node, (entry, operation): &Signed) -> Result<(), String> {
    node.publish(entry.clone(), operation.clone())
        .await
        .map(|_| ())
        .map_err(|error| error.to_string())
}

fn id_of(signed: &Signed) -> DocumentId {
    DocumentId(signed.0.hash())
}

fn view_of(signed: &Signed) -> DocumentViewId {
    DocumentViewId::from(OperationId(signed.0.hash()))
}

fn fields(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect()
}

/// `by` signs a new group; the entry.
fn new_group(by: &mut Author, name: &str) -> Signed {
    let log = by.next_log();
    by.sign(
        log,
        &Operation::create(
            key_group_schemas().key_group.clone(),
            fields(&[("name", Value::Str(name.into()))]),
        ),
    )
}

fn request(by: &mut Author, group: &Signed) -> Signed {
    request_for(by, id_of(group))
}

/// `by` accepts `request` into `group` with the permissions named by the
/// letters a, c, u, d.
fn accept(by: &mut Author, group: &Signed, request: &Signed, permissions: &str) -> Signed {
    let log = by.next_log();
    let flag = |letter| Value::Bool(permissions.contains(letter));
    by.sign(
        log,
        &Operation::create(
            key_group_schemas().membership.clone(),
            fields(&[
                ("owner", Value::Relation(id_of(group))),
                ("request", Value::PinnedRelation(view_of(request))),
                ("schema", Value::Str(String::new())),
                ("accepted", Value::Bool(true)),
                ("can_authorise", flag('a')),
                ("can_create", flag('c')),
                ("can_update", flag('u')),
                ("can_delete", flag('d')),
                ("valid_until", Value::Str(String::new())),
            ]),
        ),
    )
}

/// A stage schema whose documents `group` owns, defined by `author`.
struct Stages {
    id: lineup_core::SchemaId,
    definition: Vec<Signed>,
    owner: DocumentId,
}

impl Stages {
    fn define(author: &mut Author, group: &Signed) -> Self {
        let owner_type = format!("relation({})", key_group_schemas().key_group);
        let (id, definition) = define_schema(author, "stage", &[("name", "str"), ("owner", &owner_type)]);
        Self {
            id,
            definition,
            owner: id_of(group),
        }
    }

    fn create(&self, name: &str) -> Operation {
        Operation::create(
            self.id.clone(),
            fields(&[
                ("name", Value::Str(name.into())),
                ("owner", Value::Relation(self.owner)),
            ]),
        )
    }

    fn rename(&self, previous: &Signed, name: &str) -> Operation {
        Operation::update(
            self.id.clone(),
            view_of(previous),
            fields(&[("name", Value::Str(name.into()))]),
        )
    }
}

#[tokio::test]
async fn publish_refuses_what_the_author_may_not_do_and_names_the_permission() {
    let (node, _dir) = node().await;
    let (mut carol, mut alice, mut mallory) = (Author::new(81), Author::new(82), Author::new(83));
    let organisers = new_group(&mut carol, "Organisers");
    publish(&node, &organisers).await.unwrap();
    let stages = Stages::define(&mut carol, &organisers);
    for signed in &stages.definition {
        publish(&node, signed).await.unwrap();
    }
    let stage = |name: &str| stages.create(name);
    let rename = |previous: &Signed, name: &str| stages.rename(previous, name);

    // The group's creator may do anything; a stranger nothing.
    let main_log = carol.next_log();
    let main = carol.sign(main_log, &stage("Main"));
    publish(&node, &main).await.unwrap();
    let mallory_log = mallory.next_log();
    let refused = publish(&node, &mallory.sign(mallory_log, &stage("Mallory's")))
        .await
        .unwrap_err();
    assert!(
        refused.contains("may not create") && refused.contains("can_create"),
        "{refused}"
    );
    let mallory_log = mallory.next_log();
    let refused = publish(&node, &mallory.sign(mallory_log, &rename(&main, "Ours")))
        .await
        .unwrap_err();
    assert!(refused.contains("can_update"), "{refused}");

    // Alice, accepted with can_update only, may rename but not create or delete.
    let alices = request(&mut alice, &organisers);
    publish(&node, &alices).await.unwrap();
    publish(&node, &accept(&mut carol, &organisers, &alices, "u"))
        .await
        .unwrap();
    let alice_log = alice.next_log();
    let renamed = alice.sign(alice_log, &rename(&main, "Main Stage"));
    publish(&node, &renamed).await.unwrap();
    let alice_log = alice.next_log();
    let refused = publish(&node, &alice.sign(alice_log, &stage("Alice's")))
        .await
        .unwrap_err();
    assert!(refused.contains("can_create"), "{refused}");
    let refused = publish(
        &node,
        &alice.sign(
            alice_log - 1,
            &Operation::delete(stages.id.clone(), view_of(&renamed)),
        ),
    )
    .await
    .unwrap_err();
    assert!(refused.contains("can_delete"), "{refused}");

    // Without can_authorise, Alice's acceptance of Mallory is refused.
    let mallorys = request(&mut mallory, &organisers);
    publish(&node, &mallorys).await.unwrap();
    let refused = publish(&node, &accept(&mut alice, &organisers, &mallorys, "acud"))
        .await
        .unwrap_err();
    assert!(refused.contains("can_authorise"), "{refused}");

    // Nobody moves a document to another owner, or deletes a group.
    let moved = Operation::update(
        stages.id.clone(),
        view_of(&main),
        fields(&[("owner", Value::Relation(id_of(&main)))]),
    );
    let refused = publish(&node, &carol.sign(main_log, &moved)).await.unwrap_err();
    assert!(refused.contains("owner of a document never changes"), "{refused}");
    let delete_group = Operation::delete(key_group_schemas().key_group.clone(), view_of(&organisers));
    let refused = publish(&node, &carol.sign(0, &delete_group)).await.unwrap_err();
    assert!(refused.contains("cannot be deleted"), "{refused}");

    // What was allowed is what the node shows.
    let shown = node.document(id_of(&main)).await.unwrap().expect("the stage");
    assert_eq!(
        shown.fields.unwrap()["name"].value,
        Value::Str("Main Stage".into())
    );
    // Nothing refused was stored: Mallory has only her request here, and
    // Carol's logs end where her allowed entries end.
    let heights = node.log_heights().await.unwrap();
    assert_eq!(logs_of(&heights, &mallory).len(), 1, "{heights:?}");
    assert!(
        logs_of(&heights, &carol).iter().all(|(_, seq)| *seq == 1),
        "{heights:?}"
    );
}

/// The logs of `author` among `heights`: (log id, last seq num).
fn logs_of(heights: &[lineup_node::store::logs::LogHeight], author: &Author) -> Vec<(u64, u64)> {
    heights
        .iter()
        .filter(|log| log.public_key == author.key.public_key())
        .map(|log| (log.log_id.0, log.seq_num.get()))
        .collect()
}

/// Gives `node` these entries as a peer would, one at a time.
async fn from_peer(node: &Node, signed: &[Signed]) {
    for (entry, operation) in signed {
        let checked = lineup_node::replica::CheckedEntry::check(entry.clone(), operation.clone());
        node.ingest_from_peer("peer".into(), vec![checked]).await.unwrap();
    }
}

async fn stage_names(node: &Node, schema: &lineup_core::SchemaId) -> Vec<String> {
    let query = lineup_node::query::DocumentQuery {
        first: 100,
        ..Default::default()
    };
    let mut names: Vec<String> = node
        .documents(schema.clone(), query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|document| match &document.fields.unwrap()["name"].value {
            Value::Str(name) => name.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_peers_operations_count_once_and_as_long_as_the_author_may_make_them() {
    let (node, _dir) = node().await;
    let (mut carol, mut mallory) = (Author::new(84), Author::new(85));
    let organisers = new_group(&mut carol, "Organisers");
    let stages = Stages::define(&mut carol, &organisers);
    let mut setup = vec![organisers.clone()];
    setup.extend(stages.definition.clone());
    from_peer(&node, &setup).await;

    // Mallory's stage and its rename arrive before anyone accepted her.
    let log = mallory.next_log();
    let created = mallory.sign(log, &stages.create("Tent"));
    let renamed = mallory.sign(log, &stages.rename(&created, "Big Tent"));
    from_peer(&node, &[created.clone(), renamed]).await;
    assert!(
        stage_names(&node, &stages.id).await.is_empty(),
        "stored, left out"
    );

    // Carol accepts her request: both count now.
    let mallorys = request(&mut mallory, &organisers);
    let mut membership = vec![accept(&mut carol, &organisers, &mallorys, "cu")];
    from_peer(&node, &[mallorys, membership[0].clone()]).await;
    assert_eq!(stage_names(&node, &stages.id).await, ["Big Tent"]);

    // Carol revokes her, keeping what she had seen: only the create.
    let membership_log = carol.next_log() - 1;
    let cut = format!("{}:{log}:1", mallory.key.public_key());
    let revoke = Operation::update(
        key_group_schemas().membership.clone(),
        view_of(&membership[0]),
        fields(&[("accepted", Value::Bool(false)), ("valid_until", Value::Str(cut))]),
    );
    membership.push(carol.sign(membership_log, &revoke));
    from_peer(&node, &membership[1..]).await;
    assert_eq!(stage_names(&node, &stages.id).await, ["Tent"]);
}

/// A festival's key groups at work, in an order a node could have seen
/// them: members accepted directly and through a nested crew, a member who
/// accepts another, a revocation with a cut, and a stranger's edits.
fn festival_history() -> (lineup_core::SchemaId, Vec<Signed>) {
    let (mut carol, mut alice, mut bob, mut dana, mut erin, mut mallory) = (
        Author::new(91),
        Author::new(92),
        Author::new(93),
        Author::new(94),
        Author::new(95),
        Author::new(96),
    );
    let mut history = Vec::new();
    let organisers = new_group(&mut carol, "Organisers");
    history.push(organisers.clone());
    let stages = Stages::define(&mut carol, &organisers);
    history.extend(stages.definition.clone());
    let stage = |name: &str| stages.create(name);
    let rename = |previous: &Signed, name: &str| stages.rename(previous, name);
    let main = carol.sign(carol.next_log(), &stage("Main"));
    history.push(main.clone());

    // Alice may authorise and update; she accepts Bob, who may update.
    let alices = request(&mut alice, &organisers);
    let alice_membership_log = carol.next_log();
    let alice_membership = accept(&mut carol, &organisers, &alices, "au");
    let bobs = request(&mut bob, &organisers);
    let bob_membership = accept(&mut alice, &organisers, &bobs, "u");
    history.extend([alices, alice_membership.clone(), bobs, bob_membership]);
    let alice_rename_log = alice.next_log();
    let by_alice = alice.sign(alice_rename_log, &rename(&main, "Main Stage"));
    let by_bob = bob.sign(bob.next_log(), &rename(&by_alice, "The Main Stage"));
    history.extend([by_alice.clone(), by_bob.clone()]);

    // Dana's crew joins the organisers (Dana speaks for it) and may create.
    let crew = new_group(&mut dana, "Crew");
    let erins = request(&mut erin, &crew);
    let erin_membership = accept(&mut dana, &crew, &erins, "");
    let crews = {
        let log = dana.next_log();
        dana.sign(
            log,
            &Operation::create(
                key_group_schemas().request.clone(),
                fields(&[
                    ("key_group", Value::Relation(id_of(&organisers))),
                    ("member", Value::RelationList(vec![id_of(&crew)])),
                ]),
            ),
        )
    };
    let crew_membership = accept(&mut carol, &organisers, &crews, "c");
    let erins_stage = erin.sign(erin.next_log(), &stage("Forest"));
    history.extend([crew, erins, erin_membership, crews, crew_membership, erins_stage]);

    // Carol revokes Alice, keeping what she had seen of her; Alice's next
    // rename, and a stranger's edits, never count.
    let cut = format!(
        "{key}:{alice_rename_log}:1 {key}:{bob_log}:1",
        key = alice.key.public_key(),
        bob_log = alice_rename_log - 1
    );
    let revoke = Operation::update(
        key_group_schemas().membership.clone(),
        view_of(&alice_membership),
        fields(&[("accepted", Value::Bool(false)), ("valid_until", Value::Str(cut))]),
    );
    history.push(carol.sign(alice_membership_log, &revoke));
    history.push(alice.sign(alice_rename_log, &rename(&by_bob, "Alice's Stage")));
    history.push(mallory.sign(mallory.next_log(), &stage("Mallory's")));
    history.push(mallory.sign(mallory.next_log(), &rename(&by_bob, "Mallory's Main")));
    (stages.id, history)
}

fn replica_with_key_groups(dir: &tempfile::TempDir, name: &str) -> lineup_node::replica::Replica {
    let mut replica =
        lineup_node::replica::Replica::open(&dir.path().join(name), lineup_node::store::Durability::Normal)
            .unwrap();
    replica
        .define_locked_schemas(&lineup_node::auth::schemas::lock_entries())
        .unwrap();
    replica
}

/// Everything a replica shows of the history: its documents, and what it holds.
fn state(replica: &lineup_node::replica::Replica, stages: &lineup_core::SchemaId) -> String {
    let query = lineup_node::query::DocumentQuery {
        first: 100,
        ..Default::default()
    };
    let schemas = key_group_schemas();
    let mut shown = Vec::new();
    for schema in [stages, &schemas.key_group, &schemas.request, &schemas.membership] {
        let page = replica.documents(schema, &query).unwrap().unwrap();
        shown.push(format!("{:?}", page.items));
    }
    shown.push(format!("{:?}", replica.held().unwrap()));
    shown.join("\n")
}

#[test]
fn the_in_order_history_shows_what_the_rules_say() {
    let (stages, history) = festival_history();
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica_with_key_groups(&dir, "in-order.sqlite");
    for (entry, operation) in &history {
        replica.ingest_from_peer("peer", [(entry, operation)]).unwrap();
    }
    let query = lineup_node::query::DocumentQuery {
        first: 100,
        ..Default::default()
    };
    let mut names: Vec<Value> = replica
        .documents(&stages, &query)
        .unwrap()
        .unwrap()
        .items
        .into_iter()
        .map(|stage| stage.fields.unwrap()["name"].value.clone())
        .collect();
    names.sort_by_key(|name| format!("{name:?}"));
    // Bob's rename stands (Alice accepted him inside her cut); Erin created
    // through the crew; Alice's late rename and Mallory's edits do not count.
    assert_eq!(
        names,
        [Value::Str("Forest".into()), Value::Str("The Main Stage".into())]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    #[test]
    fn three_nodes_given_the_history_in_any_orders_show_the_same(seeds: [u64; 3]) {
        let (stages, history) = festival_history();
        let dir = tempfile::tempdir().unwrap();
        let mut in_order = replica_with_key_groups(&dir, "in-order.sqlite");
        for (entry, operation) in &history {
            in_order.ingest_from_peer("peer", [(entry, operation)]).unwrap();
        }
        let expected = state(&in_order, &stages);
        for (number, seed) in seeds.into_iter().enumerate() {
            let mut entries = history.clone();
            shuffle(&mut entries, seed);
            let mut replica = replica_with_key_groups(&dir, &format!("node-{number}.sqlite"));
            for (entry, operation) in &entries {
                replica.ingest_from_peer("peer", [(entry, operation)]).unwrap();
            }
            proptest::prop_assert_eq!(&state(&replica, &stages), &expected, "order {}", seed);
        }
    }
}

/// Asks `node` with the owner token; the answer.
async fn owner_asks(node: &running_node::RunningNode, query: &str) -> serde_json::Value {
    let body = serde_json::json!({ "query": query });
    running_node::post_graphql(
        &reqwest::Client::new(),
        &node.graphql,
        Some(&node.owner_token),
        &body,
    )
    .await
}

#[tokio::test]
async fn the_owner_accepts_and_revokes_members_and_is_refused_like_any_publish() {
    let node = running_node::RunningNode::start();
    let client = reqwest::Client::new();
    let schemas = key_group_schemas();
    let (mut carol, mut alice, mut bob) = (Author::new(101), Author::new(102), Author::new(103));

    // The node founds the organisers; Carol defines stages and Alice asks to join.
    let founded = owner_asks(
        &node,
        &format!(
            "mutation {{ create_{}(fields: {{ name: \"Organisers\" }}) {{ meta {{ documentId }} }} }}",
            schemas.key_group
        ),
    )
    .await;
    let group = founded["data"][format!("create_{}", schemas.key_group)]["meta"]["documentId"]
        .as_str()
        .unwrap_or_else(|| panic!("{founded}"))
        .to_owned();
    let group_id: DocumentId = group.parse().unwrap();
    let owner_type = format!("relation({})", schemas.key_group);
    let (stages, definition) = define_schema(&mut carol, "stage", &[("name", "str"), ("owner", &owner_type)]);
    running_node::publish_all(&client, &node.graphql, &definition).await;
    let alices = request_for(&mut alice, group_id);
    running_node::publish_all(&client, &node.graphql, [&alices]).await;

    let accepted = owner_asks(
        &node,
        &format!(
            "mutation {{ acceptMembership(request: \"{}\", canAuthorise: false, canCreate: true, canUpdate: true, canDelete: false) }}",
            id_of(&alices)
        ),
    )
    .await;
    let membership = accepted["data"]["acceptMembership"]
        .as_str()
        .unwrap_or_else(|| panic!("{accepted}"))
        .to_owned();

    // Alice creates and renames a stage; then the owner revokes her.
    let create = Operation::create(
        stages.clone(),
        fields(&[
            ("name", Value::Str("Tent".into())),
            ("owner", Value::Relation(group_id)),
        ]),
    );
    let log = alice.next_log();
    let tent = alice.sign(log, &create);
    running_node::publish_all(&client, &node.graphql, [&tent]).await;
    let revoked = owner_asks(
        &node,
        &format!("mutation {{ revokeMembership(membership: \"{membership}\") }}"),
    )
    .await;
    assert!(revoked["data"]["revokeMembership"].is_string(), "{revoked}");
    let rename = Operation::update(
        stages.clone(),
        view_of(&tent),
        fields(&[("name", Value::Str("Big Tent".into()))]),
    );
    let refused = running_node::publish(&client, &node.graphql, None, &alice.sign(log, &rename)).await;
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("can_update"), "{refused}");

    // A group Bob founded: the node's key may not accept members into it,
    // and the owner is told why, as a publish would be.
    let bobs_group = new_group(&mut bob, "Bob's");
    let carols = request_for(&mut carol, id_of(&bobs_group));
    running_node::publish_all(&client, &node.graphql, [&bobs_group, &carols]).await;
    let refused = owner_asks(
        &node,
        &format!(
            "mutation {{ acceptMembership(request: \"{}\", canAuthorise: true, canCreate: true, canUpdate: true, canDelete: true) }}",
            id_of(&carols)
        ),
    )
    .await;
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("no can_authorise"), "{refused}");
}

/// `by` asks to join `group`.
fn request_for(by: &mut Author, group: DocumentId) -> Signed {
    let log = by.next_log();
    by.sign(
        log,
        &Operation::create(
            key_group_schemas().request.clone(),
            fields(&[
                ("key_group", Value::Relation(group)),
                ("member", Value::RelationList(Vec::new())),
            ]),
        ),
    )
}

#[tokio::test]
async fn a_document_whose_owner_arrives_later_counts_once_it_does() {
    let (node, _dir) = node().await;
    let mut carol = Author::new(104);
    let organisers = new_group(&mut carol, "Organisers");
    let festivals = Stages::define(&mut carol, &organisers);
    // Slots are owned by a festival document, which the organisers own.
    let slot_owner = format!("relation({})", festivals.id);
    let (slots, slot_definition) =
        define_schema(&mut carol, "slot", &[("name", "str"), ("owner", &slot_owner)]);
    let mut setup = vec![organisers.clone()];
    setup.extend(festivals.definition.clone());
    setup.extend(slot_definition);
    from_peer(&node, &setup).await;

    let festival = carol.sign(carol.next_log(), &festivals.create("Lineup Fest"));
    let slot = carol.sign(
        carol.next_log(),
        &Operation::create(
            slots.clone(),
            fields(&[
                ("name", Value::Str("Opening".into())),
                ("owner", Value::Relation(id_of(&festival))),
            ]),
        ),
    );
    // The slot arrives first: its owner is unknown, so it waits, left out.
    from_peer(&node, &[slot]).await;
    assert!(stage_names(&node, &slots).await.is_empty());
    from_peer(&node, &[festival]).await;
    assert_eq!(stage_names(&node, &slots).await, ["Opening"]);
}

#[tokio::test]
async fn a_document_that_belongs_to_a_key_changes_only_by_that_key() {
    let (node, _dir) = node().await;
    let (mut carol, mut mallory) = (Author::new(91), Author::new(92));
    // The festival's profiles belong to one key each.
    let schema = lineup_schemas::Kind::Profile.schema_id().clone();
    let profile_fields = |owner: String, name: &str| {
        fields(&[
            ("owner", Value::Str(owner)),
            ("display_name", Value::Str(name.into())),
            ("about", Value::Str(String::new())),
        ])
    };
    let profile = |by: &mut Author, owner: String, name: &str| {
        let log = by.next_log();
        by.sign(
            log,
            &Operation::create(schema.clone(), profile_fields(owner, name)),
        )
    };
    let carol_key = carol.key.public_key().to_string();
    let carols = profile(&mut carol, carol_key.clone(), "Carol");
    publish(&node, &carols).await.unwrap();
    let names = || async {
        let query = lineup_node::query::DocumentQuery::default();
        let documents = node.documents(schema.clone(), query).await.unwrap().items;
        documents
            .into_iter()
            .map(|document| match &document.fields.unwrap()["display_name"].value {
                Value::Str(name) => name.clone(),
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>()
    };

    // Over publish, another key's profile or a change of Carol's is refused.
    let posing = profile(&mut mallory, carol_key.clone(), "Carol (really)");
    let refusal = publish(&node, &posing).await.unwrap_err();
    assert!(
        refusal.contains("may not change a document that belongs to"),
        "{refusal}"
    );
    let carols_log = 0;
    let rename = |by: &mut Author, log: usize, name: &str| {
        by.update(
            log,
            &schema,
            &carols,
            fields(&[("display_name", Value::Str(name.into()))]),
        )
    };
    let mallorys_log = mallory.next_log();
    let defaced = rename(&mut mallory, mallorys_log, "Mallory was here");
    assert!(publish(&node, &defaced).await.is_err());
    for owner in [
        "carol".to_owned(),
        mallory.key.public_key().to_string().to_uppercase(),
    ] {
        let not_a_key = profile(&mut mallory.copied(), owner, "Carol");
        let refusal = publish(&node, &not_a_key).await.unwrap_err();
        assert!(
            refusal.contains("is not a public key in lower-case hex"),
            "{refusal}"
        );
    }
    // (Signed by a copy: refused, it is not in Carol's log.)
    let taken = {
        let previous = DocumentViewId::from(OperationId(carols.0.hash()));
        let owner = fields(&[("owner", Value::Str(mallory.key.public_key().to_string()))]);
        carol
            .copied()
            .sign(carols_log, &Operation::update(schema.clone(), previous, owner))
    };
    let refusal = publish(&node, &taken).await.unwrap_err();
    assert!(refusal.contains("owner of a document never changes"), "{refusal}");
    // Nothing refused was stored: Mallory has no log here, Carol one entry.
    let heights = node.log_heights().await.unwrap();
    assert_eq!(logs_of(&heights, &mallory), [], "{heights:?}");
    assert_eq!(logs_of(&heights, &carol), [(0, 1)], "{heights:?}");

    // From a peer they are kept in their logs but count for nothing.
    from_peer(&node, &[posing, defaced]).await;
    assert_eq!(names().await, ["Carol"]);
    let renamed = rename(&mut carol, carols_log, "Carol B.");
    from_peer(&node, &[renamed]).await;
    assert_eq!(names().await, ["Carol B."]);

    // Another application's `owner: str` means nothing to key groups.
    let (todo, definition) = define_schema(&mut carol, "todo", &[("owner", "str"), ("name", "str")]);
    for signed in &definition {
        publish(&node, signed).await.unwrap();
    }
    let log = mallory.next_log();
    let todo_fields = fields(&[
        ("owner", Value::Str("alice".into())),
        ("name", Value::Str("Milk".into())),
    ]);
    let todo_create = mallory.sign(log, &Operation::create(todo, todo_fields));
    publish(&node, &todo_create).await.unwrap();
}
