//! The app's node: started in the background as the app starts, waited for
//! by the window, shared on the LAN or not, and stopped as the app quits.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use lineup_core::PublicKey;
use lineup_node::net::replication::Replicated;
use lineup_node::node::Node;
use lineup_node::service::{Service, ServiceOptions};
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
    hosting: watch::Sender<Hosting>,
    service: Mutex<Option<Service>>,
}

impl NodeHost {
    /// A host for a node on `data_dir`, not started yet.
    pub(crate) fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            hosting: watch::Sender::new(Hosting::Starting),
            service: Mutex::new(None),
        }
    }

    /// Where the node keeps its key and data.
    pub(crate) fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Starts the node, its replication, discovery and API. `quic` is where
    /// other nodes reach it (a loopback address keeps it off the LAN); the
    /// API is on loopback, or on every address when `shared`.
    pub(crate) async fn start(&self, quic: Option<SocketAddr>, shared: bool) {
        let mut service = self.service.lock().await;
        let options = ServiceOptions {
            http: free_or_any(SocketAddr::new(http_ip(shared), HTTP_PORT), Protocol::Tcp),
            quic: quic.unwrap_or_else(|| {
                free_or_any(
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), QUIC_PORT),
                    Protocol::Udp,
                )
            }),
            peers: Vec::new(),
            mdns: true,
            replicated: Replicated::Everything,
            ui: None,
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

fn http_ip(shared: bool) -> IpAddr {
    if shared {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    }
}

enum Protocol {
    Tcp,
    Udp,
}

/// `preferred` if it is free now, else the same address on any port: a
/// fixed port is easier to find for visitors and firewalls, but a headless
/// node on the same machine may hold it.
fn free_or_any(preferred: SocketAddr, protocol: Protocol) -> SocketAddr {
    let free = match protocol {
        Protocol::Tcp => std::net::TcpListener::bind(preferred).is_ok(),
        Protocol::Udp => std::net::UdpSocket::bind(preferred).is_ok(),
    };
    if free {
        preferred
    } else {
        SocketAddr::new(preferred.ip(), 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_window_waits_for_the_node_and_gets_its_loopback_address_and_token() {
        let dir = tempfile::tempdir().unwrap();
        let host = std::sync::Arc::new(NodeHost::new(dir.path().to_owned()));
        let waiting = tokio::spawn({
            let host = std::sync::Arc::clone(&host);
            async move { host.connection().await }
        });
        host.start(Some("127.0.0.1:0".parse().unwrap()), false).await;
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
        let host = NodeHost::new(data_dir);
        host.start(Some("127.0.0.1:0".parse().unwrap()), false).await;
        let error = host.connection().await.unwrap_err();
        assert!(error.contains("taken"), "{error}");
    }

    #[test]
    fn takes_any_port_when_the_preferred_one_is_held() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = held.local_addr().unwrap();
        assert_eq!(free_or_any(address, Protocol::Tcp).port(), 0);
        drop(held);
        assert_eq!(free_or_any(address, Protocol::Tcp), address);
    }
}
