//! Cursors are made only when a query asks for them, however it asks: by
//! name, or through a fragment.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use lineup_core::Operation;
use running_node::{post_graphql, publish_all, RunningNode};
use serde_json::json;
use test_utils::{stage, stage_schema, Author};

#[tokio::test]
async fn cursors_asked_through_fragments_are_given() {
    let node = RunningNode::start();
    let client = reqwest::Client::new();
    let mut author = Author::new(23);
    let (schema, definition) = stage_schema(&mut author);
    publish_all(&client, &node.graphql, &definition).await;
    let stages: Vec<_> = (0..3)
        .map(|index| {
            let log = author.next_log();
            author.sign(
                log,
                &Operation::create(schema.clone(), stage(&format!("Stage {index}"), index)),
            )
        })
        .collect();
    publish_all(&client, &node.graphql, &stages).await;
    let ask = |query: String| {
        let (client, url) = (client.clone(), node.graphql.clone());
        async move { post_graphql(&client, &url, None, &json!({ "query": query })).await }
    };
    let named = ask(format!(
        "{{ all_{schema}(first: 2) {{ endCursor documents {{ cursor }} }} }}"
    ))
    .await;
    let page = &named["data"][format!("all_{schema}")];
    assert!(page["endCursor"].is_string(), "{named}");
    assert_eq!(page["endCursor"], page["documents"][1]["cursor"]);

    let spread = ask(format!(
        "{{ all_{schema}(first: 2) {{ ...Page }} }} fragment Page on {schema}Collection {{ endCursor documents {{ ...Item }} }} fragment Item on {schema}Item {{ cursor }}"
    ))
    .await;
    let inline = ask(format!(
        "{{ all_{schema}(first: 2) {{ ... on {schema}Collection {{ endCursor documents {{ ... {{ cursor }} }} }} }} }}"
    ))
    .await;
    assert_eq!(spread, named);
    assert_eq!(inline, named);
}
