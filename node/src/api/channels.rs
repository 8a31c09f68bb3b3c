//! The owner's channels (a Lineup addition, on nodes with the festival
//! schemas): which channels a festival has and how this node stands in
//! each, the letters it can read, and the steps that create a channel,
//! change its members and send. Everything here is the owner's only: the
//! node reads for its own user, and the UI never holds a key. Others see
//! the channel documents as any documents, with ciphertext only.

use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, InputValue, Object, ResolverContext, Type, TypeRef,
};
use async_graphql::Error;
use lineup_core::{DocumentId, PublicKey};

use super::graphql::{text_field, value_field};
use super::mutations::owner_node;
use super::scalars::{parse, required_text};
use crate::node::Node;
use crate::secret::channels::{ChannelMessage, ChannelSummary, NewChannel, Setting};

/// The root fields that list channels and give one: the owner's only, so
/// their answers are never kept (`super::answers`).
pub(crate) const CHANNELS_FIELD: &str = "channels";
pub(crate) const CHANNEL_FIELD: &str = "channel";

/// The query fields.
pub(crate) fn queries() -> [Field; 2] {
    [
        Field::new(CHANNELS_FIELD, TypeRef::named_nn_list_nn("Channel"), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let festival = document(&ctx, "festival")?;
                let channels = node.channels_of_festival(festival).await.map_err(refused)?;
                Ok(Some(FieldValue::list(
                    channels.into_iter().map(FieldValue::owned_any),
                )))
            })
        })
        .description("A festival's channels, by name, and whether this node is in each (owner only).")
        .argument(InputValue::new("festival", TypeRef::named_nn("DocumentId"))),
        Field::new(CHANNEL_FIELD, TypeRef::named("Channel"), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let id = document(&ctx, "id")?;
                let channel = node.channel(id).await.map_err(refused)?;
                Ok(channel.map(FieldValue::owned_any))
            })
        })
        .description(
            "One channel, and whether this node is in it; null if there is no such channel (owner only).",
        )
        .argument(InputValue::new("id", TypeRef::named_nn("DocumentId"))),
    ]
}

/// The mutation fields.
pub(crate) fn mutations() -> [Field; 4] {
    [
        Field::new("createChannel", TypeRef::named_nn(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let new = NewChannel {
                    festival: document(&ctx, "festival")?,
                    owner: document(&ctx, "keyGroup")?,
                    name: required_text(&ctx.args, "name")?.to_owned(),
                    setting: Setting::parse(required_text(&ctx.args, "setting")?).map_err(|error| Error::new(error.to_string()))?,
                    members: keys(&ctx, "members")?,
                };
                if new.name.trim().is_empty() {
                    return Err(Error::new("a channel needs a name"));
                }
                let id = node.create_channel(new).await.map_err(refused)?;
                Ok(Some(FieldValue::value(id.to_string())))
            })
        })
        .description(
            "Creates a channel owned by keyGroup with this node's key and members in it; setting is `chat` (who \
             joins later reads only what follows) or `notes` (who joins later reads everything); the channel's \
             document id (owner only; this node's key needs can_create in keyGroup).",
        )
        .argument(InputValue::new("festival", TypeRef::named_nn("DocumentId")))
        .argument(InputValue::new("keyGroup", TypeRef::named_nn("DocumentId")))
        .argument(InputValue::new("name", TypeRef::named_nn(TypeRef::STRING)))
        .argument(InputValue::new("setting", TypeRef::named_nn(TypeRef::STRING)))
        .argument(InputValue::new("members", TypeRef::named_nn_list_nn("PublicKey"))),
        Field::new("sendToChannel", TypeRef::named_nn(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let channel = document(&ctx, "channel")?;
                let text = required_text(&ctx.args, "text")?.to_owned();
                if text.trim().is_empty() {
                    return Err(Error::new("a message needs some text"));
                }
                let id = node.send_to_channel(channel, text).await.map_err(refused)?;
                Ok(Some(FieldValue::value(id.to_string())))
            })
        })
        .description("Sends text to a channel, sealed for its members; the message's document id (owner only).")
        .argument(InputValue::new("channel", TypeRef::named_nn("DocumentId")))
        .argument(InputValue::new("text", TypeRef::named_nn(TypeRef::STRING))),
        members_field("addChannelMembers", true),
        members_field("removeChannelMembers", false),
    ]
}

fn members_field(name: &str, add: bool) -> Field {
    Field::new(name, TypeRef::named_nn(TypeRef::BOOLEAN), move |ctx| {
        FieldFuture::new(async move {
            let node = owner_node(&ctx)?;
            let channel = document(&ctx, "channel")?;
            let members = keys(&ctx, "members")?;
            if members.is_empty() {
                return Err(Error::new("name at least one member"));
            }
            let changed = if add {
                node.add_channel_members(channel, members).await
            } else {
                node.remove_channel_members(channel, members).await
            };
            changed.map_err(refused)?;
            Ok(Some(FieldValue::value(true)))
        })
    })
    .description(if add {
        "Adds members to a channel this node is in (owner only; this node's key needs can_create in the channel's key group)."
    } else {
        "Removes members from a channel this node is in; they cannot read what follows (owner only)."
    })
    .argument(InputValue::new("channel", TypeRef::named_nn("DocumentId")))
    .argument(InputValue::new("members", TypeRef::named_nn_list_nn("PublicKey")))
}

/// The types the channel fields answer with.
pub(crate) fn types() -> Vec<Type> {
    let channel = Object::new("Channel")
        .description("A channel, as this node sees it.")
        .field(text_field::<ChannelSummary>("id", |channel| {
            channel.id.to_string()
        }))
        .field(text_field::<ChannelSummary>("name", |channel| {
            channel.name.clone()
        }))
        .field(text_field::<ChannelSummary>("setting", |channel| {
            channel.setting.clone()
        }))
        .field(text_field::<ChannelSummary>("keyGroup", |channel| {
            channel.owner.to_string()
        }))
        .field(
            value_field::<ChannelSummary>("member", TypeRef::named_nn(TypeRef::BOOLEAN), |channel| {
                Some(channel.state.member.into())
            })
            .description("Whether this node is a member: it reads and sends."),
        )
        .field(
            value_field::<ChannelSummary>("epoch", TypeRef::named_nn(TypeRef::INT), |channel| {
                Some(channel.state.epoch.into())
            })
            .description("How many changes of members this node has applied."),
        )
        .field(
            value_field::<ChannelSummary>("members", TypeRef::named_nn_list_nn(TypeRef::STRING), |channel| {
                Some(channel.state.members.iter().map(ToString::to_string).collect())
            })
            .description("The members' public keys, when this node is one; empty otherwise."),
        )
        .field(
            Field::new("messages", TypeRef::named_nn_list_nn("ChannelMessage"), |ctx| {
                FieldFuture::new(async move {
                    let channel = ctx.parent_value.try_downcast_ref::<ChannelSummary>()?;
                    let node = ctx.data::<Arc<Node>>()?;
                    let messages = node.channel_messages(channel.id).await.map_err(refused)?;
                    Ok(Some(FieldValue::list(
                        messages.into_iter().map(FieldValue::owned_any),
                    )))
                })
            })
            .description("The messages this node has seen, in the order they were sent; each letter once."),
        );
    let message = Object::new("ChannelMessage")
        .description("A message of a channel: what it says, or why this node cannot read it.")
        .field(text_field::<ChannelMessage>("id", |message| {
            message.id.to_string()
        }))
        .field(text_field::<ChannelMessage>("sender", |message| {
            message.sender.to_string()
        }))
        .field(
            value_field::<ChannelMessage>("text", TypeRef::named(TypeRef::STRING), |message| {
                message
                    .letter
                    .as_ref()
                    .ok()
                    .map(|letter| letter.text.clone().into())
            })
            .description("What the sender wrote; null when this node cannot read it."),
        )
        .field(
            value_field::<ChannelMessage>("sentAt", TypeRef::named(TypeRef::FLOAT), |message| {
                message
                    .letter
                    .as_ref()
                    .ok()
                    .map(|letter| (letter.sent_at_ms as f64).into())
            })
            .description("When, by the sender's clock, in milliseconds since 1970; null when unreadable."),
        )
        .field(
            value_field::<ChannelMessage>("unreadable", TypeRef::named(TypeRef::STRING), |message| {
                message.letter.as_ref().err().map(|why| why.clone().into())
            })
            .description(
                "Why this node cannot read it (not a member, joined later, not for it); null if it can.",
            ),
        );
    vec![channel.into(), message.into()]
}

fn document(ctx: &ResolverContext<'_>, name: &str) -> Result<DocumentId, Error> {
    parse(required_text(&ctx.args, name)?, "document id")
}

fn keys(ctx: &ResolverContext<'_>, name: &str) -> Result<Vec<PublicKey>, Error> {
    ctx.args
        .try_get(name)?
        .list()?
        .iter()
        .map(|value| parse(value.string()?, "public key"))
        .collect()
}

fn refused(error: crate::node::NodeError) -> Error {
    Error::new(error.to_string())
}
