//! A festival's crew channels as the app shows them. The node seals and
//! reads every letter for its own user: the app only ever sees what the
//! owner's node already read, or why it could not, and asks it to send.

use jiff::Timestamp;
use lineup_core::{DocumentId, PublicKey};
use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::actions;
use crate::api::{ApiError, Client};

/// Who may read what a channel said before they joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Forward secrecy: who joins later reads only what follows.
    Chat,
    /// Shared notes: who joins later reads everything.
    Notes,
}

impl Setting {
    /// Both, in the order the form offers them.
    pub const ALL: [Setting; 2] = [Setting::Chat, Setting::Notes];

    /// The node's word for it.
    pub fn word(self) -> &'static str {
        match self {
            Setting::Chat => "chat",
            Setting::Notes => "notes",
        }
    }

    /// From the node's word.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|setting| setting.word() == word)
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Setting::Chat => "Chat",
            Setting::Notes => "Shared notes",
        }
    }

    /// What it means for who joins later.
    pub fn meaning(self) -> &'static str {
        match self {
            Setting::Chat => "Who joins later reads only what is sent after they joined.",
            Setting::Notes => "Who joins later reads everything, from the start.",
        }
    }
}

/// A channel, as the owner's node sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// The channel document.
    pub id: DocumentId,
    /// Its name.
    pub name: String,
    /// Chat or notes.
    pub setting: Setting,
    /// The key group whose members may add and remove people.
    pub key_group: DocumentId,
    /// Whether this device is in it: reads and sends.
    pub member: bool,
    /// Who is in it (known only to members).
    pub members: Vec<PublicKey>,
    /// What was said, in the order it was sent; empty in a list.
    pub messages: Vec<Message>,
}

/// One message of a channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Message {
    /// The message document.
    pub id: DocumentId,
    /// Who sent it.
    pub sender: PublicKey,
    /// What it says and when it was sent, or why this device cannot read it.
    pub letter: Result<(String, Timestamp), String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChannelAnswer {
    id: String,
    name: String,
    setting: String,
    key_group: String,
    member: bool,
    members: Vec<String>,
    #[serde(default)]
    messages: Vec<MessageAnswer>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageAnswer {
    id: String,
    sender: String,
    text: Option<String>,
    sent_at: Option<f64>,
    unreadable: Option<String>,
}

const FIELDS: &str = "id name setting keyGroup member members";

/// A festival's channels, by name.
pub async fn of_festival(client: &Client, festival: DocumentId) -> Result<Vec<Channel>, ApiError> {
    #[derive(Deserialize)]
    struct Answer {
        channels: Vec<ChannelAnswer>,
    }
    let query =
        format!("query Channels($festival: DocumentId!) {{ channels(festival: $festival) {{ {FIELDS} }} }}");
    let answer: Answer = client
        .query(&query, json!({ "festival": festival.to_string() }))
        .await?;
    answer.channels.into_iter().map(Channel::read).collect()
}

/// One channel with its messages; `None` if the node has no such channel.
pub async fn one(client: &Client, id: DocumentId) -> Result<Option<Channel>, ApiError> {
    #[derive(Deserialize)]
    struct Answer {
        channel: Option<ChannelAnswer>,
    }
    let query = format!(
        "query Channel($id: DocumentId!) {{ channel(id: $id) {{ {FIELDS} messages {{ id sender text sentAt unreadable }} }} }}"
    );
    let answer: Answer = client.query(&query, json!({ "id": id.to_string() })).await?;
    answer.channel.map(Channel::read).transpose()
}

/// What a new channel is.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    /// The festival it belongs to.
    pub festival: DocumentId,
    /// Whose members run it.
    pub key_group: DocumentId,
    /// Its name.
    pub name: String,
    /// Chat or notes.
    pub setting: Setting,
    /// Who is in it besides its creator.
    pub members: Vec<PublicKey>,
}

/// Creates a channel; answers its id.
pub async fn create(client: &Client, new: &NewChannel) -> Result<DocumentId, ApiError> {
    let id = actions::call(
        client,
        "mutation Create($festival: DocumentId!, $keyGroup: DocumentId!, $name: String!, $setting: String!, $members: [PublicKey!]!) \
         { createChannel(festival: $festival, keyGroup: $keyGroup, name: $name, setting: $setting, members: $members) }",
        json!({
            "festival": new.festival.to_string(),
            "keyGroup": new.key_group.to_string(),
            "name": new.name,
            "setting": new.setting.word(),
            "members": keys(&new.members),
        }),
    )
    .await?;
    parse(&id, "document id")
}

/// Sends `text` to a channel.
pub async fn send(client: &Client, channel: DocumentId, text: &str) -> Result<(), ApiError> {
    actions::call(
        client,
        "mutation Send($channel: DocumentId!, $text: String!) { sendToChannel(channel: $channel, text: $text) }",
        json!({ "channel": channel.to_string(), "text": text }),
    )
    .await
    .map(drop)
}

/// Adds (`true`) or removes people.
pub async fn change_members(
    client: &Client,
    channel: DocumentId,
    members: &[PublicKey],
    add: bool,
) -> Result<(), ApiError> {
    let field = if add {
        "addChannelMembers"
    } else {
        "removeChannelMembers"
    };
    actions::call(
        client,
        &format!("mutation Members($channel: DocumentId!, $members: [PublicKey!]!) {{ {field}(channel: $channel, members: $members) }}"),
        json!({ "channel": channel.to_string(), "members": keys(members) }),
    )
    .await
    .map(drop)
}

impl Channel {
    fn read(answer: ChannelAnswer) -> Result<Self, ApiError> {
        Ok(Self {
            id: parse(&answer.id, "document id")?,
            setting: Setting::parse(&answer.setting)
                .ok_or_else(|| ApiError::Unexpected(format!("a channel setting `{}`", answer.setting)))?,
            key_group: parse(&answer.key_group, "document id")?,
            member: answer.member,
            members: answer
                .members
                .iter()
                .map(|key| parse(key, "public key"))
                .collect::<Result<_, _>>()?,
            messages: answer
                .messages
                .into_iter()
                .map(Message::read)
                .collect::<Result<_, _>>()?,
            name: answer.name,
        })
    }
}

impl Message {
    fn read(answer: MessageAnswer) -> Result<Self, ApiError> {
        let letter = match (answer.text, answer.sent_at, answer.unreadable) {
            (Some(text), Some(sent_at), None) => {
                let sent_at = Timestamp::from_millisecond(sent_at as i64)
                    .map_err(|error| ApiError::Unexpected(error.to_string()))?;
                Ok((text, sent_at))
            }
            (None, None, Some(why)) => Err(why),
            _ => return Err(ApiError::Unexpected("a message both read and unreadable".into())),
        };
        Ok(Self {
            id: parse(&answer.id, "document id")?,
            sender: parse(&answer.sender, "public key")?,
            letter,
        })
    }
}

fn keys(keys: &[PublicKey]) -> Json {
    keys.iter().map(|key| Json::String(key.to_string())).collect()
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse()
        .map_err(|_| ApiError::Unexpected(format!("`{text}` is no {what}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "2f8e50c2ede6d936ecc3144187ff1c273808185cfbc5ff3d3748d1ff7353fc96";
    const ID: &str = "0020b177ec1bf26dfb3b7010d473e6d44713b29b765b99c6e60ecbfae742de496543";

    fn answer(messages: Json) -> Json {
        json!({ "id": ID, "name": "Gate", "setting": "chat", "keyGroup": ID, "member": true,
                "members": [KEY], "messages": messages })
    }

    #[test]
    fn reads_a_channel_with_a_message_read_and_one_that_cannot_be() {
        let messages = json!([
            { "id": ID, "sender": KEY, "text": "gate code 4711", "sentAt": 1_783_500_000_000.0, "unreadable": null },
            { "id": ID, "sender": KEY, "text": null, "sentAt": null, "unreadable": "sent before this device joined the channel" },
        ]);
        let channel = Channel::read(serde_json::from_value(answer(messages)).unwrap()).unwrap();
        assert_eq!(channel.setting, Setting::Chat);
        assert_eq!(channel.members, vec![KEY.parse().unwrap()]);
        assert_eq!(
            channel.messages[0].letter,
            Ok((
                "gate code 4711".into(),
                Timestamp::from_second(1_783_500_000).unwrap()
            ))
        );
        assert_eq!(
            channel.messages[1].letter,
            Err("sent before this device joined the channel".into())
        );
    }

    #[test]
    fn an_answer_that_makes_no_sense_is_refused() {
        let both = json!([{ "id": ID, "sender": KEY, "text": "hi", "sentAt": 1.0, "unreadable": "why" }]);
        assert!(Channel::read(serde_json::from_value(answer(both)).unwrap()).is_err());
        let mut odd = answer(json!([]));
        odd["setting"] = json!("shouting");
        assert!(Channel::read(serde_json::from_value(odd).unwrap()).is_err());
    }

    #[test]
    fn settings_round_trip_through_the_nodes_words() {
        for setting in Setting::ALL {
            assert_eq!(Setting::parse(setting.word()), Some(setting));
        }
    }
}
