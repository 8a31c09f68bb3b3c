//! A node at work: its store, its API over HTTP, replication over QUIC and
//! discovery on the LAN, started and stopped together. The headless node and
//! the desktop app both run one.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::{Api, ApiOptions, Exposure, Replication};
use crate::key_file::{self, KeyFileError};
use crate::net::discovery::Discovery;
use crate::net::peers::Peers;
use crate::net::replication::Replicated;
use crate::net::transport::{Transport, TransportError};
use crate::node::{Node, NodeBuilder, NodeError};

/// How long requests under way may take to finish once the HTTP server is
/// told to stop.
const REQUESTS_WITHIN: Duration = Duration::from_secs(2);
/// How long the API's websockets and loads may take to end after that.
const API_WITHIN: Duration = Duration::from_secs(2);
/// How long whatever else holds the node may take to let go of it.
const RELEASE_WITHIN: Duration = Duration::from_secs(1);

/// Where a service listens, whom it dials, and what it serves.
#[derive(Debug)]
pub struct ServiceOptions {
    /// The HTTP API's address; one other than loopback shares it with the LAN.
    pub http: SocketAddr,
    /// Where other nodes reach this one (QUIC, UDP).
    pub quic: SocketAddr,
    /// Nodes to keep in sync with, by address.
    pub peers: Vec<SocketAddr>,
    /// Whether to find and be found on the LAN (mDNS).
    pub mdns: bool,
    /// What replicates.
    pub replicated: Replicated,
    /// The web UI's files, served at `/` (see [`crate::api::ui_files`]).
    pub ui: Option<Router>,
    /// Whether to listen on any free port where the port asked for is
    /// taken (an app's choice), rather than fail (a server's).
    pub any_port_if_taken: bool,
}

/// Why a service did not start, or could not change.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The node did not start.
    #[error("starting the node: {0}")]
    Node(#[from] NodeError),
    /// The key or owner token could not be read or made.
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    /// The QUIC endpoint could not be bound.
    #[error("listening for nodes on {address}: {source}")]
    Quic {
        /// Where it was to listen.
        address: SocketAddr,
        /// What went wrong.
        source: TransportError,
    },
    /// The HTTP API could not be bound.
    #[error("listening on {address}: {source}")]
    Http {
        /// Where it was to listen.
        address: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// A running node with its API, replication and discovery.
#[derive(Debug)]
pub struct Service {
    node: Arc<Node>,
    data_dir: PathBuf,
    /// What every HTTP server of this service serves; the exposure follows
    /// the address it binds.
    api: ApiOptions,
    replication: Replication,
    peers: Peers,
    discovery: Option<Discovery>,
    http: HttpServer,
}

impl Service {
    /// Starts a node on `data_dir` (whatever data dir `node` names is
    /// replaced), then its replication, discovery and API.
    pub async fn start(
        data_dir: &Path,
        node: NodeBuilder,
        options: ServiceOptions,
    ) -> Result<Self, ServiceError> {
        let ServiceOptions {
            http,
            quic,
            peers,
            mdns,
            replicated,
            ui,
            any_port_if_taken,
        } = options;
        let node = Arc::new(node.data_dir(data_dir).spawn().await?);
        // The node made its key on start; other nodes see it as its identity.
        let key = key_file::load_or_create(data_dir)?;
        let owner_token = key_file::owner_token(data_dir)?;
        let transport = match Transport::bind(quic, &key) {
            Err(TransportError::Bind(_, error)) if any_port_if_taken && is_taken(&error) => {
                Transport::bind(any_port(quic), &key)
            }
            bound => bound,
        }
        .map_err(|source| ServiceError::Quic {
            address: quic,
            source,
        })?;
        let mut peers = Peers::start(Arc::clone(&node), transport, peers, replicated);
        let quic = peers.local_addr().map_err(|source| ServiceError::Quic {
            address: quic,
            source: TransportError::Bind(quic, source),
        })?;
        // A node on loopback has no one on the LAN to find or be found by.
        let discovery = if mdns && !quic.ip().is_loopback() {
            match Discovery::start(node.public_key(), quic) {
                Ok(discovery) => {
                    peers.dial_neighbours(discovery.neighbours());
                    Some(discovery)
                }
                Err(error) => {
                    tracing::warn!("not on the LAN (mDNS): {error}; nodes must be added by address");
                    None
                }
            }
        } else {
            None
        };
        let replication = Replication {
            status: peers.status(),
            dialler: peers.dialler(),
            quic_address: quic,
        };
        let api = ApiOptions {
            owner_token,
            // Each server sets it from the address it binds.
            exposure: Exposure::Local,
            ui,
            replication: Some(replication.clone()),
        };
        let serving = match HttpServer::start(Arc::clone(&node), http, api.clone()).await {
            Err(ServiceError::Http { source, .. }) if any_port_if_taken && is_taken(&source) => {
                HttpServer::start(Arc::clone(&node), any_port(http), api.clone()).await
            }
            started => started,
        };
        let http = match serving {
            Ok(http) => http,
            Err(error) => {
                if let Err(stopping) = Self::stop_parts(node, peers, discovery).await {
                    tracing::warn!("stopping the node after a failed start: {stopping}");
                }
                return Err(error);
            }
        };
        Ok(Self {
            node,
            data_dir: data_dir.to_owned(),
            api,
            replication,
            peers,
            discovery,
            http,
        })
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// Where the node keeps its key and data.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The token that lets requests write with the node's key.
    pub fn owner_token(&self) -> &str {
        &self.api.owner_token
    }

    /// Where the HTTP API listens, as bound.
    pub fn http_address(&self) -> SocketAddr {
        self.http.address
    }

    /// Where other nodes reach this one, as bound.
    pub fn quic_address(&self) -> SocketAddr {
        self.replication.quic_address
    }

    /// Whether the node announces itself and looks for others on the LAN.
    pub fn discovering(&self) -> bool {
        self.discovery.is_some()
    }

    /// Whether other machines can read the API.
    pub fn shared(&self) -> bool {
        !self.http.address.ip().is_loopback()
    }

    /// Shares the API with the LAN (all addresses), or takes it back to
    /// this machine only, on the same port. Websockets open now are closed
    /// (their clients connect again); if the new address cannot be bound,
    /// the API goes back to the old one and the error tells why.
    pub async fn share(&mut self, shared: bool) -> Result<(), ServiceError> {
        if shared == self.shared() {
            return Ok(());
        }
        let before = self.http.address;
        let ip = if shared {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        };
        let after = SocketAddr::new(ip, before.port());
        let stopped = std::mem::replace(&mut self.http, HttpServer::stopped(before));
        stopped.stop().await;
        match HttpServer::start(Arc::clone(&self.node), after, self.api.clone()).await {
            Ok(http) => {
                self.http = http;
                Ok(())
            }
            Err(error) => {
                self.http = HttpServer::start(Arc::clone(&self.node), before, self.api.clone()).await?;
                Err(error)
            }
        }
    }

    /// Stops serving, replicating and discovering, then closes the store,
    /// so that everything acknowledged is on disk.
    pub async fn stop(self) -> Result<(), NodeError> {
        let Self {
            node,
            peers,
            discovery,
            http,
            ..
        } = self;
        http.stop().await;
        Self::stop_parts(node, peers, discovery).await
    }

    async fn stop_parts(
        node: Arc<Node>,
        peers: Peers,
        discovery: Option<Discovery>,
    ) -> Result<(), NodeError> {
        if let Some(discovery) = discovery {
            discovery.stop().await;
        }
        peers.stop().await;
        // The store closes cleanly even if something still holds the node.
        let left = Node::stop_shared(node, RELEASE_WITHIN).await?;
        if left > 0 {
            tracing::warn!("stopped the node while {left} other handles of it were left");
        }
        Ok(())
    }
}

fn is_taken(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::AddrInUse
}

fn any_port(address: SocketAddr) -> SocketAddr {
    SocketAddr::new(address.ip(), 0)
}

/// The API served over HTTP on one address.
#[derive(Debug)]
struct HttpServer {
    address: SocketAddr,
    /// `None` once stopped.
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    api: Api,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl HttpServer {
    /// Binds `address` and serves the API there; the exposure follows the
    /// address bound.
    async fn start(node: Arc<Node>, address: SocketAddr, options: ApiOptions) -> Result<Self, ServiceError> {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| ServiceError::Http { address, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| ServiceError::Http { address, source })?;
        let api = Api::new(
            node,
            ApiOptions {
                exposure: Exposure::of(address),
                ..options
            },
        );
        let (shutdown, shut_down) = oneshot::channel::<()>();
        let service = api.router().into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, service).with_graceful_shutdown(async move {
                let _ = shut_down.await;
            });
            if let Err(error) = serving.await {
                tracing::error!("serving HTTP stopped: {error}");
            }
        });
        Ok(Self {
            address,
            running: Some(Running {
                api,
                shutdown,
                server,
            }),
        })
    }

    /// A placeholder for a server being replaced.
    fn stopped(address: SocketAddr) -> Self {
        Self {
            address,
            running: None,
        }
    }

    /// Stops taking requests, lets those under way finish for at most
    /// [`REQUESTS_WITHIN`], then ends the API's websockets and loads.
    async fn stop(self) {
        let Some(Running {
            api,
            shutdown,
            mut server,
        }) = self.running
        else {
            return;
        };
        let _ = shutdown.send(());
        if tokio::time::timeout(REQUESTS_WITHIN, &mut server).await.is_err() {
            tracing::warn!("requests still under way after {REQUESTS_WITHIN:?}: stopping regardless");
            server.abort();
        }
        if !api.stop(API_WITHIN).await {
            tracing::warn!("websockets or loads of the API still ran after {API_WITHIN:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_loopback() -> ServiceOptions {
        ServiceOptions {
            http: "127.0.0.1:0".parse().unwrap(),
            quic: "127.0.0.1:0".parse().unwrap(),
            peers: Vec::new(),
            mdns: true,
            replicated: Replicated::Everything,
            ui: None,
            any_port_if_taken: false,
        }
    }

    async fn this_node(address: SocketAddr) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("http://{address}/graphql"))
            .json(&serde_json::json!({ "query": "{ thisNode { shared } }" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn serves_on_loopback_then_shares_on_the_same_port_and_takes_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut service = Service::start(dir.path(), Node::builder(), on_loopback())
            .await
            .unwrap();
        // mDNS stays off on loopback: there is no one to find there.
        assert!(!service.discovering());
        let port = service.http_address().port();
        assert_eq!(
            this_node(service.http_address()).await["data"]["thisNode"]["shared"],
            false
        );

        service.share(true).await.unwrap();
        assert!(service.shared());
        assert_eq!(service.http_address(), SocketAddr::from(([0, 0, 0, 0], port)));
        let loopback = SocketAddr::from(([127, 0, 0, 1], port));
        assert_eq!(this_node(loopback).await["data"]["thisNode"]["shared"], true);

        service.share(false).await.unwrap();
        assert_eq!(service.http_address(), loopback);
        assert_eq!(this_node(loopback).await["data"]["thisNode"]["shared"], false);
        service.stop().await.unwrap();
    }

    #[tokio::test]
    async fn a_taken_http_address_fails_the_start_and_lets_go_of_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let quic = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let options = ServiceOptions {
            http: taken.local_addr().unwrap(),
            quic,
            ..on_loopback()
        };
        let error = Service::start(dir.path(), Node::builder(), options)
            .await
            .unwrap_err();
        assert!(matches!(error, ServiceError::Http { .. }), "{error}");
        // The QUIC endpoint it had bound is closed again.
        std::net::UdpSocket::bind(quic).unwrap();
    }

    #[tokio::test]
    async fn an_app_takes_any_port_where_its_ports_are_taken() {
        let dir = tempfile::tempdir().unwrap();
        let taken_http = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let taken_quic = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let options = ServiceOptions {
            http: taken_http.local_addr().unwrap(),
            quic: taken_quic.local_addr().unwrap(),
            any_port_if_taken: true,
            ..on_loopback()
        };
        let service = Service::start(dir.path(), Node::builder(), options)
            .await
            .unwrap();
        assert_ne!(service.http_address(), taken_http.local_addr().unwrap());
        assert_ne!(service.quic_address(), taken_quic.local_addr().unwrap());
        service.stop().await.unwrap();
    }
}
