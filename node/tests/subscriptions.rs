//! Subscriptions over websocket (graphql-ws) against a running `lineup-node`:
//! a burst of publishes arrives at the subscriber change by change, in order.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use running_node::{publish_all, subscribe, RunningNode, Socket};
use serde_json::{json, Value as Json};
use test_utils::{edited_stage, stage_schema, Author};
use tokio_tungstenite::tungstenite::Message;

/// The next `next` payload of the subscription, if one comes within `wait`.
async fn next_change(socket: &mut Socket, wait: Duration) -> Option<Json> {
    loop {
        let message = tokio::time::timeout(wait, socket.next()).await.ok()??.unwrap();
        let Message::Text(text) = message else { continue };
        let message: Json = serde_json::from_str(&text).unwrap();
        match message["type"].as_str().unwrap() {
            "next" => return Some(message["payload"].clone()),
            "ping" => socket.send(Message::text(r#"{"type":"pong"}"#)).await.unwrap(),
            other => panic!("unexpected {other}: {message}"),
        }
    }
}

#[tokio::test]
async fn a_subscriber_sees_every_change_of_a_burst_in_order() {
    let node = RunningNode::start();
    let client = reqwest::Client::new();
    let mut author = Author::new(9);
    let (schema, definition) = stage_schema(&mut author);
    publish_all(&client, &node.graphql, &definition).await;
    let chain = edited_stage(&mut author, &schema, "Main", 120);

    let mut socket = node.graphql_ws().await;
    let query = format!("subscription {{ all_{schema} {{ meta {{ viewId }} fields {{ capacity }} }} }}");
    subscribe(&mut socket, "1", &query).await;

    // The subscription starts at some point after the message: publish one
    // entry at a time until the first change arrives.
    let mut published = 0;
    let first = loop {
        publish_all(&client, &node.graphql, [&chain[published]]).await;
        published += 1;
        if let Some(change) = next_change(&mut socket, Duration::from_millis(300)).await {
            break change;
        }
        assert!(published < 20, "the subscription never started");
    };
    let capacity = |change: &Json| {
        change["data"][format!("all_{schema}")]["fields"]["capacity"]
            .as_i64()
            .unwrap()
    };
    let view_id = |change: &Json| change["data"][format!("all_{schema}")]["meta"]["viewId"].clone();
    let mut last = capacity(&first);

    // Then a burst, without waiting: every change arrives, in order.
    publish_all(&client, &node.graphql, &chain[published..]).await;
    for signed in &chain[published..] {
        let change = next_change(&mut socket, Duration::from_secs(10))
            .await
            .expect("every change");
        assert_eq!(capacity(&change), last + 1);
        assert_eq!(view_id(&change), json!(signed.0.hash().to_string()));
        last += 1;
    }
    assert_eq!(last, 120);
}
