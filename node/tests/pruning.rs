//! Deleted documents give their space back: their operations' payloads go,
//! their entries stay (so every log still verifies), and views that another
//! document pins stay readable.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod test_utils;

use std::collections::BTreeMap;

use lineup_core::{DocumentId, DocumentViewId, Operation, OperationId, Value};
use lineup_node::replica::Replica;
use lineup_node::store::Durability;
use test_utils::{define_schema, stage, stage_schema, Author, Signed};

fn ingest(replica: &mut Replica, entries: &[Signed]) {
    for (entry, operation) in entries {
        replica.publish(entry, operation).unwrap();
    }
}

#[test]
fn pruning_keeps_entries_and_pinned_views_and_frees_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::open(&dir.path().join("prune.sqlite"), Durability::Normal).unwrap();
    let mut author = Author::new(5);
    let (stage_id, definition) = stage_schema(&mut author);
    ingest(&mut replica, &definition);
    let pin_type = format!("pinned_relation({stage_id})");
    let (poster_id, definition) = define_schema(&mut author, "poster", &[("stage", pin_type.as_str())]);
    ingest(&mut replica, &definition);

    // Two stages, both edited and then deleted; a poster pins the first one's
    // original view.
    let mut documents = Vec::new();
    for name in ["Pinned", "Forgotten"] {
        let log = author.next_log();
        let create = author.sign(log, &Operation::create(stage_id.clone(), stage(name, 10)));
        let created = DocumentViewId::from(OperationId(create.0.hash()));
        let update = author.sign(
            log,
            &Operation::update(
                stage_id.clone(),
                created.clone(),
                BTreeMap::from([("capacity".into(), Value::Int(20))]),
            ),
        );
        let updated = DocumentViewId::from(OperationId(update.0.hash()));
        let delete = author.sign(log, &Operation::delete(stage_id.clone(), updated));
        ingest(&mut replica, &[create.clone(), update.clone(), delete.clone()]);
        documents.push((DocumentId(create.0.hash()), created, [create, update, delete]));
    }
    let log = author.next_log();
    let poster = author.sign(
        log,
        &Operation::create(
            poster_id,
            BTreeMap::from([("stage".into(), Value::PinnedRelation(documents[0].1.clone()))]),
        ),
    );
    ingest(&mut replica, &[poster]);

    let pruned = replica.prune_deleted().unwrap();
    assert_eq!(pruned, 3, "the forgotten stage's three operations");

    let (pinned, pinned_view, pinned_entries) = &documents[0];
    let (forgotten, forgotten_view, forgotten_entries) = &documents[1];
    for (entry, _) in pinned_entries.iter().chain(forgotten_entries) {
        assert!(replica.contains_entry(&entry.hash()).unwrap(), "entries stay");
    }
    assert!(replica.document(pinned).unwrap().unwrap().is_deleted());
    assert!(replica.document(forgotten).unwrap().unwrap().is_deleted());
    let view = replica
        .document_view(pinned_view)
        .unwrap()
        .expect("a pinned view stays readable");
    assert_eq!(view.fields.unwrap()["capacity"].value, Value::Int(10));
    assert!(
        replica.operations(forgotten).unwrap().is_none(),
        "payloads are gone"
    );
    assert!(replica.document_view(forgotten_view).unwrap().is_none());
    assert_eq!(
        replica.prune_deleted().unwrap(),
        0,
        "pruning twice changes nothing"
    );
}

#[test]
fn a_peer_can_still_add_to_a_pruned_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::open(&dir.path().join("late.sqlite"), Durability::Normal).unwrap();
    let mut alice = Author::new(6);
    let mut bob = Author::new(7);
    let (stage_id, definition) = stage_schema(&mut alice);
    ingest(&mut replica, &definition);
    let log = alice.next_log();
    let create = alice.sign(log, &Operation::create(stage_id.clone(), stage("Main", 10)));
    let created = DocumentViewId::from(OperationId(create.0.hash()));
    let delete = alice.sign(log, &Operation::delete(stage_id.clone(), created.clone()));
    // Bob edited the stage offline, before he saw the deletion.
    let bob_log = bob.next_log();
    let late = bob.sign(
        bob_log,
        &Operation::update(
            stage_id,
            created,
            BTreeMap::from([("capacity".into(), Value::Int(99))]),
        ),
    );
    ingest(&mut replica, &[create.clone(), delete.clone()]);
    assert_eq!(replica.prune_deleted().unwrap(), 2);

    replica.ingest_from_peer("bob", [(&late.0, &late.1)]).unwrap();
    let document = replica.document(&DocumentId(create.0.hash())).unwrap().unwrap();
    assert!(document.is_deleted());
    let tips = DocumentViewId::from_tips([OperationId(delete.0.hash()), OperationId(late.0.hash())]).unwrap();
    assert_eq!(document.view_id, tips);
}
