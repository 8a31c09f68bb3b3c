//! Malformed requests against a running `lineup-node` get an error and change
//! nothing: bad hex, wrong types, an oversized body, a query nested too deep.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;

use running_node::RunningNode;
use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PUBLISH: &str =
    "mutation P($entry: EncodedEntry!, $operation: EncodedOperation!) { publish(entry: $entry, operation: $operation) { seqNum } }";

#[tokio::test]
async fn every_malformed_request_is_refused_and_changes_nothing() {
    let node = RunningNode::start();
    let client = reqwest::Client::new();
    let post = |body: Json| {
        let (client, url) = (client.clone(), node.graphql.clone());
        async move { client.post(url).json(&body).send().await.unwrap() }
    };
    let state = || async {
        let answer: Json = post(json!({"query": "{ all_schema_field_definition_v1 { totalCount } all_schema_definition_v1 { totalCount } }"}))
            .await
            .json()
            .await
            .unwrap();
        answer["data"].clone()
    };
    let before = state().await;

    let cases = [
        (
            "bad hex",
            json!({"query": PUBLISH, "variables": {"entry": "zz", "operation": "00"}}),
        ),
        (
            "odd hex",
            json!({"query": PUBLISH, "variables": {"entry": "abc", "operation": "84"}}),
        ),
        (
            "wrong type",
            json!({"query": PUBLISH, "variables": {"entry": 5, "operation": true}}),
        ),
        (
            "missing argument",
            json!({"query": "mutation { publish(entry: \"00\") { seqNum } }"}),
        ),
        (
            "not a public key",
            json!({"query": "{ nextArgs(publicKey: \"00\") { logId } }"}),
        ),
        ("unknown field", json!({"query": "{ nonsense }"})),
        ("not GraphQL", json!({"query": "{ all_"})),
        (
            "too deep",
            json!({"query": format!("{{ __schema {{ types {{ {}name{} }} }} }}", "fields { type { ".repeat(10), " } }".repeat(10))}),
        ),
    ];
    for (what, body) in cases {
        let response = post(body).await;
        let answer: Json = response.json().await.unwrap_or(Json::Null);
        assert!(
            answer["errors"]
                .as_array()
                .is_some_and(|errors| !errors.is_empty()),
            "{what}: {answer}"
        );
    }

    // An oversized body is refused from its declared length, before it is
    // sent (a client sending it anyway may find the connection closed).
    let address = node
        .graphql
        .trim_start_matches("http://")
        .trim_end_matches("/graphql")
        .to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        2 * 1024 * 1024
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 64];
    let read = socket.read(&mut answer).await.unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(status_line.contains(" 413 "), "{status_line}");
    assert_eq!(state().await, before);
}
