//! Three `lineup-node` processes on a LAN of their own (network namespaces
//! joined by a bridge, built by the test): given no address at all, they
//! find each other with mDNS and converge. Needs root, as CI has.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use std::future::Future;
use std::os::fd::AsFd;
use std::process::Command;
use std::time::Duration;

use running_node::{post_graphql, publish_all, RunningNode};
use serde_json::{json, Value as Json};
use test_utils::{edited_stage, eventually, stage_schema, Author};

/// Network namespaces joined by a bridge, removed again on drop.
struct Lan {
    /// Holds the bridge.
    hub: String,
    /// One per node, each with an `eth0` on the bridge.
    hosts: Vec<String>,
}

impl Lan {
    fn create(hosts: usize) -> Self {
        let prefix = format!("lineup-test-{}", std::process::id());
        let mut lan = Self {
            hub: format!("{prefix}-hub"),
            hosts: Vec::new(),
        };
        ip(&["netns", "add", &lan.hub]);
        ip(&["-n", &lan.hub, "link", "add", "br0", "type", "bridge"]);
        ip(&["-n", &lan.hub, "link", "set", "br0", "up"]);
        for number in 1..=hosts {
            let host = format!("{prefix}-{number}");
            ip(&["netns", "add", &host]);
            lan.hosts.push(host.clone());
            let port = format!("port{number}");
            ip(&[
                "-n", &lan.hub, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", &host,
            ]);
            ip(&["-n", &lan.hub, "link", "set", &port, "master", "br0", "up"]);
            ip(&[
                "-n",
                &host,
                "addr",
                "add",
                &format!("10.77.0.{number}/24"),
                "dev",
                "eth0",
            ]);
            ip(&["-n", &host, "link", "set", "eth0", "up"]);
            ip(&["-n", &host, "link", "set", "lo", "up"]);
        }
        lan
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Removing a namespace removes its end of each veth, and so the pair.
        for netns in self.hosts.iter().chain([&self.hub]) {
            let _ = Command::new("ip").args(["netns", "del", netns]).status();
        }
    }
}

fn ip(arguments: &[&str]) {
    let output = Command::new("ip")
        .args(arguments)
        .output()
        .expect("iproute2's `ip` (scripts/setup installs it)");
    assert!(
        output.status.success(),
        "ip {}: {} (this test builds network namespaces: run it as root, as CI does)",
        arguments.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `work` on a thread inside the network namespace `netns`, where
/// 127.0.0.1 is the loopback of that namespace (and of the node in it).
fn in_netns<T, Work>(netns: &str, work: impl FnOnce() -> Work + Send + 'static) -> T
where
    T: Send + 'static,
    Work: Future<Output = T>,
{
    let path = format!("/run/netns/{netns}");
    let thread = std::thread::spawn(move || {
        let namespace = std::fs::File::open(&path).unwrap();
        rustix::thread::move_into_link_name_space(
            namespace.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .unwrap();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(work())
    });
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Waits until the capacities of the stages `graphql` lists (in order) are
/// as `wanted`.
async fn capacities_when(graphql: &str, schema: &lineup_core::SchemaId, wanted: impl Fn(&[i64]) -> bool) {
    let (client, wanted) = (&reqwest::Client::new(), &wanted);
    let query =
        &json!({ "query": format!("{{ all_{schema} {{ documents {{ fields {{ capacity }} }} }} }}") });
    eventually(Duration::from_secs(60), move || async move {
        let answer: Json = post_graphql(client, graphql, None, query).await;
        let mut capacities: Vec<i64> = answer["data"][format!("all_{schema}")]["documents"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|document| document["fields"]["capacity"].as_i64().unwrap())
            .collect();
        capacities.sort();
        if wanted(&capacities) {
            Ok(())
        } else {
            Err(answer.to_string())
        }
    })
    .await
}

#[test]
fn nodes_on_a_lan_find_each_other_and_converge() {
    let lan = Lan::create(3);
    let nodes: Vec<RunningNode> = lan
        .hosts
        .iter()
        .map(|netns| RunningNode::start_in_netns(netns))
        .collect();
    for node in &nodes {
        assert!(node.mdns.starts_with("announcing"), "{}", node.mdns);
    }

    // A schema and a stage published on the first node; one more stage on
    // each other node once the schema has reached it.
    let mut organiser = Author::new(61);
    let (schema, definition) = stage_schema(&mut organiser);
    let mut first = definition;
    first.extend(edited_stage(&mut organiser, &schema, "Main", 1));
    let mut batches = vec![first];
    for number in 1..nodes.len() {
        let mut author = Author::new(61 + number as u8);
        batches.push(edited_stage(&mut author, &schema, "Side", 1 + number));
    }
    for (number, ((node, netns), signed)) in nodes.iter().zip(&lan.hosts).zip(batches).enumerate() {
        let (graphql, schema) = (node.graphql.clone(), schema.clone());
        in_netns(netns, move || async move {
            if number > 0 {
                // The schema is here once the first stage is.
                capacities_when(&graphql, &schema, |capacities| capacities.contains(&1)).await;
            }
            publish_all(&reqwest::Client::new(), &graphql, &signed).await;
        });
    }

    for (node, netns) in nodes.iter().zip(&lan.hosts) {
        let (graphql, schema) = (node.graphql.clone(), schema.clone());
        in_netns(netns, move || async move {
            capacities_when(&graphql, &schema, |capacities| capacities == [1, 2, 3]).await;
        });
        // Each is connected to the other two, found on the LAN, by the key
        // they announced.
        let mut others: Vec<String> = nodes
            .iter()
            .filter(|other| other.public_key != node.public_key)
            .map(|other| other.public_key.clone())
            .collect();
        others.sort();
        let graphql = node.graphql.clone();
        in_netns(netns, move || async move {
            let client = &reqwest::Client::new();
            let query = &json!({ "query": "{ syncStatus { peers { publicKey connected } } }" });
            let (graphql, others) = (&graphql, &others);
            eventually(Duration::from_secs(30), move || async move {
                let status = post_graphql(client, graphql, None, query).await;
                let mut connected: Vec<String> = status["data"]["syncStatus"]["peers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|peer| peer["connected"] == true)
                    .map(|peer| peer["publicKey"].as_str().unwrap().to_owned())
                    .collect();
                connected.sort();
                if connected == *others {
                    Ok(())
                } else {
                    Err(status.to_string())
                }
            })
            .await;
        });
    }
}
