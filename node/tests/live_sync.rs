//! Two `lineup-node` processes, one told where the other is: what is
//! published on either appears on the other, in moments, with no address
//! typed but that one, or the peer code the other node gives.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use lineup_node::secret::channels::KEY_PACKAGES_PUBLISHED;
use std::time::Duration;

use running_node::{post_graphql, publish_all, refusal, RunningNode};
use serde_json::{json, Value as Json};
use test_utils::{edited_stage, eventually, stage_schema, Author};

/// The capacities of the stages `node` lists, once `wanted` holds (or panics
/// after a while).
async fn capacities_when(
    client: &reqwest::Client,
    node: &RunningNode,
    schema: &lineup_core::SchemaId,
    wanted: impl Fn(&[i64]) -> bool,
) -> Vec<i64> {
    let query =
        &json!({ "query": format!("{{ all_{schema} {{ documents {{ fields {{ capacity }} }} }} }}") });
    let wanted = &wanted;
    eventually(Duration::from_secs(30), move || async move {
        let answer: Json = post_graphql(client, &node.graphql, None, query).await;
        let capacities: Vec<i64> = answer["data"][format!("all_{schema}")]["documents"]
            .as_array()
            .map(|documents| {
                documents
                    .iter()
                    .map(|document| document["fields"]["capacity"].as_i64().unwrap())
                    .collect()
            })
            .unwrap_or_default();
        if wanted(&capacities) {
            Ok(capacities)
        } else {
            Err(format!("{capacities:?}: {answer}"))
        }
    })
    .await
}

#[tokio::test]
async fn edits_on_either_node_reach_the_other() {
    let alice = RunningNode::start();
    let bob = RunningNode::start_with(&["--peer".as_ref(), alice.quic.as_ref()]);
    let client = reqwest::Client::new();
    let mut carol = Author::new(51);
    let (schema, definition) = stage_schema(&mut carol);
    publish_all(&client, &alice.graphql, &definition).await;
    let main_stage = edited_stage(&mut carol, &schema, "Main", 3);
    publish_all(&client, &alice.graphql, &main_stage).await;

    capacities_when(&client, &bob, &schema, |capacities| capacities == [3]).await;

    // Bob tells how he stands with Alice (once the session that brought the
    // entries has ended; they may show before it does).
    let status_query = json!({ "query": "{ syncStatus { peers { publicKey connected lastSync receivedEntries behindEntries aheadEntries } unreachable { address } } }" });
    // With Alice's key packages, which every node publishes at start.
    let expected = (definition.len() + main_stage.len() + KEY_PACKAGES_PUBLISHED) as f64;
    let (asking, status_query, bob_graphql) = (&client, &status_query, &bob.graphql);
    let status = eventually(Duration::from_secs(30), move || async move {
        let status = post_graphql(asking, bob_graphql, None, status_query).await;
        if status["data"]["syncStatus"]["peers"][0]["receivedEntries"].as_f64() == Some(expected) {
            Ok(status)
        } else {
            Err(status.to_string())
        }
    })
    .await;
    let peers = status["data"]["syncStatus"]["peers"].as_array().unwrap();
    assert_eq!(peers.len(), 1, "{status}");
    assert_eq!(peers[0]["publicKey"], alice.public_key.as_str());
    assert_eq!(peers[0]["connected"], true);
    assert!(peers[0]["lastSync"].as_f64().is_some(), "{status}");
    // Bob has everything Alice has, and she everything he has.
    assert_eq!(peers[0]["behindEntries"], 0.0, "{status}");
    assert_eq!(peers[0]["aheadEntries"], 0.0, "{status}");
    assert_eq!(status["data"]["syncStatus"]["unreachable"], json!([]));

    // And back: an author publishing through Bob.
    let mut dave = Author::new(52);
    let forest = edited_stage(&mut dave, &schema, "Forest", 7);
    publish_all(&client, &bob.graphql, &forest).await;
    capacities_when(&client, &alice, &schema, |capacities| {
        let mut sorted = capacities.to_vec();
        sorted.sort();
        sorted == [3, 7]
    })
    .await;
}

#[tokio::test]
async fn the_owner_adds_a_peer_and_nobody_else_can() {
    let (alice, bob) = (RunningNode::start(), RunningNode::start());
    let client = reqwest::Client::new();
    let add = json!({ "query": format!("mutation {{ addPeer(address: \"{}\") }}", alice.quic) });
    let refused = post_graphql(&client, &bob.graphql, None, &add).await;
    assert!(refusal(&refused).contains("owner"), "{refused}");
    let bad = json!({ "query": "mutation { addPeer(address: \"alice's laptop\") }" });
    let refused = post_graphql(&client, &bob.graphql, Some(&bob.owner_token), &bad).await;
    assert!(refusal(&refused).contains("host:port"), "{refused}");

    let added = post_graphql(&client, &bob.graphql, Some(&bob.owner_token), &add).await;
    assert_eq!(added["data"]["addPeer"], true, "{added}");
    a_stage_travels(&client, &alice, &bob, 53).await;
}

/// A new author (a key made from `seed`) publishes a stage on `from` and
/// edits it twice; waits until `to` has the last edit.
async fn a_stage_travels(client: &reqwest::Client, from: &RunningNode, to: &RunningNode, seed: u8) {
    let mut carol = Author::new(seed);
    let (schema, definition) = stage_schema(&mut carol);
    publish_all(client, &from.graphql, &definition).await;
    publish_all(
        client,
        &from.graphql,
        &edited_stage(&mut carol, &schema, "Main", 2),
    )
    .await;
    capacities_when(client, to, &schema, |capacities| capacities == [2]).await;
}

#[tokio::test]
async fn a_node_tells_who_it_is_and_another_adds_it_by_its_peer_code() {
    let (alice, bob) = (RunningNode::start(), RunningNode::start());
    let client = reqwest::Client::new();
    let who = json!({ "query": "{ thisNode { publicKey owner shared peerCode } }" });
    let to_the_owner = post_graphql(&client, &alice.graphql, Some(&alice.owner_token), &who).await;
    let code = format!("lineup-peer:{}", alice.quic);
    assert_eq!(
        to_the_owner["data"]["thisNode"],
        json!({ "publicKey": alice.public_key, "owner": true, "shared": false, "peerCode": code }),
        "{to_the_owner}"
    );
    // A visitor asking the same right after is not given the owner's answer.
    let to_a_visitor = post_graphql(&client, &alice.graphql, None, &who).await;
    assert_eq!(to_a_visitor["data"]["thisNode"]["owner"], false, "{to_a_visitor}");

    let add = |address: &str| json!({ "query": format!("mutation {{ addPeer(address: \"{address}\") }}") });
    let garbage = add("lineup-peer:alice's laptop");
    let refused = post_graphql(&client, &bob.graphql, Some(&bob.owner_token), &garbage).await;
    assert!(refusal(&refused).contains("no address"), "{refused}");
    // Bob adds Alice by her code, with an address before hers where no node
    // answers: the node at the other is reached all the same.
    let with_a_dead_address = format!("lineup-peer:127.0.0.1:9,{}", alice.quic);
    let added = post_graphql(
        &client,
        &bob.graphql,
        Some(&bob.owner_token),
        &add(&with_a_dead_address),
    )
    .await;
    assert_eq!(added["data"]["addPeer"], true, "{added}");
    a_stage_travels(&client, &alice, &bob, 54).await;
    let status = json!({ "query": "{ syncStatus { peers { publicKey } unreachable { address } } }" });
    let status = post_graphql(&client, &bob.graphql, None, &status).await;
    assert_eq!(
        status["data"]["syncStatus"],
        json!({ "peers": [{ "publicKey": alice.public_key }], "unreachable": [] }),
        "{status}"
    );
}
