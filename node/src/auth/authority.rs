//! Authorisation at ingest: which key group owns a document, and whether an
//! operation may change it (`docs/authorisation.md`).

use std::collections::{BTreeMap, HashMap, HashSet};

use lineup_core::{
    leave_out_what_builds_on, DocumentId, FieldType, Operation, OperationAction, OperationId,
    PublishedOperation, SchemaId, Value,
};
use rusqlite::Connection;

use super::grants::{previous_of, Authored, Decided, Decision, GroupPeople, KeyGroups, Need, Signed};
use super::schemas::key_group_schemas;
use crate::registry::SchemaRegistry;
use crate::store::{self, StoreError};

/// What authorisation asks of a schema's operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `key_group`.
    KeyGroup,
    /// `key_group_membership_request`.
    Request,
    /// `key_group_membership`.
    Membership,
    /// An authorised schema: its documents name an owner.
    Owned,
    /// A schema whose documents belong to one key: `owner: str`.
    KeyOwned,
    /// Anything else: not checked, as in p2panda.
    Free,
}

/// The role of the schema `schema_id`.
pub(crate) fn role_of(schema_id: &SchemaId, registry: &SchemaRegistry) -> Role {
    let schemas = key_group_schemas();
    if *schema_id == schemas.key_group {
        Role::KeyGroup
    } else if *schema_id == schemas.request {
        Role::Request
    } else if *schema_id == schemas.membership {
        Role::Membership
    } else if is_authorised(schema_id, registry, &mut Vec::new()) {
        Role::Owned
    } else if is_key_owned(schema_id, registry) {
        Role::KeyOwned
    } else {
        Role::Free
    }
}

/// An application schema with a field `owner: relation(S)`, `S` a key
/// group or (without looping back) another authorised schema.
fn is_authorised(schema_id: &SchemaId, registry: &SchemaRegistry, path: &mut Vec<SchemaId>) -> bool {
    let Some(FieldType::Relation(target)) = registry
        .get(schema_id)
        .and_then(|schema| schema.fields().get("owner"))
    else {
        return false;
    };
    if *target == key_group_schemas().key_group {
        return true;
    }
    if *target == *schema_id || path.contains(target) {
        return false;
    }
    path.push(schema_id.clone());
    is_authorised(target, registry, path)
}

/// A festival schema with a field `owner: str`: each document belongs to
/// the key its `owner` names. Only the festival's (of the lock file, the
/// same on every node): other p2panda applications may call a text field
/// `owner` and mean nothing by it.
fn is_key_owned(schema_id: &SchemaId, registry: &SchemaRegistry) -> bool {
    lineup_schemas::Kind::of(schema_id).is_some()
        && registry
            .get(schema_id)
            .and_then(|schema| schema.fields().get("owner"))
            .is_some_and(|field| *field == FieldType::Str)
}

/// Why an operation does not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unauthorised {
    /// The author lacks a permission in the owning group.
    #[error("{author} may not {} documents of key group {group}: no {}", verb(*need), permission(*need))]
    Missing {
        /// Who signed it.
        author: lineup_core::PublicKey,
        /// The group that owns the document.
        group: DocumentId,
        /// What it needed.
        need: Need,
    },
    /// An update tried to change a document's owner.
    #[error("the owner of a document never changes")]
    OwnerChanged,
    /// A DELETE of a key group.
    #[error("a key group cannot be deleted")]
    GroupDeleted,
    /// An update or delete of a membership request.
    #[error("a membership request is what its CREATE says: it cannot be updated or deleted")]
    RequestChanged,
    /// The owner is not here, so who may change the document is unknown.
    #[error("the owner {0} of this document is not known here")]
    OwnerMissing(DocumentId),
    /// It builds on an operation that does not count.
    #[error("it builds on an operation that does not count")]
    BuildsOnUnauthorised,
    /// A document that belongs to one key, changed by another.
    #[error("{author} may not change a document that belongs to {owner}")]
    NotTheOwnerKey {
        /// Who signed it.
        author: lineup_core::PublicKey,
        /// The key the document belongs to.
        owner: lineup_core::PublicKey,
    },
    /// A document created to belong to something that is not a public key.
    #[error("the owner {0:?} of a document that belongs to a key is not a public key in lower-case hex")]
    OwnerNotAKey(String),
    /// The owner is neither a key group nor an authorised document.
    #[error("{0} cannot own documents: it is neither a key group nor a document of an authorised schema")]
    NotAnOwner(DocumentId),
}

fn verb(need: Need) -> &'static str {
    match need {
        Need::Authorise => "authorise members of",
        Need::Create => "create",
        Need::Update => "update",
        Need::Delete => "delete",
        Need::Member => "act for",
    }
}

fn permission(need: Need) -> &'static str {
    match need {
        Need::Authorise => "can_authorise",
        Need::Create => "can_create",
        Need::Update => "can_update",
        Need::Delete => "can_delete",
        Need::Member => "membership",
    }
}

/// The key groups as the store holds them, read again once a key-group
/// operation was stored (or a transaction rolled back).
#[derive(Debug)]
pub(crate) struct Authority {
    groups: Option<KeyGroups>,
    /// Each group's decision, while the key groups stay as they are.
    decisions: HashMap<DocumentId, Decision>,
    /// The group that owns each document: set by its CREATE, never changed.
    owners: HashMap<DocumentId, DocumentId>,
    /// Some document's owner was not here when it was checked: a document
    /// that arrives later may be that owner.
    unplaced: bool,
}

impl Default for Authority {
    fn default() -> Self {
        Self {
            groups: None,
            decisions: HashMap::new(),
            owners: HashMap::new(),
            // Documents left waiting for their owner before a restart are
            // looked at again after the first creation.
            unplaced: true,
        }
    }
}

impl Authority {
    /// The key-group documents changed: read them again when next needed.
    pub(crate) fn changed(&mut self) {
        self.groups = None;
        self.decisions.clear();
    }

    fn load(&mut self, connection: &Connection, registry: &SchemaRegistry) -> Result<(), StoreError> {
        if self.groups.is_none() {
            self.groups = Some(load(connection, registry)?);
        }
        Ok(())
    }

    /// What the group decided, kept until the key groups change.
    fn decided(&mut self, group: DocumentId) -> Option<Decided<'_>> {
        let groups = self.groups.as_ref()?;
        let decision = self
            .decisions
            .entry(group)
            .or_insert_with(|| groups.decision(group));
        Some(Decided::of(groups, decision))
    }

    fn allows(&mut self, group: DocumentId, signed: Signed, need: Need, schema: &SchemaId) -> bool {
        self.decided(group)
            .is_some_and(|decided| decided.allows(signed, need, Some(schema)).is_some())
    }

    /// Whether `operation`, `signed` so, on `document_id`, counts by the
    /// key groups as they stand; checked before it is stored. (A membership
    /// operation is checked against the group as it stands; the decision by
    /// seniority, [`Authority::reauthorise`], is the final word.)
    pub(crate) fn check(
        &mut self,
        connection: &Connection,
        registry: &SchemaRegistry,
        signed: Signed,
        operation: &Operation,
        document_id: &DocumentId,
    ) -> Result<Result<(), Unauthorised>, StoreError> {
        let (group, need) = match self.requirement(connection, registry, operation, document_id)? {
            Err(unauthorised) => return Ok(Err(unauthorised)),
            Ok(Requirement::Nothing) => return Ok(Ok(())),
            Ok(Requirement::Permission { group, need }) => (group, need),
            Ok(Requirement::Membership { group }) => (group, Need::Authorise),
            Ok(Requirement::Key(owner)) if owner == signed.author => return Ok(Ok(())),
            Ok(Requirement::Key(owner)) => {
                return Ok(Err(Unauthorised::NotTheOwnerKey {
                    author: signed.author,
                    owner,
                }))
            }
        };
        self.load(connection, registry)?;
        Ok(if self.allows(group, signed, need, &operation.schema_id) {
            Ok(())
        } else {
            Err(Unauthorised::Missing {
                author: signed.author,
                group,
                need,
            })
        })
    }

    /// What `operation` on `document_id` needs, or why it can never count.
    fn requirement(
        &mut self,
        connection: &Connection,
        registry: &SchemaRegistry,
        operation: &Operation,
        document_id: &DocumentId,
    ) -> Result<Result<Requirement, Unauthorised>, StoreError> {
        let role = role_of(&operation.schema_id, registry);
        let action = operation.action;
        let sets_owner = operation
            .fields
            .as_ref()
            .is_some_and(|fields| fields.contains_key("owner"));
        Ok(Ok(match (role, action) {
            (Role::Free, _) | (Role::Request | Role::KeyGroup, OperationAction::Create) => {
                Requirement::Nothing
            }
            (Role::Request, _) => return Ok(Err(Unauthorised::RequestChanged)),
            (Role::KeyGroup, OperationAction::Delete) => return Ok(Err(Unauthorised::GroupDeleted)),
            (Role::KeyGroup, OperationAction::Update) => Requirement::Permission {
                group: *document_id,
                need: Need::Authorise,
            },
            (Role::Membership | Role::Owned | Role::KeyOwned, _)
                if action != OperationAction::Create && sets_owner =>
            {
                return Ok(Err(Unauthorised::OwnerChanged));
            }
            (Role::KeyOwned, _) => {
                let owner = match action {
                    OperationAction::Create => {
                        match operation.fields.as_ref().and_then(|fields| fields.get("owner")) {
                            Some(Value::Str(owner)) => owner.clone(),
                            _ => String::new(),
                        }
                    }
                    _ => match str_in_create(connection, document_id, "owner")? {
                        Some(owner) => owner,
                        None => return Ok(Err(Unauthorised::OwnerMissing(*document_id))),
                    },
                };
                // Exactly as a key is written (lower-case hex), so that
                // filters on `owner` find every document of a key.
                match owner.parse::<lineup_core::PublicKey>() {
                    Ok(key) if key.to_string() == owner => Requirement::Key(key),
                    _ => return Ok(Err(Unauthorised::OwnerNotAKey(owner))),
                }
            }
            (Role::Membership | Role::Owned, _) => {
                let create = (action == OperationAction::Create).then_some(operation);
                let group = match self.governing_group(connection, registry, role, document_id, create)? {
                    Ok(group) => group,
                    Err(unauthorised) => return Ok(Err(unauthorised)),
                };
                match (role, action) {
                    (Role::Membership, _) => Requirement::Membership { group },
                    (_, OperationAction::Create) => Requirement::Permission {
                        group,
                        need: Need::Create,
                    },
                    (_, OperationAction::Update) => Requirement::Permission {
                        group,
                        need: Need::Update,
                    },
                    (_, OperationAction::Delete) => Requirement::Permission {
                        group,
                        need: Need::Delete,
                    },
                }
            }
        }))
    }

    /// Decides again, after the key-group documents `touched` changed,
    /// which operations count of the documents their groups govern (and
    /// the groups those groups joined), and records the others as
    /// unauthorised; gives the documents whose operations that count
    /// changed, to be materialised again.
    pub(crate) fn reauthorise(
        &mut self,
        connection: &Connection,
        registry: &SchemaRegistry,
        touched: &HashSet<DocumentId>,
    ) -> Result<Vec<DocumentId>, StoreError> {
        self.load(connection, registry)?;
        let mut groups = HashSet::new();
        for document in touched {
            let schema =
                store::operations::meta(connection, &OperationId(document.0))?.map(|meta| meta.schema_id);
            let group = match schema {
                Some(schema) => self.group_of(connection, registry, &schema, document)?,
                None => None,
            };
            match group {
                Some(group) => {
                    groups.insert(group);
                }
                // A key-group document this node cannot place: decide everything again.
                None => return self.reauthorise_where(connection, registry, |_, _| true),
            }
        }
        let affected = match &self.groups {
            Some(key_groups) => key_groups.with_groups_joined_by(&groups),
            None => groups,
        };
        self.reauthorise_where(connection, registry, |_, group| {
            group.is_none_or(|group| affected.contains(&group))
        })
    }

    /// Decides again the documents whose owner was not here, if a document
    /// was created since that may be it (`created`); gives those whose
    /// operations that count changed.
    pub(crate) fn reauthorise_unplaced(
        &mut self,
        connection: &Connection,
        registry: &SchemaRegistry,
    ) -> Result<Vec<DocumentId>, StoreError> {
        if !self.unplaced {
            return Ok(Vec::new());
        }
        self.load(connection, registry)?;
        // Set again by any document still without a group.
        self.unplaced = false;
        self.reauthorise_where(connection, registry, |placed_before, _| !placed_before)
    }

    /// The group that governs a document of `schema`; `None` where it
    /// cannot be told (yet) or the schema is governed by none.
    fn group_of(
        &mut self,
        connection: &Connection,
        registry: &SchemaRegistry,
        schema: &SchemaId,
        document: &DocumentId,
    ) -> Result<Option<DocumentId>, StoreError> {
        match role_of(schema, registry) {
            Role::Free | Role::KeyOwned => Ok(None),
            role => Ok(self
                .governing_group(connection, registry, role, document, None)?
                .ok()),
        }
    }

    /// The group that governs `document`, of a schema in `role` (not
    /// [`Role::Free`]): itself for a key group, the group a request asks to
    /// join, the group at the end of the owners of anything else. `create`:
    /// the document's CREATE, when it is not stored yet. Found once: what a
    /// CREATE names never changes.
    fn governing_group(
        &mut self,
        connection: &Connection,
        registry: &SchemaRegistry,
        role: Role,
        document: &DocumentId,
        create: Option<&Operation>,
    ) -> Result<Result<DocumentId, Unauthorised>, StoreError> {
        if let Some(group) = self.owners.get(document) {
            return Ok(Ok(*group));
        }
        let field = match role {
            Role::KeyGroup => return Ok(Ok(*document)),
            Role::Request => "key_group",
            Role::Membership | Role::Owned | Role::KeyOwned | Role::Free => "owner",
        };
        let named = match create {
            Some(create) => match create.fields.as_ref().and_then(|fields| fields.get(field)) {
                Some(Value::Relation(named)) => Some(*named),
                _ => None,
            },
            None => relation_in_create(connection, document, field)?,
        };
        let group = match named {
            Some(named) if role == Role::Request => Ok(named),
            Some(owner) => owning_group(connection, registry, owner)?,
            None => Err(Unauthorised::OwnerMissing(*document)),
        };
        match group {
            Ok(group) => {
                self.owners.insert(*document, group);
            }
            // A document that arrives later may be the missing owner.
            Err(Unauthorised::OwnerMissing(_)) => self.unplaced = true,
            Err(_) => {}
        }
        Ok(group)
    }

    /// Decides again the documents `affected` picks by whether their
    /// governing group was known before and what it is now (`None` if it
    /// cannot be told).
    fn reauthorise_where(
        &mut self,
        connection: &Connection,
        registry: &SchemaRegistry,
        affected: impl Fn(bool, Option<DocumentId>) -> bool,
    ) -> Result<Vec<DocumentId>, StoreError> {
        let governed: Vec<SchemaId> = registry
            .iter()
            .map(|schema| schema.id().clone())
            // A key-owned document's rights never depend on key groups.
            .filter(|schema| !matches!(role_of(schema, registry), Role::Free | Role::KeyOwned))
            .collect();
        let mut changed = Vec::new();
        for (schema, document) in store::operations::documents_of_schemas(connection, &governed)? {
            let placed_before = self.owners.contains_key(&document);
            if !affected(
                placed_before,
                self.group_of(connection, registry, &schema, &document)?,
            ) {
                continue;
            }

            let mut operations = Vec::new();
            for stored in store::operations::of_document_signed(connection, &document)? {
                // A pruned operation stays as it is: its document was deleted.
                let Some(payload) = &stored.payload else { continue };
                if let Some(operation) = crate::registry::typed_operation(payload, registry)? {
                    operations.push((stored, operation));
                }
            }
            let mut unauthorised = HashSet::new();
            for (stored, operation) in &operations {
                let signed = Signed {
                    author: stored.author,
                    log_id: stored.log_id,
                    seq_num: stored.seq_num,
                };
                let counts = match self.requirement(connection, registry, operation, &document)? {
                    Err(_) => false,
                    Ok(Requirement::Nothing) => true,
                    Ok(Requirement::Permission { group, need }) => {
                        self.allows(group, signed, need, &operation.schema_id)
                    }
                    Ok(Requirement::Membership { group }) => self
                        .decided(group)
                        .is_some_and(|decided| decided.counts(&stored.id)),
                    Ok(Requirement::Key(owner)) => owner == stored.author,
                };
                if !counts {
                    unauthorised.insert(stored.id);
                }
            }
            // What builds on an operation that does not count does not either.
            let graph: Vec<(OperationId, &[OperationId])> = operations
                .iter()
                .map(|(stored, operation)| (stored.id, previous_of(operation)))
                .collect();
            leave_out_what_builds_on(&mut unauthorised, &graph);
            if unauthorised != store::operations::unauthorised_of(connection, &document)? {
                store::operations::set_unauthorised(connection, &document, &unauthorised)?;
                changed.push(document);
            }
        }
        Ok(changed)
    }
}

/// What an operation needs to count.
enum Requirement {
    /// Nothing: anyone may.
    Nothing,
    /// A permission in a group.
    Permission { group: DocumentId, need: Need },
    /// To count as decided by the group's seniority (a membership operation).
    Membership { group: DocumentId },
    /// To be signed by this key.
    Key(lineup_core::PublicKey),
}

/// The `owner` a document's CREATE names, if the CREATE is here.
fn owner_in_create(
    connection: &Connection,
    document_id: &DocumentId,
) -> Result<Option<DocumentId>, StoreError> {
    relation_in_create(connection, document_id, "owner")
}

/// The document a relation field of a document's CREATE names, if the
/// CREATE is here.
fn relation_in_create(
    connection: &Connection,
    document_id: &DocumentId,
    field: &str,
) -> Result<Option<DocumentId>, StoreError> {
    // A relation decodes as the bytes of the document id.
    Ok(match field_in_create(connection, document_id, field)? {
        Some(lineup_core::PlainValue::Bytes(bytes)) => {
            lineup_core::Hash::from_bytes(&bytes).ok().map(DocumentId)
        }
        _ => None,
    })
}

/// The text a `str` field of a document's CREATE holds, if the CREATE is here.
fn str_in_create(
    connection: &Connection,
    document_id: &DocumentId,
    field: &str,
) -> Result<Option<String>, StoreError> {
    Ok(match field_in_create(connection, document_id, field)? {
        Some(lineup_core::PlainValue::Str(text)) => Some(text),
        _ => None,
    })
}

/// A field of a document's CREATE, undecoded by type, if the CREATE is here.
fn field_in_create(
    connection: &Connection,
    document_id: &DocumentId,
    field: &str,
) -> Result<Option<lineup_core::PlainValue>, StoreError> {
    let Some(payload) = store::operations::payload(connection, &OperationId(document_id.0))? else {
        return Ok(None);
    };
    let plain = store::stored(payload.decode(), "stored operation")?;
    Ok(plain.fields.and_then(|mut fields| fields.remove(field)))
}

/// The key group at the end of the chain of owners that starts at `owner`.
fn owning_group(
    connection: &Connection,
    registry: &SchemaRegistry,
    mut owner: DocumentId,
) -> Result<Result<DocumentId, Unauthorised>, StoreError> {
    let mut seen = Vec::new();
    loop {
        let Some(meta) = store::operations::meta(connection, &OperationId(owner.0))? else {
            return Ok(Err(Unauthorised::OwnerMissing(owner)));
        };
        match role_of(&meta.schema_id, registry) {
            Role::KeyGroup => return Ok(Ok(owner)),
            Role::Owned if !seen.contains(&owner) => {
                seen.push(owner);
                match owner_in_create(connection, &owner)? {
                    Some(next) => owner = next,
                    None => return Ok(Err(Unauthorised::OwnerMissing(owner))),
                }
            }
            _ => return Ok(Err(Unauthorised::NotAnOwner(owner))),
        }
    }
}

/// For each of `asked` (a group, a need, a schema), whether the key `key`
/// has it now, directly or through a group (a revoked member has nothing).
pub(crate) fn key_may(
    connection: &Connection,
    registry: &SchemaRegistry,
    key: lineup_core::PublicKey,
    asked: &[(DocumentId, Need, Option<SchemaId>)],
) -> Result<Vec<bool>, StoreError> {
    let key_groups = load(connection, registry)?;
    // Beyond any revocation's cut: what the key would sign next.
    let next = Signed {
        author: key,
        log_id: lineup_core::LogId(u64::MAX),
        seq_num: lineup_core::SeqNum::new(u64::MAX).unwrap_or(lineup_core::SeqNum::FIRST),
    };
    let mut decisions = HashMap::new();
    Ok(asked
        .iter()
        .map(|(group, need, schema)| {
            let decision = decisions
                .entry(*group)
                .or_insert_with(|| key_groups.decision(*group));
            Decided::of(&key_groups, decision)
                .allows(next, *need, schema.as_ref())
                .is_some()
        })
        .collect())
}

/// Who is in each of `groups` and who asks to join it, as decided now.
pub(crate) fn people(
    connection: &Connection,
    registry: &SchemaRegistry,
    groups: &[DocumentId],
) -> Result<Vec<GroupPeople>, StoreError> {
    let key_groups = load(connection, registry)?;
    Ok(groups.iter().map(|group| key_groups.people(*group)).collect())
}

/// Reads every key-group operation in the store.
fn load(connection: &Connection, registry: &SchemaRegistry) -> Result<KeyGroups, StoreError> {
    let schemas = key_group_schemas();
    let mut groups = KeyGroups::default();
    for create in store::operations::of_schema(connection, &schemas.key_group, true)? {
        groups.add_group(create.document_id, create.author);
    }
    for create in store::operations::of_schema(connection, &schemas.request, true)? {
        if let Some(create) = authored(create, registry)? {
            groups.add_request(&create);
        }
    }
    let mut memberships: BTreeMap<DocumentId, Vec<Authored>> = BTreeMap::new();
    for operation in store::operations::of_schema(connection, &schemas.membership, false)? {
        let document_id = operation.document_id;
        if let Some(operation) = authored(operation, registry)? {
            memberships.entry(document_id).or_default().push(operation);
        }
    }
    for operations in memberships.into_values() {
        groups.add_membership(operations);
    }
    Ok(groups)
}

/// A stored operation as authorisation reads it; `None` if pruned.
fn authored(
    stored: store::operations::StoredOperation,
    registry: &SchemaRegistry,
) -> Result<Option<Authored>, StoreError> {
    let Some(payload) = stored.payload else {
        return Ok(None);
    };
    let Some(operation) = crate::registry::typed_operation(&payload, registry)? else {
        return Ok(None);
    };
    Ok(Some(Authored {
        published: PublishedOperation {
            id: stored.id,
            author: stored.author,
            operation,
        },
        log_id: stored.log_id,
        seq_num: stored.seq_num,
    }))
}
