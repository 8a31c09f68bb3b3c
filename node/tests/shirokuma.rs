//! shirokuma 0.1.3 (p2panda-js, from npm) against a running `lineup-node`:
//! an unchanged p2panda client defines a schema, creates and updates a
//! document and reads it back.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;

use std::path::Path;
use std::process::Command;

use running_node::RunningNode;
use serde_json::{json, Value as Json};

#[test]
fn shirokuma_publishes_and_reads_back_through_lineup() {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo");
    let client = Path::new(&manifest_dir).join("../tests/shirokuma");
    let installed = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&client)
        .status()
        .expect("npm (node.js) is installed: scripts/setup installs it");
    assert!(installed.success(), "npm ci failed");

    let node = RunningNode::start();
    let output = Command::new("node")
        .arg("roundtrip.mjs")
        .arg(&node.graphql)
        .current_dir(&client)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "shirokuma failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Json = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        result["queried"],
        json!({"data": {"doc": {
            "meta": {
                "documentId": result["documentId"],
                "viewId": result["viewAfterUpdate"],
                "owner": result["publicKey"],
            },
            "fields": {"title": "hello from the npm client", "n": 43, "score": 1.5},
        }}})
    );
    assert!(result["schemaId"].as_str().unwrap().starts_with("js_note_0020"));
}
