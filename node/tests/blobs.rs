//! Files over HTTP against a running `lineup-node`: the owner uploads one, it
//! is stored as blob pieces of at most 256,000 bytes, and anyone downloads it
//! whole, with its MIME type and an entity tag.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;

use running_node::RunningNode;
use serde_json::{json, Value as Json};

#[tokio::test]
async fn the_owner_uploads_a_file_and_anyone_downloads_it_whole() {
    let node = RunningNode::start();
    let client = reqwest::Client::new();
    let base = node.graphql.trim_end_matches("/graphql").to_owned();
    let file: Vec<u8> = (0..600_000u32).map(|index| (index % 251) as u8).collect();
    let count = || async {
        let query = json!({"query": "{ all_blob_piece_v1 { totalCount } all_blob_v1 { totalCount } }"});
        let answer = running_node::post_graphql(&client, &node.graphql, None, &query).await;
        (
            answer["data"]["all_blob_piece_v1"]["totalCount"].clone(),
            answer["data"]["all_blob_v1"]["totalCount"].clone(),
        )
    };

    let refused = client
        .post(format!("{base}/blobs"))
        .header("content-type", "image/png")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(count().await, (json!(0), json!(0)));

    let uploaded: Json = client
        .post(format!("{base}/blobs"))
        .bearer_auth(&node.owner_token)
        .header("content-type", "image/png")
        .body(file.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = uploaded["documentId"]
        .as_str()
        .expect("the new file's id")
        .to_owned();
    assert_eq!(count().await, (json!(3), json!(1)));

    let download = client.get(format!("{base}/blobs/{id}")).send().await.unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    let etag = download.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(download.bytes().await.unwrap().to_vec(), file);

    let unchanged = client
        .get(format!("{base}/blobs/{id}"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    let view_id = etag.trim_matches('"');
    let at_view = client
        .get(format!("{base}/blobs/{id}/{view_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(at_view.bytes().await.unwrap().len(), file.len());

    for missing in [
        format!("{base}/blobs/{}", "0020".to_owned() + &"ab".repeat(32)),
        format!("{base}/blobs/nonsense"),
    ] {
        let status = client.get(&missing).send().await.unwrap().status();
        assert!(status == 404 || status == 400, "{missing}: {status}");
    }
}
