//! Channel figures: letters per second in a 50-member channel, sealed and
//! published on one node and read on two others, across three nodes over
//! QUIC on 127.0.0.1; and the time of one commit in a 200-member group:
//! `cargo bench -p lineup-node --bench channels [-- --quick]`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)] // a benchmark fails by panicking

#[path = "../tests/test_utils/mod.rs"]
mod test_utils;

use std::sync::Arc;
use std::time::Instant;

use lineup_core::{Entry, LogId, Operation, PrivateKey, PublicKey, Value};
use lineup_node::net::transport::Transport;
use lineup_node::node::Node;
use lineup_node::secret::channels::{NewChannel, Setting};
use lineup_node::secret::{KeyPackages, SecretGroup};
use lineup_schemas::Kind;

struct Peer {
    node: Arc<Node>,
    transport: Transport,
    _dir: tempfile::TempDir,
}

async fn peer() -> Peer {
    let dir = tempfile::tempdir().unwrap();
    let node = Arc::new(Node::builder().data_dir(dir.path()).spawn().await.unwrap());
    Peer {
        node,
        transport: test_utils::loopback_transport(dir.path()),
        _dir: dir,
    }
}

async fn sync_pair(a: &Peer, b: &Peer) {
    test_utils::sync_over_quic((&a.node, &a.transport), (&b.node, &b.transport)).await;
}

/// A member who runs no node here: its key package, signed by its key,
/// published on `node`.
async fn publish_key_package(node: &Node, key: &PrivateKey) {
    let key_package = KeyPackages::default().generate(key).unwrap();
    let operation = Operation::create(
        Kind::KeyPackage.schema_id().clone(),
        [
            ("owner".to_owned(), Value::Str(key.public_key().to_string())),
            ("key_package".to_owned(), Value::Str(hex::encode(key_package))),
        ]
        .into(),
    );
    let payload = operation.encode();
    let (_, entry) = Entry::sign_after(key, LogId(0), &[], &payload).unwrap();
    node.publish(entry, payload).await.unwrap();
}

async fn letters_per_second(letters: usize) {
    let (a, b, c) = (peer().await, peer().await, peer().await);
    let (crew, festival) = test_utils::found_crew(&a.node).await;
    let mut members: Vec<PublicKey> = vec![b.node.public_key(), c.node.public_key()];
    for _ in 0..47 {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        publish_key_package(&a.node, &key).await;
        members.push(key.public_key());
    }
    sync_pair(&b, &a).await;
    sync_pair(&c, &a).await;
    let channel = a
        .node
        .create_channel(NewChannel {
            festival,
            owner: crew,
            name: "bench".into(),
            setting: Setting::Chat,
            members,
        })
        .await
        .unwrap();
    sync_pair(&a, &b).await;
    sync_pair(&b, &c).await;
    assert_eq!(c.node.channel_state(channel).await.unwrap().members.len(), 50);

    let began = Instant::now();
    for n in 0..letters {
        a.node
            .send_to_channel(channel, format!("letter {n}"))
            .await
            .unwrap();
    }
    let sent = began.elapsed();
    let hop = Instant::now();
    sync_pair(&a, &b).await;
    let on_b = hop.elapsed();
    let hop = Instant::now();
    sync_pair(&b, &c).await;
    let on_c = hop.elapsed();
    let total = began.elapsed();
    let read_on_c = c
        .node
        .channel_messages(channel)
        .await
        .unwrap()
        .iter()
        .filter(|message| message.letter.is_ok())
        .count();
    assert_eq!(read_on_c, letters, "every letter read on the third node");
    let rate = |seconds: f64| letters as f64 / seconds;
    println!(
        "50-member channel, {letters} letters, A seals and publishes, B then C sync over QUIC and read:"
    );
    println!(
        "  seal + publish on A:      {:>8.0} letters/s",
        rate(sent.as_secs_f64())
    );
    println!(
        "  A -> B sync + read on B:  {:>8.0} letters/s",
        rate(on_b.as_secs_f64())
    );
    println!(
        "  B -> C sync + read on C:  {:>8.0} letters/s",
        rate(on_c.as_secs_f64())
    );
    println!(
        "  end to end (all three):   {:>8.0} letters/s ({:.2} s)",
        rate(total.as_secs_f64()),
        total.as_secs_f64()
    );
}

/// One commit (adding one member) in a group of `size`, on MLS alone.
fn commit_in_group(size: usize, commits: usize) {
    let key = PrivateKey::generate(&mut rand::rngs::OsRng);
    let mut group = SecretGroup::create(&key, b"bench").unwrap();
    let key_package = |_| {
        let member = PrivateKey::generate(&mut rand::rngs::OsRng);
        KeyPackages::default().generate(&member).unwrap()
    };
    let first: Vec<Vec<u8>> = (1..size).map(key_package).collect();
    let began = Instant::now();
    group.add(&key, &first).unwrap();
    let founding = began.elapsed();
    group.take_changes();
    let more: Vec<Vec<u8>> = (0..commits).map(key_package).collect();
    let mut times = Vec::new();
    for key_package in more {
        let began = Instant::now();
        let commit = group.add(&key, &[key_package]).unwrap();
        group.take_changes();
        times.push(began.elapsed().as_secs_f64() * 1000.0);
        assert!(commit.welcome.is_some());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{size}-member group: adding {} members in one commit {:.0} ms; one commit adding one more: median {:.1} ms, max {:.1} ms ({commits} commits)",
        size - 1,
        founding.as_secs_f64() * 1000.0,
        times[times.len() / 2],
        times[times.len() - 1],
    );
}

fn main() {
    let quick = std::env::args().any(|argument| argument == "--quick");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    commit_in_group(200, if quick { 3 } else { 15 });
    runtime.block_on(letters_per_second(if quick { 200 } else { 2_000 }));
}
