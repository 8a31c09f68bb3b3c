//! The network: the nodes this one syncs with, how far along each is,
//! adding a node by hand where the Wi-Fi hides them, and forked authors.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::json;

use crate::actions;
use crate::components::{Doing, DoingNote, Empty, Loading, Problem};
use crate::context::{use_node, Loaded};
use crate::festival::short_key;

/// How often the page asks again: sync status changes without the store
/// changing, so there is nothing to subscribe to.
const POLL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SyncStatus {
    peers: Vec<Peer>,
    unreachable: Vec<Unreachable>,
    forks: Vec<Fork>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Peer {
    public_key: String,
    address: Option<String>,
    connected: bool,
    last_sync: Option<f64>,
    sent_entries: u64,
    received_entries: u64,
    behind_entries: u64,
    ahead_entries: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Unreachable {
    address: String,
    error: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Fork {
    public_key: String,
    log_id: String,
    seq_num: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    sync_status: SyncStatus,
}

const QUERY: &str =
    "{ syncStatus { peers { publicKey address connected lastSync sentEntries receivedEntries \
    behindEntries aheadEntries } unreachable { address error } forks { publicKey logId seqNum } } }";

/// Peers, progress, and adding one.
#[component]
pub fn Network() -> impl IntoView {
    let node = use_node();
    let status: RwSignal<Loaded<SyncStatus>> = RwSignal::new(Loaded::Loading);
    let alive = StoredValue::new(true);
    on_cleanup(move || alive.set_value(false));
    spawn_local(async move {
        while alive.try_get_value().unwrap_or(false) {
            let answer = node.client().query::<Answer>(QUERY, json!({})).await;
            if !alive.try_get_value().unwrap_or(false) {
                break;
            }
            match answer {
                Ok(answer) => status.set(Loaded::Ready(answer.sync_status)),
                Err(error) => status.set(Loaded::Failed(error)),
            }
            gloo_timers::future::sleep(POLL).await;
        }
    });
    let peers = move || match status.get() {
        Loaded::Loading => view! { <Loading what="the network" /> }.into_any(),
        Loaded::Failed(error) => view! { <Problem error /> }.into_any(),
        Loaded::Ready(status) => view! { <PeerList status /> }.into_any(),
    };
    view! {
        <section class="page network">
            <h1>"Network"</h1>
            {peers}
            <Show when=move || node.is_owner()>
                <AddPeer />
            </Show>
            <MyCode />
        </section>
    }
}

#[component]
fn PeerList(status: SyncStatus) -> impl IntoView {
    let now = js_sys::Date::now();
    view! {
        {if status.peers.is_empty() {
            view! {
                <Empty
                    title="No other devices yet"
                    hint="Devices on the same Wi-Fi find each other by themselves. If they do not, add one by its address or code below."
                />
            }.into_any()
        } else {
            view! {
                <table class="peers">
                    <thead><tr><th>"Device"</th><th>"Address"</th><th>"State"</th><th>"Sync"</th><th>"Last sync"</th></tr></thead>
                    <tbody>
                        {status.peers.into_iter().map(|peer| {
                            let progress = if peer.behind_entries > 0 {
                                format!("receiving: {} to go", peer.behind_entries)
                            } else if peer.ahead_entries > 0 {
                                format!("sending: {} to go", peer.ahead_entries)
                            } else {
                                "in sync".to_owned()
                            };
                            let total = peer.received_entries + peer.behind_entries;
                            let percent = (peer.received_entries * 100).checked_div(total).unwrap_or(100);
                            let last = peer.last_sync.map(|at| ago(now - at)).unwrap_or_else(|| "never".into());
                            view! {
                                <tr class:connected=peer.connected>
                                    <td><code>{short_key(&peer.public_key)}</code></td>
                                    <td>{peer.address.clone().unwrap_or_default()}</td>
                                    <td>{if peer.connected { "connected" } else { "not connected" }}</td>
                                    <td>
                                        <progress max="100" value=percent.to_string()></progress>
                                        " " {progress}
                                        <span class="hint">{format!(" (got {}, gave {})", peer.received_entries, peer.sent_entries)}</span>
                                    </td>
                                    <td>{last}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {(!status.unreachable.is_empty()).then(|| view! {
            <h2>"Cannot reach"</h2>
            <ul class="unreachable">
                {status.unreachable.into_iter().map(|peer| view! { <li><code>{peer.address}</code> " " {peer.error}</li> }).collect_view()}
            </ul>
        })}
        {(!status.forks.is_empty()).then(|| view! {
            <h2>"Forked authors"</h2>
            <p class="warning">"These devices wrote two different histories (the same identity on two devices?). Their later changes are not accepted."</p>
            <ul class="forks">
                {status.forks.into_iter().map(|fork| view! {
                    <li><code>{short_key(&fork.public_key)}</code> {format!(" log {} from entry {}", fork.log_id, fork.seq_num)}</li>
                }).collect_view()}
            </ul>
        })}
    }
}

/// "12 s ago"
fn ago(milliseconds: f64) -> String {
    let seconds = (milliseconds / 1000.0).max(0.0) as u64;
    match seconds {
        0..=59 => format!("{seconds} s ago"),
        60..=3599 => format!("{} min ago", seconds / 60),
        _ => format!("{} h ago", seconds / 3600),
    }
}

#[component]
fn AddPeer() -> impl IntoView {
    let node = use_node();
    let address = RwSignal::new(String::new());
    let doing = Doing::new();
    let added = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = address.get_untracked().trim().to_owned();
        if text.is_empty() {
            return doing.refuse("paste a code, or type an address like 10.0.0.7:2022");
        }
        let client = node.client();
        let asked = text.clone();
        doing.run(
            async move {
                actions::call(
                    &client,
                    "mutation Add($address: String!) { addPeer(address: $address) }",
                    json!({ "address": text }),
                )
                .await
            },
            move |_| {
                added.set(Some(asked));
                address.set(String::new());
            },
        );
    };
    view! {
        <form class="panel" on:submit=submit>
            <h2>"Add a device"</h2>
            <p class="hint">"For Wi-Fi that keeps devices from finding each other: paste the code from the other device's Network page, or type its address."</p>
            <label>"Code or address" <input name="peer" bind:value=address placeholder="lineup-peer:… or 10.0.0.7:2022" /></label>
            <button type="submit" disabled=move || doing.pending.get()>"Connect"</button>
            <DoingNote doing />
            {move || added.get().map(|peer| view! { <p class="done" role="status">{format!("Connecting to {peer}…")}</p> })}
        </form>
    }
}

/// This node's code, for another device's "Add a device".
#[component]
fn MyCode() -> impl IntoView {
    let node = use_node();
    move || {
        let code = node
            .me
            .with(|me| me.ready().and_then(|me| me.peer_code.clone()))?;
        let copied = RwSignal::new(false);
        let text = code.clone();
        let copy = move |_| {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&text);
                copied.set(true);
            }
        };
        Some(view! {
            <section class="panel">
                <h2>"This device's code"</h2>
                <code class="peer-code">{code}</code>
                <button class="quiet" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy" }}</button>
            </section>
        })
    }
}
