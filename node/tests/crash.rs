//! A node killed with SIGKILL at random points keeps everything it
//! acknowledged, never a half-applied document, and carries on.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod test_utils;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use lineup_core::{Document, Hash};
use lineup_node::node::DATABASE_FILE_NAME;
use lineup_node::replica::Replica;
use lineup_node::store::Durability;
use test_utils::{edited_stage, stage_schema, Author, Signed};

fn stream() -> Vec<Signed> {
    let mut author = Author::new(7);
    let (schema, mut signed) = stage_schema(&mut author);
    let stages: Vec<Vec<Signed>> = (0..6)
        .map(|index| edited_stage(&mut author, &schema, &format!("Stage {index}"), 400))
        .collect();
    // Interleave the documents so that a kill lands between documents too.
    for step in 0..=400 {
        for stage in &stages {
            signed.push(stage[step].clone());
        }
    }
    signed
}

/// Runs `lineup-node import` on the stream and kills it after `acks` stored
/// entries (or lets it finish); returns the acknowledged hashes.
fn import_until_killed(data_dir: &std::path::Path, lines: &str, acks: usize) -> Vec<Hash> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lineup-node"))
        .args(["--data-dir", data_dir.to_str().unwrap(), "import"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("lineup-node starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = lines.to_owned();
    let writer = std::thread::spawn(move || {
        // The pipe breaks when the child is killed; that is expected.
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut acknowledged = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let hash = line
            .strip_prefix("stored ")
            .expect("an acknowledgement")
            .parse()
            .unwrap();
        acknowledged.push(hash);
        if acknowledged.len() == acks {
            child.kill().unwrap(); // SIGKILL
            break;
        }
    }
    child.wait().unwrap();
    writer.join().unwrap();
    acknowledged
}

#[test]
fn a_killed_node_keeps_what_it_acknowledged_and_carries_on() {
    let signed = stream();
    let lines: String = signed
        .iter()
        .map(|(entry, operation)| format!("{entry} {operation}\n"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut kills = 0;
    let mut all_acknowledged = Vec::new();
    loop {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Kill after a random number of new acknowledgements, or never once
        // most of the stream is in.
        let already = all_acknowledged.len();
        let finish = kills >= 30;
        let acks = if finish {
            usize::MAX
        } else {
            already.min(signed.len()) + 1 + (seed % 300) as usize
        };
        let acknowledged = import_until_killed(dir.path(), &lines, acks);
        all_acknowledged.extend(acknowledged);

        let replica = Replica::open(&dir.path().join(DATABASE_FILE_NAME), Durability::Normal).unwrap();
        for hash in &all_acknowledged {
            assert!(
                replica.contains_entry(hash).unwrap(),
                "acknowledged entry {hash} is lost"
            );
        }
        for schema in replica
            .schemas()
            .iter()
            .map(|schema| schema.id().clone())
            .collect::<Vec<_>>()
        {
            for id in replica.document_ids(&schema).unwrap() {
                let operations = replica
                    .operations(&id)
                    .unwrap()
                    .expect("operations of a live document");
                let reduced = Document::reduce(&operations).unwrap();
                assert_eq!(
                    replica.document(&id).unwrap().unwrap(),
                    reduced,
                    "document {id} is half-applied"
                );
            }
        }
        if finish {
            break;
        }
        kills += 1;
    }
    let replica = Replica::open(&dir.path().join(DATABASE_FILE_NAME), Durability::Normal).unwrap();
    for (entry, _) in &signed {
        assert!(replica.contains_entry(&entry.hash()).unwrap());
    }
    assert_eq!(kills, 30);
}
