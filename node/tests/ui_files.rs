//! `lineup-node --ui-dir` serves a built web UI at `/`, beside the API.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;

use running_node::RunningNode;

#[tokio::test]
async fn serves_the_ui_and_its_index_for_the_uis_own_routes() {
    let ui = tempfile::tempdir().unwrap();
    std::fs::write(ui.path().join("index.html"), "<h1>Lineup</h1>").unwrap();
    std::fs::write(ui.path().join("app.js"), "console.log('lineup')").unwrap();
    let node = RunningNode::start_with(&["--ui-dir".as_ref(), ui.path().as_os_str()]);
    let base = node.graphql.trim_end_matches("/graphql").to_owned();
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move {
            let response = reqwest::get(url).await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(get("/").await, (200, "<h1>Lineup</h1>".to_owned()));
    assert_eq!(get("/app.js").await, (200, "console.log('lineup')".to_owned()));
    assert_eq!(get("/programme/day-2").await, (200, "<h1>Lineup</h1>".to_owned()));
    // The API stays the API.
    let answer = running_node::post_graphql(
        &reqwest::Client::new(),
        &node.graphql,
        None,
        &serde_json::json!({"query": "{ all_blob_v1 { totalCount } }"}),
    )
    .await;
    assert_eq!(answer["data"]["all_blob_v1"]["totalCount"], 0);
}

#[tokio::test]
async fn serves_the_ui_gzipped_to_browsers_that_take_it() {
    let (ui, app) = ui_with_wasm();
    let node = RunningNode::start_with(&["--ui-dir".as_ref(), ui.path().as_os_str()]);
    let gzipped = get_wasm(&node, true).await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let bytes = gzipped.bytes().await.unwrap();
    assert!(bytes.len() < app.len() / 10, "{} bytes", bytes.len());
    // A client that does not take gzip gets the file as it is.
    let plain = get_wasm(&node, false).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), app);
}

#[tokio::test]
async fn serves_a_files_gzipped_twin_as_it_is() {
    let (ui, app) = ui_with_wasm();
    // Not a gzip of app.wasm: only a file served as it is can be this.
    let twin = b"\x1f\x8b the build's own gzip".to_vec();
    std::fs::write(ui.path().join("app.wasm.gz"), &twin).unwrap();
    let node = RunningNode::start_with(&["--ui-dir".as_ref(), ui.path().as_os_str()]);
    let gzipped = get_wasm(&node, true).await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert_eq!(gzipped.headers()["content-type"], "application/wasm");
    assert_eq!(gzipped.bytes().await.unwrap().to_vec(), twin);
    let plain = get_wasm(&node, false).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), app);
}

/// A UI folder with an index and an `app.wasm` that compresses well, and
/// that file's text.
fn ui_with_wasm() -> (tempfile::TempDir, String) {
    let ui = tempfile::tempdir().unwrap();
    let app = "fn main() {} ".repeat(1000);
    std::fs::write(ui.path().join("index.html"), "<h1>Lineup</h1>").unwrap();
    std::fs::write(ui.path().join("app.wasm"), &app).unwrap();
    (ui, app)
}

/// `node`'s `/app.wasm`, asked for gzipped or not.
async fn get_wasm(node: &RunningNode, gzip: bool) -> reqwest::Response {
    let url = format!("{}/app.wasm", node.graphql.trim_end_matches("/graphql"));
    let mut request = reqwest::Client::new().get(url);
    if gzip {
        request = request.header("Accept-Encoding", "gzip");
    }
    request.send().await.unwrap()
}
