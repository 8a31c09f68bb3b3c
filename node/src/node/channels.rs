//! The node's channels (`crate::secret::channels`): what the owner does
//! through the node, and what the store thread reads when others' channel
//! documents arrive.

use lineup_core::{DocumentId, PrivateKey, PublicKey};
use lineup_schemas::Kind;

use super::{Node, NodeError, StoreThread};
use crate::ingest::Applied;
use crate::replica::Replica;
use crate::secret::channels::{
    ChannelError, ChannelMessage, ChannelState, ChannelSummary, Channels, NewChannel,
};

/// [`Channels::add`] or [`Channels::remove`].
type MemberChange = fn(
    &mut Channels,
    &mut Replica,
    &PrivateKey,
    DocumentId,
    &[PublicKey],
) -> Result<Vec<Applied>, ChannelError>;

impl Node {
    /// Creates a channel with this node's key and `members` in it.
    pub async fn create_channel(&self, new: NewChannel) -> Result<DocumentId, NodeError> {
        self.with_channels(move |channels, state| channels.create(&mut state.replica, &state.key, &new))
            .await
    }

    /// Adds `members` to a channel this node's key is in.
    pub async fn add_channel_members(
        &self,
        channel: DocumentId,
        members: Vec<PublicKey>,
    ) -> Result<(), NodeError> {
        self.change_members(channel, members, Channels::add).await
    }

    /// Removes `members` from a channel this node's key is in.
    pub async fn remove_channel_members(
        &self,
        channel: DocumentId,
        members: Vec<PublicKey>,
    ) -> Result<(), NodeError> {
        self.change_members(channel, members, Channels::remove).await
    }

    async fn change_members(
        &self,
        channel: DocumentId,
        members: Vec<PublicKey>,
        change: MemberChange,
    ) -> Result<(), NodeError> {
        self.with_channels(move |channels, state| {
            Ok((
                (),
                change(channels, &mut state.replica, &state.key, channel, &members)?,
            ))
        })
        .await
    }

    /// Sends `text` to a channel: sealed for its members only.
    pub async fn send_to_channel(&self, channel: DocumentId, text: String) -> Result<DocumentId, NodeError> {
        let now = jiff::Timestamp::now().as_millisecond();
        self.with_channels(move |channels, state| {
            channels.send(&mut state.replica, &state.key, channel, text, now)
        })
        .await
    }

    /// The channel as this node sees it: whether it is a member, and who is.
    pub async fn channel_state(&self, channel: DocumentId) -> Result<ChannelState, NodeError> {
        self.with_channels(move |channels, state| Ok((channels.state(&state.replica, channel)?, Vec::new())))
            .await
    }

    /// A festival's channels, each as this node sees it.
    pub async fn channels_of_festival(&self, festival: DocumentId) -> Result<Vec<ChannelSummary>, NodeError> {
        self.with_channels(move |channels, state| Ok((channels.list(&state.replica, festival)?, Vec::new())))
            .await
    }

    /// One channel as this node sees it; `None` if there is no such channel.
    pub async fn channel(&self, id: DocumentId) -> Result<Option<ChannelSummary>, NodeError> {
        self.with_channels(move |channels, state| Ok((channels.channel(&state.replica, id)?, Vec::new())))
            .await
    }

    /// The channel's messages this node has seen: read, or why not.
    pub async fn channel_messages(&self, channel: DocumentId) -> Result<Vec<ChannelMessage>, NodeError> {
        self.with_channels(move |channels, state| {
            Ok((channels.messages(&state.replica, channel)?, Vec::new()))
        })
        .await
    }

    /// Runs `work` on the store thread with its channels, and announces the
    /// documents it published.
    async fn with_channels<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Channels, &mut StoreThread) -> Result<(T, Vec<Applied>), ChannelError>
            + Send
            + 'static,
    ) -> Result<T, NodeError> {
        self.call(move |state| {
            let mut channels = state
                .channels
                .take()
                .ok_or_else(|| NodeError::Api("a bare node has no channels".into()))?;
            let mark = state.replica.schemas().learnt_count();
            let result = work(&mut channels, state);
            state.channels = Some(channels);
            let (value, applied) = result?;
            state.announce(mark, &applied, None);
            Ok(value)
        })
        .await?
    }
}

impl StoreThread {
    /// Reads the channel documents among `applied` (others' commits and
    /// messages), and announces what that made this node publish.
    pub(super) fn follow_channels(&mut self, applied: &[&Applied]) {
        let touched: Vec<DocumentId> = applied
            .iter()
            .filter(|applied| {
                matches!(
                    Kind::of(&applied.schema_id),
                    Some(Kind::ChannelCommit | Kind::ChannelMessage)
                )
            })
            .map(|applied| applied.document_id)
            .collect();
        if touched.is_empty() {
            return;
        }
        let Some(mut channels) = self.channels.take() else {
            return;
        };
        let documents: Vec<_> = touched
            .iter()
            .filter_map(|id| self.replica.document(id).ok().flatten())
            .collect();
        let mark = self.replica.schemas().learnt_count();
        let result = channels.catch_up(&mut self.replica, &self.key, &documents);
        self.channels = Some(channels);
        match result {
            Ok(published) => self.announce(mark, &published, None),
            // The documents are stored whatever happens here; the next start
            // catches up.
            Err(error) => tracing::warn!(%error, "reading channel documents failed"),
        }
    }
}
