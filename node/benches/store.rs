//! Store and ingest figures on a real SQLite file, printed as a table:
//! `cargo bench -p lineup-node --bench store`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)] // a benchmark fails by panicking

#[path = "../tests/test_utils/mod.rs"]
mod test_utils;

use std::time::{Duration, Instant};

use lineup_core::{Operation, SchemaId};
use lineup_node::query::{Direction, DocumentQuery};
use lineup_node::replica::Replica;
use lineup_node::store::Durability;
use test_utils::{edited_stage, stage, stage_schema, Author, Signed};

fn replica(dir: &tempfile::TempDir, name: &str, durability: Durability) -> Replica {
    Replica::open(&dir.path().join(name), durability).unwrap()
}

fn rate(count: usize, elapsed: Duration) -> String {
    format!(
        "{:>9.0}/s  ({:.1} µs each)",
        count as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / count as f64
    )
}

/// `documents` documents of `updates` updates each, interleaved.
fn workload(author: &mut Author, schema: &SchemaId, documents: usize, updates: usize) -> Vec<Signed> {
    let stages: Vec<Vec<Signed>> = (0..documents)
        .map(|index| edited_stage(author, schema, &format!("Stage {index}"), updates))
        .collect();
    (0..=updates)
        .flat_map(|step| stages.iter().map(move |stage| stage[step].clone()))
        .collect()
}

fn single_entry_ingest(durability: Durability, count: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir, "single.sqlite", durability);
    let mut author = Author::new(1);
    let (schema, definition) = stage_schema(&mut author);
    for (entry, operation) in &definition {
        replica.publish(entry, operation).unwrap();
    }
    let entries = workload(&mut author, &schema, 10, count / 10 - 1);
    let start = Instant::now();
    for (entry, operation) in &entries {
        replica.publish(entry, operation).unwrap();
    }
    rate(entries.len(), start.elapsed())
}

fn batched_ingest(count: usize, batch: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir, "batched.sqlite", Durability::Normal);
    let mut author = Author::new(2);
    let (schema, definition) = stage_schema(&mut author);
    replica
        .ingest_from_peer("bench", definition.iter().map(|(e, o)| (e, o)))
        .unwrap();
    let entries = workload(&mut author, &schema, 100, count / 100 - 1);
    let start = Instant::now();
    for chunk in entries.chunks(batch) {
        replica
            .ingest_from_peer("bench", chunk.iter().map(|(e, o)| (e, o)))
            .unwrap();
    }
    rate(entries.len(), start.elapsed())
}

/// The time of one more update on a document that already has `length` operations.
fn update_on_document_of(length: usize, updates: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir, "long.sqlite", Durability::Normal);
    let mut author = Author::new(3);
    let (schema, definition) = stage_schema(&mut author);
    replica
        .ingest_from_peer("bench", definition.iter().map(|(e, o)| (e, o)))
        .unwrap();
    let all = edited_stage(&mut author, &schema, "Long", length - 1 + updates);
    let (history, measured) = all.split_at(length);
    for chunk in history.chunks(1_000) {
        replica
            .ingest_from_peer("bench", chunk.iter().map(|(e, o)| (e, o)))
            .unwrap();
    }
    let start = Instant::now();
    for (entry, operation) in measured {
        replica.publish(entry, operation).unwrap();
    }
    rate(measured.len(), start.elapsed())
}

fn listing(documents: usize) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir, "list.sqlite", Durability::Normal);
    let mut author = Author::new(4);
    let (schema, definition) = stage_schema(&mut author);
    replica
        .ingest_from_peer("bench", definition.iter().map(|(e, o)| (e, o)))
        .unwrap();
    let creates: Vec<Signed> = (0..documents)
        .map(|index| {
            let log = author.next_log();
            author.sign(
                log,
                &Operation::create(
                    schema.clone(),
                    stage(&format!("Stage {index}"), index as i64 % 97),
                ),
            )
        })
        .collect();
    replica
        .ingest_from_peer("bench", creates.iter().map(|(e, o)| (e, o)))
        .unwrap();

    let all = DocumentQuery {
        first: documents,
        ..DocumentQuery::default()
    };
    let start = Instant::now();
    let rounds = 10;
    for _ in 0..rounds {
        assert_eq!(
            replica
                .documents(&schema, &all)
                .unwrap()
                .expect("a known schema")
                .items
                .len(),
            documents
        );
    }
    let whole = start.elapsed() / rounds;

    let mut query = DocumentQuery {
        order_by: Some(("capacity".into(), Direction::Descending)),
        first: 100,
        ..DocumentQuery::default()
    };
    let start = Instant::now();
    let mut listed = 0;
    loop {
        let page = replica
            .documents(&schema, &query)
            .unwrap()
            .expect("a known schema");
        listed += page.items.len();
        query.after = page.items.last().map(|document| document.id);
        if !page.has_next_page {
            break;
        }
    }
    assert_eq!(listed, documents);
    (
        format!("{:.1} ms", whole.as_secs_f64() * 1e3),
        format!("{:.1} ms", start.elapsed().as_secs_f64() * 1e3),
    )
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    // `cargo test --benches` runs benchmarks once as tests: keep that short.
    let quick = arguments
        .iter()
        .any(|argument| argument == "--test" || argument == "--quick");
    let scale = if quick { 10 } else { 1 };
    // Any other argument picks the benchmarks whose names contain it (for profiling one).
    let filters: Vec<&String> = arguments
        .iter()
        .filter(|argument| !argument.starts_with("--"))
        .collect();
    let wanted =
        |name: &str| filters.is_empty() || filters.iter().any(|filter| name.contains(filter.as_str()));
    println!("lineup-node store benchmarks (release, SQLite file in a temp dir)");
    if wanted("single") {
        println!(
            "single-entry ingest, durability normal: {}",
            single_entry_ingest(Durability::Normal, 20_000 / scale)
        );
        println!(
            "single-entry ingest, durability full:   {}",
            single_entry_ingest(Durability::Full, 2_000 / scale)
        );
    }
    if wanted("batched") {
        println!(
            "batched ingest (1,000 per batch):       {}",
            batched_ingest(50_000 / scale, 1_000)
        );
    }
    if wanted("update") {
        println!(
            "update on a 10-op document:             {}",
            update_on_document_of(10, 1_000 / scale)
        );
        println!(
            "update on a 10,000-op document:         {}",
            update_on_document_of(10_000 / scale, 1_000 / scale)
        );
    }
    if wanted("list") {
        let (whole, paged) = listing(2_000 / scale);
        println!("list 2,000 documents in one page:       {whole}");
        println!("list 2,000 documents by capacity, 100 a page: {paged}");
    }
}
