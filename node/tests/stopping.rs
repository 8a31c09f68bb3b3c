//! A running `lineup-node` stops cleanly on SIGTERM (and Ctrl-C, which it
//! takes the same way): exit status 0 and its store closed, even with a
//! browser's websocket open or requests under way.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lineup_node::node::DATABASE_FILE_NAME;
use running_node::{post_graphql, RunningNode, Socket};
use serde_json::{json, Value as Json};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

/// How long a node may take to stop: "a few seconds" to whoever pressed Ctrl-C.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// Sends SIGTERM to `node` off the async executor; the node and its exit
/// status, `None` if it was still running after [`STOP_WITHIN`].
async fn terminate(mut node: RunningNode) -> (RunningNode, Option<std::process::ExitStatus>) {
    tokio::task::spawn_blocking(move || {
        let status = node.terminate(STOP_WITHIN);
        (node, status)
    })
    .await
    .unwrap()
}

/// Checks that `node` closed its database: SQLite removes the write-ahead
/// log when the last connection closes, after copying it into the database.
fn assert_store_closed(node: &RunningNode) {
    let wal = node.data_dir().join(format!("{DATABASE_FILE_NAME}-wal"));
    assert!(
        std::fs::metadata(&wal).map_or(true, |wal| wal.len() == 0),
        "{} is left behind: the store was not closed",
        wal.display()
    );
}

/// The first field of the node's `root` type (`queryType`,
/// `subscriptionType`) whose name starts with `prefix`.
async fn root_field(client: &reqwest::Client, node: &RunningNode, root: &str, prefix: &str) -> String {
    let query = format!("{{ __schema {{ {root} {{ fields {{ name }} }} }} }}");
    let answer = post_graphql(client, &node.graphql, None, &json!({ "query": query })).await;
    answer["data"]["__schema"][root]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|field| field["name"].as_str())
        .find(|name| name.starts_with(prefix))
        .unwrap_or_else(|| panic!("a {root} field {prefix}...: {answer}"))
        .to_owned()
}

/// Opens a websocket, as the web UI does, and subscribes to `field`;
/// returns once the node has taken the subscription.
async fn subscribed(node: &RunningNode, field: &str) -> Socket {
    let mut socket = node.graphql_ws().await;
    let query = format!("subscription {{ {field} {{ meta {{ documentId }} }} }}");
    running_node::subscribe(&mut socket, "1", &query).await;
    // The node reads a connection's messages in order: once it answers the
    // ping, it has started the subscription.
    socket.send(Message::text(r#"{"type":"ping"}"#)).await.unwrap();
    loop {
        let message = socket.next().await.unwrap().unwrap();
        let message: Json = serde_json::from_str(message.to_text().unwrap()).unwrap();
        match message["type"].as_str() {
            Some("pong") => return socket,
            Some("ping") => socket.send(Message::text(r#"{"type":"pong"}"#)).await.unwrap(),
            _ => panic!("the subscription failed: {message}"),
        }
    }
}

/// Reads `socket` to its end: the close frame the node sent, or how the
/// connection ended without one.
async fn close_frame(socket: &mut Socket) -> Result<Option<CloseFrame>, String> {
    let mut frame = None;
    loop {
        match socket.next().await {
            Some(Ok(Message::Close(sent))) => frame = Some(sent),
            // Whatever came before the close: a change, a keep-alive.
            Some(Ok(_)) => {}
            // Reading on after the close frame answers it and ends the stream.
            None => return frame.ok_or_else(|| "ended without a close frame".to_owned()),
            Some(Err(error)) => return Err(error.to_string()),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stops_cleanly_on_sigterm_while_a_browser_subscribes() {
    let node = RunningNode::start();
    let client = reqwest::Client::new();
    // Every change of some schema's documents (`all_<schema_id>`).
    let field = root_field(&client, &node, "subscriptionType", "all_").await;
    // The web UI keeps one websocket open, with a subscription per schema.
    let mut socket = subscribed(&node, &field).await;

    let ((node, status), closed) = tokio::join!(
        terminate(node),
        tokio::time::timeout(STOP_WITHIN, close_frame(&mut socket))
    );

    let status = status.expect("the node stops within a few seconds");
    assert!(
        status.success(),
        "the node stops cleanly, but exited with {status}"
    );
    let frame = closed
        .expect("the websocket closes as the node stops")
        .expect("the node closes the websocket with a close frame");
    assert_eq!(frame.map(|frame| frame.code), Some(CloseCode::Away));
    assert_store_closed(&node);
}

/// Founds a festival with the owner token; its id.
async fn found_festival(client: &reqwest::Client, node: &RunningNode) -> String {
    let answer = post_graphql(
        client,
        &node.graphql,
        Some(&node.owner_token),
        &json!({"query": "mutation { createFestival(name: \"Wiesenklang\", description: \"By the lake\", \
            place: \"Lake Stechlin\", start: 1783591200, end: 1783850400, timeZone: \"Europe/Berlin\") }"}),
    )
    .await;
    answer["data"]["createFestival"]
        .as_str()
        .unwrap_or_else(|| panic!("a festival: {answer}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn stops_cleanly_on_sigterm_with_requests_under_way() {
    // The race it once lost came about one stop in five: stop a few times.
    for round in 0..4 {
        let node = RunningNode::start();
        let client = reqwest::Client::new();
        let festival = found_festival(&client, &node).await;
        let schema = root_field(&client, &node, "queryType", "festival_").await;
        // Reads that follow relations (loaded in batches beside the request),
        // never kept (they ask for `thisNode`), and writes.
        let read = json!({"query": format!(
            "{{ thisNode {{ publicKey }} {schema}(id: \"{festival}\") {{ fields {{ name \
             owner {{ meta {{ documentId }} }} crew_leads {{ meta {{ documentId }} }} \
             crew {{ meta {{ documentId }} }} }} }} }}"
        )});
        let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut requests = tokio::task::JoinSet::new();
        for client_number in 0..48 {
            let (client, url, read, answered) = (
                client.clone(),
                node.graphql.clone(),
                read.clone(),
                std::sync::Arc::clone(&answered),
            );
            let owner_token = node.owner_token.clone();
            requests.spawn(async move {
                loop {
                    let request = client.post(&url);
                    // One client in eight writes with the owner token.
                    let request = if client_number % 8 == 0 {
                        request.bearer_auth(&owner_token).json(&json!({"query": format!(
                            "mutation {{ createFestival(name: \"Round {client_number}\", description: \"\", \
                             place: \"\", start: 1783591200, end: 1783850400, timeZone: \"Europe/Berlin\") }}"
                        )}))
                    } else {
                        request.json(&read)
                    };
                    // Once the node stops, requests fail: that is expected.
                    if request.send().await.is_err() {
                        return;
                    }
                    answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
        // Stop in the thick of it.
        while answered.load(std::sync::atomic::Ordering::Relaxed) < 200 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }

        let (node, status) = terminate(node).await;

        let status = status.unwrap_or_else(|| panic!("round {round}: the node stops within a few seconds"));
        assert!(
            status.success(),
            "round {round}: the node stops cleanly, but exited with {status}"
        );
        assert_store_closed(&node);
        requests.abort_all();
        while requests.join_next().await.is_some() {}
    }
}
