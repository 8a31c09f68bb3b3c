//! The festival on a node: founding one with its key groups, asking to
//! join one with an invite, which festivals this node belongs to, and who
//! is in a festival's groups ([`festival_people`]).
//!
//! A festival has three key groups, all founded by whoever creates it:
//! the *organisers* own the festival and everything in it; the *crew
//! leads* are a member of the organisers for shifts, tasks, resources and
//! bookings only (and the organisers a member of the crew leads, so any
//! organiser may appoint crew leads); the *crew* (everyone working there)
//! take in new volunteers through the crew leads, who are their member
//! with `can_authorise`.

mod people;

use std::collections::BTreeMap;

use jiff::Timestamp;
use lineup_core::{DocumentId, DocumentViewId, OperationId, PublicKey, SchemaId, Value};
use lineup_schemas::fields::{FieldError, Fields};
use lineup_schemas::formats::{self, ImportError};
use lineup_schemas::model::{Document, Festival, Programme, Stored};
use lineup_schemas::plan::Action;
use lineup_schemas::{Invite, Kind};

use crate::auth::grants::{Need, Permissions};
use crate::auth::memberships::{self, Answer, MembershipError};
use crate::auth::schemas::key_group_schemas;
use crate::node::{Node, NodeError};
use crate::query::{Condition, DocumentQuery, Filter, Subject};

pub use people::{festival_people, FestivalGroup, FestivalPeople};

/// What the person founding a festival says about it.
#[derive(Debug, Clone, PartialEq)]
pub struct FestivalDetails {
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// Where it is.
    pub place: String,
    /// When it opens.
    pub start: Timestamp,
    /// When it closes.
    pub end: Timestamp,
    /// The IANA time zone its times are shown in.
    pub time_zone: String,
}

/// A festival just founded, and its groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Founded {
    /// The festival document.
    pub festival: DocumentId,
    /// Its organisers.
    pub organisers: DocumentId,
    /// Its crew leads.
    pub crew_leads: DocumentId,
    /// Its crew.
    pub crew: DocumentId,
}

/// Why a festival step could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum FestivalError {
    /// The festival's details do not make a festival.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The invite names a group that is not one of the festival's.
    #[error("{group} is not a key group of the festival {festival}")]
    NotTheFestivalsGroup {
        /// The festival.
        festival: DocumentId,
        /// The group named.
        group: DocumentId,
    },
    /// The document named is not a festival here.
    #[error("{0} is not a festival known here")]
    NotAFestival(DocumentId),
    /// A schedule file could not be imported.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A key-group step was refused.
    #[error(transparent)]
    Membership(#[from] MembershipError),
    /// The node refused (permission, or the store).
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// The schemas crew leads create, update and delete for the organisers.
const CREW_LEAD_SCHEMAS: [Kind; 4] = [Kind::Shift, Kind::Task, Kind::Resource, Kind::Booking];

/// A key that signs new documents: this node's ([`NodeKey`]), or another
/// one whose entries the node takes like a client's (the demo's).
pub trait Creator {
    /// Creates a document of `schema` with `fields`, signed by this key;
    /// its id.
    fn create(
        &mut self,
        schema: &SchemaId,
        fields: Fields,
    ) -> impl std::future::Future<Output = Result<DocumentId, NodeError>> + Send;
}

/// The node's own key.
pub struct NodeKey<'a>(pub &'a Node);

impl Creator for NodeKey<'_> {
    async fn create(&mut self, schema: &SchemaId, fields: Fields) -> Result<DocumentId, NodeError> {
        self.0.create(schema.clone(), fields).await
    }
}

/// Founds a festival, signed by this node's key: its three groups, how
/// they nest, and the festival document, which the organisers own.
pub async fn found(node: &Node, details: FestivalDetails) -> Result<Founded, FestivalError> {
    found_by(&mut NodeKey(node), details, false).await
}

/// Founds a festival signed by `founder`'s key (a demo one if `demo`).
pub async fn found_by(
    founder: &mut impl Creator,
    details: FestivalDetails,
    demo: bool,
) -> Result<Founded, FestivalError> {
    // Check the details before anything is signed.
    let placeholder = DocumentId(lineup_core::Hash::of(b"checked before founding"));
    let festival = Festival {
        organisers: placeholder,
        crew_leads: placeholder,
        crew: placeholder,
        name: details.name.clone(),
        description: details.description,
        place: details.place,
        start: details.start,
        end: details.end,
        time_zone: details.time_zone,
        demo,
    };
    Festival::read(&festival.fields())?;

    let organisers = new_group(founder, &format!("{}: organisers", details.name)).await?;
    let crew_leads = new_group(founder, &format!("{}: crew leads", details.name)).await?;
    let crew = new_group(founder, &format!("{}: crew", details.name)).await?;
    let everything = Permissions {
        authorise: true,
        create: true,
        update: true,
        delete: true,
    };
    join_as_group(founder, organisers, crew_leads, &[(everything, None)]).await?;
    let documents = Permissions {
        authorise: false,
        ..everything
    };
    let for_organisers: Vec<_> = CREW_LEAD_SCHEMAS
        .iter()
        .map(|kind| (documents, Some(kind.schema_id().clone())))
        .collect();
    join_as_group(founder, crew_leads, organisers, &for_organisers).await?;
    let authorise_only = Permissions {
        authorise: true,
        ..Permissions::default()
    };
    join_as_group(founder, crew_leads, crew, &[(authorise_only, None)]).await?;

    let festival = Festival {
        organisers,
        crew_leads,
        crew,
        ..festival
    };
    let festival = founder
        .create(Kind::Festival.schema_id(), festival.fields())
        .await?;
    Ok(Founded {
        festival,
        organisers,
        crew_leads,
        crew,
    })
}

async fn new_group(founder: &mut impl Creator, name: &str) -> Result<DocumentId, NodeError> {
    let fields = BTreeMap::from([("name".to_owned(), Value::Str(name.to_owned()))]);
    founder.create(&key_group_schemas().key_group, fields).await
}

/// Makes `member` a member of `group` with each of `grants` (permissions,
/// and the one schema they are for, if any), signed by the key that
/// founded both.
async fn join_as_group(
    founder: &mut impl Creator,
    member: DocumentId,
    group: DocumentId,
    grants: &[(Permissions, Option<SchemaId>)],
) -> Result<(), NodeError> {
    let schemas = key_group_schemas();
    let request = founder
        .create(&schemas.request, memberships::request_fields(group, Some(member)))
        .await?;
    for (permissions, schema) in grants {
        let answer = Answer::Accept {
            permissions: *permissions,
            schema: schema.clone(),
        };
        // The request was just made: its only view is its CREATE.
        let view = DocumentViewId::from(OperationId(request.0));
        founder
            .create(
                &schemas.membership,
                memberships::membership_fields(group, view, answer),
            )
            .await?;
    }
    Ok(())
}

/// Asks, with this node's key, to join the group an invite names; the
/// request's document id. A member of that group who may authorise
/// accepts it. If the festival is here already, the group must be one of
/// its own.
pub async fn join(node: &Node, invite: Invite) -> Result<DocumentId, FestivalError> {
    if let Some(festival) = festival(node, invite.festival).await? {
        if ![festival.organisers, festival.crew_leads, festival.crew].contains(&invite.group) {
            return Err(FestivalError::NotTheFestivalsGroup {
                festival: invite.festival,
                group: invite.group,
            });
        }
    }
    Ok(memberships::request(node, invite.group, None).await?)
}

/// A festival document here, if it is one and readable.
async fn festival(node: &Node, id: DocumentId) -> Result<Option<Stored<Festival>>, NodeError> {
    Ok(node.document(id).await?.as_ref().and_then(stored))
}

/// A document's current view as a festival document, if it is one of
/// `T`'s schema, not deleted and readable.
pub fn stored<T: Document>(document: &lineup_core::Document) -> Option<Stored<T>> {
    if Kind::of(&document.schema_id) != Some(T::KIND) {
        return None;
    }
    let fields: Fields = document
        .fields
        .as_ref()?
        .iter()
        .map(|(name, field)| (name.clone(), field.value.clone()))
        .collect();
    Stored::read(document.id, document.view_id.clone(), &fields).ok()
}

/// What a key is at a festival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FestivalRole {
    /// None: it is a demo festival, made on this machine.
    Demo,
    /// Has asked to join one of its groups; not accepted yet.
    Asked,
    /// In its crew.
    Crew,
    /// A crew lead.
    CrewLead,
    /// An organiser.
    Organiser,
}

/// A festival a key belongs to (or has asked to).
#[derive(Debug, Clone, PartialEq)]
pub struct Belonging {
    /// The festival.
    pub festival: Stored<Festival>,
    /// What the key is there: the most it is.
    pub role: FestivalRole,
}

/// The festivals here that `key` belongs to or has asked to join, and demo
/// festivals: a node shows these, not every festival on the network.
///
/// Only festivals whose three groups were founded by the key that created
/// the festival count: anyone can write a festival document naming
/// another festival's groups.
pub async fn festivals_of(node: &Node, key: PublicKey) -> Result<Vec<Belonging>, NodeError> {
    let documents = all_documents(node, Kind::Festival.schema_id()).await?;
    let festivals = real_festivals(node, &documents).await?;

    // An organiser may change the festival; crew leads and crew are members.
    let asked: Vec<_> = festivals
        .iter()
        .flat_map(|(_, festival)| {
            [
                (
                    festival.organisers,
                    Need::Update,
                    Some(Kind::Festival.schema_id().clone()),
                ),
                (festival.crew_leads, Need::Member, None),
                (festival.crew, Need::Member, None),
            ]
        })
        .collect();
    let answers = node.key_may(key, asked).await?;
    let asked_to_join = asked_to_join(node, key).await?;
    Ok(festivals
        .into_iter()
        .zip(answers.chunks(3))
        .filter_map(|((author, festival), answers)| {
            let role = [
                FestivalRole::Organiser,
                FestivalRole::CrewLead,
                FestivalRole::Crew,
            ]
            .into_iter()
            .zip(answers)
            .find_map(|(role, may)| may.then_some(role))
            .or_else(|| {
                [festival.organisers, festival.crew_leads, festival.crew]
                    .iter()
                    .any(|group| asked_to_join.contains(group))
                    .then_some(FestivalRole::Asked)
            })
            .or((festival.demo && node.is_demo_key(&author)).then_some(FestivalRole::Demo))?;
            Some(Belonging { festival, role })
        })
        .collect())
}

/// The festivals among `documents` that count, with the key that created
/// each: those whose three groups that key founded (anyone can write a
/// festival document naming another festival's groups).
async fn real_festivals(
    node: &Node,
    documents: &[lineup_core::Document],
) -> Result<Vec<(PublicKey, Stored<Festival>)>, NodeError> {
    let groups: Vec<DocumentId> = documents
        .iter()
        .filter_map(stored::<Festival>)
        .flat_map(|festival| [festival.organisers, festival.crew_leads, festival.crew])
        .collect();
    let founders = node.documents_by_id(groups).await?;
    let founded_by = |group: &DocumentId, author: &PublicKey| {
        founders
            .get(group)
            .is_some_and(|group| group.schema_id == key_group_schemas().key_group && group.author == *author)
    };
    Ok(documents
        .iter()
        .filter_map(|document| Some((document.author, stored::<Festival>(document)?)))
        .filter(|(author, festival)| {
            [festival.organisers, festival.crew_leads, festival.crew]
                .iter()
                .all(|group| founded_by(group, author))
        })
        .collect())
}

/// The groups `key` has asked to join, by itself.
async fn asked_to_join(node: &Node, key: PublicKey) -> Result<Vec<DocumentId>, NodeError> {
    let query = DocumentQuery {
        filters: vec![Filter {
            subject: Subject::Owner,
            condition: Condition::Eq(Value::Bytes(key.as_bytes().to_vec())),
        }],
        ..DocumentQuery::default()
    };
    let requests = all_matching(node, &key_group_schemas().request, query).await?;
    Ok(requests
        .iter()
        .filter_map(|request| {
            let fields = request.fields.as_ref()?;
            match (
                fields.get("key_group").map(|f| &f.value),
                fields.get("member").map(|f| &f.value),
            ) {
                (Some(Value::Relation(group)), Some(Value::RelationList(member))) if member.is_empty() => {
                    Some(*group)
                }
                _ => None,
            }
        })
        .collect())
}

/// A festival's programme: what the exchange formats carry. `None` if the
/// festival is not here.
pub async fn programme(node: &Node, festival: DocumentId) -> Result<Option<Programme>, NodeError> {
    let Some(festival) = self::festival(node, festival).await? else {
        return Ok(None);
    };
    let owned_by = |kind: Kind| {
        let query = DocumentQuery {
            filters: vec![Filter::field(
                "owner",
                Condition::Eq(Value::Relation(festival.id)),
            )],
            ..DocumentQuery::default()
        };
        all_matching(node, kind.schema_id(), query)
    };
    let areas = owned_by(Kind::Area).await?.iter().filter_map(stored).collect();
    let artists = owned_by(Kind::Artist).await?.iter().filter_map(stored).collect();
    let slots = owned_by(Kind::Slot).await?.iter().filter_map(stored).collect();
    Ok(Some(Programme {
        festival,
        areas,
        artists,
        slots,
    }))
}

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    /// Documents created.
    pub created: usize,
    /// Documents updated.
    pub updated: usize,
}

/// Imports a `schedule.xml` or `schedule.json` (told apart by their first
/// character) into a festival's programme, signed by this node's key: all
/// of it, or with an error nothing.
pub async fn import_schedule(
    node: &Node,
    festival: DocumentId,
    file: &str,
) -> Result<Imported, FestivalError> {
    let programme = programme(node, festival)
        .await?
        .ok_or(FestivalError::NotAFestival(festival))?;
    let plan = if file.trim_start_matches('\u{feff}').trim_start().starts_with('<') {
        formats::import_schedule_xml(file, &programme)?
    } else {
        formats::import_schedule_json(file, &programme)?
    };
    let created = plan
        .changes
        .iter()
        .filter(|change| change.action == Action::Create)
        .count();
    let updated = plan.changes.len() - created;
    if !plan.is_empty() {
        node.apply_plan(plan).await?;
    }
    Ok(Imported { created, updated })
}

/// Every live document of a schema.
async fn all_documents(node: &Node, schema: &SchemaId) -> Result<Vec<lineup_core::Document>, NodeError> {
    all_matching(node, schema, DocumentQuery::default()).await
}

/// Every live document of a schema that `query`'s filters pick, page by page.
async fn all_matching(
    node: &Node,
    schema: &SchemaId,
    mut query: DocumentQuery,
) -> Result<Vec<lineup_core::Document>, NodeError> {
    query.first = 1000;
    query.count_total = false;
    let mut documents = Vec::new();
    loop {
        let page = match node.documents(schema.clone(), query.clone()).await {
            Ok(page) => page,
            // A bare node has no festival schemas.
            Err(NodeError::SchemaNotFound(_)) => return Ok(documents),
            Err(error) => return Err(error),
        };
        query.after = page.items.last().map(|document| document.id);
        documents.extend(page.items);
        if !page.has_next_page {
            return Ok(documents);
        }
    }
}
