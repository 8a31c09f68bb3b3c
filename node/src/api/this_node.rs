//! `thisNode`: which node the UI talks to, whether the request is its
//! owner's, whether other machines reach the API, and the code another
//! node's user pastes to add it as a peer. A Lineup addition. `owner`
//! differs from request to request, so answers that ask for it are never
//! kept.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::dynamic::{Field, FieldFuture, FieldValue, Object, TypeRef};

use crate::net::peer_code::PeerCode;
use crate::node::Node;

/// The root field's name.
pub(crate) const FIELD: &str = "thisNode";

/// Where the API and the node are reachable, as the schema was built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reach {
    /// Whether other machines can reach the API.
    pub(crate) shared: bool,
    /// Where other nodes reach this one over QUIC; `None` if it does not
    /// replicate.
    pub(crate) quic: Option<SocketAddr>,
}

/// The root field.
pub(crate) fn field() -> Field {
    Field::new(FIELD, TypeRef::named_nn("ThisNode"), |_| {
        // The fields read what they tell from the context, not from here.
        FieldFuture::new(async move { Ok(Some(FieldValue::owned_any(()))) })
    })
    .description("The node this API belongs to, and how this request stands with it (a Lineup addition).")
}

/// The type it answers with; each field reads the request and the schema's data.
pub(crate) fn object() -> Object {
    Object::new("ThisNode")
        .description("The node this API belongs to.")
        .field(
            Field::new("publicKey", TypeRef::named_nn(TypeRef::STRING), |ctx| {
                FieldFuture::new(async move {
                    let node = ctx.data::<Arc<Node>>()?;
                    Ok(Some(FieldValue::value(node.public_key().to_string())))
                })
            })
            .description("The node's public key, in hex: the key it signs with."),
        )
        .field(
            Field::new("owner", TypeRef::named_nn(TypeRef::BOOLEAN), |ctx| {
                FieldFuture::new(async move {
                    let owner = ctx.data_opt::<super::mutations::Owner>().is_some();
                    Ok(Some(FieldValue::value(owner)))
                })
            })
            .description("Whether this request carries the owner token: the owner's browser, not a visitor's."),
        )
        .field(
            Field::new("shared", TypeRef::named_nn(TypeRef::BOOLEAN), |ctx| {
                FieldFuture::new(async move {
                    let shared = ctx.data_opt::<Reach>().is_some_and(|reach| reach.shared);
                    Ok(Some(FieldValue::value(shared)))
                })
            })
            .description("Whether other machines can reach this API (it is bound to another address than loopback)."),
        )
        .field(
            Field::new("peerCode", TypeRef::named(TypeRef::STRING), |ctx| {
                FieldFuture::new(async move {
                    let quic = ctx.data_opt::<Reach>().and_then(|reach| reach.quic);
                    Ok(quic.map(|quic| FieldValue::value(PeerCode::of_socket(quic).to_string())))
                })
            })
            .description(
                "lineup-peer:<ip:port>[,<ip:port>...]: the addresses other nodes reach this one at, for addPeer \
                 on a node that does not find it on the LAN; null if it does not replicate.",
            ),
        )
}
