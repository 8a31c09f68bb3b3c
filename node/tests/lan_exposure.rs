//! An API shared with the LAN: strangers may read, and publish to the
//! schemas the node has, within a rate; they may not define schemas. The
//! router runs in process here, served without peer addresses, so every
//! request counts as one from another machine (as an unknown peer does).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use lineup_node::api::{ApiOptions, Exposure};
use lineup_node::node::Node;
use running_node::{post_graphql, publish};
use serde_json::{json, Value as Json};
use test_utils::{edited_stage, local_api, serve_api, stage_schema, Author, OWNER_TOKEN as TOKEN};

fn refused(answer: &Json) -> bool {
    answer["errors"]
        .as_array()
        .is_some_and(|errors| !errors.is_empty())
}

#[tokio::test]
async fn strangers_read_and_publish_within_limits_but_define_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = Arc::new(Node::builder().data_dir(dir.path()).spawn().await.unwrap());
    let options = ApiOptions {
        exposure: Exposure::Lan {
            per_second: 2.0,
            burst: 30.0,
        },
        ..local_api()
    };
    let url = serve_api(node, options).await;
    let client = reqwest::Client::new();

    let mut author = Author::new(5);
    let (schema, definition) = stage_schema(&mut author);
    // A stranger cannot define a schema...
    let answer = publish(&client, &url, None, &definition[0]).await;
    assert!(refused(&answer), "{answer}");
    // ... nor over a websocket.
    let mut request = url.replace("http://", "ws://").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(Message::text(r#"{"type":"connection_init"}"#))
        .await
        .unwrap();
    socket.next().await.unwrap().unwrap();
    let (entry, operation) = &definition[0];
    let publish_over_socket = json!({"id": "1", "type": "subscribe", "payload": {
        "query": "mutation P($entry: EncodedEntry!, $operation: EncodedOperation!) { publish(entry: $entry, operation: $operation) { seqNum } }",
        "variables": {"entry": hex::encode(entry.as_bytes()), "operation": hex::encode(operation.as_bytes())},
    }});
    socket
        .send(Message::text(publish_over_socket.to_string()))
        .await
        .unwrap();
    let answer: Json =
        serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert!(refused(&answer["payload"]), "{answer}");
    // ... the owner can.
    for signed in &definition {
        let answer = publish(&client, &url, Some(TOKEN), signed).await;
        assert!(!refused(&answer), "{answer}");
    }
    // A stranger publishes to it (the refused definition left no trace, so
    // the author's log starts where it did).
    let stage = edited_stage(&mut author, &schema, "Main", 0);
    let answer = publish(&client, &url, None, &stage[0]).await;
    assert!(!refused(&answer), "{answer}");

    // A flood from one address runs out of its burst; the owner is still served.
    let query = json!({"query": format!("{{ all_{schema} {{ totalCount }} }}")});
    let mut limited = 0;
    for _ in 0..60 {
        let response = client.post(&url).json(&query).send().await.unwrap();
        if response.status() == 429 {
            limited += 1;
        }
    }
    assert!(limited >= 25, "only {limited} of 60 requests were limited");
    let answer = post_graphql(&client, &url, Some(TOKEN), &query).await;
    assert_eq!(answer["data"][format!("all_{schema}")]["totalCount"], json!(1));
}
