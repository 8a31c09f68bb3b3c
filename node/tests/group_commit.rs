//! Publishes committed together (a group commit) are each checked on their
//! own: a refused one leaves the others applied and itself no trace.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod test_utils;

use lineup_core::EncodedEntry;
use lineup_node::replica::{CheckedEntry, Replica};
use lineup_node::store::Durability;
use test_utils::{edited_stage, stage_schema, Author};

#[test]
fn a_refused_publish_in_a_group_leaves_the_others_applied() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::open(&dir.path().join("lineup.sqlite"), Durability::Normal).unwrap();
    let (mut alice, mut bob, mut carol) = (Author::new(1), Author::new(2), Author::new(3));
    let (schema, definition) = stage_schema(&mut alice);
    for (entry, operation) in &definition {
        replica.publish(entry, operation).unwrap();
    }
    let from_bob = edited_stage(&mut bob, &schema, "Bob's", 0).remove(0);
    let mut forged = edited_stage(&mut carol, &schema, "Carol's", 0).remove(0);
    let mut bytes = forged.0.as_bytes().to_vec();
    *bytes.last_mut().unwrap() ^= 1;
    forged.0 = EncodedEntry::from_bytes(bytes);
    let from_alice = edited_stage(&mut alice, &schema, "Alice's", 0).remove(0);

    let results = replica
        .publish_many(
            &[&from_bob, &forged, &from_alice]
                .map(|(entry, operation)| CheckedEntry::check(entry.clone(), operation.clone())),
        )
        .unwrap();
    assert!(results[0].is_ok());
    assert_eq!(results[1].as_ref().unwrap_err().to_string(), "signature invalid");
    assert!(results[2].is_ok());
    assert!(replica.contains_entry(&from_bob.0.hash()).unwrap());
    assert!(replica.contains_entry(&from_alice.0.hash()).unwrap());
    assert!(!replica.contains_entry(&forged.0.hash()).unwrap());
    assert_eq!(replica.document_ids(&schema).unwrap().len(), 2);
    // Next arguments come from each entry's own log.
    let (applied, next) = results[2].as_ref().unwrap();
    assert_eq!((next.log_id, next.seq_num.get()), (applied.entry.log_id, 2));
}
