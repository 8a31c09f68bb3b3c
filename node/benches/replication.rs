//! Replication figures: entries synced from one node to an empty one over
//! QUIC on 127.0.0.1, the process's peak memory, and how soon an edit
//! reaches a connected peer:
//! `cargo bench -p lineup-node --bench replication [-- --quick]`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)] // a benchmark fails by panicking

#[path = "../tests/test_utils/mod.rs"]
mod test_utils;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lineup_node::net::peers::Peers;
use lineup_node::net::replication::{sync, Replicated, Role};
use lineup_node::net::transport::Transport;
use lineup_node::node::{Node, NodeEvent, DATABASE_FILE_NAME};
use lineup_node::replica::Replica;
use lineup_node::store::Durability;
use test_utils::{edited_stage, stage_schema, Author};

/// The process's peak resident memory, from the kernel.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// A relay node (no channels): its own key packages would be entries the
/// figures do not count.
async fn node_with_transport(dir: &std::path::Path) -> (Node, Transport) {
    let node = Node::builder()
        .data_dir(dir)
        .channels(false)
        .spawn()
        .await
        .unwrap();
    (node, test_utils::loopback_transport(dir))
}

/// Syncs `documents` documents of `updates` updates each (a log each) from a
/// node that has them to an empty one; gives the entries and their rate.
async fn replicate(documents: usize, updates: usize) -> (usize, f64) {
    let (source_dir, target_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The source's data, written straight into its store.
    let mut author = Author::new(41);
    let (schema, definition) = stage_schema(&mut author);
    let mut replica = Replica::open(&source_dir.path().join(DATABASE_FILE_NAME), Durability::Normal).unwrap();
    replica
        .ingest_from_peer("bench", definition.iter().map(|(e, o)| (e, o)))
        .unwrap();
    let stages: Vec<_> = (0..documents)
        .flat_map(|index| edited_stage(&mut author, &schema, &format!("Stage {index}"), updates))
        .collect();
    for chunk in stages.chunks(1_000) {
        replica
            .ingest_from_peer("bench", chunk.iter().map(|(e, o)| (e, o)))
            .unwrap();
    }
    drop(replica);
    let entries = definition.len() + stages.len();

    let (source, source_transport) = node_with_transport(source_dir.path()).await;
    let (target, target_transport) = node_with_transport(target_dir.path()).await;
    let start = Instant::now();
    let (dialled, accepted) = tokio::join!(
        target_transport.connect(source_transport.local_addr().unwrap(), Some(source.public_key())),
        async { source_transport.accept().await.unwrap().handshake().await }
    );
    let (dialled, accepted) = (dialled.unwrap(), accepted.unwrap());
    let (received, sent) = tokio::join!(
        sync(&target, &dialled, Role::Opener, &Replicated::Everything),
        sync(&source, &accepted, Role::Acceptor, &Replicated::Everything)
    );
    let (received, sent) = (received.unwrap(), sent.unwrap());
    let rate = entries as f64 / start.elapsed().as_secs_f64();
    assert_eq!(sent.sent, entries);
    assert_eq!(received.applied, entries);
    source.stop().await.unwrap();
    target.stop().await.unwrap();
    (entries, rate)
}

/// Edits one document on a node, `edits` times one after another, while a
/// peer keeps in sync; gives the median and 99th percentile time from an
/// edit to the peer's event for it.
async fn live_latency(edits: usize) -> (Duration, Duration) {
    let (alice_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (alice, alice_transport) = node_with_transport(alice_dir.path()).await;
    let (bob, bob_transport) = node_with_transport(bob_dir.path()).await;
    let (alice, bob) = (Arc::new(alice), Arc::new(bob));
    let alice_address = alice_transport.local_addr().unwrap();
    let alice_peers = Peers::start(
        Arc::clone(&alice),
        alice_transport,
        Vec::new(),
        Replicated::Everything,
    );
    let bob_peers = Peers::start(
        Arc::clone(&bob),
        bob_transport,
        vec![alice_address],
        Replicated::Everything,
    );

    let mut author = Author::new(42);
    let (schema, definition) = stage_schema(&mut author);
    for (entry, operation) in &definition {
        alice.publish(entry.clone(), operation.clone()).await.unwrap();
    }
    let mut events = bob.subscribe();
    let capacity_of = |document: &lineup_core::Document| match document
        .fields
        .as_ref()
        .and_then(|fields| fields.get("capacity"))
    {
        Some(field) => match field.value {
            lineup_core::Value::Int(capacity) => capacity,
            _ => -1,
        },
        None => -1,
    };
    let document = alice.create(schema, test_utils::stage("Main", 0)).await.unwrap();
    let mut latencies = Vec::with_capacity(edits);
    for capacity in 0..=edits as i64 {
        let sent = Instant::now();
        if capacity > 0 {
            alice
                .update(
                    document,
                    [("capacity".to_owned(), lineup_core::Value::Int(capacity))].into(),
                )
                .await
                .unwrap();
        }
        loop {
            match tokio::time::timeout(Duration::from_secs(30), events.recv()).await {
                Ok(Ok(NodeEvent::DocumentChanged(changed)))
                    if changed.id == document && capacity_of(&changed) == capacity =>
                {
                    break
                }
                Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
                other => panic!("no change {capacity} on the peer: {other:?}"),
            }
        }
        // The first change also waits for the connection: not counted.
        if capacity > 0 {
            latencies.push(sent.elapsed());
        }
    }
    bob_peers.stop().await;
    alice_peers.stop().await;
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    (percentile(0.5), percentile(0.99))
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|argument| argument == "--quick");
    let scale = if quick { 10 } else { 1 };
    println!("lineup-node replication benchmark (release, two nodes in one process, QUIC on 127.0.0.1)");
    let (entries, rate) = replicate(1_000 / scale, 99).await;
    println!("{entries} entries in 1,000 logs of 100, node -> node:  {rate:>7.0} entries/s");
    let (entries, rate) = replicate(20_000 / scale, 0).await;
    println!("{entries} entries in logs of 1, node -> node:       {rate:>7.0} entries/s");
    println!("peak RSS of the process: {:.0} MiB", peak_rss_mib());
    let (p50, p99) = live_latency(500 / scale).await;
    println!(
        "an edit on one node to the event on its peer: p50 {:.1} ms, p99 {:.1} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
