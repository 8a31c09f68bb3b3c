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
}
