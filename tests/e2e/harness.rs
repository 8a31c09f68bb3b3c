//! The harness's own checks that need no browser: a real `lineup-node`
//! process, started as the end-to-end tests start it, answering GraphQL
//! with and without its owner token.

use lineup_tests::NodeProcess;
use serde_json::json;

#[tokio::test]
async fn a_fresh_node_belongs_to_no_festival_until_its_owner_founds_one() -> anyhow::Result<()> {
    let node = NodeProcess::start()?;
    assert_eq!(node.public_key().len(), 64, "a public key in hex");
    assert!(node.owner_url().starts_with(node.http_url()));
    assert!(node
        .owner_url()
        .ends_with(&format!("#token={}", node.owner_token())));

    let festivals = node.graphql("{ myFestivals { role } }").await?;
    assert_eq!(festivals, json!({ "myFestivals": [] }));

    let found = "mutation { createFestival(name: \"Wiesenklang\", description: \"\", place: \"\", \
                 start: 1783468800, end: 1783728000, timeZone: \"Europe/Berlin\") }";
    let refused = node
        .graphql(found)
        .await
        .expect_err("founding needs the owner token");
    assert!(refused.to_string().contains("refused"), "{refused:#}");
    node.graphql_as_owner(found).await?;

    let festivals = node.graphql("{ myFestivals { role } }").await?;
    assert_eq!(festivals, json!({ "myFestivals": [{ "role": "ORGANISER" }] }));
    Ok(())
}

#[tokio::test]
async fn a_node_started_with_the_demo_shows_the_demo_festival() -> anyhow::Result<()> {
    let node = NodeProcess::builder().demo().start()?;
    let festivals = node.graphql("{ myFestivals { role } }").await?;
    assert_eq!(festivals, json!({ "myFestivals": [{ "role": "DEMO" }] }));
    Ok(())
}
