//! Who is in a festival's three groups and who asks to join them: what the
//! people who run a festival look at to admit, and to revoke.

use lineup_core::DocumentId;
use lineup_schemas::Invite;

use super::{real_festivals, FestivalRole};
use crate::auth::grants::{GroupMember, PendingRequest};
use crate::node::{Node, NodeError};

/// A festival's groups: organisers, crew leads and crew, in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FestivalPeople {
    /// Each group.
    pub groups: Vec<FestivalGroup>,
}

/// One of a festival's groups, as this node decides it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FestivalGroup {
    /// What its members are at the festival.
    pub role: FestivalRole,
    /// The key group.
    pub group: DocumentId,
    /// The code that asks to join it.
    pub invite: Invite,
    /// Its founder, then the keys admitted to it, most senior first (the
    /// keys of nested groups are not listed: the crew leads are members of
    /// the crew through their own group).
    pub members: Vec<GroupMember>,
    /// Keys that asked to join it and wait for an answer.
    pub requests: Vec<PendingRequest>,
}

/// Who is in `festival`'s groups and who asks to join them; `None` if it
/// is not a festival here, or not one that counts (its groups were not all
/// founded by the key that created it).
pub async fn festival_people(node: &Node, festival: DocumentId) -> Result<Option<FestivalPeople>, NodeError> {
    let Some(document) = node.document(festival).await? else {
        return Ok(None);
    };
    let Some((_, found)) = real_festivals(node, &[document]).await?.pop() else {
        return Ok(None);
    };
    let groups = [
        (FestivalRole::Organiser, found.organisers),
        (FestivalRole::CrewLead, found.crew_leads),
        (FestivalRole::Crew, found.crew),
    ];
    let people = node
        .key_group_people(groups.iter().map(|(_, group)| *group).collect())
        .await?;
    Ok(Some(FestivalPeople {
        groups: groups
            .into_iter()
            .zip(people)
            .map(|((role, group), people)| FestivalGroup {
                role,
                group,
                invite: Invite { festival, group },
                members: people.members,
                requests: people.requests,
            })
            .collect(),
    }))
}
