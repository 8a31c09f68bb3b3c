//! A `lineup-node` process for tests that talk to it over HTTP, and the
//! requests they send.

#![allow(dead_code)] // each test binary uses part of it

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A `lineup-node` process serving on a free port of 127.0.0.1.
pub(crate) struct RunningNode {
    child: Child,
    /// Its node key, as hex.
    pub(crate) public_key: String,
    pub(crate) graphql: String,
    /// Where other nodes reach it, as `host:port`.
    pub(crate) quic: String,
    /// Whether it is on the LAN: what it prints after `mdns:`.
    pub(crate) mdns: String,
    /// The token that lets requests write with the node's key.
    pub(crate) owner_token: String,
    data_dir: PathBuf,
    _data_dir: Option<tempfile::TempDir>,
}

impl RunningNode {
    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts the node with these arguments as well.
    pub(crate) fn start_with(arguments: &[&std::ffi::OsStr]) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut node = Self::start_in(data_dir.path(), arguments);
        node._data_dir = Some(data_dir);
        node
    }

    /// Starts the node on a data dir that outlives it (to start it again).
    pub(crate) fn start_in(data_dir: &std::path::Path, arguments: &[&std::ffi::OsStr]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_lineup-node"));
        command
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--http", "127.0.0.1:0"])
            // Tests reach other nodes by address, never the machine's LAN.
            .arg("--no-mdns");
        // Tests run side by side: other nodes only on this machine, any port.
        if !arguments.iter().any(|argument| *argument == "--quic") {
            command.args(["--quic", "127.0.0.1:0"]);
        }
        Self::launch(command.args(arguments), data_dir)
    }

    /// Starts the node with its defaults (QUIC on every interface, mDNS on)
    /// inside the network namespace `netns`, where its HTTP API is on that
    /// namespace's 127.0.0.1.
    pub(crate) fn start_in_netns(netns: &str) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", netns, env!("CARGO_BIN_EXE_lineup-node")])
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(["--http", "127.0.0.1:0"]);
        let mut node = Self::launch(&mut command, data_dir.path());
        node._data_dir = Some(data_dir);
        node
    }

    /// Spawns `command` (a `lineup-node`: `ip netns exec` becomes it) and
    /// reads what it prints on start.
    fn launch(command: &mut Command, data_dir: &Path) -> Self {
        let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = |label: &str| {
            lines
                .by_ref()
                .map(|line| line.unwrap())
                .find_map(|line| line.strip_prefix(label).map(|value| value.trim().to_owned()))
                .unwrap_or_else(|| panic!("the node prints {label}"))
        };
        let public_key = printed("public key:");
        let graphql = printed("graphql:");
        let quic = printed("quic:");
        let mdns = printed("mdns:");
        let owner_url = printed("owner:");
        let owner_token = owner_url
            .split_once("#token=")
            .expect("a token in the owner URL")
            .1
            .to_owned();
        // Keep reading so the node never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            public_key,
            graphql,
            quic,
            mdns,
            owner_token,
            data_dir: data_dir.to_owned(),
            _data_dir: None,
        }
    }

    /// Where it keeps its data.
    pub(crate) fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Sends it SIGTERM, as a service manager does (Ctrl-C sends SIGINT,
    /// which it takes the same way), and waits up to `within` for it to
    /// exit: its exit status, or `None` if it is still running.
    pub(crate) fn terminate(&mut self, within: Duration) -> Option<ExitStatus> {
        rustix::process::kill_process(
            rustix::process::Pid::from_child(&self.child),
            rustix::process::Signal::TERM,
        )
        .unwrap();
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A websocket to a node's API.
pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl RunningNode {
    /// Opens a websocket to its API, as the web UI does (graphql-ws), and
    /// starts the connection, without the owner token: `subscribe`
    /// messages may follow.
    pub(crate) async fn graphql_ws(&self) -> Socket {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        use tokio_tungstenite::tungstenite::Message;

        let mut request = self
            .graphql
            .replace("http://", "ws://")
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        socket
            .send(Message::text(r#"{"type":"connection_init","payload":{}}"#))
            .await
            .unwrap();
        let ack = socket.next().await.unwrap().unwrap();
        assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack}");
        socket
    }
}

/// Starts the subscription `id` on a websocket of [`RunningNode::graphql_ws`].
pub(crate) async fn subscribe(socket: &mut Socket, id: &str, query: &str) {
    use futures_util::SinkExt;
    let message = serde_json::json!({"id": id, "type": "subscribe", "payload": {"query": query}});
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(message.to_string()))
        .await
        .unwrap();
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Posts a GraphQL request (with the owner token, if given) and returns the answer.
pub(crate) async fn post_graphql(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> serde_json::Value {
    let mut request = client.post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// The first error's message of a GraphQL answer (panics if it has none).
pub(crate) fn refusal(answer: &serde_json::Value) -> String {
    answer["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("refused: {answer}"))
        .to_owned()
}

/// Publishes a signed entry and its operation; returns the answer.
pub(crate) async fn publish(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    (entry, operation): &(lineup_core::EncodedEntry, lineup_core::EncodedOperation),
) -> serde_json::Value {
    let body = serde_json::json!({
        "query": "mutation P($entry: EncodedEntry!, $operation: EncodedOperation!) { publish(entry: $entry, operation: $operation) { seqNum } }",
        "variables": {"entry": hex::encode(entry.as_bytes()), "operation": hex::encode(operation.as_bytes())},
    });
    post_graphql(client, url, token, &body).await
}

/// Publishes each signed entry in order, without the owner token, and
/// checks that every one is applied.
pub(crate) async fn publish_all<'a>(
    client: &reqwest::Client,
    url: &str,
    signed: impl IntoIterator<Item = &'a (lineup_core::EncodedEntry, lineup_core::EncodedOperation)>,
) {
    for signed in signed {
        let answer = publish(client, url, None, signed).await;
        assert!(answer.get("errors").is_none(), "{answer}");
    }
}
