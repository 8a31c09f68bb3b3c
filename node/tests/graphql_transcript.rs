//! Replays aquadoggo's recorded GraphQL exchanges for the public vectors
//! against a running `lineup-node`, over HTTP, and compares answer for answer.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;

use running_node::RunningNode;
use serde_json::{json, Value as Json};

async fn post(client: &reqwest::Client, url: &str, request: &Json) -> Json {
    client
        .post(url)
        .json(request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn transcript() -> Json {
    serde_json::from_str(include_str!("../../tests/vectors/aquadoggo-transcript.json")).unwrap()
}

/// Drops every `venue_history` field: the one deliberate difference (below).
fn without_venue_history(mut answer: Json) -> Json {
    match &mut answer {
        Json::Object(map) => {
            map.remove("venue_history");
            for value in map.values_mut() {
                *value = without_venue_history(value.take());
            }
        }
        Json::Array(items) => {
            for item in items.iter_mut() {
                *item = without_venue_history(item.take());
            }
        }
        _ => {}
    }
    answer
}

fn venue_history_views(answer: &Json) -> Vec<String> {
    answer["fields"]["venue_history"]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|document| document["meta"]["viewId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn answers_the_aquadoggo_transcript_answer_for_answer() {
    let transcript = transcript();
    let node = RunningNode::start_with(&["--bare".as_ref()]);
    let client = reqwest::Client::new();

    for step in transcript["publish"].as_array().unwrap() {
        let label = step["label"].as_str().unwrap();
        for exchange in [&step["nextArgs"], &step["publish"]] {
            let answer = post(&client, &node.graphql, &exchange["request"]).await;
            assert_eq!(answer, exchange["response"], "{label}: {}", exchange["purpose"]);
        }
    }

    let comparison = transcript["document_comparison"].as_array().unwrap();
    let expected_history = comparison
        .iter()
        .flat_map(|document| document["differences"].as_array().unwrap())
        .find(|difference| difference["field"] == "venue_history")
        .expect("the transcript names the venue_history difference")["expected"]
        .clone();
    let mut compared = 0;
    for query in transcript["queries"].as_array().unwrap() {
        let purpose = query["purpose"].as_str().unwrap();
        let answer = post(&client, &node.graphql, &query["request"]).await;
        if purpose == "document at historic view venue1@bob_only" {
            // aquadoggo answers null: it only keeps views it happened to
            // materialise. p2panda-rs defines this view (the vectors'
            // historic view `venue1@bob_only`), and Lineup serves any view.
            assert_eq!(
                answer["data"]["doc"]["fields"],
                json!({"capacity": 150, "is_open": true, "name": "Panda Hall", "rating": 4.5}),
                "{purpose}"
            );
            continue;
        }
        if purpose == "single document: event1 CREATE (alice), relations of all kinds" {
            // The deliberate difference: a pinned relation list with several
            // views of one document gives every view, in order (p2panda-rs),
            // where aquadoggo drops some.
            assert_eq!(
                json!(venue_history_views(&answer["data"]["doc"])),
                expected_history
            );
        }
        assert_eq!(
            without_venue_history(answer),
            without_venue_history(query["response"].clone()),
            "{purpose}"
        );
        compared += 1;
    }
    assert_eq!(compared, 30);

    for case in transcript["invalid"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let exchange = &case["exchange"];
        let answer = post(&client, &node.graphql, &exchange["request"]).await;
        let refused = |answer: &Json| {
            answer
                .get("errors")
                .is_some_and(|errors| !errors.as_array().unwrap().is_empty())
        };
        assert_eq!(
            refused(&answer),
            refused(&exchange["response"]),
            "{name}: {answer}"
        );
        if !refused(&answer) {
            assert_eq!(answer, exchange["response"], "{name}");
        }
    }
}
