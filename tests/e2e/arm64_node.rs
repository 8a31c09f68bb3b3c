//! The node as phones run it: `lineup-node` built for ARM64 (static, musl)
//! and run by qemu-user on this x86_64 machine. It serves GraphQL and the
//! UI, and keeps in sync with an x86_64 node over QUIC on 127.0.0.1. Nothing
//! here runs on a real phone (`docs/android.md`).

use lineup_schemas::Kind;
use lineup_tests::{built_ui, steps, NodeProcess};
use serde_json::json;

#[tokio::test]
async fn an_arm64_node_under_emulation_serves_the_app_and_replicates_both_ways() -> anyhow::Result<()> {
    let laptop = NodeProcess::builder().start()?;
    let phone = NodeProcess::builder()
        .arm64()
        .ui_dir(built_ui()?)
        .peer(laptop.quic_addr())
        .start()?;

    assert_eq!(
        phone.graphql("{ myFestivals { role } }").await?,
        json!({ "myFestivals": [] })
    );
    let page = reqwest::get(phone.url("/")).await?;
    anyhow::ensure!(
        page.status().is_success(),
        "the phone's node serves no UI: {}",
        page.status()
    );

    // A festival founded on each side reaches the other.
    let on_laptop = found(&laptop, "Laptop Fest").await?;
    let on_phone = found(&phone, "Phone Fest").await?;
    for (node, other) in [(&phone, &on_laptop), (&laptop, &on_phone)] {
        steps::until(
            &format!("festival {other} to reach {}", node.public_key()),
            async || Ok(festivals(node).await?.contains(other).then_some(())),
        )
        .await?;
    }
    Ok(())
}

/// Founds a festival with `node`'s owner token; its id.
async fn found(node: &NodeProcess, name: &str) -> anyhow::Result<String> {
    let answer = node
        .graphql_with(
            Some(node.owner_token()),
            "mutation Found($name: String!) { createFestival(name: $name, description: \"\", place: \"\", \
             start: 1783468800, end: 1783728000, timeZone: \"Europe/Berlin\") }",
            json!({ "name": name }),
        )
        .await?;
    answer["createFestival"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("createFestival answered {answer}"))
}

/// The ids of the festival documents `node` has.
async fn festivals(node: &NodeProcess) -> anyhow::Result<Vec<String>> {
    let field = format!("all_{}", Kind::Festival.schema_id());
    let answer = node
        .graphql(&format!(
            "{{ {field} {{ documents {{ meta {{ documentId }} }} }} }}"
        ))
        .await?;
    Ok(answer[&field]["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|document| document["meta"]["documentId"].as_str().map(str::to_owned))
        .collect())
}
