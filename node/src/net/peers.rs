//! Keeps this node in sync with its peers. It accepts any node that dials
//! in and dials the peers it was given, redialling with backoff. On every
//! connection either side opens a sync session whenever it commits a change
//! (at most one at a time), and every few seconds in any case, so edits reach
//! peers within moments and a missed one is caught up soon after.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinSet;

use super::replication::{sync, Role};
use super::transport::{Connection, Transport};
use crate::node::Node;

/// A session is opened this often even without changes.
const RESYNC: Duration = Duration::from_secs(5);
/// Waits between dial attempts grow up to this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The node's replication: running until [`Peers::stop`].
#[derive(Debug)]
pub struct Peers {
    transport: Arc<Transport>,
    tasks: JoinSet<()>,
}

impl Peers {
    /// Starts accepting on `transport` and dialling `dial`.
    pub fn start(node: Arc<Node>, transport: Transport, dial: Vec<SocketAddr>) -> Self {
        let transport = Arc::new(transport);
        let mut tasks = JoinSet::new();
        tasks.spawn(accept(Arc::clone(&node), Arc::clone(&transport)));
        for address in dial {
            tasks.spawn(keep_dialling(Arc::clone(&node), Arc::clone(&transport), address));
        }
        Self { transport, tasks }
    }

    /// Where other nodes reach this one.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.transport.local_addr()
    }

    /// Closes every connection and ends every task (they hold the node).
    pub async fn stop(mut self) {
        self.transport.close();
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

async fn accept(node: Arc<Node>, transport: Arc<Transport>) {
    let mut connections = JoinSet::new();
    while let Some(incoming) = transport.accept().await {
        // A peer that fails its handshake is simply not served.
        if let Ok(connection) = incoming {
            connections.spawn(serve(Arc::clone(&node), connection));
        }
        while connections.try_join_next().is_some() {}
    }
}

async fn keep_dialling(node: Arc<Node>, transport: Arc<Transport>, address: SocketAddr) {
    let mut backoff = Duration::from_millis(250);
    loop {
        match transport.connect(address, None).await {
            Ok(connection) => {
                backoff = Duration::from_millis(250);
                serve(Arc::clone(&node), connection).await;
            }
            Err(error) => tracing::debug!("cannot reach peer {address}: {error}"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Syncs over `connection` until it breaks: takes the sessions the peer
/// opens, and opens one on every change here and every [`RESYNC`].
async fn serve(node: Arc<Node>, connection: Connection) {
    let taking = async {
        loop {
            if let Err(error) = sync(&node, &connection, Role::Acceptor).await {
                return error;
            }
        }
    };
    let opening = async {
        let mut changes = node.subscribe();
        loop {
            if let Err(error) = sync(&node, &connection, Role::Opener).await {
                return error;
            }
            // Whatever changed while the session ran is in the next one.
            let wait = tokio::time::timeout(RESYNC, changes.recv());
            if let Ok(Err(RecvError::Closed)) = wait.await {
                return super::replication::ReplicationError::Connection("the node stopped".into());
            }
            while changes.try_recv().is_ok() {}
        }
    };
    let error = tokio::select! {
        error = taking => error,
        error = opening => error,
    };
    tracing::debug!("sync with {} ended: {error}", connection.peer());
    connection.quic().close(0u32.into(), b"sync ended");
}
