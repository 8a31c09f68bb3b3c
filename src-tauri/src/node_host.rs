//! The app's node: started in the background as the app starts, waited for
//! by the window, shared on the LAN or not, and stopped as the app quits.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use lineup_core::PublicKey;
use lineup_node::net::replication::Replicated;
use lineup_node::node::Node;
use lineup_node::service::{Service, ServiceOptions};
use lineup_node::{identity_file, key_file};
use serde::Serialize;
use tokio::sync::{watch, Mutex};

/// Where the app's API listens, unless the port is taken.
const HTTP_PORT: u16 = 2020;
/// Where other nodes reach the app's node, unless the port is taken.
const QUIC_PORT: u16 = 2022;

/// What the window needs to talk to the node.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Connection {
    /// The API's base address, always on loopback: `http://127.0.0.1:<port>`.
    pub(crate) address: String,
    /// The owner token: requests that carry it may write with the node's key.
    pub(crate) token: String,
}

/// How the node stands.
#[derive(Debug, Clone, PartialEq)]
enum Hosting {
    Starting,
    Up {
        connection: Connection,
        public_key: PublicKey,
    },
    Failed(String),
    Stopped,
}

/// The node the app hosts.
#[derive(Debug)]
pub(crate) struct NodeHost {
    data_dir: PathBuf,
    /// Where other nodes reach it, if not the default.
    quic: Option<SocketAddr>,
    hosting: watch::Sender<Hosting>,
    service: Mutex<Option<Service>>,
}

impl NodeHost {
    /// A host for a node on `data_dir`, not started yet. `quic` is where
    /// other nodes reach it (a loopback address keeps it off the LAN).
    pub(crate) fn new(data_dir: PathBuf, quic: Option<SocketAddr>) -> Self {
        Self {
            data_dir,
            quic,
            hosting: watch::Sender::new(Hosting::Starting),
            service: Mutex::new(None),
        }
    }

    /// Where the node keeps its key and data.
    pub(crate) fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Starts the node, its replication, discovery and API; the API is on
    /// loopback, or on every address when `shared`.
    pub(crate) async fn start(&self, shared: bool) {
        let mut service = self.service.lock().await;
        self.start_into(&mut service, shared).await;
    }

    async fn start_into(&self, service: &mut Option<Service>, shared: bool) {
        let options = ServiceOptions {
            http: SocketAddr::new(http_ip(shared), HTTP_PORT),
            quic: self
                .quic
                .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), QUIC_PORT)),
            peers: Vec::new(),
            mdns: true,
            replicated: Replicated::Everything,
            ui: None,
            // A fixed port is easier for visitors and firewalls, but a
            // headless node on the same machine may hold it.
            any_port_if_taken: true,
        };
        match Service::start(&self.data_dir, Node::builder(), options).await {
            Ok(started) => {
                self.hosting.send_replace(Hosting::Up {
                    connection: Connection {
                        address: format!("http://127.0.0.1:{}", started.http_address().port()),
                        token: started.owner_token().to_owned(),
                    },
                    public_key: started.node().public_key(),
                });
                *service = Some(started);
            }
            Err(error) => {
                tracing::error!("the node did not start: {error}");
                self.hosting.send_replace(Hosting::Failed(format!(
                    "{error} (data in {})",
                    self.data_dir.display()
                )));
            }
        }
    }

    /// Where the window reaches the node, once it is up.
    pub(crate) async fn connection(&self) -> Result<Connection, String> {
        let mut hosting = self.hosting.subscribe();
        let settled = hosting
            .wait_for(|hosting| *hosting != Hosting::Starting)
            .await
            .map_err(|_| "the app is closing".to_owned())?;
        match &*settled {
            Hosting::Up { connection, .. } => Ok(connection.clone()),
            Hosting::Failed(error) => Err(error.clone()),
            Hosting::Starting | Hosting::Stopped => Err("the node has stopped".to_owned()),
        }
    }

    /// The node's key, once it is up.
    pub(crate) fn public_key(&self) -> Option<PublicKey> {
        match &*self.hosting.borrow() {
            Hosting::Up { public_key, .. } => Some(*public_key),
            _ => None,
        }
    }

    /// Shares the API with the LAN, or takes it back to this machine.
    pub(crate) async fn share(&self, shared: bool) -> Result<(), String> {
        let mut service = self.service.lock().await;
        let service = service.as_mut().ok_or("the node is not running")?;
        service.share(shared).await.map_err(|error| error.to_string())
    }

    /// Writes the node's identity, sealed with `passphrase`, to `to`.
    pub(crate) async fn export_identity(&self, to: PathBuf, passphrase: String) -> Result<PublicKey, String> {
        let data_dir = self.data_dir.clone();
        off_the_runtime(move || identity_file::export(&data_dir, &passphrase, &to)).await
    }

    /// Makes the identity in `from` this node's: opens the file first, so
    /// that a wrong passphrase changes nothing, then stops the node, swaps
    /// its key and starts it again as it was.
    pub(crate) async fn import_identity(
        &self,
        from: PathBuf,
        passphrase: String,
    ) -> Result<PublicKey, String> {
        let key = off_the_runtime(move || identity_file::read(&from, &passphrase)).await?;
        let public_key = key.public_key();
        if self.public_key() == Some(public_key) {
            return Ok(public_key);
        }
        let mut service = self.service.lock().await;
        let shared = service.as_ref().is_some_and(Service::shared);
        if let Some(running) = service.take() {
            self.hosting.send_replace(Hosting::Starting);
            running.stop().await.map_err(|error| error.to_string())?;
        }
        let replaced = key_file::replace(&self.data_dir, &key).map_err(|error| error.to_string());
        // Back up in any case: with the new key, or the old one if the swap failed.
        self.start_into(&mut service, shared).await;
        replaced.map(|()| public_key)
    }

    /// Stops the node cleanly, so that everything it acknowledged is on disk.
    pub(crate) async fn stop(&self) {
        let service = self.service.lock().await.take();
        self.hosting.send_replace(Hosting::Stopped);
        if let Some(service) = service {
            if let Err(error) = service.stop().await {
                tracing::error!("stopping the node: {error}");
            }
        }
    }
}

/// Runs `work` (Argon2 takes a third of a second) on a thread for
/// blocking work; its error as the window shows it.
async fn off_the_runtime<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, String>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| error.to_string())?
        .map_err(|error| error.to_string())
}

fn http_ip(shared: bool) -> IpAddr {
    if shared {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_loopback() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    #[tokio::test]
    async fn an_imported_identity_is_the_nodes_after_a_restart_and_a_wrong_passphrase_changes_nothing() {
        let old_device = tempfile::tempdir().unwrap();
        let new_device = tempfile::tempdir().unwrap();
        let old = NodeHost::new(old_device.path().to_owned(), Some(on_loopback()));
        old.start(false).await;
        let new = NodeHost::new(new_device.path().to_owned(), Some(on_loopback()));
        new.start(true).await;
        let file = old_device.path().join("me.lineup-identity");
        let exported = old
            .export_identity(file.clone(), "correct horse".into())
            .await
            .unwrap();
        assert_eq!(Some(exported), old.public_key());
        let before = new.public_key();

        let refused = new.import_identity(file.clone(), "wrong horse".into()).await;
        assert!(refused.unwrap_err().contains("wrong passphrase"));
        assert_eq!(new.public_key(), before);

        let imported = new.import_identity(file, "correct horse".into()).await.unwrap();
        assert_eq!(imported, exported);
        assert_eq!(new.public_key(), Some(exported));
        // Up again, as it was: shared, with a new address for the window.
        let connection = new.connection().await.unwrap();
        assert!(new.service.lock().await.as_ref().unwrap().shared());
        let answer = this_node(&connection.address).await;
        assert_eq!(answer["data"]["thisNode"]["publicKey"], exported.to_string());
        old.stop().await;
        new.stop().await;
    }

    async fn this_node(address: &str) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("{address}/graphql"))
            .json(&serde_json::json!({ "query": "{ thisNode { publicKey } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_window_waits_for_the_node_and_gets_its_loopback_address_and_token() {
        let dir = tempfile::tempdir().unwrap();
        let host = std::sync::Arc::new(NodeHost::new(dir.path().to_owned(), Some(on_loopback())));
        let waiting = tokio::spawn({
            let host = std::sync::Arc::clone(&host);
            async move { host.connection().await }
        });
        host.start(false).await;
        let connection = waiting.await.unwrap().unwrap();
        assert!(
            connection.address.starts_with("http://127.0.0.1:"),
            "{}",
            connection.address
        );
        assert_eq!(
            connection.token,
            lineup_node::key_file::owner_token(dir.path()).unwrap()
        );
        assert!(host.public_key().is_some());
        host.stop().await;
        assert_eq!(host.connection().await, Err("the node has stopped".to_owned()));
    }

    #[tokio::test]
    async fn a_node_that_cannot_start_tells_the_window_why() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the data dir should be.
        let data_dir = dir.path().join("taken");
        std::fs::write(&data_dir, "not a directory").unwrap();
        let host = NodeHost::new(data_dir, Some(on_loopback()));
        host.start(false).await;
        let error = host.connection().await.unwrap_err();
        assert!(error.contains("taken"), "{error}");
    }
}
