//! Following a channel's commit chain: every member applies the same
//! commits in the same order, whatever order they arrived in.

use std::collections::HashSet;

use lineup_core::{Document, DocumentId, PrivateKey, PublicKey, Value};
use lineup_schemas::Kind;

use super::fields::{documents, field, group_id, hex_field, str_field};
use super::{ChannelError, Channels, STATES_KEPT};
use crate::ingest::Applied;
use crate::query::{Condition, Filter};
use crate::replica::Replica;
use crate::secret::{long_term, SecretGroup};
use crate::store::secrets::{self as kept, AppliedCommit, KEY_PACKAGES};
use crate::store::StoreError;

/// A commit document, read.
pub(super) struct CommitDocument {
    id: DocumentId,
    author: PublicKey,
    previous: Option<DocumentId>,
    epoch: u64,
    commit: Vec<u8>,
    welcome: Option<Vec<u8>>,
    secrets: Vec<u8>,
}

/// What this device undid when its own commits lost: the changes they
/// made, to make again on the winning chain, and from which epoch on its
/// letters were sealed in epochs that lost.
#[derive(Debug, Default)]
struct Undone {
    added: Vec<PublicKey>,
    removed: Vec<PublicKey>,
    letters_from: Option<u64>,
}

impl Channels {
    /// Brings this device's copy of the channel's group to the end of the
    /// chain every member follows: joins from a welcome, goes back when a
    /// commit it applied lost, applies the commits it has not; then makes
    /// again what its own lost commits did, and sends again what it sent
    /// in lost epochs. Gives what that published.
    pub(super) fn follow_chain(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        channel: DocumentId,
    ) -> Result<Vec<Applied>, ChannelError> {
        let Some(channel_document) = replica.document(&channel)? else {
            return Ok(Vec::new());
        };
        let mut undone = Undone::default();
        let commits = commit_documents(replica, &channel_document)?;
        let id = group_id(&channel);
        loop {
            let chain = winning_chain(&commits, &self.void);
            let applied = kept::applied_commits(replica.connection(), &id)?;
            // Where this device's commits leave the chain, if they do.
            let lost = applied.iter().find(|commit| {
                commit.epoch > 0
                    && chain
                        .get(commit.epoch as usize - 1)
                        .is_none_or(|winner| group_id(&winner.id) != commit.commit_id)
            });
            if let Some(lost) = lost {
                let epoch = lost.epoch;
                // Only a commit that applies wins: try it on a copy first.
                if let Some(winner) = chain.get(epoch as usize - 1) {
                    if !self.applies_after(replica, &id, epoch - 1, winner)? {
                        self.void.insert(winner.id);
                        continue;
                    }
                }
                self.note_undone(replica, &key.public_key(), &channel, &applied, epoch, &mut undone)?;
                self.go_back(replica, &channel, epoch)?;
                continue;
            }
            self.load(replica.connection(), channel)?;
            let Some(group) = self.groups.get(&channel) else {
                if !self.join(replica, &channel, &chain, 0)? {
                    return Ok(Vec::new());
                }
                continue;
            };
            if !group.is_member() {
                // Removed: unless a later commit welcomes this device back.
                let removed_at = group.epoch();
                if !self.join(replica, &channel, &chain, removed_at)? {
                    return Ok(Vec::new());
                }
                continue;
            }
            let Some(next) = chain.get(group.epoch() as usize) else {
                break;
            };
            // Read what arrived for this epoch before leaving it: a commit
            // that removes this device ends its reading.
            self.read_unread_messages(replica, channel)?;
            if !self.apply(replica, &channel, next)? {
                self.void.insert(next.id);
            }
        }
        self.retry_messages(replica, channel)?;
        self.redo(replica, key, channel, undone)
    }

    /// Notes what this device's own commits from `epoch` on changed (from
    /// the group's states before and after each), and that its letters
    /// from `epoch` on must be sent again.
    fn note_undone(
        &self,
        replica: &Replica,
        me: &PublicKey,
        channel: &DocumentId,
        applied: &[AppliedCommit],
        epoch: u64,
        undone: &mut Undone,
    ) -> Result<(), ChannelError> {
        let id = group_id(channel);
        undone.letters_from = Some(undone.letters_from.map_or(epoch, |from| from.min(epoch)));
        for commit in applied.iter().filter(|commit| commit.epoch >= epoch) {
            let Ok(hash) = lineup_core::Hash::from_bytes(&commit.commit_id) else {
                continue;
            };
            let mine = replica
                .document(&DocumentId::from(hash))?
                .is_some_and(|document| document.author == *me);
            let members_at = |epoch: u64| -> Result<Option<Vec<PublicKey>>, ChannelError> {
                match kept::state_at(replica.connection(), &self.sealer, &id, epoch)? {
                    Some(state) => Ok(Some(SecretGroup::load(&id, state)?.members())),
                    None => Ok(None),
                }
            };
            if !mine {
                continue;
            }
            if let (Some(before), Some(after)) = (members_at(commit.epoch - 1)?, members_at(commit.epoch)?) {
                undone
                    .added
                    .extend(after.iter().filter(|key| !before.contains(key)));
                undone
                    .removed
                    .extend(before.iter().filter(|key| !after.contains(key)));
            }
        }
        Ok(())
    }

    /// Makes again, on the group as it now stands, the changes of this
    /// device's commits that lost, and sends again its letters of lost
    /// epochs.
    fn redo(
        &mut self,
        replica: &mut Replica,
        key: &PrivateKey,
        channel: DocumentId,
        undone: Undone,
    ) -> Result<Vec<Applied>, ChannelError> {
        let Some(letters_from) = undone.letters_from else {
            return Ok(Vec::new());
        };
        let state = self.state(replica, channel)?;
        if !state.member {
            return Ok(Vec::new());
        }
        let mut published = Vec::new();
        let mut to_add: Vec<PublicKey> = undone
            .added
            .into_iter()
            .filter(|key| !state.members.contains(key))
            .collect();
        to_add.dedup();
        let mut to_remove: Vec<PublicKey> = undone
            .removed
            .into_iter()
            .filter(|key| state.members.contains(key))
            .collect();
        to_remove.dedup();
        // Each may fail on its own (nobody's key package left; the right to
        // change the members gone): the rest is still made.
        if !to_add.is_empty() {
            match self.add(replica, key, channel, &to_add) {
                Ok(applied) => published.extend(applied),
                Err(error) => tracing::warn!(%channel, %error, "adding again whom a lost commit added"),
            }
        }
        if !to_remove.is_empty() {
            match self.remove(replica, key, channel, &to_remove) {
                Ok(applied) => published.extend(applied),
                Err(error) => tracing::warn!(%channel, %error, "removing again whom a lost commit removed"),
            }
        }
        published.extend(self.send_again(replica, key, channel, letters_from)?);
        Ok(published)
    }

    /// Whether `commit` applies to the group as it was after `epoch` here
    /// (tried on a copy); `true` when that state is no longer kept.
    fn applies_after(
        &self,
        replica: &Replica,
        id: &[u8],
        epoch: u64,
        commit: &CommitDocument,
    ) -> Result<bool, ChannelError> {
        match kept::state_at(replica.connection(), &self.sealer, id, epoch)? {
            Some(state) => Ok(SecretGroup::load(id, state)?.apply_commit(&commit.commit).is_ok()),
            None => Ok(true),
        }
    }

    /// Goes back to the state before the commit that led to `epoch`: it
    /// lost. Without that state (it is too old, or that commit made this
    /// device a member), the group is forgotten here.
    fn go_back(
        &mut self,
        replica: &mut Replica,
        channel: &DocumentId,
        epoch: u64,
    ) -> Result<(), ChannelError> {
        let id = group_id(channel);
        self.groups.remove(channel);
        let sealer = &self.sealer;
        replica.write(|connection| {
            // What did not read with the lost state may read with the winner's.
            kept::retry_unreadable(connection, &id)?;
            match kept::state_at(connection, sealer, &id, epoch - 1)? {
                Some(state) => {
                    kept::replace_state(connection, sealer, &id, &state)?;
                    kept::drop_commits_from(connection, &id, epoch)
                }
                None => kept::forget_group(connection, &id),
            }
        })?;
        Ok(())
    }

    /// Joins the channel from the first welcome in its chain that is for
    /// this device; `false` if there is none.
    fn join(
        &mut self,
        replica: &mut Replica,
        channel: &DocumentId,
        chain: &[&CommitDocument],
        after_epoch: u64,
    ) -> Result<bool, ChannelError> {
        for (position, commit) in chain.iter().enumerate().skip(after_epoch as usize) {
            let Some(welcome) = &commit.welcome else { continue };
            let Ok(Some(mut group)) = SecretGroup::join(welcome, &mut self.key_packages) else {
                continue;
            };
            if group.epoch() != position as u64 + 1 {
                continue;
            }
            // The secrets the commit carries: the long-term secrets of the
            // epochs before this device joined.
            let secrets = group
                .read(&commit.secrets)
                .ok()
                .filter(|(sender, _)| *sender == commit.author)
                .and_then(|(_, list)| long_term::decode_list(&list).ok())
                .unwrap_or_default();
            let id = group_id(channel);
            let record = AppliedCommit {
                epoch: group.epoch(),
                commit_id: group_id(&commit.id),
            };
            let sealer = &self.sealer;
            let key_package_changes = self.key_packages.take_changes();
            replica.write(|connection| {
                for (epoch, secret) in &secrets {
                    kept::save_long_term(connection, sealer, &id, *epoch, secret)?;
                }
                let (epoch, secret) =
                    long_term::derive(&group).map_err(|error| StoreError::Failed(error.to_string()))?;
                kept::save_long_term(connection, sealer, &id, epoch, &secret)?;
                kept::save_state(connection, sealer, KEY_PACKAGES, &key_package_changes)?;
                // A member removed before keeps its old state until now.
                kept::replace_state(connection, sealer, &id, &group.entries())?;
                kept::drop_commits_from(connection, &id, 0)?;
                kept::push_commit(connection, sealer, &id, &record, &group.entries())
            })?;
            group.take_changes();
            self.groups.insert(*channel, group);
            return Ok(true);
        }
        Ok(false)
    }

    /// Applies the next commit of the chain; `false` if it does not apply
    /// (it is then left out of the chain, here as on every member).
    fn apply(
        &mut self,
        replica: &mut Replica,
        channel: &DocumentId,
        commit: &CommitDocument,
    ) -> Result<bool, ChannelError> {
        let id = group_id(channel);
        let Some(group) = self.groups.get_mut(channel) else {
            return Ok(false);
        };
        let removed_me = match group.apply_commit(&commit.commit) {
            Ok(removed_me) => removed_me,
            Err(error) => {
                tracing::warn!(commit = %commit.id, %error, "a channel commit does not apply");
                return Ok(false);
            }
        };
        let record = AppliedCommit {
            epoch: group.epoch(),
            commit_id: group_id(&commit.id),
        };
        let sealer = &self.sealer;
        let saved = replica.write(|connection| {
            // A member removed keeps the state (to go back to, should the
            // commit that removed it lose) but learns no new secret.
            if !removed_me {
                let (epoch, secret) =
                    long_term::derive(group).map_err(|error| StoreError::Failed(error.to_string()))?;
                kept::save_long_term(connection, sealer, &id, epoch, &secret)?;
            }
            kept::save_state(connection, sealer, &id, &group.take_changes())?;
            kept::push_commit(connection, sealer, &id, &record, &group.entries())?;
            kept::drop_states_before(connection, &id, record.epoch.saturating_sub(STATES_KEPT))
        });
        if saved.is_err() {
            self.groups.remove(channel);
        }
        saved?;
        Ok(true)
    }
}

/// The chain every member follows: from the first commit (made by the
/// channel's creator), each step is the commit with the lowest id among
/// those that follow the step before, lead to the next epoch and apply.
pub(super) fn winning_chain<'a>(
    commits: &'a [CommitDocument],
    void: &HashSet<DocumentId>,
) -> Vec<&'a CommitDocument> {
    let mut chain: Vec<&CommitDocument> = Vec::new();
    loop {
        let previous = chain.last().map(|commit| commit.id);
        let next = commits
            .iter()
            .filter(|commit| commit.previous == previous && commit.epoch == chain.len() as u64 + 1)
            .filter(|commit| !void.contains(&commit.id))
            .min_by_key(|commit| commit.id.to_string());
        match next {
            Some(next) => chain.push(next),
            None => return chain,
        }
    }
}

/// The channel's commit documents that are well formed; the first ones must
/// be by the channel's creator, who alone holds the group at epoch 0.
pub(super) fn commit_documents(
    replica: &Replica,
    channel: &Document,
) -> Result<Vec<CommitDocument>, ChannelError> {
    let filters = vec![Filter::field("owner", Condition::Eq(Value::Relation(channel.id)))];
    let documents = documents(replica, Kind::ChannelCommit, filters)?;
    Ok(documents
        .iter()
        .filter_map(|document| {
            let previous = str_field(document, "previous")?;
            let previous = if previous.is_empty() {
                None
            } else {
                Some(previous.parse().ok()?)
            };
            if previous.is_none() && document.author != channel.author {
                return None;
            }
            let welcome = hex_field(document, "welcome").ok()?;
            Some(CommitDocument {
                id: document.id,
                author: document.author,
                previous,
                epoch: match field(document, "epoch")? {
                    Value::Int(epoch) => u64::try_from(*epoch).ok()?,
                    _ => return None,
                },
                commit: hex_field(document, "commit").ok()?,
                welcome: (!welcome.is_empty()).then_some(welcome),
                secrets: hex_field(document, "secrets").ok()?,
            })
        })
        .collect())
}
