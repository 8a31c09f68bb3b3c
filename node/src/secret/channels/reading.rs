//! Reading others' messages: once when they arrive, and again when this
//! device has learnt what they waited for.

use lineup_core::{Document, DocumentId, Value};
use lineup_schemas::Kind;

use super::fields::{documents, group_id, hex_field, relation_field};
use super::{ChannelError, Channels};
use crate::query::{Condition, Filter};
use crate::replica::Replica;
use crate::secret::letter::Sealed;
use crate::secret::{long_term, SecretError, SecretGroup};
use crate::store::secrets::{self as kept, KeptMessage, Reading};

/// Why a message is not for this device, as its person reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outside {
    /// This device has never been in the channel (or is not yet).
    NotMember,
    /// It was sent in an epoch before this device joined.
    BeforeJoining,
    /// It was sent after this device was removed.
    AfterLeaving,
}

impl Outside {
    fn reading(self) -> Reading {
        let (why, retry) = match self {
            // Until a welcome for this device arrives.
            Outside::NotMember => ("this device is not a member of the channel", true),
            Outside::BeforeJoining => ("sent before this device joined the channel", false),
            // A concurrent commit may yet win over the one that removed it.
            Outside::AfterLeaving => ("sent after this device left the channel", true),
        };
        Reading::Unreadable {
            why: why.into(),
            retry,
        }
    }
}

/// Who sealed a letter, and its bytes.
type Letter = (lineup_core::PublicKey, Vec<u8>);

impl Channels {
    /// Reads the channel's messages that this device has not tried yet.
    pub(super) fn read_unread_messages(
        &mut self,
        replica: &mut Replica,
        channel: DocumentId,
    ) -> Result<(), ChannelError> {
        let filters = vec![Filter::field("channel", Condition::Eq(Value::Relation(channel)))];
        let mut unread = Vec::new();
        for document in documents(replica, Kind::ChannelMessage, filters)? {
            if !kept::has_message(replica.connection(), &group_id(&document.id))? {
                unread.push(document);
            }
        }
        self.read_messages(replica, &unread.iter().collect::<Vec<_>>())
    }

    /// Reads message documents, and keeps what it made of them, with the
    /// groups' states after, in one transaction.
    pub(super) fn read_messages(
        &mut self,
        replica: &mut Replica,
        documents: &[&Document],
    ) -> Result<(), ChannelError> {
        let mut readings = Vec::new();
        for document in documents {
            readings.extend(self.reading_of(replica, document)?);
        }
        if readings.is_empty() {
            return Ok(());
        }
        let mut channels: Vec<DocumentId> = readings.iter().map(|(channel, _)| *channel).collect();
        channels.sort();
        channels.dedup();
        let changes: Vec<(DocumentId, crate::secret::Changes)> = channels
            .iter()
            .map(|channel| {
                let changes = self
                    .groups
                    .get_mut(channel)
                    .map(SecretGroup::take_changes)
                    .unwrap_or_default();
                (*channel, changes)
            })
            .collect();
        let sealer = &self.sealer;
        let saved = replica.write(|connection| {
            for (channel, message) in &readings {
                kept::keep_message(connection, sealer, &group_id(channel), message)?;
            }
            for (channel, changes) in &changes {
                kept::save_state(connection, sealer, &group_id(channel), changes)?;
            }
            Ok(())
        });
        if saved.is_err() {
            // Reload from what is saved: the transaction left nothing.
            for channel in &channels {
                self.groups.remove(channel);
            }
        }
        Ok(saved?)
    }

    /// What this device makes of a message document: `None` if it has
    /// read it before (and it does not wait to be read again).
    fn reading_of(
        &mut self,
        replica: &Replica,
        document: &Document,
    ) -> Result<Option<(DocumentId, KeptMessage)>, ChannelError> {
        let message_id = group_id(&document.id);
        let Ok(channel) = relation_field(document, "channel") else {
            return Ok(None);
        };
        let retrying = kept::waits_to_be_read(replica.connection(), &message_id)?;
        if !retrying && kept::has_message(replica.connection(), &message_id)? {
            return Ok(None);
        }
        self.load(replica.connection(), channel)?;
        let reading = match hex_field(document, "ciphertext").and_then(|bytes| Sealed::decode(&bytes)) {
            Err(error) => Reading::Unreadable {
                why: error.to_string(),
                retry: false,
            },
            Ok(Sealed::Mls(message)) => {
                let read = match self.groups.get_mut(&channel).filter(|group| group.is_member()) {
                    Some(group) => Some(group.read(&message)),
                    // Removed since: the state of the message's epoch, if
                    // kept, still reads it (on a copy, saved nowhere).
                    None => self.read_with_kept_state(replica, &channel, &message)?,
                };
                // Where the message stands from this device is asked only
                // when it could not read it: reading stays one look-up.
                let epoch = || SecretGroup::epoch_of(&message).ok();
                match read {
                    None => self
                        .outside_of(replica, &channel, epoch())?
                        .unwrap_or(Outside::NotMember)
                        .reading(),
                    Some(Ok((sender, _))) if sender != document.author => Reading::Unreadable {
                        why: "sealed by another member than the one who sent it".into(),
                        retry: false,
                    },
                    Some(Ok((_, plaintext))) => Reading::Read(plaintext),
                    Some(Err(error @ SecretError::FromLaterEpoch(_))) => Reading::Unreadable {
                        why: error.to_string(),
                        retry: true,
                    },
                    Some(Err(error)) => match self.outside_of(replica, &channel, epoch())? {
                        // Before it joined, no key of this device reads it: say
                        // so rather than what MLS makes of it.
                        Some(outside @ Outside::BeforeJoining) => outside.reading(),
                        _ => Reading::Unreadable {
                            why: error.to_string(),
                            retry: false,
                        },
                    },
                }
            }
            Ok(Sealed::LongTerm {
                epoch,
                nonce,
                ciphertext,
            }) => {
                let secrets = kept::long_term(replica.connection(), &self.sealer, &group_id(&channel))?;
                match secrets.iter().find(|(known, _)| *known == epoch) {
                    None => match self.outside_of(replica, &channel, Some(epoch))? {
                        // A member who joined later learns every earlier
                        // secret: what is missing is missing for all.
                        Some(outside) if outside != Outside::BeforeJoining => outside.reading(),
                        _ => Reading::Unreadable {
                            why: format!(
                                "this device has not learnt the channel's long-term secret of epoch {epoch}"
                            ),
                            retry: true,
                        },
                    },
                    Some((_, secret)) => {
                        match long_term::open(&group_id(&channel), epoch, secret, &nonce, &ciphertext) {
                            Ok(plaintext) => Reading::Read(plaintext),
                            Err(error) => Reading::Unreadable {
                                why: error.to_string(),
                                retry: false,
                            },
                        }
                    }
                }
            }
        };
        let message = KeptMessage {
            message_id,
            sender: document.author.as_bytes().to_vec(),
            reading,
            sent_in_epoch: None,
        };
        Ok(Some((channel, message)))
    }

    /// Reads an MLS message with the group's state of the epoch it was
    /// sealed in, as this device kept it; `None` if it kept none.
    fn read_with_kept_state(
        &self,
        replica: &Replica,
        channel: &DocumentId,
        message: &[u8],
    ) -> Result<Option<Result<Letter, SecretError>>, ChannelError> {
        let Ok(epoch) = SecretGroup::epoch_of(message) else {
            return Ok(None);
        };
        let id = group_id(channel);
        let Some(state) = kept::state_at(replica.connection(), &self.sealer, &id, epoch)? else {
            return Ok(None);
        };
        let mut group = SecretGroup::load(&id, state)?;
        // The state after the commit that removed this device reads nothing.
        if !group.is_member() {
            return Ok(None);
        }
        Ok(Some(group.read(message)))
    }

    /// Where a message of `epoch` was sent, as seen from this device's time
    /// in the channel; `None` while it is in the channel and was then.
    fn outside_of(
        &self,
        replica: &Replica,
        channel: &DocumentId,
        epoch: Option<u64>,
    ) -> Result<Option<Outside>, ChannelError> {
        let applied = kept::applied_commits(replica.connection(), &group_id(channel))?;
        let Some(joined) = applied.first() else {
            return Ok(Some(Outside::NotMember));
        };
        if epoch.is_some_and(|epoch| epoch < joined.epoch) {
            return Ok(Some(Outside::BeforeJoining));
        }
        let member = self.groups.get(channel).is_some_and(SecretGroup::is_member);
        Ok((!member).then_some(Outside::AfterLeaving))
    }

    /// Reads again the channel's messages that waited for this device to
    /// learn more.
    pub(super) fn retry_messages(
        &mut self,
        replica: &mut Replica,
        channel: DocumentId,
    ) -> Result<(), ChannelError> {
        let waiting = kept::kept_messages(replica.connection(), &self.sealer, &group_id(&channel), true)?;
        let mut documents = Vec::new();
        for message in waiting {
            let Ok(hash) = lineup_core::Hash::from_bytes(&message.message_id) else {
                continue;
            };
            documents.extend(replica.document(&DocumentId::from(hash))?);
        }
        self.read_messages(replica, &documents.iter().collect::<Vec<_>>())
    }
}
