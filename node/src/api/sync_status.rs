//! `syncStatus`: how this node stands with its peers and which logs it froze
//! because their author forked them, and `addPeer`, for the UI. Lineup
//! additions; aquadoggo has nothing like them. The status changes without
//! the store changing, so answers that ask for it are never kept.

use std::time::UNIX_EPOCH;

use async_graphql::dynamic::{Field, FieldFuture, FieldValue, InputValue, Object, TypeRef};
use async_graphql::{Error, Value as GqlValue};

use super::graphql::text_field;
use crate::net::peer_code;
use crate::net::peers::Dialler;
use crate::net::status::{PeerStatus, SyncStatus, Unreachable};
use crate::node::Node;
use crate::store::forks::ForkedLog;

/// The root field's name.
pub(crate) const FIELD: &str = "syncStatus";

/// The root field and its types.
pub(crate) fn field() -> Field {
    Field::new(FIELD, TypeRef::named_nn("SyncStatus"), |ctx| {
        FieldFuture::new(async move {
            // A node without replication (an API test) has no peers.
            let status = ctx.data_opt::<SyncStatus>().cloned().unwrap_or_default();
            Ok(Some(FieldValue::owned_any(status)))
        })
    })
    .description("How this node stands with its peers (a Lineup addition).")
}

/// `addPeer(address)`: the owner asks the node to dial another node at
/// `host:port`, or at the addresses of a peer code (the first that
/// answers), and keep in sync with it.
pub(crate) fn add_peer_field() -> Field {
    Field::new("addPeer", TypeRef::named_nn(TypeRef::BOOLEAN), |ctx| {
        FieldFuture::new(async move {
            if ctx.data_opt::<super::mutations::Owner>().is_none() {
                return Err(Error::new(
                    "only the node's owner may add a peer: send the owner token as `Authorization: Bearer <token>`",
                ));
            }
            let text = super::scalars::required_text(&ctx.args, "address")?;
            let addresses = peer_code::addresses_in(text).map_err(|error| Error::new(error.to_string()))?;
            let dialler = ctx
                .data_opt::<Dialler>()
                .ok_or_else(|| Error::new("this node does not replicate"))?;
            if !dialler.dial_any(addresses) {
                return Err(Error::new("replication is busy or stopped: try again"));
            }
            Ok(Some(FieldValue::value(true)))
        })
    })
    .description(
        "Dials the node at `host:port`, or at a peer code's addresses (lineup-peer:<ip:port>,...: its thisNode \
         { peerCode }), and keeps in sync with it (owner only; a Lineup addition).",
    )
    .argument(InputValue::new("address", TypeRef::named_nn(TypeRef::STRING)))
}

pub(crate) fn objects() -> [Object; 4] {
    let status = Object::new("SyncStatus")
        .field(Field::new("peers", TypeRef::named_nn_list_nn("Peer"), |ctx| {
            FieldFuture::new(async move {
                let status = ctx.parent_value.try_downcast_ref::<SyncStatus>()?;
                Ok(Some(FieldValue::list(
                    status.peers().into_iter().map(FieldValue::owned_any),
                )))
            })
        }))
        .field(Field::new(
            "unreachable",
            TypeRef::named_nn_list_nn("UnreachablePeer"),
            |ctx| {
                FieldFuture::new(async move {
                    let status = ctx.parent_value.try_downcast_ref::<SyncStatus>()?;
                    Ok(Some(FieldValue::list(
                        status.unreachable().into_iter().map(FieldValue::owned_any),
                    )))
                })
            },
        ))
        .field(
            Field::new("forks", TypeRef::named_nn_list_nn("ForkedLog"), |ctx| {
                FieldFuture::new(async move {
                    let forks = ctx
                        .data::<std::sync::Arc<Node>>()?
                        .forked_logs()
                        .await
                        .map_err(|error| Error::new(error.to_string()))?;
                    Ok(Some(FieldValue::list(
                        forks.into_iter().map(FieldValue::owned_any),
                    )))
                })
            })
            .description("The logs this node froze because their author signed two entries at one seq num."),
        );
    let peer_field = |name: &'static str, ty: TypeRef| {
        Field::new(name, ty, move |ctx| {
            FieldFuture::new(async move {
                let peer = ctx.parent_value.try_downcast_ref::<PeerStatus>()?;
                Ok(match name {
                    "publicKey" => Some(GqlValue::from(peer.public_key.to_string())),
                    "address" => Some(GqlValue::from(peer.address.to_string())),
                    "connected" => Some(GqlValue::from(peer.connected)),
                    "lastSync" => peer
                        .last_sync
                        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
                        .map(|since| GqlValue::from(since.as_millis() as f64)),
                    "sentEntries" => Some(GqlValue::from(peer.sent as f64)),
                    "behindEntries" => Some(GqlValue::from(peer.behind as f64)),
                    "aheadEntries" => Some(GqlValue::from(peer.ahead as f64)),
                    _ => Some(GqlValue::from(peer.received as f64)),
                }
                .map(FieldValue::value))
            })
        })
    };
    let peer = Object::new("Peer")
        .description("A node this one has been connected to.")
        .field(peer_field("publicKey", TypeRef::named_nn("PublicKey")))
        .field(peer_field("address", TypeRef::named_nn(TypeRef::STRING)))
        .field(peer_field("connected", TypeRef::named_nn(TypeRef::BOOLEAN)))
        .field(
            peer_field("lastSync", TypeRef::named(TypeRef::FLOAT))
                .description("When the last sync ended, in milliseconds since 1970 (JavaScript's Date)."),
        )
        .field(peer_field("sentEntries", TypeRef::named_nn(TypeRef::FLOAT)))
        .field(peer_field("receivedEntries", TypeRef::named_nn(TypeRef::FLOAT)))
        .field(
            peer_field("behindEntries", TypeRef::named_nn(TypeRef::FLOAT))
                .description("Entries the peer has that this node lacks, as far as the last sync knows."),
        )
        .field(
            peer_field("aheadEntries", TypeRef::named_nn(TypeRef::FLOAT))
                .description("Entries this node has that the peer lacks, as far as the last sync knows."),
        );
    let unreachable = Object::new("UnreachablePeer")
        .description("A peer this node was told to dial and cannot reach.")
        .field(text_field("address", |peer: &Unreachable| {
            peer.address.to_string()
        }))
        .field(text_field("error", |peer: &Unreachable| peer.error.clone()));
    let fork = Object::new("ForkedLog")
        .description(
            "A log frozen by a fork: nothing of it from seqNum on counts here, nor anything that builds on it.",
        )
        .field(
            text_field("publicKey", |fork: &ForkedLog| fork.public_key.to_string())
                .description("The author whose key signed the fork, in hex."),
        )
        .field(text_field("logId", |fork: &ForkedLog| fork.log_id.0.to_string()))
        .field(
            text_field("seqNum", |fork: &ForkedLog| fork.seq_num.get().to_string())
                .description("The first seq num with two entries."),
        );
    [status, peer, unreachable, fork]
}
