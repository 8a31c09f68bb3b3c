//! Answers kept between commits never hide a change: right after a publish
//! is answered, every read shows it, however many ask at once.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use running_node::{post_graphql, publish_all, RunningNode};
use serde_json::json;
use test_utils::{edited_stage, stage_schema, Author};

#[tokio::test]
async fn every_read_after_a_publish_shows_it() {
    let node = RunningNode::start();
    let client = reqwest::Client::new();
    let mut author = Author::new(21);
    let (schema, definition) = stage_schema(&mut author);
    publish_all(&client, &node.graphql, &definition).await;
    let query = json!({ "query": format!("{{ all_{schema}(first: 5) {{ totalCount documents {{ fields {{ capacity }} }} }} }}") });
    let capacities = |answer: serde_json::Value| -> Vec<i64> {
        answer["data"][format!("all_{schema}")]["documents"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
            .iter()
            .map(|document| document["fields"]["capacity"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        capacities(post_graphql(&client, &node.graphql, None, &query).await),
        Vec::<i64>::new()
    );

    for (capacity, signed) in edited_stage(&mut author, &schema, "Main", 30).iter().enumerate() {
        publish_all(&client, &node.graphql, [signed]).await;
        let reads = (0..6).map(|_| post_graphql(&client, &node.graphql, None, &query));
        for answer in futures_util::future::join_all(reads).await {
            assert_eq!(capacities(answer), vec![capacity as i64]);
        }
    }
}
