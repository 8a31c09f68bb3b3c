//! A node killed in the middle of a sync, started again, carries on from
//! where its store got to and ends with exactly what its peer has.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use running_node::{post_graphql, RunningNode};
use serde_json::{json, Value as Json};
use test_utils::{edited_stage, eventually, stage_schema, Author};

const DOCUMENTS: usize = 2_000;
const UPDATES: usize = 9;

/// Fills `data_dir` through `lineup-node import`, as a peer would.
fn import(data_dir: &std::path::Path, entries: &[test_utils::Signed]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lineup-node"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("import")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = std::io::BufWriter::new(child.stdin.take().unwrap());
    for (entry, operation) in entries {
        writeln!(
            stdin,
            "{} {}",
            hex::encode(entry.as_bytes()),
            hex::encode(operation.as_bytes())
        )
        .unwrap();
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// The listed documents' view ids, and how many there are.
async fn listing(
    client: &reqwest::Client,
    node: &RunningNode,
    schema: &lineup_core::SchemaId,
) -> (u64, Vec<String>) {
    let query = json!({ "query": format!(
        "{{ all_{schema}(first: 10000) {{ totalCount documents {{ meta {{ viewId }} }} }} }}"
    ) });
    let answer: Json = post_graphql(client, &node.graphql, None, &query).await;
    let page = &answer["data"][format!("all_{schema}")];
    let views = page["documents"]
        .as_array()
        .map(|documents| {
            documents
                .iter()
                .map(|document| document["meta"]["viewId"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (page["totalCount"].as_u64().unwrap_or(0), views)
}

#[tokio::test]
async fn a_node_killed_mid_sync_resumes_without_duplicates() {
    let mut author = Author::new(61);
    let (schema, mut entries) = stage_schema(&mut author);
    for index in 0..DOCUMENTS {
        entries.extend(edited_stage(
            &mut author,
            &schema,
            &format!("Stage {index}"),
            UPDATES,
        ));
    }
    let (alice_dir, bob_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    import(alice_dir.path(), &entries);
    let alice = RunningNode::start_in(alice_dir.path(), &[]);
    let client = reqwest::Client::new();
    let (total, alice_views) = listing(&client, &alice, &schema).await;
    assert_eq!(total, DOCUMENTS as u64);

    let peer = ["--peer".as_ref(), alice.quic.as_ref()];
    let bob = RunningNode::start_in(bob_dir.path(), &peer);
    let (client, schema) = (&client, &schema);
    let seen = eventually(Duration::from_secs(30), || {
        let bob = &bob;
        async move {
            match listing(client, bob, schema).await.0 {
                0 => Err("nothing arrived".to_owned()),
                seen => Ok(seen),
            }
        }
    })
    .await;
    drop(bob); // SIGKILL
    assert!(
        seen < DOCUMENTS as u64,
        "the sync ended before the kill ({seen} documents): the test proves nothing"
    );

    let bob = &RunningNode::start_in(bob_dir.path(), &peer);
    let alice_views = &alice_views;
    eventually(Duration::from_secs(60), move || async move {
        let (total, views) = listing(client, bob, schema).await;
        if total == DOCUMENTS as u64 && &views == alice_views {
            Ok(())
        } else {
            Err(format!("{total} documents"))
        }
    })
    .await;
}
