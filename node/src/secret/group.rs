//! One secret group on this device: create it, join it from a welcome, add
//! and remove members, process commits, and encrypt and decrypt messages.
//!
//! Every operation either succeeds and leaves its changes to be saved
//! ([`SecretGroup::take_changes`]), or fails and leaves the group exactly as
//! it was: openmls may have written part of its state when it gives up (a
//! ratchet advanced for a message that then failed to verify), so a failure
//! puts back the entries as they were before it and reloads the group.

use lineup_core::{PrivateKey, PublicKey};
use openmls::prelude::tls_codec::Deserialize as _;
use openmls::prelude::{
    Ciphersuite, GroupId, KeyPackage, KeyPackageBundle, KeyPackageIn, LeafNodeIndex, MlsGroup,
    MlsGroupCreateConfig, MlsGroupJoinConfig, MlsMessageBodyIn, MlsMessageIn, ProcessedMessageContent,
    ProtocolVersion, SenderRatchetConfiguration, StagedWelcome, MIXED_PLAINTEXT_WIRE_FORMAT_POLICY,
};
use openmls_traits::storage::StorageProvider as _;
use openmls_traits::OpenMlsProvider;

use super::identity::{credential, identity_key, member_key, KeySigner};
use super::state::{Changes, Entries, GroupProvider, GroupState};
use super::SecretError;

/// MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519: its signatures are ed25519,
/// so a p2panda key signs for its member.
pub(crate) const CIPHERSUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// How many past epochs' message keys a member keeps: a message sent just
/// before a commit may arrive after it, on a network without order.
const PAST_EPOCHS: usize = 8;

/// How far out of order one sender's messages may arrive (each message is a
/// document of its own, and replication does not order documents) and how
/// far ahead of the last one seen a message may be.
const OUT_OF_ORDER_TOLERANCE: u32 = 1_000;
const MAXIMUM_FORWARD_DISTANCE: u32 = 10_000;

/// How this device keeps a group it creates.
fn create_config() -> MlsGroupCreateConfig {
    MlsGroupCreateConfig::builder()
        .ciphersuite(CIPHERSUITE)
        .max_past_epochs(PAST_EPOCHS)
        .sender_ratchet_configuration(SenderRatchetConfiguration::new(
            OUT_OF_ORDER_TOLERANCE,
            MAXIMUM_FORWARD_DISTANCE,
        ))
        // Commits travel in the clear, as the p2panda handbook has them:
        // every node can see that the group changed; only members can read.
        .wire_format_policy(MIXED_PLAINTEXT_WIRE_FORMAT_POLICY)
        // The welcome carries the member tree, so joining needs nothing else.
        .use_ratchet_tree_extension(true)
        .build()
}

/// How a member who joins keeps the group: as its creator does.
fn join_config() -> MlsGroupJoinConfig {
    create_config().join_config().clone()
}

/// This device's key packages that others may use to add it to a group: the
/// published half is a document; the private half stays here until used.
#[derive(Default)]
pub struct KeyPackages {
    state: GroupState,
}

impl KeyPackages {
    /// The key packages as saved before.
    pub fn from_saved(entries: Entries) -> Self {
        Self {
            state: GroupState::from_saved(entries),
        }
    }

    /// A new key package for `key`, encoded for publishing.
    pub fn generate(&mut self, key: &PrivateKey) -> Result<Vec<u8>, SecretError> {
        let before = self.state.entries();
        let bundle = KeyPackage::builder()
            .build(
                CIPHERSUITE,
                self.state.provider(),
                &KeySigner(key),
                credential(&key.public_key()),
            )
            .map_err(|error| {
                self.state.reset_to(before);
                SecretError::Mls(format!("making a key package: {error}"))
            })?;
        encode(bundle.key_package())
    }

    /// Whether this device holds the private half of `key_package` (a
    /// published one): `false` once a welcome used it.
    pub fn holds(&self, key_package: &[u8]) -> bool {
        let provider = self.state.provider();
        let Ok(key_package) = validated_key_package(provider, key_package) else {
            return false;
        };
        let Ok(hash_ref) = key_package.hash_ref(provider.crypto()) else {
            return false;
        };
        let bundle: Result<Option<KeyPackageBundle>, _> = provider.storage().key_package(&hash_ref);
        matches!(bundle, Ok(Some(_)))
    }

    /// How many unused key packages this device holds.
    pub fn count(&self) -> usize {
        self.state.entries().len()
    }

    /// What changed since the last call, to be saved.
    pub fn take_changes(&mut self) -> Changes {
        self.state.take_changes()
    }
}

/// A commit made by this member: the commit for the group's members, and the
/// welcome for those it adds.
#[derive(Debug, Clone)]
pub struct Commit {
    /// The MLS commit message.
    pub commit: Vec<u8>,
    /// The MLS welcome message, when the commit adds members.
    pub welcome: Option<Vec<u8>>,
}

/// What an incoming message must be.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Message,
    Commit,
}

/// What an incoming message was.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Processed {
    /// A message from a member.
    Message {
        /// The member who sent it.
        sender: PublicKey,
        /// What they wrote.
        plaintext: Vec<u8>,
    },
    /// A commit, now applied: the group is in its next epoch.
    Commit {
        /// Whether the commit removed this member.
        removed_me: bool,
    },
}

/// A secret group as this device sees it.
pub struct SecretGroup {
    state: GroupState,
    group: MlsGroup,
}

impl SecretGroup {
    /// A new group with `key` as its only member.
    pub fn create(key: &PrivateKey, group_id: &[u8]) -> Result<Self, SecretError> {
        let state = GroupState::default();
        let group = MlsGroup::new_with_group_id(
            state.provider(),
            &KeySigner(key),
            &create_config(),
            GroupId::from_slice(group_id),
            credential(&key.public_key()),
        )
        .map_err(|error| SecretError::Mls(format!("creating the group: {error}")))?;
        Ok(Self { state, group })
    }

    /// Joins a group from a welcome, with one of this device's key packages;
    /// `None` when the welcome is for others. The key package used is gone
    /// from `key_packages` afterwards.
    pub fn join(welcome: &[u8], key_packages: &mut KeyPackages) -> Result<Option<Self>, SecretError> {
        let welcome = match MlsMessageIn::tls_deserialize_exact(welcome)
            .map_err(|error| SecretError::Malformed(format!("welcome: {error}")))?
            .extract()
        {
            MlsMessageBodyIn::Welcome(welcome) => welcome,
            _ => return Err(SecretError::Malformed("a welcome that is another message".into())),
        };
        // openmls looks for the key package in the new group's own storage:
        // lend it all of ours, and take back those it did not use.
        let ours = key_packages.state.entries();
        let state = GroupState::default();
        state.reset_to(ours.clone());
        let joined = StagedWelcome::build_from_welcome(state.provider(), &join_config(), welcome)
            .and_then(|builder| builder.skip_lifetime_validation().build())
            .and_then(|staged| staged.into_group(state.provider()));
        let group = match joined {
            Ok(group) => group,
            Err(openmls::prelude::WelcomeError::NoMatchingKeyPackage) => return Ok(None),
            Err(error) => return Err(SecretError::Mls(format!("joining from the welcome: {error}"))),
        };
        let mut entries = state.entries();
        let mut unused = ours;
        unused.retain(|key, _| entries.contains_key(key));
        entries.retain(|key, _| !unused.contains_key(key));
        state.reset_to(entries);
        key_packages.state.reset_to(unused);
        Ok(Some(Self { state, group }))
    }

    /// The group as saved before.
    pub fn load(group_id: &[u8], entries: Entries) -> Result<Self, SecretError> {
        let state = GroupState::from_saved(entries);
        let group = load_group(&state, group_id)?;
        Ok(Self { state, group })
    }

    /// The group's id.
    pub fn id(&self) -> &[u8] {
        self.group.group_id().as_slice()
    }

    /// The group's epoch: how many commits made it what it is.
    pub fn epoch(&self) -> u64 {
        self.group.epoch().as_u64()
    }

    /// Whether this device is still a member.
    pub fn is_member(&self) -> bool {
        self.group.is_active()
    }

    /// The members' keys, in the order of their leaves.
    pub fn members(&self) -> Vec<PublicKey> {
        self.group
            .members()
            .filter_map(|member| member_key(&member.credential, &member.signature_key))
            .collect()
    }

    /// Adds the members whose (published) key packages are given, and
    /// applies the commit.
    pub fn add(&mut self, key: &PrivateKey, key_packages: &[Vec<u8>]) -> Result<Commit, SecretError> {
        let key_packages = key_packages
            .iter()
            .map(|bytes| validated_key_package(self.state.provider(), bytes))
            .collect::<Result<Vec<_>, SecretError>>()?;
        self.undo_on_failure(|group, provider| {
            let (commit, welcome, _) = group
                .add_members(provider, &KeySigner(key), &key_packages)
                .map_err(|error| SecretError::Mls(format!("adding members: {error}")))?;
            group
                .merge_pending_commit(provider)
                .map_err(|error| SecretError::Mls(format!("applying the commit: {error}")))?;
            Ok(Commit {
                commit: encode(&commit)?,
                welcome: Some(encode(&welcome)?),
            })
        })
    }

    /// Removes `members`, and applies the commit.
    pub fn remove(&mut self, key: &PrivateKey, members: &[PublicKey]) -> Result<Commit, SecretError> {
        let leaves: Vec<LeafNodeIndex> = self
            .group
            .members()
            .filter(|member| {
                member_key(&member.credential, &member.signature_key)
                    .is_some_and(|member| members.contains(&member))
            })
            .map(|member| member.index)
            .collect();
        if leaves.len() != members.len() {
            return Err(SecretError::NotAMember);
        }
        self.undo_on_failure(|group, provider| {
            let (commit, _, _) = group
                .remove_members(provider, &KeySigner(key), &leaves)
                .map_err(|error| SecretError::Mls(format!("removing members: {error}")))?;
            group
                .merge_pending_commit(provider)
                .map_err(|error| SecretError::Mls(format!("applying the commit: {error}")))?;
            Ok(Commit {
                commit: encode(&commit)?,
                welcome: None,
            })
        })
    }

    /// Encrypts a message for the group's members in its current epoch.
    pub fn encrypt(&mut self, key: &PrivateKey, plaintext: &[u8]) -> Result<Vec<u8>, SecretError> {
        self.undo_on_failure(|group, provider| {
            let message = group
                .create_message(provider, &KeySigner(key), plaintext)
                .map_err(|error| SecretError::Mls(format!("encrypting: {error}")))?;
            encode(&message)
        })
    }

    /// The epoch an MLS message was made in.
    pub fn epoch_of(message: &[u8]) -> Result<u64, SecretError> {
        let message = MlsMessageIn::tls_deserialize_exact(message)
            .map_err(|error| SecretError::Malformed(format!("MLS message: {error}")))?
            .try_into_protocol_message()
            .map_err(|error| SecretError::Malformed(format!("MLS message: {error}")))?;
        Ok(message.epoch().as_u64())
    }

    /// Reads a message from a member: who sent it, and what. Anything else
    /// (a commit, a proposal) is refused: commits are applied in the order
    /// of the channel's commit chain, with [`SecretGroup::apply_commit`].
    pub fn read(&mut self, message: &[u8]) -> Result<(PublicKey, Vec<u8>), SecretError> {
        match self.process(message, Expect::Message)? {
            Processed::Message { sender, plaintext } => Ok((sender, plaintext)),
            Processed::Commit { .. } => unreachable!("only a message is processed"),
        }
    }

    /// Applies a commit of another member; `true` if it removed this member.
    pub fn apply_commit(&mut self, commit: &[u8]) -> Result<bool, SecretError> {
        match self.process(commit, Expect::Commit)? {
            Processed::Commit { removed_me } => Ok(removed_me),
            Processed::Message { .. } => unreachable!("only a commit is processed"),
        }
    }

    fn process(&mut self, message: &[u8], expect: Expect) -> Result<Processed, SecretError> {
        let message = MlsMessageIn::tls_deserialize_exact(message)
            .map_err(|error| SecretError::Malformed(format!("MLS message: {error}")))?
            .try_into_protocol_message()
            .map_err(|error| SecretError::Malformed(format!("MLS message: {error}")))?;
        if message.group_id().as_slice() != self.id() {
            return Err(SecretError::Rejected("a message for another group".into()));
        }
        let epoch = message.epoch().as_u64();
        if epoch > self.epoch() {
            return Err(SecretError::FromLaterEpoch(epoch));
        }
        self.undo_on_failure(|group, provider| {
            let processed = group
                .process_message(provider, message)
                .map_err(|error| SecretError::Rejected(error.to_string()))?;
            // The sender's credential in the message's epoch: a member who has
            // left since still sent it.
            let sender = identity_key(processed.credential());
            match (processed.into_content(), expect) {
                (ProcessedMessageContent::ApplicationMessage(message), Expect::Message) => {
                    Ok(Processed::Message {
                        sender: sender.ok_or_else(|| {
                            SecretError::Rejected("a sender who is not a p2panda key".into())
                        })?,
                        plaintext: message.into_bytes(),
                    })
                }
                (ProcessedMessageContent::StagedCommitMessage(commit), Expect::Commit) => {
                    let one_identity = commit.add_proposals().all(|add| {
                        let leaf = add.add_proposal().key_package().leaf_node();
                        member_key(leaf.credential(), leaf.signature_key().as_slice()).is_some()
                    });
                    if !one_identity {
                        return Err(SecretError::Rejected(
                            "a commit adds a credential that is not its signing key".into(),
                        ));
                    }
                    let removed_me = commit.self_removed();
                    group
                        .merge_staged_commit(provider, *commit)
                        .map_err(|error| SecretError::Mls(format!("applying the commit: {error}")))?;
                    Ok(Processed::Commit { removed_me })
                }
                (_, Expect::Message) => Err(SecretError::Rejected("not a message from a member".into())),
                (_, Expect::Commit) => Err(SecretError::Rejected("not a commit".into())),
            }
        })
    }

    /// A secret derived from the group's current epoch, as MLS exports it.
    pub fn export_secret(&self, label: &str, context: &[u8], length: usize) -> Result<Vec<u8>, SecretError> {
        self.group
            .export_secret(self.state.provider().crypto(), label, context, length)
            .map_err(|error| SecretError::Mls(format!("exporting a secret: {error}")))
    }

    /// Every entry of the group's state, as it is now (for a snapshot).
    pub fn entries(&self) -> Entries {
        self.state.entries()
    }

    /// What changed since the last call, to be saved.
    pub fn take_changes(&mut self) -> Changes {
        self.state.take_changes()
    }

    /// Runs `operation`; if it fails, the group is as it was before.
    fn undo_on_failure<T>(
        &mut self,
        operation: impl FnOnce(&mut MlsGroup, &GroupProvider) -> Result<T, SecretError>,
    ) -> Result<T, SecretError> {
        let before = self.state.entries();
        let result = operation(&mut self.group, self.state.provider());
        if result.is_err() {
            self.state.reset_to(before);
            self.group = load_group(&self.state, self.group.group_id().as_slice())?;
        }
        result
    }
}

/// A published key package, checked: well formed, signed, and for a
/// credential that names its signing key.
fn validated_key_package(provider: &GroupProvider, bytes: &[u8]) -> Result<KeyPackage, SecretError> {
    let key_package = KeyPackageIn::tls_deserialize_exact(bytes)
        .map_err(|error| SecretError::Malformed(format!("key package: {error}")))?
        .validate(provider.crypto(), ProtocolVersion::Mls10)
        .map_err(|error| SecretError::Malformed(format!("key package: {error}")))?;
    let leaf = key_package.leaf_node();
    member_key(leaf.credential(), leaf.signature_key().as_slice()).ok_or_else(|| {
        SecretError::Malformed("a key package whose credential is not its signing key".into())
    })?;
    Ok(key_package)
}

fn load_group(state: &GroupState, group_id: &[u8]) -> Result<MlsGroup, SecretError> {
    MlsGroup::load(state.provider().storage(), &GroupId::from_slice(group_id))
        .map_err(|error| SecretError::Corrupt(format!("loading the group: {error}")))?
        .ok_or_else(|| SecretError::Corrupt("the saved state holds no group".into()))
}

fn encode(message: &impl openmls::prelude::tls_codec::Serialize) -> Result<Vec<u8>, SecretError> {
    message
        .tls_serialize_detached()
        .map_err(|error| SecretError::Mls(format!("encoding: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmls::prelude::{BasicCredential, CredentialWithKey};

    /// A device: its key, its key packages, and its copy of the group.
    struct Device {
        key: PrivateKey,
        key_packages: KeyPackages,
        group: Option<SecretGroup>,
    }

    impl Device {
        fn new() -> Self {
            Self {
                key: PrivateKey::generate(&mut rand::rngs::OsRng),
                key_packages: KeyPackages::default(),
                group: None,
            }
        }

        fn creating_the_group() -> Self {
            let mut device = Self::new();
            device.group = Some(SecretGroup::create(&device.key, b"channel").unwrap());
            device
        }

        fn key_package(&mut self) -> Vec<u8> {
            self.key_packages.generate(&self.key).unwrap()
        }

        fn group(&mut self) -> &mut SecretGroup {
            self.group.as_mut().expect("a member")
        }

        fn join(&mut self, commit: &Commit) {
            let welcome = commit.welcome.as_ref().expect("a welcome");
            self.group = SecretGroup::join(welcome, &mut self.key_packages).unwrap();
            assert!(self.group.is_some(), "the welcome is for this device");
        }

        fn send(&mut self, text: &str) -> Vec<u8> {
            let key = self.key.clone();
            self.group().encrypt(&key, text.as_bytes()).unwrap()
        }

        fn read(&mut self, message: &[u8]) -> Result<Processed, SecretError> {
            match self.group().read(message) {
                Ok((sender, plaintext)) => Ok(Processed::Message { sender, plaintext }),
                Err(SecretError::Rejected(why)) if why == "not a message from a member" => {
                    let removed_me = self.group().apply_commit(message)?;
                    Ok(Processed::Commit { removed_me })
                }
                Err(error) => Err(error),
            }
        }

        fn public_key(&self) -> PublicKey {
            self.key.public_key()
        }
    }

    fn text_from(sender: &Device, text: &str) -> Processed {
        Processed::Message {
            sender: sender.public_key(),
            plaintext: text.as_bytes().to_vec(),
        }
    }

    /// A with B and C, who joined from A's welcome.
    fn three_members() -> (Device, Device, Device) {
        let (mut a, mut b, mut c) = (Device::creating_the_group(), Device::new(), Device::new());
        let key_packages = [b.key_package(), c.key_package()];
        let key = a.key.clone();
        let commit = a.group().add(&key, &key_packages).unwrap();
        b.join(&commit);
        c.join(&commit);
        (a, b, c)
    }

    #[test]
    fn members_read_each_others_messages() {
        let (mut a, mut b, mut c) = three_members();
        assert_eq!(
            b.group().members(),
            vec![a.public_key(), b.public_key(), c.public_key()]
        );
        let hello = a.send("hello crew");
        assert_eq!(b.read(&hello), Ok(text_from(&a, "hello crew")));
        assert_eq!(c.read(&hello), Ok(text_from(&a, "hello crew")));
        let reply = b.send("on my way");
        assert_eq!(a.read(&reply), Ok(text_from(&b, "on my way")));
        assert_eq!(c.read(&reply), Ok(text_from(&b, "on my way")));
        assert!(!String::from_utf8_lossy(&hello).contains("hello crew"));
    }

    #[test]
    fn a_used_key_package_is_gone_and_a_welcome_for_others_is_not_ours() {
        let (mut a, mut b) = (Device::creating_the_group(), Device::new());
        let mut bystander = Device::new();
        bystander.key_package();
        let used = b.key_package();
        let kept = b.key_package();
        let key = a.key.clone();
        let commit = a.group().add(&key, std::slice::from_ref(&used)).unwrap();
        b.join(&commit);
        assert_eq!(b.key_packages.count(), 1, "the other key package is kept");
        assert!(!b.key_packages.holds(&used));
        assert!(b.key_packages.holds(&kept));
        let welcome = commit.welcome.unwrap();
        assert!(SecretGroup::join(&welcome, &mut bystander.key_packages)
            .unwrap()
            .is_none());
        assert_eq!(bystander.key_packages.count(), 1);
    }

    #[test]
    fn a_removed_member_cannot_read_what_follows() {
        let (mut a, mut b, mut c) = three_members();
        let key = a.key.clone();
        let commit = a.group().remove(&key, &[c.public_key()]).unwrap();
        assert_eq!(
            b.read(&commit.commit),
            Ok(Processed::Commit { removed_me: false })
        );
        assert_eq!(c.read(&commit.commit), Ok(Processed::Commit { removed_me: true }));
        assert!(!c.group().is_member());
        let secret = a.send("after C left");
        assert_eq!(b.read(&secret), Ok(text_from(&a, "after C left")));
        assert!(c.read(&secret).is_err());
    }

    #[test]
    fn a_message_sent_before_a_commit_still_reads_after_it() {
        let (mut a, mut b, mut c) = three_members();
        let early = c.send("sent in epoch 1");
        let key = a.key.clone();
        let commit = a.group().remove(&key, &[c.public_key()]).unwrap();
        assert_eq!(
            b.read(&commit.commit),
            Ok(Processed::Commit { removed_me: false })
        );
        assert_eq!(b.read(&early), Ok(text_from(&c, "sent in epoch 1")));
    }

    #[test]
    fn a_message_from_an_epoch_not_reached_yet_waits() {
        let (mut a, mut b, c) = three_members();
        let key = a.key.clone();
        let commit = a.group().remove(&key, &[c.public_key()]).unwrap();
        let later = a.send("epoch 2");
        assert_eq!(b.read(&later), Err(SecretError::FromLaterEpoch(2)));
        b.read(&commit.commit).unwrap();
        assert_eq!(b.read(&later), Ok(text_from(&a, "epoch 2")));
        let mut elsewhere = SecretGroup::create(&c.key, b"another channel").unwrap();
        let foreign = elsewhere.encrypt(&c.key, b"elsewhere").unwrap();
        assert!(matches!(b.read(&foreign), Err(SecretError::Rejected(_))));
    }

    #[test]
    fn messages_read_out_of_order() {
        let (mut a, mut b, _) = three_members();
        let sent: Vec<Vec<u8>> = (0..50).map(|n| a.send(&format!("message {n}"))).collect();
        for (n, message) in sent.iter().enumerate().rev() {
            assert_eq!(b.read(message), Ok(text_from(&a, &format!("message {n}"))));
        }
    }

    #[test]
    fn a_replayed_or_malformed_message_is_rejected_and_changes_nothing() {
        let (mut a, mut b, _) = three_members();
        let message = a.send("once");
        assert!(b.read(&message).is_ok());
        b.group().take_changes();
        let before = b.group().entries();
        let replay = b.read(&message).unwrap_err();
        assert!(matches!(replay, SecretError::Rejected(_)), "{replay}");
        let mut flipped = a.send("twice");
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(b.read(&flipped).is_err());
        assert!(matches!(b.read(b"not MLS"), Err(SecretError::Malformed(_))));
        assert_eq!(b.group().entries(), before);
        assert_eq!(b.group().take_changes(), vec![]);
    }

    #[test]
    fn a_group_saved_and_loaded_goes_on_where_it_was() {
        let (mut a, mut b, _) = three_members();
        let first = a.send("before the restart");
        b.read(&first).unwrap();
        let mut saved = Entries::new();
        for (key, value) in b.group().take_changes() {
            match value {
                Some(value) => saved.insert(key, value),
                None => saved.remove(&key),
            };
        }
        assert_eq!(saved, b.group().entries());
        b.group = Some(SecretGroup::load(b"channel", saved).unwrap());
        let second = a.send("after the restart");
        assert_eq!(b.read(&second), Ok(text_from(&a, "after the restart")));
        assert_eq!(b.group().epoch(), 1);
    }

    /// A key package signed by `signer` whose credential names `named`.
    fn key_package_naming(named: &PublicKey, signer: &PrivateKey) -> KeyPackage {
        let credential = CredentialWithKey {
            credential: BasicCredential::new(named.as_bytes().to_vec()).into(),
            signature_key: signer.public_key().as_bytes().to_vec().into(),
        };
        let bundle = KeyPackage::builder()
            .build(
                CIPHERSUITE,
                &GroupProvider::default(),
                &KeySigner(signer),
                credential,
            )
            .unwrap();
        bundle.key_package().clone()
    }

    #[test]
    fn a_key_package_whose_credential_is_another_key_is_refused() {
        let mut a = Device::creating_the_group();
        let (victim, impostor) = (Device::new(), Device::new());
        let key_package = encode(&key_package_naming(&victim.public_key(), &impostor.key)).unwrap();
        let key = a.key.clone();
        let refused = a.group().add(&key, &[key_package]).unwrap_err();
        assert!(
            matches!(refused, SecretError::Malformed(ref why) if why.contains("credential")),
            "{refused}"
        );
        assert_eq!(a.group().members(), vec![a.public_key()]);
    }

    #[test]
    fn a_commit_that_adds_a_credential_of_another_key_is_rejected() {
        let (mut a, mut b, _) = three_members();
        let (victim, impostor) = (Device::new(), Device::new());
        let key_package = key_package_naming(&victim.public_key(), &impostor.key);
        // A modified client skips the check that `SecretGroup::add` makes.
        let key = a.key.clone();
        let group = a.group();
        let (commit, _, _) = group
            .group
            .add_members(group.state.provider(), &KeySigner(&key), &[key_package])
            .unwrap();
        let rejected = b.read(&encode(&commit).unwrap()).unwrap_err();
        assert!(
            matches!(rejected, SecretError::Rejected(ref why) if why.contains("credential")),
            "{rejected}"
        );
        assert_eq!(b.group().epoch(), 1);
    }
}
