//! Live streams: once connected, each node asks the other for what it
//! stores from then on, and gets each commit's entries as it lands, so an
//! edit reaches connected peers in moments. Sessions
//! ([`super::replication`]) catch up on whatever a live stream missed.

use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{oneshot, Notify};

use super::replication::{
    checked, connection_error, expect, session, store_batch, unexpected, Observer, Outgoing, Replicated,
    ReplicationError, SyncReport, BATCH_ENTRIES,
};
use super::transport::Connection;
use super::wire::{self, Message};
use crate::node::{Node, Stored};

/// What a stream the peer opened was for.
#[derive(Debug)]
pub enum Taken {
    /// A sync session, which went through.
    Session(SyncReport),
    /// A live stream, which ended with the connection.
    Live,
}

/// Serves one stream the peer opened on `connection`: a sync session, or a
/// live stream that carries what this node stores until the connection
/// ends. A live stream that falls behind the store notifies `resync`: the
/// caller opens a session to catch up.
pub async fn take(
    node: &Node,
    connection: &Connection,
    replicated: &Replicated,
    (send, mut receive): (quinn::SendStream, quinn::RecvStream),
    resync: &Notify,
    progress: Observer<'_>,
) -> Result<Taken, ReplicationError> {
    match expect(&mut receive).await? {
        hello @ Message::Hello { .. } => {
            let report = session(
                node,
                connection,
                replicated,
                (send, receive),
                Some(hello),
                progress,
            )
            .await?;
            Ok(Taken::Session(report))
        }
        Message::Live { schemas } => {
            let shared = replicated.shared_with(schemas)?;
            push(
                node,
                connection,
                &shared,
                Outgoing::new(send, progress, true),
                resync,
            )
            .await?;
            Ok(Taken::Live)
        }
        other => Err(unexpected(&other)),
    }
}

/// Asks the peer to push what it stores from now on, and takes it, until
/// the connection ends; `subscribed` fires once the peer has started
/// listening to its store, so that a session started then misses nothing.
pub async fn subscribe(
    node: &Node,
    connection: &Connection,
    replicated: &Replicated,
    subscribed: oneshot::Sender<()>,
    progress: Observer<'_>,
) -> Result<(), ReplicationError> {
    let (mut send, mut receive) = connection.quic().open_bi().await.map_err(connection_error)?;
    let live = Message::Live {
        schemas: replicated.announced(),
    };
    wire::write(&mut send, &live).await?;
    match expect(&mut receive).await? {
        Message::Synced => {}
        other => return Err(unexpected(&other)),
    }
    let _ = subscribed.send(());
    let peer = connection.peer().to_string();
    let mut report = SyncReport::default();
    loop {
        match wire::read(&mut receive).await? {
            Some(Message::Entries { entries }) => {
                let batch = checked(entries, replicated).await?;
                store_batch(node, &peer, batch, true, progress, &mut report).await?;
            }
            Some(other) => return Err(unexpected(&other)),
            None => return Ok(()),
        }
    }
}

/// Sends the peer every entry of `shared` schemas this node stores from
/// now on (but those that came from that peer), batched as they commit.
async fn push(
    node: &Node,
    connection: &Connection,
    shared: &Replicated,
    mut outgoing: Outgoing<'_>,
    resync: &Notify,
) -> Result<(), ReplicationError> {
    let mut stored = node.stored_entries();
    wire::write(&mut outgoing.stream, &Message::Synced).await?;
    let peer = connection.peer().to_string();
    let mut places = Vec::new();
    let take = |commit: &Stored, places: &mut Vec<_>| {
        if commit.from_peer.as_deref() != Some(peer.as_str()) {
            places.extend(
                commit
                    .entries
                    .iter()
                    .filter(|place| shared.contains(&place.schema_id) && !node.is_demo_key(&place.public_key))
                    .map(|place| (place.public_key, place.log_id, place.seq_num)),
            );
        }
    };
    loop {
        match stored.recv().await {
            Ok(commit) => take(&commit, &mut places),
            Err(RecvError::Lagged(_)) => resync.notify_one(),
            Err(RecvError::Closed) => return Ok(()),
        }
        // Whatever else has committed meanwhile goes in the same messages.
        while places.len() < BATCH_ENTRIES {
            match stored.try_recv() {
                Ok(commit) => take(&commit, &mut places),
                Err(TryRecvError::Lagged(_)) => resync.notify_one(),
                Err(_) => break,
            }
        }
        if places.is_empty() {
            continue;
        }
        outgoing
            .post(node.entries_at(std::mem::take(&mut places)).await?)
            .await?;
        outgoing.flush().await?;
    }
}
