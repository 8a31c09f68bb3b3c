//! Entries from peers in any order: the node holds what arrives early and ends
//! in the same state whatever the order.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod test_utils;

use lineup_core::{DocumentId, EncodedEntry, EncodedOperation};
use lineup_node::ingest::IngestError;
use lineup_node::replica::{HeldQuota, Ingested, Replica};
use lineup_node::store::Durability;
use proptest::prelude::*;
use serde_json::Value as Json;
use test_utils::shuffle;

struct Vectors {
    entries: Vec<(EncodedEntry, EncodedOperation)>,
    documents: Vec<DocumentId>,
}

fn vectors() -> Vectors {
    let json: Json = serde_json::from_str(include_str!("../../tests/vectors/p2panda-rs-0.9.json")).unwrap();
    let bytes = |value: &Json| hex::decode(value.as_str().unwrap()).unwrap();
    Vectors {
        entries: json["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|vector| {
                (
                    EncodedEntry::from_bytes(bytes(&vector["entry_hex"])),
                    EncodedOperation::from_bytes(bytes(&vector["operation_hex"])),
                )
            })
            .collect(),
        documents: json["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|document| document["document_id"].as_str().unwrap().parse().unwrap())
            .collect(),
    }
}

fn replica(dir: &tempfile::TempDir, name: &str) -> Replica {
    Replica::open(&dir.path().join(name), Durability::Normal).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn any_arrival_order_ends_in_the_same_documents_and_held_set(
        seed: u64,
        missing in proptest::option::of(0usize..90),
    ) {
        let vectors = vectors();
        let mut entries = vectors.entries.clone();
        if let Some(index) = missing {
            entries.remove(index);
        }
        let dir = tempfile::tempdir().unwrap();
        let mut in_order = replica(&dir, "in-order.sqlite");
        for (entry, operation) in &entries {
            in_order.ingest_from_peer("peer", [(entry, operation)]).unwrap();
        }
        shuffle(&mut entries, seed);
        let mut shuffled = replica(&dir, "shuffled.sqlite");
        for (entry, operation) in &entries {
            shuffled.ingest_from_peer("peer", [(entry, operation)]).unwrap();
        }
        for id in &vectors.documents {
            prop_assert_eq!(shuffled.document(id).unwrap(), in_order.document(id).unwrap());
        }
        prop_assert_eq!(shuffled.held().unwrap(), in_order.held().unwrap());
        if missing.is_none() {
            prop_assert!(shuffled.held().unwrap().is_empty());
        }
    }
}

#[test]
fn a_batch_in_reverse_order_is_applied_in_one_go() {
    let vectors = vectors();
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir, "reverse.sqlite");
    let outcomes = replica
        .ingest_from_peer(
            "peer",
            vectors
                .entries
                .iter()
                .rev()
                .map(|(entry, operation)| (entry, operation)),
        )
        .unwrap();
    let applied: usize = outcomes
        .iter()
        .map(|outcome| match outcome {
            Ingested::Applied(applied) => applied.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(applied, vectors.entries.len());
    assert!(replica.held().unwrap().is_empty());
    for id in &vectors.documents {
        assert!(replica.document(id).unwrap().is_some());
    }
}

#[test]
fn a_flood_of_held_entries_is_refused_beyond_the_quota_and_the_node_keeps_serving() {
    let vectors = vectors();
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir, "flood.sqlite");
    replica.set_held_quota(HeldQuota {
        per_author: 1_000,
        per_peer: 5,
    });
    // Without the schema definitions (the first 35 entries), every document entry waits.
    let (definitions, rest) = vectors.entries.split_at(35);
    let mut held = 0;
    let mut refused = 0;
    for (entry, operation) in rest {
        match replica.ingest_from_peer("flooder", [(entry, operation)]) {
            Ok(outcomes) => {
                assert!(matches!(outcomes[..], [Ingested::Held(_)]));
                held += 1;
            }
            Err(IngestError::HeldQuotaExceeded(_)) => refused += 1,
            Err(error) => panic!("unexpected error: {error}"),
        }
    }
    assert_eq!((held, refused), (5, rest.len() - 5));
    assert_eq!(replica.held().unwrap().len(), 5);
    // Another peer is served, and the held entries apply once they can.
    for (entry, operation) in definitions {
        replica.ingest_from_peer("friend", [(entry, operation)]).unwrap();
    }
    for (entry, operation) in rest {
        replica.ingest_from_peer("friend", [(entry, operation)]).unwrap();
    }
    assert!(replica.held().unwrap().is_empty());
}
