//! Nodes sync over real QUIC on 127.0.0.1: each ends with every document of
//! the other, identical, and a second sync sends nothing; a fork of an
//! author's log freezes it alike everywhere.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use lineup_core::{Document, SchemaId, SeqNum, Value};
use lineup_node::net::replication::{sync, Replicated, Role, SyncReport};
use lineup_node::net::transport::Transport;
use lineup_node::node::Node;
use lineup_node::query::DocumentQuery;
use lineup_node::replica::{CheckedEntry, Ingested};
use lineup_node::store::forks::ForkedLog;
use running_node::post_graphql;
use test_utils::{
    define_schema, edited_stage, eventually, local_api, serve_api, stage_schema, Author, Signed,
};

struct Peer {
    node: Node,
    transport: Transport,
    _dir: tempfile::TempDir,
}

async fn peer() -> Peer {
    let dir = tempfile::tempdir().unwrap();
    // Relays: no key packages of their own among the entries counted here.
    let node = Node::builder()
        .data_dir(dir.path())
        .channels(false)
        .spawn()
        .await
        .unwrap();
    // The node made its key on start; the transport shows the same key.
    Peer {
        node,
        transport: test_utils::loopback_transport(dir.path()),
        _dir: dir,
    }
}

async fn publish_all(node: &Node, signed: &[Signed]) {
    for (entry, operation) in signed {
        node.publish(entry.clone(), operation.clone()).await.unwrap();
    }
}

async fn documents(node: &Node, schema: &SchemaId) -> Vec<Document> {
    let query = DocumentQuery {
        first: 10_000,
        ..DocumentQuery::default()
    };
    node.documents(schema.clone(), query).await.unwrap().items
}

/// Alice dials Bob; both sync at once, replicating everything.
async fn sync_both(alice: &Peer, bob: &Peer) -> (SyncReport, SyncReport) {
    sync_replicating(alice, &Replicated::Everything, bob, &Replicated::Everything).await
}

/// Alice dials Bob; both sync at once, each replicating what it is told.
async fn sync_replicating(
    alice: &Peer,
    alice_replicates: &Replicated,
    bob: &Peer,
    bob_replicates: &Replicated,
) -> (SyncReport, SyncReport) {
    let bob_address = bob.transport.local_addr().unwrap();
    let (dialled, accepted) = tokio::join!(
        alice.transport.connect(bob_address, Some(bob.node.public_key())),
        async { bob.transport.accept().await.unwrap().handshake().await }
    );
    let (dialled, accepted) = (dialled.unwrap(), accepted.unwrap());
    assert_eq!(accepted.peer(), alice.node.public_key());
    let (by_alice, by_bob) = tokio::join!(
        sync(&alice.node, &dialled, Role::Opener, alice_replicates),
        sync(&bob.node, &accepted, Role::Acceptor, bob_replicates)
    );
    (by_alice.unwrap(), by_bob.unwrap())
}

#[tokio::test]
async fn two_nodes_end_with_the_same_documents() {
    let (alice, bob) = (peer().await, peer().await);
    // Alice has a schema and long-edited documents; Bob has a schema of his
    // own and a document of Alice's schema that only he has, which needs
    // Alice's schema to apply.
    let (mut carol, mut dave) = (Author::new(31), Author::new(32));
    let (stages, stage_definition) = stage_schema(&mut carol);
    publish_all(&alice.node, &stage_definition).await;
    for name in ["Main", "Forest", "Dome"] {
        publish_all(&alice.node, &edited_stage(&mut carol, &stages, name, 300)).await;
    }
    let (shifts, shift_definition) = define_schema(&mut dave, "shift", &[("role", "str")]);
    publish_all(&bob.node, &shift_definition).await;
    publish_all(&bob.node, &stage_definition).await;
    publish_all(&bob.node, &edited_stage(&mut dave, &stages, "Bob's", 3)).await;
    let (alice_before, bob_before) = (
        alice.node.log_heights().await.unwrap(),
        bob.node.log_heights().await.unwrap(),
    );

    let (by_alice, by_bob) = sync_both(&alice, &bob).await;
    assert_eq!(by_alice.sent, 3 * 301, "alice sends what bob lacks");
    assert_eq!(by_bob.received, by_alice.sent);
    assert_eq!(by_bob.applied, by_alice.sent);
    assert_eq!(by_alice.received, by_bob.sent);
    assert_eq!(by_alice.applied + by_alice.held, by_alice.received);
    assert_eq!(
        by_bob.sent,
        shift_definition.len() + 4,
        "bob sends his schema and document"
    );

    for schema in [&stages, &shifts] {
        let (on_alice, on_bob) = (
            documents(&alice.node, schema).await,
            documents(&bob.node, schema).await,
        );
        assert_eq!(on_alice, on_bob, "{schema}");
    }
    assert_eq!(documents(&alice.node, &stages).await.len(), 4);
    let (mut alice_after, mut bob_after) = (
        alice.node.log_heights().await.unwrap(),
        bob.node.log_heights().await.unwrap(),
    );
    alice_after.sort_by_key(|log| (log.public_key.to_string(), log.log_id.0));
    bob_after.sort_by_key(|log| (log.public_key.to_string(), log.log_id.0));
    assert_eq!(alice_after, bob_after);
    assert!(alice_after.len() > alice_before.len().max(bob_before.len()));

    // Nothing is missing any more: nothing travels.
    let (again_by_alice, again_by_bob) = sync_both(&alice, &bob).await;
    assert_eq!(again_by_alice, SyncReport::default());
    assert_eq!(again_by_bob, SyncReport::default());
}

/// A peer speaking the protocol by hand sends `messages` (raw bytes each)
/// to Bob after its hello and heights (which claim a long log, so that Bob
/// expects entries); Bob's session ends with an error and his logs stay as
/// they were.
async fn bob_refuses(bob: &Peer, messages: Vec<Vec<u8>>) -> String {
    bob_replicating_refuses(bob, &Replicated::Everything, messages).await
}

async fn bob_replicating_refuses(bob: &Peer, replicated: &Replicated, messages: Vec<Vec<u8>>) -> String {
    let long_log = lineup_node::net::wire::LogHeight {
        author: vec![9; 32],
        log_id: 0,
        seq_num: 1_000,
        frozen_at: None,
    };
    bob_refuses_after_heights(bob, replicated, vec![long_log], messages).await
}

async fn bob_refuses_after_heights(
    bob: &Peer,
    replicated: &Replicated,
    heights: Vec<lineup_node::net::wire::LogHeight>,
    messages: Vec<Vec<u8>>,
) -> String {
    use lineup_node::net::wire::{encode, Message, VERSION};
    let mallory = peer().await;
    let bob_address = bob.transport.local_addr().unwrap();
    let before = bob.node.log_heights().await.unwrap();
    let (dialled, accepted) = tokio::join!(mallory.transport.connect(bob_address, None), async {
        bob.transport.accept().await.unwrap().handshake().await
    });
    let (dialled, accepted) = (dialled.unwrap(), accepted.unwrap());
    let speaking = async {
        let (mut send, receive) = dialled.quic().open_bi().await.unwrap();
        let hello = Message::Hello {
            version: VERSION,
            schemas: None,
        };
        send.write_all(&encode(&hello)).await.unwrap();
        send.write_all(&encode(&Message::Heights { logs: heights }))
            .await
            .unwrap();
        for message in messages {
            // Bob may hang up before all of it is written.
            let _ = send.write_all(&message).await;
        }
        // Kept open (and unread) until Bob is done.
        (send, receive)
    };
    let (error, _streams) = tokio::join!(sync(&bob.node, &accepted, Role::Acceptor, replicated), speaking);
    assert_eq!(bob.node.log_heights().await.unwrap(), before);
    error.unwrap_err().to_string()
}

#[tokio::test]
async fn a_peer_sending_forged_oversized_or_garbled_messages_gets_nothing_in() {
    use lineup_node::net::wire::{encode, EntryBytes, Message};
    let bob = peer().await;
    let mut carol = Author::new(33);
    let (stages, definition) = stage_schema(&mut carol);
    publish_all(&bob.node, &definition).await;
    let mut stage = edited_stage(&mut carol, &stages, "Main", 2);
    let mut forged = stage[1].0.as_bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    stage[1].0 = lineup_core::EncodedEntry::from_bytes(forged);
    let batch = Message::Entries {
        entries: stage
            .iter()
            .map(|(entry, operation)| EntryBytes {
                entry: entry.as_bytes().to_vec(),
                operation: Some(operation.as_bytes().to_vec()),
            })
            .collect(),
    };
    let refused = bob_refuses(&bob, vec![encode(&batch)]).await;
    assert!(refused.contains("signature"), "{refused}");

    // Entries it never announced: a flood, refused before any is checked.
    let unforged = Message::Entries {
        entries: edited_stage(&mut Author::new(34), &stages, "Side", 1)
            .iter()
            .map(|(entry, operation)| EntryBytes {
                entry: entry.as_bytes().to_vec(),
                operation: Some(operation.as_bytes().to_vec()),
            })
            .collect(),
    };
    let refused =
        bob_refuses_after_heights(&bob, &Replicated::Everything, Vec::new(), vec![encode(&unforged)]).await;
    assert!(refused.contains("more than its heights announced"), "{refused}");

    let refused = bob_refuses(&bob, vec![u32::MAX.to_be_bytes().to_vec()]).await;
    assert!(refused.contains("longer than allowed"), "{refused}");

    let refused = bob_refuses(&bob, vec![vec![0, 0, 0, 2, 0xff, 0xff]]).await;
    assert!(refused.contains("not a replication message"), "{refused}");

    let refused = bob_refuses(&bob, vec![encode(&Message::Heights { logs: Vec::new() })]).await;
    assert!(refused.contains("unexpected heights"), "{refused}");
    // Bob still serves: a node that plays by the rules syncs with him.
    let alice = peer().await;
    let (by_alice, _) = sync_both(&alice, &bob).await;
    assert_eq!(by_alice.received, definition.len());
}

/// Three nodes that edited one document while apart, then connected in a
/// chain (Bob dials Alice, Carol dials Bob), end with the same document.
#[tokio::test]
async fn concurrent_edits_made_apart_converge_once_connected() {
    use lineup_core::Value;
    use lineup_node::net::peers::Peers;
    use std::sync::Arc;

    let (alice, bob, carol) = (peer().await, peer().await, peer().await);
    let mut eve = Author::new(34);
    let (stages, definition) = stage_schema(&mut eve);
    for node in [&alice.node, &bob.node, &carol.node] {
        publish_all(node, &definition).await;
    }
    let document = alice
        .node
        .create(stages.clone(), test_utils::stage("Main", 1))
        .await
        .unwrap();
    sync_both(&bob, &alice).await;
    sync_both(&carol, &bob).await;

    // Apart: each edits the document in its own way.
    let edits = [
        (&alice, "capacity", Value::Int(100)),
        (&bob, "name", Value::Str("Big top".into())),
        (&carol, "capacity", Value::Int(300)),
    ];
    for (peer, field, value) in edits {
        peer.node
            .update(document, BTreeMap::from([(field.to_owned(), value)]))
            .await
            .unwrap();
    }

    let start = |peer: Peer, dial: Vec<SocketAddr>| {
        let node = Arc::new(peer.node);
        let peers = Peers::start(Arc::clone(&node), peer.transport, dial, Replicated::Everything);
        (node, peers, peer._dir)
    };
    let alice_address = alice.transport.local_addr().unwrap();
    let bob_address = bob.transport.local_addr().unwrap();
    let running = [
        start(alice, Vec::new()),
        start(bob, vec![alice_address]),
        start(carol, vec![bob_address]),
    ];
    let nodes = &running;
    let converged = eventually(Duration::from_secs(30), move || async move {
        let mut views = Vec::new();
        for (node, _, _) in nodes {
            views.push(node.document(document).await.unwrap().unwrap());
        }
        if views.iter().all(|view| view == &views[0]) && views[0].view_id.operations().len() == 3 {
            Ok(views.remove(0))
        } else {
            Err(format!("apart: {views:#?}"))
        }
    })
    .await;
    // Nobody merged by hand: the three branches are the view's tips, and
    // the same reduction chose the same values everywhere.
    assert!(converged.fields.is_some());
    for (node, peers, _dir) in running {
        peers.stop().await;
        Arc::try_unwrap(node).unwrap().stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_node_takes_and_gives_only_the_schemas_it_replicates() {
    use lineup_node::net::wire::{encode, EntryBytes, Message};
    let (alice, bob) = (peer().await, peer().await);
    let mut carol = Author::new(35);
    let (stages, stage_definition) = stage_schema(&mut carol);
    let (shifts, shift_definition) = define_schema(&mut carol, "shift", &[("role", "str")]);
    publish_all(&alice.node, &stage_definition).await;
    publish_all(&alice.node, &shift_definition).await;
    publish_all(&alice.node, &edited_stage(&mut carol, &stages, "Main", 2)).await;
    let shift = {
        let log = carol.next_log();
        let fields =
            std::collections::BTreeMap::from([("role".into(), lineup_core::Value::Str("Bar".into()))]);
        carol.sign(log, &lineup_core::Operation::create(shifts.clone(), fields))
    };
    publish_all(&alice.node, std::slice::from_ref(&shift)).await;

    let only_stages = Replicated::Only([stages.clone()].into());
    let (by_alice, by_bob) = sync_replicating(&alice, &Replicated::Everything, &bob, &only_stages).await;
    // Both schemas' definitions, and the stage; not the shift.
    assert_eq!(
        by_bob.received,
        stage_definition.len() + shift_definition.len() + 3
    );
    assert_eq!(by_alice.received, 0);
    assert_eq!(
        documents(&bob.node, &stages).await,
        documents(&alice.node, &stages).await
    );
    assert!(documents(&bob.node, &shifts).await.is_empty());

    // A peer pushing a shift anyway is refused, and nothing of it is kept.
    let pushed = Message::Entries {
        entries: vec![EntryBytes {
            entry: shift.0.as_bytes().to_vec(),
            operation: Some(shift.1.as_bytes().to_vec()),
        }],
    };
    let refused = bob_replicating_refuses(&bob, &only_stages, vec![encode(&pushed)]).await;
    assert!(refused.contains("not replicated here"), "{refused}");
}

/// Waits until `node` lists `count` documents of `schema` (which it may
/// not know yet).
async fn stages_on(node: &Node, schema: &SchemaId, count: usize) {
    let query = &DocumentQuery {
        first: 10_000,
        ..DocumentQuery::default()
    };
    eventually(Duration::from_secs(30), move || async move {
        let listed = node
            .documents(schema.clone(), query.clone())
            .await
            .map_or(0, |page| page.items.len());
        if listed >= count {
            Ok(())
        } else {
            Err(format!("{listed} of {count} documents"))
        }
    })
    .await;
}

/// A node started again dials the peers it was connected to before, without
/// being told where they are.
#[tokio::test]
async fn a_restarted_node_dials_the_peers_it_knew() {
    use lineup_node::net::peers::Peers;
    use std::sync::Arc;

    let (alice, bob) = (peer().await, peer().await);
    let alice_address = alice.transport.local_addr().unwrap();
    let alice_node = Arc::new(alice.node);
    let alice_peers = Peers::start(
        Arc::clone(&alice_node),
        alice.transport,
        Vec::new(),
        Replicated::Everything,
    );
    let mut carol = Author::new(36);
    let (stages, definition) = stage_schema(&mut carol);
    publish_all(&alice_node, &definition).await;

    // Bob is told where Alice is, syncs, and stops.
    let bob_dir = bob._dir;
    let bob_node = Arc::new(bob.node);
    let bob_peers = Peers::start(
        Arc::clone(&bob_node),
        bob.transport,
        vec![alice_address],
        Replicated::Everything,
    );
    publish_all(&alice_node, &edited_stage(&mut carol, &stages, "Main", 0)).await;
    stages_on(&bob_node, &stages, 1).await;
    bob_peers.stop().await;
    Arc::try_unwrap(bob_node).unwrap().stop().await.unwrap();

    // Started again with no peer given, Bob finds Alice and what she has since.
    publish_all(&alice_node, &edited_stage(&mut carol, &stages, "Forest", 0)).await;
    let bob_node = Arc::new(Node::builder().data_dir(bob_dir.path()).spawn().await.unwrap());
    let bob_peers = Peers::start(
        Arc::clone(&bob_node),
        test_utils::loopback_transport(bob_dir.path()),
        Vec::new(),
        Replicated::Everything,
    );
    stages_on(&bob_node, &stages, 2).await;
    assert_eq!(
        bob_peers.status().peers().first().map(|peer| peer.public_key),
        Some(alice_node.public_key())
    );
    bob_peers.stop().await;
    alice_peers.stop().await;
}

/// Gives `node` these entries one at a time, as a peer would.
async fn receive(node: &Node, signed: &[Signed]) -> Vec<Ingested> {
    let mut outcomes = Vec::new();
    for (entry, operation) in signed {
        let checked = CheckedEntry::check(entry.clone(), operation.clone());
        outcomes.extend(node.ingest_from_peer("test".into(), vec![checked]).await.unwrap());
    }
    outcomes
}

fn capacity(value: i64) -> BTreeMap<String, Value> {
    BTreeMap::from([("capacity".into(), Value::Int(value))])
}

fn capacities(documents: &[Document]) -> Vec<Option<Value>> {
    documents
        .iter()
        .map(|document| {
            document
                .fields
                .as_ref()
                .and_then(|fields| fields.get("capacity").map(|field| field.value.clone()))
        })
        .collect()
}

#[tokio::test]
async fn a_fork_delivered_in_either_order_freezes_the_same_log_everywhere() {
    let (alice, bob, carol) = (peer().await, peer().await, peer().await);
    // Dana creates a stage; her key is copied to a laptop and a phone, and
    // both go on editing it from the second entry of its log.
    let mut dana = Author::new(71);
    let (schema, definition) = stage_schema(&mut dana);
    let log = dana.next_log();
    let create = edited_stage(&mut dana, &schema, "Main", 0);
    let (mut laptop, mut phone) = (dana.copied(), dana.copied());
    let laptop_second = laptop.update(log, &schema, &create[0], capacity(1));
    let laptop_third = laptop.update(log, &schema, &laptop_second, capacity(2));
    let phone_second = phone.update(log, &schema, &create[0], capacity(9));
    let phone_third = phone.update(log, &schema, &phone_second, capacity(10));
    // Erin builds on the laptop's edit before anyone knows of the fork.
    let mut erin = Author::new(72);
    let erin_edit = erin.update(0, &schema, &laptop_third, capacity(3));

    // Alice hears the laptop (and Erin) first, Bob the phone.
    let mut first = definition.clone();
    first.extend(create.clone());
    receive(&alice.node, &first).await;
    receive(&bob.node, &first).await;
    receive(
        &alice.node,
        &[laptop_second.clone(), laptop_third.clone(), erin_edit],
    )
    .await;
    assert_eq!(
        capacities(&documents(&alice.node, &schema).await),
        [Some(Value::Int(3))]
    );
    receive(&bob.node, &[phone_second.clone(), phone_third.clone()]).await;
    assert_eq!(
        capacities(&documents(&bob.node, &schema).await),
        [Some(Value::Int(10))]
    );

    let fork = ForkedLog {
        public_key: dana.key.public_key(),
        log_id: lineup_core::LogId(log as u64),
        seq_num: SeqNum::new(2).unwrap(),
    };
    let on_alice = receive(&alice.node, &[phone_second.clone(), phone_third]).await;
    assert!(
        matches!(on_alice[..], [Ingested::Fork(found), Ingested::Frozen] if found == fork),
        "{on_alice:?}"
    );
    let on_bob = receive(&bob.node, &[laptop_second, laptop_third]).await;
    assert!(
        matches!(on_bob[..], [Ingested::Fork(found), Ingested::Frozen] if found == fork),
        "{on_bob:?}"
    );

    // Both leave out everything from the fork on, and Erin's edit that built
    // on it: the stage is as Dana created it.
    for node in [&alice.node, &bob.node] {
        assert_eq!(node.forked_logs().await.unwrap(), [fork]);
        assert_eq!(capacities(&documents(node, &schema).await), [Some(Value::Int(0))]);
    }
    assert_eq!(
        documents(&alice.node, &schema).await,
        documents(&bob.node, &schema).await
    );

    // Syncing changes nothing: each has both entries of the fork already.
    let (by_alice, by_bob) = sync_both(&alice, &bob).await;
    assert_eq!((by_alice.forks, by_bob.forks), (0, 0), "{by_alice:?} {by_bob:?}");
    assert_eq!(
        documents(&alice.node, &schema).await,
        documents(&bob.node, &schema).await
    );

    // Carol, who never heard of Dana, gets the log up to the fork and the
    // evidence, and freezes it too.
    let (_, by_carol) = sync_both(&alice, &carol).await;
    assert_eq!(by_carol.forks, 1, "{by_carol:?}");
    assert_eq!(carol.node.forked_logs().await.unwrap(), [fork]);
    assert_eq!(
        documents(&carol.node, &schema).await,
        documents(&alice.node, &schema).await
    );
    // The phone's next edit is not taken anywhere.
    let phone_fourth = phone.update(log, &schema, &phone_second, capacity(11));
    let before = carol.node.log_heights().await.unwrap();
    assert!(matches!(
        receive(&carol.node, &[phone_fourth]).await[..],
        [Ingested::Frozen]
    ));
    assert_eq!(
        carol.node.log_heights().await.unwrap(),
        before,
        "nothing of it is stored"
    );

    // Carol's UI is told which log she froze, and where.
    let url = serve_api(std::sync::Arc::new(carol.node), local_api()).await;
    let query = serde_json::json!({ "query": "{ syncStatus { forks { publicKey logId seqNum } } }" });
    let answer = post_graphql(&reqwest::Client::new(), &url, None, &query).await;
    assert_eq!(
        answer["data"]["syncStatus"]["forks"],
        serde_json::json!([{ "publicKey": dana.key.public_key().to_string(), "logId": log.to_string(), "seqNum": "2" }]),
        "{answer}"
    );
}

#[tokio::test]
async fn a_peer_opening_sessions_in_a_loop_is_cut_off_and_others_still_sync() {
    use lineup_node::net::peers::Peers;
    use std::sync::Arc;
    let bob = peer().await;
    let mut carol = Author::new(73);
    let (_, definition) = stage_schema(&mut carol);
    publish_all(&bob.node, &definition).await;
    let bob_node = Arc::new(bob.node);
    let bob_address = bob.transport.local_addr().unwrap();
    let bob_peers = Peers::start(
        Arc::clone(&bob_node),
        bob.transport,
        Vec::new(),
        Replicated::Everything,
    );

    let mallory = peer().await;
    let flooding = mallory.transport.connect(bob_address, None).await.unwrap();
    let mut sessions = 0;
    while sync(&mallory.node, &flooding, Role::Opener, &Replicated::Everything)
        .await
        .is_ok()
    {
        sessions += 1;
        assert!(sessions < 30, "Bob keeps taking sessions");
    }
    assert!(sessions >= 5, "Bob cut off after {sessions} sessions");

    // A node that opens sessions as nodes do still syncs with Bob.
    let alice = peer().await;
    let connection = alice
        .transport
        .connect(bob_address, Some(bob_node.public_key()))
        .await
        .unwrap();
    let report = sync(&alice.node, &connection, Role::Opener, &Replicated::Everything)
        .await
        .unwrap();
    assert_eq!(report.received, definition.len());
    bob_peers.stop().await;
}

#[tokio::test]
async fn each_side_tells_how_far_apart_they_were_and_what_went_across() {
    use lineup_node::net::replication::{sync_observed, Progress};
    use std::sync::Mutex;
    let (alice, bob) = (peer().await, peer().await);
    let mut carol = Author::new(74);
    let (stages, definition) = stage_schema(&mut carol);
    publish_all(&alice.node, &definition).await;
    publish_all(&alice.node, &edited_stage(&mut carol, &stages, "Main", 2)).await;
    let count = definition.len() as u64 + 3;

    let (dialled, accepted) = tokio::join!(
        alice
            .transport
            .connect(bob.transport.local_addr().unwrap(), Some(bob.node.public_key())),
        async { bob.transport.accept().await.unwrap().handshake().await }
    );
    let (dialled, accepted) = (dialled.unwrap(), accepted.unwrap());
    let (told_alice, told_bob) = (Mutex::new(Vec::new()), Mutex::new(Vec::new()));
    let tell_alice = |step| told_alice.lock().unwrap().push(step);
    let tell_bob = |step| told_bob.lock().unwrap().push(step);
    let (by_alice, by_bob) = tokio::join!(
        sync_observed(
            &alice.node,
            &dialled,
            Role::Opener,
            &Replicated::Everything,
            &tell_alice
        ),
        sync_observed(
            &bob.node,
            &accepted,
            Role::Acceptor,
            &Replicated::Everything,
            &tell_bob
        )
    );
    by_alice.unwrap();
    by_bob.unwrap();
    let (told_alice, told_bob) = (told_alice.into_inner().unwrap(), told_bob.into_inner().unwrap());
    assert_eq!(
        told_alice[0],
        Progress::Compared {
            behind: 0,
            ahead: count
        }
    );
    assert_eq!(
        told_bob[0],
        Progress::Compared {
            behind: count,
            ahead: 0
        }
    );
    let sent: usize = told_alice
        .iter()
        .map(|step| match step {
            Progress::Sent { entries, live: false } => *entries,
            _ => 0,
        })
        .sum();
    let received: usize = told_bob
        .iter()
        .map(|step| match step {
            Progress::Received { new, live: false, .. } => *new,
            _ => 0,
        })
        .sum();
    assert_eq!((sent as u64, received as u64), (count, count));
}

#[tokio::test]
async fn a_non_members_operations_replayed_to_three_nodes_change_nothing_on_any() {
    use lineup_core::{DocumentId, DocumentViewId, Operation, OperationId, Value};
    use lineup_node::auth::schemas::key_group_schemas;
    let (mallory_node, alice, bob, carol_node) = (peer().await, peer().await, peer().await, peer().await);
    let (mut carol, mut mallory) = (Author::new(97), Author::new(98));
    let log = carol.next_log();
    let organisers = carol.sign(
        log,
        &Operation::create(
            key_group_schemas().key_group.clone(),
            test_utils::fields([("name", Value::Str("Organisers".into()))]),
        ),
    );
    let owner_type = format!("relation({})", key_group_schemas().key_group);
    let (stages, mut signed) = define_schema(&mut carol, "stage", &[("name", "str"), ("owner", &owner_type)]);
    signed.insert(0, organisers.clone());
    let owner = Value::Relation(DocumentId(organisers.0.hash()));
    let log = carol.next_log();
    let main = carol.sign(
        log,
        &Operation::create(
            stages.clone(),
            test_utils::fields([("name", Value::Str("Main".into())), ("owner", owner.clone())]),
        ),
    );
    signed.push(main.clone());
    publish_all(&carol_node.node, &signed).await;
    for node in [&alice, &bob, &mallory_node] {
        sync_both(node, &carol_node).await;
    }

    // Mallory, in no group, renames the stage, deletes it, and adds one;
    // her node takes them as from a peer, and replays them to the three others.
    let log = mallory.next_log();
    let renamed = mallory.sign(
        log,
        &Operation::update(
            stages.clone(),
            DocumentViewId::from(OperationId(main.0.hash())),
            test_utils::fields([("name", Value::Str("Mallory's Main".into()))]),
        ),
    );
    let log = mallory.next_log();
    let added = mallory.sign(
        log,
        &Operation::create(
            stages.clone(),
            test_utils::fields([("name", Value::Str("Mallory's".into())), ("owner", owner)]),
        ),
    );
    let deleted = mallory.sign(
        log - 1,
        &Operation::delete(
            stages.clone(),
            DocumentViewId::from(OperationId(renamed.0.hash())),
        ),
    );
    let checked = [renamed, deleted, added]
        .into_iter()
        .map(|(entry, operation)| lineup_node::replica::CheckedEntry::check(entry, operation))
        .collect();
    mallory_node
        .node
        .ingest_from_peer("mallory".into(), checked)
        .await
        .unwrap();
    let before = documents(&carol_node.node, &stages).await;
    for node in [&alice, &bob, &carol_node] {
        let (replayed, _) = sync_both(&mallory_node, node).await;
        assert_eq!(replayed.sent, 3, "{replayed:?}");
    }
    for node in [&alice, &bob, &carol_node, &mallory_node] {
        assert_eq!(documents(&node.node, &stages).await, before);
    }
    assert_eq!(before.len(), 1);
}
