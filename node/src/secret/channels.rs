//! The festival's channels on this device: channel, commit, key-package and
//! message documents in; MLS state, long-term secrets and the letters this
//! device can read out (`docs/secret-groups.md`).
//!
//! Everything here runs on the store thread. What this device does (create
//! a channel, change its members, send) is one transaction: the documents it
//! publishes and the group state they leave. What others did is read after
//! their documents are applied, in a transaction of its own; a crash in
//! between is caught up on at the next start.

mod chain;
mod fields;
mod reading;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use lineup_core::{Document, DocumentId, Operation, PrivateKey, PublicKey, Value};
use lineup_schemas::Kind;
use rusqlite::Connection;

use fields::{documents, group_id, hex_field, owned_by, relation_field, str_field};

use super::letter::{Letter, Sealed};
use super::{long_term, KeyPackages, Sealer, SecretError, SecretGroup};
use crate::ingest::{Applied, IngestError, NextArgsError};
use crate::query::{Condition, Filter};
use crate::replica::{OwnPublisher, Replica};
use crate::store::secrets::{self as kept, AppliedCommit, KeptMessage, Reading, KEY_PACKAGES};
use crate::store::StoreError;

/// How many unused key packages this device keeps published, so that
/// several channels can add it while it is offline.
pub const KEY_PACKAGES_PUBLISHED: usize = 3;

/// How many epochs back this device can go when a commit it applied loses
/// to a concurrent one.
const STATES_KEPT: u64 = 8;

/// Why a channel operation failed. It changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// MLS refused.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A document was refused (for instance: this key may not change the
    /// channel's members).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No channel with that id.
    #[error("no channel {0}")]
    NoChannel(DocumentId),
    /// This device is not in the channel.
    #[error("this device is not a member of channel {0}")]
    NotAMember(DocumentId),
    /// Someone to add has published no key package (yet): their node has not
    /// started since the channels came, or has not replicated it here.
    #[error("{0} has no key package here yet: they cannot be added until their node has published one")]
    NoKeyPackage(PublicKey),
    /// Someone to add is in the channel already.
    #[error("{0} is in the channel already")]
    AlreadyAMember(PublicKey),
    /// A setting that is neither `chat` nor `notes`.
    #[error("a channel is `chat` or `notes`, not `{0}`")]
    Setting(String),
}

impl From<NextArgsError> for ChannelError {
    fn from(error: NextArgsError) -> Self {
        match error {
            NextArgsError::Store(error) => ChannelError::Store(error),
            other => ChannelError::Store(StoreError::Corrupt(other.to_string())),
        }
    }
}

/// How a channel's letters are sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// With the sender ratchet: forward secrecy; who joins later reads only
    /// what follows.
    Chat,
    /// With long-term secrets: who joins later reads everything before.
    Notes,
}

impl Setting {
    /// The setting a channel document names.
    pub fn parse(text: &str) -> Result<Self, ChannelError> {
        match text {
            "chat" => Ok(Setting::Chat),
            "notes" => Ok(Setting::Notes),
            other => Err(ChannelError::Setting(other.to_owned())),
        }
    }

    /// Its name in the channel document.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Chat => "chat",
            Setting::Notes => "notes",
        }
    }
}

/// A new channel: what it is called, who owns it, who is in it.
#[derive(Debug, Clone)]
pub struct NewChannel {
    /// The festival it belongs to.
    pub festival: DocumentId,
    /// The key group that decides who changes its members.
    pub owner: DocumentId,
    /// Its name.
    pub name: String,
    /// How its letters are sealed.
    pub setting: Setting,
    /// Who is in it besides this device.
    pub members: Vec<PublicKey>,
}

/// A channel as this device sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelState {
    /// Whether this device is a member (it can read and send).
    pub member: bool,
    /// The members, when this device is one.
    pub members: Vec<PublicKey>,
    /// The group's epoch here.
    pub epoch: u64,
}

/// A channel of a festival, and how this device stands in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSummary {
    /// The channel document.
    pub id: DocumentId,
    /// Its name.
    pub name: String,
    /// `chat` or `notes`.
    pub setting: String,
    /// The key group that owns it.
    pub owner: DocumentId,
    /// This device in it.
    pub state: ChannelState,
}

/// A channel message as this device sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMessage {
    /// The message document.
    pub id: DocumentId,
    /// Who sent it.
    pub sender: PublicKey,
    /// What they wrote, or why this device cannot read it.
    pub letter: Result<Letter, String>,
}

/// This device's part in every channel.
pub struct Channels {
    sealer: Sealer,
    key_packages: KeyPackages,
    /// The groups this device is in, loaded when first needed.
    groups: HashMap<DocumentId, SecretGroup>,
    /// Commits that did not apply here: left out of their chains.
    void: HashSet<DocumentId>,
}

impl Channels {
    /// This device's channels, as saved in `replica`, sealed with the key in
    /// `data_dir`.
    pub fn open(replica: &Replica, data_dir: &Path) -> Result<Self, ChannelError> {
        let key = crate::key_file::secret_state_key(data_dir)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let sealer = Sealer::new(&key);
        let key_packages =
            KeyPackages::from_saved(kept::load_state(replica.connection(), &sealer, KEY_PACKAGES)?);
        Ok(Self {
            sealer,
            key_packages,
            groups: HashMap::new(),
            void: HashSet::new(),
        })
    }

    /// Deletes this device's key package documents that were used, and
    /// publishes new ones until [`KEY_PACKAGES_PUBLISHED`] are unused.
    pub fn replenish_key_packages(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
    ) -> Result<Vec<Applied>, ChannelError> {
        let ours = documents(replica, Kind::KeyPackage, vec![owned_by(key)])?;
        let (unused, used): (Vec<_>, Vec<_>) = ours.iter().partition(|document| {
            hex_field(document, "key_package").is_ok_and(|bytes| self.key_packages.holds(&bytes))
        });
        let missing = KEY_PACKAGES_PUBLISHED.saturating_sub(unused.len());
        if missing == 0 && used.is_empty() {
            return Ok(Vec::new());
        }
        let result = replica.publish_own(key, |publisher| {
            let mut applied = Vec::new();
            for document in &used {
                let delete = Operation::delete(document.schema_id.clone(), document.view_id.clone());
                applied.push(publisher.publish::<ChannelError>(&delete)?);
            }
            for _ in 0..missing {
                let key_package = self.key_packages.generate(key)?;
                let operation = Operation::create(
                    Kind::KeyPackage.schema_id().clone(),
                    [
                        ("owner".to_owned(), Value::Str(key.public_key().to_string())),
                        ("key_package".to_owned(), Value::Str(hex::encode(key_package))),
                    ]
                    .into(),
                );
                applied.push(publisher.publish::<ChannelError>(&operation)?);
            }
            kept::save_state(
                publisher.connection(),
                &self.sealer,
                KEY_PACKAGES,
                &self.key_packages.take_changes(),
            )?;
            Ok(applied)
        });
        self.reload_key_packages_on_error(replica, result)
    }

    /// Creates a channel with this device and `members` in it.
    pub fn create(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        new: &NewChannel,
    ) -> Result<(DocumentId, Vec<Applied>), ChannelError> {
        let key_packages = self.key_packages_of(replica, &new.members)?;
        let result = replica.publish_own(key, |publisher| {
            let channel = Operation::create(
                Kind::Channel.schema_id().clone(),
                [
                    ("owner".to_owned(), Value::Relation(new.owner)),
                    ("festival".to_owned(), Value::Relation(new.festival)),
                    ("name".to_owned(), Value::Str(new.name.clone())),
                    ("setting".to_owned(), Value::Str(new.setting.name().to_owned())),
                ]
                .into(),
            );
            let created = publisher.publish::<ChannelError>(&channel)?;
            let id = created.document_id;
            let mut group = SecretGroup::create(key, &group_id(&id))?;
            let creation = AppliedCommit {
                epoch: 0,
                commit_id: Vec::new(),
            };
            let connection = publisher.connection();
            kept::push_commit(
                connection,
                &self.sealer,
                &group_id(&id),
                &creation,
                &group.entries(),
            )?;
            self.keep_long_term_secret(connection, &id, &group)?;
            let mut applied = vec![created];
            if !key_packages.is_empty() {
                let commit = group.add(key, &use_key_packages(publisher.connection(), &key_packages)?)?;
                applied.push(self.publish_commit(publisher, key, &id, None, &mut group, commit)?);
            }
            kept::save_state(
                publisher.connection(),
                &self.sealer,
                &group_id(&id),
                &group.take_changes(),
            )?;
            self.groups.insert(id, group);
            Ok((id, applied))
        });
        self.forget_groups_on_error(result)
    }

    /// Adds `members` to the channel.
    pub fn add(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        channel: DocumentId,
        members: &[PublicKey],
    ) -> Result<Vec<Applied>, ChannelError> {
        let current = self.state(replica, channel)?;
        if let Some(member) = members.iter().find(|member| current.members.contains(member)) {
            return Err(ChannelError::AlreadyAMember(*member));
        }
        let key_packages = self.key_packages_of(replica, members)?;
        self.commit(replica, key, channel, |group, connection| {
            Ok(group.add(key, &use_key_packages(connection, &key_packages)?)?)
        })
    }

    /// Removes `members` from the channel.
    pub fn remove(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        channel: DocumentId,
        members: &[PublicKey],
    ) -> Result<Vec<Applied>, ChannelError> {
        self.commit(replica, key, channel, |group, _| Ok(group.remove(key, members)?))
    }

    /// Seals `text` for the channel's members and publishes it.
    pub fn send(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        channel: DocumentId,
        text: String,
        now_ms: i64,
    ) -> Result<(DocumentId, Vec<Applied>), ChannelError> {
        self.send_letter(replica, key, channel, &Letter::new(text, now_ms))
    }

    fn send_letter(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        channel: DocumentId,
        letter: &Letter,
    ) -> Result<(DocumentId, Vec<Applied>), ChannelError> {
        let secret = match self.setting(replica, channel)? {
            Setting::Notes => Some(self.latest_long_term(replica.connection(), channel)?),
            Setting::Chat => None,
        };
        self.load(replica.connection(), channel)?;
        let result = replica.publish_own(key, |publisher| {
            let group = self
                .groups
                .get_mut(&channel)
                .ok_or(ChannelError::NotAMember(channel))?;
            let sealed = match &secret {
                Some((epoch, secret)) => {
                    long_term::seal(&group_id(&channel), *epoch, secret, &letter.encode())?
                }
                None => Sealed::Mls(group.encrypt(key, &letter.encode())?),
            };
            let operation = Operation::create(
                Kind::ChannelMessage.schema_id().clone(),
                [
                    ("owner".to_owned(), Value::Str(key.public_key().to_string())),
                    ("channel".to_owned(), Value::Relation(channel)),
                    ("ciphertext".to_owned(), Value::Str(hex::encode(sealed.encode()))),
                ]
                .into(),
            );
            let applied = publisher.publish::<ChannelError>(&operation)?;
            let connection = publisher.connection();
            let message = KeptMessage {
                message_id: group_id(&applied.document_id),
                sender: key.public_key().as_bytes().to_vec(),
                reading: Reading::Read(letter.encode()),
                sent_in_epoch: Some(group.epoch()),
            };
            kept::keep_message(connection, &self.sealer, &group_id(&channel), &message)?;
            kept::save_state(
                connection,
                &self.sealer,
                &group_id(&channel),
                &group.take_changes(),
            )?;
            Ok((applied.document_id, vec![applied]))
        });
        self.forget_groups_on_error(result)
    }

    /// Sends again, in the group's current epoch, the letters this device
    /// sealed in `epoch` or later: those epochs lost to concurrent commits,
    /// so some members cannot read them.
    fn send_again(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        channel: DocumentId,
        epoch: u64,
    ) -> Result<Vec<Applied>, ChannelError> {
        let mut published = Vec::new();
        for mut message in
            kept::kept_messages(replica.connection(), &self.sealer, &group_id(&channel), false)?
        {
            let (Reading::Read(bytes), Some(sent_in)) = (&message.reading, message.sent_in_epoch) else {
                continue;
            };
            if sent_in < epoch {
                continue;
            }
            let mut letter = Letter::decode(bytes)?;
            letter.resends = Some(message.message_id.clone());
            published.extend(self.send_letter(replica, key, channel, &letter)?.1);
            message.sent_in_epoch = None;
            let sealer = &self.sealer;
            replica
                .write(|connection| kept::keep_message(connection, sealer, &group_id(&channel), &message))?;
        }
        Ok(published)
    }

    /// The festival's channels, by name, each as this device sees it.
    pub fn list(
        &mut self,
        replica: &Replica,
        festival: DocumentId,
    ) -> Result<Vec<ChannelSummary>, ChannelError> {
        let filters = vec![Filter::field(
            "festival",
            Condition::Eq(Value::Relation(festival)),
        )];
        let mut channels = Vec::new();
        for document in documents(replica, Kind::Channel, filters)? {
            channels.extend(self.summary(replica, &document)?);
        }
        channels.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
        Ok(channels)
    }

    /// One channel as this device sees it; `None` if there is no such
    /// channel.
    pub fn channel(
        &mut self,
        replica: &Replica,
        id: DocumentId,
    ) -> Result<Option<ChannelSummary>, ChannelError> {
        match replica.document(&id)? {
            Some(document) if Kind::of(&document.schema_id) == Some(Kind::Channel) => {
                self.summary(replica, &document)
            }
            _ => Ok(None),
        }
    }

    fn summary(
        &mut self,
        replica: &Replica,
        document: &Document,
    ) -> Result<Option<ChannelSummary>, ChannelError> {
        let Ok(owner) = relation_field(document, "owner") else {
            return Ok(None);
        };
        Ok(Some(ChannelSummary {
            id: document.id,
            name: str_field(document, "name").unwrap_or_default().to_owned(),
            setting: str_field(document, "setting").unwrap_or_default().to_owned(),
            owner,
            state: self.state(replica, document.id)?,
        }))
    }

    /// The channel as this device sees it.
    pub fn state(&mut self, replica: &Replica, channel: DocumentId) -> Result<ChannelState, ChannelError> {
        self.load(replica.connection(), channel)?;
        Ok(match self.groups.get(&channel) {
            Some(group) if group.is_member() => ChannelState {
                member: true,
                members: group.members(),
                epoch: group.epoch(),
            },
            _ => ChannelState {
                member: false,
                members: Vec::new(),
                epoch: 0,
            },
        })
    }

    /// The channel's messages this device has seen, in the order they were
    /// sent (by their senders' clocks), each letter once.
    pub fn messages(
        &self,
        replica: &Replica,
        channel: DocumentId,
    ) -> Result<Vec<ChannelMessage>, ChannelError> {
        let mut messages = Vec::new();
        for message in kept::kept_messages(replica.connection(), &self.sealer, &group_id(&channel), false)? {
            let (Ok(id), Ok(sender)) = (
                lineup_core::Hash::from_bytes(&message.message_id),
                <[u8; 32]>::try_from(message.sender.as_slice()),
            ) else {
                continue;
            };
            let letter = match message.reading {
                Reading::Read(bytes) => Letter::decode(&bytes).map_err(|error| error.to_string()),
                Reading::Unreadable { why, .. } => Err(why),
            };
            messages.push(ChannelMessage {
                id: DocumentId::from(id),
                sender: PublicKey::from_checked_bytes(sender),
                letter,
            });
        }
        // A letter sent again stands for the message it was sent again for.
        let sent_again: HashSet<Vec<u8>> = messages
            .iter()
            .filter_map(|message| message.letter.as_ref().ok()?.resends.clone())
            .collect();
        let mut seen = HashSet::new();
        messages.retain(|message| {
            !sent_again.contains(&group_id(&message.id))
                && message
                    .letter
                    .as_ref()
                    .map_or(true, |letter| seen.insert((message.sender, letter.id.clone())))
        });
        // A letter by its sender's clock; a message that tells no time, by
        // when it arrived here.
        let kept_at = kept::kept_at(replica.connection(), &group_id(&channel))?;
        messages.sort_by_key(|message| {
            let arrived = || kept_at.get(&group_id(&message.id)).copied().unwrap_or(i64::MAX);
            let at = message
                .letter
                .as_ref()
                .map_or_else(|_| arrived(), |letter| letter.sent_at_ms);
            (at, message.id)
        });
        Ok(messages)
    }

    /// Reads what others did: `applied` documents of the channel schemas.
    pub fn catch_up(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        applied: &[Document],
    ) -> Result<Vec<Applied>, ChannelError> {
        let mut channels = Vec::new();
        let mut messages = Vec::new();
        for document in applied {
            match Kind::of(&document.schema_id) {
                Some(Kind::ChannelCommit) => {
                    if let Ok(channel) = relation_field(document, "owner") {
                        channels.push(channel);
                    }
                }
                Some(Kind::ChannelMessage) => messages.push(document),
                _ => {}
            }
        }
        channels.sort();
        channels.dedup();
        let mut published = Vec::new();
        for channel in &channels {
            published.extend(self.follow_chain(replica, key, *channel)?);
        }
        self.read_messages(replica, &messages)?;
        if !channels.is_empty() {
            // A welcome among the commits may have used a key package.
            published.extend(self.replenish_key_packages(replica, key)?);
        }
        Ok(published)
    }

    /// At start: follows every channel's chain and reads every message not
    /// read yet, then publishes key packages.
    pub fn catch_up_all(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
    ) -> Result<Vec<Applied>, ChannelError> {
        let mut published = Vec::new();
        for channel in documents(replica, Kind::Channel, Vec::new())? {
            published.extend(self.follow_chain(replica, key, channel.id)?);
            self.read_unread_messages(replica, channel.id)?;
        }
        published.extend(self.replenish_key_packages(replica, key)?);
        Ok(published)
    }

    /// Makes a commit with `change` on the group as it stands here, and
    /// publishes it after the last commit this device applied.
    fn commit(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        channel: DocumentId,
        change: impl FnOnce(&mut SecretGroup, &Connection) -> Result<super::Commit, ChannelError>,
    ) -> Result<Vec<Applied>, ChannelError> {
        self.load(replica.connection(), channel)?;
        let previous = kept::applied_commits(replica.connection(), &group_id(&channel))?
            .last()
            .and_then(|commit| lineup_core::Hash::from_bytes(&commit.commit_id).ok())
            .map(DocumentId::from);
        let result = replica.publish_own(key, |publisher| {
            // Out of the map while it changes: on an error it stays out, and
            // is loaded again from what the rolled-back transaction left.
            let mut group = self
                .groups
                .remove(&channel)
                .ok_or(ChannelError::NotAMember(channel))?;
            let commit = change(&mut group, publisher.connection())?;
            let applied = self.publish_commit(publisher, key, &channel, previous, &mut group, commit)?;
            kept::save_state(
                publisher.connection(),
                &self.sealer,
                &group_id(&channel),
                &group.take_changes(),
            )?;
            self.groups.insert(channel, group);
            Ok(vec![applied])
        });
        self.forget_groups_on_error(result)
    }

    /// Publishes `commit`, which `group` has applied, with the channel's
    /// long-term secrets sealed for its new epoch, and records it.
    fn publish_commit(
        &self,
        publisher: &mut OwnPublisher<'_, '_>,
        key: &PrivateKey,
        channel: &DocumentId,
        previous: Option<DocumentId>,
        group: &mut SecretGroup,
        commit: super::Commit,
    ) -> Result<Applied, ChannelError> {
        self.keep_long_term_secret(publisher.connection(), channel, group)?;
        let secrets = kept::long_term(publisher.connection(), &self.sealer, &group_id(channel))?;
        let sealed_secrets = group.encrypt(key, &long_term::encode_list(&secrets))?;
        let operation = Operation::create(
            Kind::ChannelCommit.schema_id().clone(),
            [
                ("owner".to_owned(), Value::Relation(*channel)),
                (
                    "previous".to_owned(),
                    Value::Str(previous.map(|id| id.to_string()).unwrap_or_default()),
                ),
                ("epoch".to_owned(), Value::Int(group.epoch() as i64)),
                ("commit".to_owned(), Value::Str(hex::encode(&commit.commit))),
                (
                    "welcome".to_owned(),
                    Value::Str(commit.welcome.as_ref().map(hex::encode).unwrap_or_default()),
                ),
                ("secrets".to_owned(), Value::Str(hex::encode(sealed_secrets))),
            ]
            .into(),
        );
        let applied = publisher.publish::<ChannelError>(&operation)?;
        let record = AppliedCommit {
            epoch: group.epoch(),
            commit_id: group_id(&applied.document_id),
        };
        let connection = publisher.connection();
        kept::push_commit(
            connection,
            &self.sealer,
            &group_id(channel),
            &record,
            &group.entries(),
        )?;
        kept::drop_states_before(
            connection,
            &group_id(channel),
            group.epoch().saturating_sub(STATES_KEPT),
        )?;
        Ok(applied)
    }

    /// Loads the channel's group from the store, if this device is in it
    /// and it is not loaded yet.
    fn load(&mut self, connection: &Connection, channel: DocumentId) -> Result<(), ChannelError> {
        if self.groups.contains_key(&channel) {
            return Ok(());
        }
        let id = group_id(&channel);
        let state = kept::load_state(connection, &self.sealer, &id)?;
        if !state.is_empty() {
            self.groups.insert(channel, SecretGroup::load(&id, state)?);
        }
        Ok(())
    }

    fn setting(&self, replica: &Replica, channel: DocumentId) -> Result<Setting, ChannelError> {
        let document = replica
            .document(&channel)?
            .filter(|document| Kind::of(&document.schema_id) == Some(Kind::Channel))
            .ok_or(ChannelError::NoChannel(channel))?;
        Setting::parse(str_field(&document, "setting").unwrap_or_default())
    }

    /// The channel's long-term secret of this device's current epoch.
    fn latest_long_term(
        &mut self,
        connection: &Connection,
        channel: DocumentId,
    ) -> Result<(u64, Vec<u8>), ChannelError> {
        self.load(connection, channel)?;
        let group = self
            .groups
            .get(&channel)
            .ok_or(ChannelError::NotAMember(channel))?;
        Ok(long_term::derive(group)?)
    }

    fn keep_long_term_secret(
        &self,
        connection: &Connection,
        channel: &DocumentId,
        group: &SecretGroup,
    ) -> Result<(), ChannelError> {
        let (epoch, secret) = long_term::derive(group)?;
        kept::save_long_term(connection, &self.sealer, &group_id(channel), epoch, &secret)?;
        Ok(())
    }

    /// A published key package of each of `members` that this node has not
    /// used before (a key package serves one welcome), with its document.
    fn key_packages_of(
        &self,
        replica: &Replica,
        members: &[PublicKey],
    ) -> Result<Vec<(DocumentId, Vec<u8>)>, ChannelError> {
        members
            .iter()
            .map(|member| {
                let filters = vec![Filter::field(
                    "owner",
                    Condition::Eq(Value::Str(member.to_string())),
                )];
                for document in documents(replica, Kind::KeyPackage, filters)? {
                    if document.author != *member
                        || kept::used_key_package(replica.connection(), &group_id(&document.id))?
                    {
                        continue;
                    }
                    if let Ok(key_package) = hex_field(&document, "key_package") {
                        return Ok((document.id, key_package));
                    }
                }
                Err(ChannelError::NoKeyPackage(*member))
            })
            .collect()
    }

    fn forget_groups_on_error<T>(&mut self, result: Result<T, ChannelError>) -> Result<T, ChannelError> {
        if result.is_err() {
            // What the groups did in memory was rolled back on disk.
            self.groups.clear();
        }
        result
    }

    fn reload_key_packages_on_error<T>(
        &mut self,
        replica: &Replica,
        result: Result<T, ChannelError>,
    ) -> Result<T, ChannelError> {
        if result.is_err() {
            self.key_packages = KeyPackages::from_saved(kept::load_state(
                replica.connection(),
                &self.sealer,
                KEY_PACKAGES,
            )?);
        }
        result
    }
}

/// Records that these key packages are used, and gives their bytes.
fn use_key_packages(
    connection: &Connection,
    key_packages: &[(DocumentId, Vec<u8>)],
) -> Result<Vec<Vec<u8>>, StoreError> {
    key_packages
        .iter()
        .map(|(document, bytes)| {
            kept::use_key_package(connection, &group_id(document))?;
            Ok(bytes.clone())
        })
        .collect()
}
