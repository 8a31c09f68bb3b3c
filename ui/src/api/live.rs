//! Live changes: one websocket to the node (graphql-ws) subscribed to every
//! schema's changes. The app does not patch documents from the events; it
//! reloads what it shows, once a burst of changes has settled, so what it
//! shows is always a state the node had.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::json;

use super::Client;

/// How long the app waits for a burst of changes (an import, a first sync)
/// to settle before it reloads.
const SETTLE: Duration = Duration::from_millis(250);
/// The longest wait between attempts to reach a node that went away.
const MAX_RETRY: Duration = Duration::from_secs(10);

/// Whether the app hears the node's changes, and how often they came.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    /// Counts settled bursts of changes (and reconnections, after which
    /// changes may have been missed); what shows data reloads when it moves.
    pub changes: RwSignal<u64>,
    /// Whether the websocket is open.
    pub connected: RwSignal<bool>,
    /// Changes heard since the last settled burst: shows "syncing" while
    /// many arrive.
    pub arriving: RwSignal<u32>,
}

impl Live {
    /// Starts listening; keeps reconnecting for the life of the app.
    pub fn start(client: Client) -> Self {
        let live = Self {
            changes: RwSignal::new(0),
            connected: RwSignal::new(false),
            arriving: RwSignal::new(0),
        };
        spawn_local(async move {
            let mut retry = Duration::from_millis(500);
            loop {
                if let Ok(fields) = subscription_fields(&client).await {
                    if listen(&client, &fields, live).await {
                        retry = Duration::from_millis(500);
                    }
                }
                live.connected.set(false);
                gloo_timers::future::sleep(retry).await;
                retry = (retry * 2).min(MAX_RETRY);
            }
        });
        live
    }

    /// A change was heard: reload once the burst settles.
    fn heard(self) {
        let first = self.arriving.get_untracked() == 0;
        self.arriving.update(|count| *count += 1);
        if first {
            spawn_local(async move {
                gloo_timers::future::sleep(SETTLE).await;
                // Still arriving fast: wait for the end of the burst, but show
                // progress every few seconds.
                let mut waited = 0;
                loop {
                    let before = self.arriving.get_untracked();
                    gloo_timers::future::sleep(SETTLE).await;
                    waited += 1;
                    if self.arriving.get_untracked() == before || waited % 12 == 0 {
                        break;
                    }
                }
                self.arriving.set(0);
                self.changes.update(|count| *count += 1);
            });
        }
    }
}

#[derive(Deserialize)]
struct SubscriptionFields {
    #[serde(rename = "__schema")]
    schema: SchemaFields,
}

#[derive(Deserialize)]
struct SchemaFields {
    #[serde(rename = "subscriptionType")]
    subscription_type: Option<TypeFields>,
}

#[derive(Deserialize)]
struct TypeFields {
    fields: Vec<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

/// The node's `all_<schema>` subscriptions: one per schema it knows.
async fn subscription_fields(client: &Client) -> Result<Vec<String>, super::ApiError> {
    let answer: SubscriptionFields = client
        .query("{ __schema { subscriptionType { fields { name } } } }", json!({}))
        .await?;
    Ok(answer
        .schema
        .subscription_type
        .map(|subscriptions| subscriptions.fields)
        .unwrap_or_default()
        .into_iter()
        .map(|field| field.name)
        .filter(|name| name.starts_with("all_"))
        .collect())
}

#[derive(Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
}

/// Listens until the socket closes; whether it was ever open.
async fn listen(client: &Client, fields: &[String], live: Live) -> bool {
    let Ok(socket) = WebSocket::open_with_protocol(&client.websocket_url(), "graphql-transport-ws") else {
        return false;
    };
    let (mut outgoing, mut incoming) = socket.split();
    let init = json!({ "type": "connection_init", "payload": { "token": client.token } });
    if outgoing.send(Message::Text(init.to_string())).await.is_err() {
        return false;
    }
    let mut opened = false;
    while let Some(Ok(Message::Text(text))) = incoming.next().await {
        let Ok(message) = serde_json::from_str::<Incoming>(&text) else {
            continue;
        };
        match message.kind.as_str() {
            "connection_ack" => {
                for (number, field) in fields.iter().enumerate() {
                    let subscribe = json!({
                        "id": number.to_string(),
                        "type": "subscribe",
                        "payload": { "query": format!("subscription {{ {field} {{ meta {{ documentId }} }} }}") },
                    });
                    if outgoing.send(Message::Text(subscribe.to_string())).await.is_err() {
                        return opened;
                    }
                }
                opened = true;
                live.connected.set(true);
                // Whatever changed while the socket was closed is reloaded.
                live.changes.update(|count| *count += 1);
            }
            "next" | "error" => live.heard(),
            "ping" => {
                let pong = json!({ "type": "pong" }).to_string();
                if outgoing.send(Message::Text(pong)).await.is_err() {
                    return opened;
                }
            }
            _ => {}
        }
    }
    opened
}
