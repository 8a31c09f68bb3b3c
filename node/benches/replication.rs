//! Replication figures: entries synced from one node to an empty one over
//! QUIC on 127.0.0.1, and the process's peak memory:
//! `cargo bench -p lineup-node --bench replication [-- --quick]`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)] // a benchmark fails by panicking

#[path = "../tests/test_utils/mod.rs"]
mod test_utils;

use std::net::SocketAddr;
use std::time::Instant;

use lineup_node::key_file;
use lineup_node::net::replication::{sync, Replicated, Role};
use lineup_node::net::transport::Transport;
use lineup_node::node::{Node, DATABASE_FILE_NAME};
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

async fn node_with_transport(dir: &std::path::Path) -> (Node, Transport) {
    let node = Node::builder().data_dir(dir).spawn().await.unwrap();
    let key = key_file::load_or_create(dir).unwrap();
    (
        node,
        Transport::bind(SocketAddr::from(([127, 0, 0, 1], 0)), &key).unwrap(),
    )
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|argument| argument == "--quick");
    let (documents, updates) = if quick { (100, 99) } else { (1_000, 99) };
    let (source_dir, target_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    // The source's data, written straight into its store.
    let mut author = Author::new(41);
    let (schema, definition) = stage_schema(&mut author);
    let mut replica = Replica::open(&source_dir.path().join(DATABASE_FILE_NAME), Durability::Normal).unwrap();
    replica
        .ingest_from_peer("bench", definition.iter().map(|(e, o)| (e, o)))
        .unwrap();
    for index in 0..documents {
        let stage = edited_stage(&mut author, &schema, &format!("Stage {index}"), updates);
        replica
            .ingest_from_peer("bench", stage.iter().map(|(e, o)| (e, o)))
            .unwrap();
    }
    drop(replica);
    let entries = definition.len() + documents * (updates + 1);
    let rss_before = peak_rss_mib();

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
    let elapsed = start.elapsed();
    assert_eq!(sent.sent, entries);
    assert_eq!(received.applied, entries);

    println!("lineup-node replication benchmark (release, two nodes in one process, QUIC on 127.0.0.1)");
    println!(
        "{entries} entries node -> node:  {:>9.0} entries/s  ({:.2} s)",
        entries as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "peak RSS: {:.0} MiB (before the sync: {rss_before:.0} MiB, from writing the source)",
        peak_rss_mib()
    );
    source.stop().await.unwrap();
    target.stop().await.unwrap();
}
