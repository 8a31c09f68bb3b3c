//! The replication messages and how they travel: each message is a CBOR
//! value after its length (4 bytes, big-endian), on a QUIC stream. A
//! message longer than [`MAX_MESSAGE_BYTES`] is refused before anything of
//! it is read, so a peer cannot make a node allocate what it likes.

use serde::{Deserialize, Serialize};

/// The version of these messages, exchanged in [`Message::Hello`].
pub const VERSION: u32 = 1;

/// The longest message read: a batch of entries with their operations.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// What nodes tell each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Message {
    /// The first message each side sends.
    Hello {
        /// [`VERSION`] of the sender.
        version: u32,
        /// The schema ids the sender replicates; `None` for all it knows.
        schemas: Option<Vec<String>>,
    },
    /// How far the sender has every log it replicates.
    Heights {
        /// One per log.
        logs: Vec<LogHeight>,
    },
    /// Entries the receiver lacks, in log order.
    Entries {
        /// At most a batch.
        entries: Vec<EntryBytes>,
    },
    /// Everything the receiver lacked has been sent; what follows is live.
    Synced,
    /// Opens a live stream: the receiver sends what it stores from now on,
    /// of these schemas, as it stores it.
    Live {
        /// The schema ids the sender replicates; `None` for all it knows.
        schemas: Option<Vec<String>>,
    },
}

/// The latest seq num the sender has of one log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHeight {
    /// The author's public key.
    #[serde(with = "serde_bytes")]
    pub author: Vec<u8>,
    /// The log.
    pub log_id: u64,
    /// The highest seq num held.
    pub seq_num: u64,
    /// Where a fork froze the log at the sender, if one did: the sender
    /// takes nothing from there on but the evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_at: Option<u64>,
}

/// An entry as it is signed, with its operation; the operation is missing
/// when it was pruned after its document was deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryBytes {
    /// The encoded entry.
    #[serde(with = "serde_bytes")]
    pub entry: Vec<u8>,
    /// The encoded operation, if still held.
    #[serde(with = "serde_bytes")]
    pub operation: Option<Vec<u8>>,
}

/// A message that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The announced length is beyond [`MAX_MESSAGE_BYTES`].
    #[error("a message of {0} bytes is longer than allowed")]
    TooLong(usize),
    /// The bytes are no message.
    #[error("not a replication message: {0}")]
    Malformed(String),
    /// The stream ended inside a message.
    #[error("the stream ended inside a message")]
    Truncated,
    /// The stream failed.
    #[error("stream: {0}")]
    Stream(String),
}

/// The message as it travels: length, then CBOR.
pub fn encode(message: &Message) -> Vec<u8> {
    let mut body = Vec::new();
    // Writing CBOR into a Vec cannot fail.
    let _ = ciborium::into_writer(message, &mut body);
    let mut framed = Vec::with_capacity(4 + body.len());
    framed.extend_from_slice(&(body.len() as u32).to_be_bytes());
    framed.extend_from_slice(&body);
    framed
}

/// A message's CBOR, without its length.
pub fn decode(body: &[u8]) -> Result<Message, WireError> {
    ciborium::from_reader(body).map_err(|error| WireError::Malformed(error.to_string()))
}

/// Sends `message`.
pub async fn write(stream: &mut quinn::SendStream, message: &Message) -> Result<(), WireError> {
    stream
        .write_all(&encode(message))
        .await
        .map_err(|error| WireError::Stream(error.to_string()))
}

/// The next message; `None` when the stream ended between messages.
pub async fn read(stream: &mut quinn::RecvStream) -> Result<Option<Message>, WireError> {
    let mut length = [0; 4];
    match stream.read_exact(&mut length).await {
        Ok(()) => {}
        Err(quinn::ReadExactError::FinishedEarly(0)) => return Ok(None),
        Err(quinn::ReadExactError::FinishedEarly(_)) => return Err(WireError::Truncated),
        Err(quinn::ReadExactError::ReadError(error)) => return Err(WireError::Stream(error.to_string())),
    }
    let length = u32::from_be_bytes(length) as usize;
    if length > MAX_MESSAGE_BYTES {
        return Err(WireError::TooLong(length));
    }
    // Grown as the bytes arrive: announcing a length costs the peer nothing.
    let mut body = Vec::with_capacity(length.min(64 * 1024));
    while body.len() < length {
        let chunk = stream
            .read_chunk(length - body.len(), true)
            .await
            .map_err(|error| WireError::Stream(error.to_string()))?
            .ok_or(WireError::Truncated)?;
        body.extend_from_slice(&chunk.bytes);
    }
    decode(&body).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::transport::Transport;
    use lineup_core::PrivateKey;

    fn examples() -> Vec<Message> {
        vec![
            Message::Hello {
                version: VERSION,
                schemas: Some(vec!["festival_0020aa".into()]),
            },
            Message::Hello {
                version: VERSION,
                schemas: None,
            },
            Message::Heights {
                logs: vec![
                    LogHeight {
                        author: vec![200; 32],
                        log_id: 3,
                        seq_num: 70,
                        frozen_at: None,
                    },
                    LogHeight {
                        author: vec![201; 32],
                        log_id: 0,
                        seq_num: 9,
                        frozen_at: Some(4),
                    },
                ],
            },
            Message::Entries {
                entries: vec![
                    EntryBytes {
                        entry: vec![0, 1, 2],
                        operation: Some(vec![0x84]),
                    },
                    EntryBytes {
                        entry: vec![3],
                        operation: None,
                    },
                ],
            },
            Message::Synced,
            Message::Live { schemas: None },
        ]
    }

    #[test]
    fn messages_round_trip_and_bytes_stay_bytes() {
        for message in examples() {
            let framed = encode(&message);
            let length = u32::from_be_bytes(framed[..4].try_into().unwrap()) as usize;
            assert_eq!(length, framed.len() - 4);
            assert_eq!(decode(&framed[4..]).unwrap(), message);
        }
        // Keys travel as CBOR byte strings (major type 2), not arrays of numbers.
        let heights = encode(&examples()[2]);
        let byte_string = [&[0x58, 32][..], &[200; 32]].concat();
        assert!(heights.windows(34).any(|window| window == byte_string));
    }

    #[test]
    fn garbage_is_no_message() {
        assert!(matches!(decode(&[0xff, 0x00]), Err(WireError::Malformed(_))));
        let unknown = {
            let mut body = Vec::new();
            ciborium::into_writer(
                &ciborium::Value::Map(vec![("type".into(), "gossip".into())]),
                &mut body,
            )
            .unwrap();
            body
        };
        assert!(matches!(decode(&unknown), Err(WireError::Malformed(_))));
    }

    #[tokio::test]
    async fn streams_carry_messages_and_refuse_long_or_cut_ones() {
        let local = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let alice = Transport::bind(local, &PrivateKey::from_bytes(&[1; 32])).unwrap();
        let bob = Transport::bind(local, &PrivateKey::from_bytes(&[2; 32])).unwrap();
        let bob_address = bob.local_addr().unwrap();
        // Each stream read to its end: its messages, or the error that ended it.
        let receiving = tokio::spawn(async move {
            let connection = bob.accept().await.unwrap().handshake().await.unwrap();
            let mut streams = Vec::new();
            for _ in 0..3 {
                let (_, mut receive) = connection.quic().accept_bi().await.unwrap();
                let mut messages = Vec::new();
                let ended = loop {
                    match read(&mut receive).await {
                        Ok(Some(message)) => messages.push(message),
                        Ok(None) => break Ok(messages),
                        Err(error) => break Err(error.to_string()),
                    }
                };
                streams.push(ended);
            }
            streams
        });
        let connection = alice.connect(bob_address, None).await.unwrap();
        // Whole messages, then a clean end.
        let (mut send, _receive) = connection.quic().open_bi().await.unwrap();
        for message in examples() {
            write(&mut send, &message).await.unwrap();
        }
        send.finish().unwrap();
        // A length beyond the limit, with no body behind it.
        let (mut send, _receive) = connection.quic().open_bi().await.unwrap();
        send.write_all(&u32::MAX.to_be_bytes()).await.unwrap();
        send.finish().unwrap();
        // A message cut short.
        let (mut send, _receive) = connection.quic().open_bi().await.unwrap();
        send.write_all(&encode(&Message::Synced)[..3]).await.unwrap();
        send.finish().unwrap();

        let streams = receiving.await.unwrap();
        assert_eq!(streams[0].as_ref().unwrap(), &examples());
        assert!(streams[1].as_ref().unwrap_err().contains("longer than allowed"));
        assert!(streams[2].as_ref().unwrap_err().contains("ended inside"));
    }
}
