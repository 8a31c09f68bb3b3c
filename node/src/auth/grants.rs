//! Who holds which permissions in a key group: decided from the key-group
//! documents alone, so that every node that holds the same operations
//! decides the same, whatever order they arrived in. The rules are those of
//! `docs/authorisation.md`; this module knows nothing of the store.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};

use lineup_core::{
    leave_out_what_builds_on, Document, DocumentId, LogId, Operation, OperationId, PublicKey,
    PublishedOperation, SchemaId, SeqNum, Value,
};

/// An operation, with where its author signed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Authored {
    /// The operation, its id and author.
    pub published: PublishedOperation,
    /// The author's log it is in.
    pub log_id: LogId,
    /// Its place in that log.
    pub seq_num: SeqNum,
}

impl Authored {
    /// Who signed it, and where.
    pub fn signed(&self) -> Signed {
        Signed {
            author: self.published.author,
            log_id: self.log_id,
            seq_num: self.seq_num,
        }
    }
}

/// Who signed an operation, and where in their logs: all a grant looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signed {
    /// The author.
    pub author: PublicKey,
    /// The author's log.
    pub log_id: LogId,
    /// The place in that log.
    pub seq_num: SeqNum,
}

/// What an operation needs in the group that owns its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// To change the group's memberships or name.
    Authorise,
    /// To create a document.
    Create,
    /// To update a document.
    Update,
    /// To delete a document.
    Delete,
    /// Only to be in the group, with any permission (a nested group's keys).
    Member,
}

/// The permissions a membership gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Permissions {
    /// `can_authorise`.
    pub authorise: bool,
    /// `can_create`.
    pub create: bool,
    /// `can_update`.
    pub update: bool,
    /// `can_delete`.
    pub delete: bool,
}

impl Permissions {
    fn allow(&self, need: Need) -> bool {
        match need {
            Need::Authorise => self.authorise,
            Need::Create => self.create,
            Need::Update => self.update,
            Need::Delete => self.delete,
            Need::Member => true,
        }
    }
}

/// A membership request, as its CREATE made it (updates do not count).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Request {
    signed: Signed,
    key_group: DocumentId,
    /// `None`: the author's own key.
    member: Option<DocumentId>,
}

/// Who a membership admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Key(PublicKey),
    Group(DocumentId),
}

/// Which documents a membership's create, update and delete grants cover.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SchemaLimit {
    Any,
    Only(SchemaId),
    /// A limit that names no schema: it covers nothing.
    Invalid,
}

/// A decided membership: what it grants, to whom, and how senior it is.
#[derive(Debug, Clone)]
struct Grant {
    /// The membership document that grants it.
    membership: DocumentId,
    depth: u32,
    member: Member,
    /// For a nested group: that group, decided once on this path.
    nested: Option<Decision>,
    permissions: Permissions,
    schema: SchemaLimit,
    accepted: bool,
    /// Once revoked: the last seq num of each log of the member's keys that
    /// still counts.
    cut: HashMap<(PublicKey, LogId), SeqNum>,
}

impl Grant {
    /// Whether this grant covers an operation `signed` so (whose author the
    /// caller checked is, or is in, its member).
    fn covers(&self, signed: Signed, need: Need, schema: Option<&SchemaId>) -> bool {
        let in_schema = match (&self.schema, need) {
            (_, Need::Authorise | Need::Member) | (SchemaLimit::Any, _) => true,
            (SchemaLimit::Only(limit), _) => schema == Some(limit),
            (SchemaLimit::Invalid, _) => false,
        };
        let in_time = self.accepted
            || self
                .cut
                .get(&(signed.author, signed.log_id))
                .is_some_and(|last| signed.seq_num <= *last);
        in_schema && in_time && self.permissions.allow(need)
    }
}

/// A key in a group: its founder, or a key an accepted membership admits
/// directly (not through a nested group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// The key.
    pub key: PublicKey,
    /// Its most senior accepted membership, which revoking takes away;
    /// `None` for the key that created the group, whose rights no
    /// membership gives and none takes away.
    pub membership: Option<DocumentId>,
    /// Whether it may admit others (the founder always may).
    pub can_authorise: bool,
}

/// A key's request to join a group that no membership of the group
/// answers yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRequest {
    /// The request document.
    pub request: DocumentId,
    /// The key that signed it, which it asks to admit.
    pub key: PublicKey,
}

/// Who is in a group, as decided, and who asks to join it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPeople {
    /// The founder first, then the admitted keys, most senior first.
    pub members: Vec<GroupMember>,
    /// Requests by keys that are not members, by request id.
    pub requests: Vec<PendingRequest>,
}

/// The key-group documents a node holds.
#[derive(Debug, Clone, Default)]
pub struct KeyGroups {
    /// Each group's creator.
    creators: HashMap<DocumentId, PublicKey>,
    requests: HashMap<DocumentId, Request>,
    /// A request's operations name their document.
    request_of_operation: HashMap<OperationId, DocumentId>,
    /// Each group's memberships: every operation of each, by membership.
    memberships: HashMap<DocumentId, BTreeMap<DocumentId, Vec<Authored>>>,
}

impl KeyGroups {
    /// A key group, created by `creator`.
    pub fn add_group(&mut self, group: DocumentId, creator: PublicKey) {
        self.creators.insert(group, creator);
    }

    /// A membership request: its CREATE is what counts. False if it is no
    /// well-formed request.
    pub fn add_request(&mut self, create: &Authored) -> bool {
        let operation = &create.published.operation;
        let field = |name: &str| operation.fields.as_ref().and_then(|fields| fields.get(name));
        let (Some(Value::Relation(key_group)), Some(Value::RelationList(member))) =
            (field("key_group"), field("member"))
        else {
            return false;
        };
        let member = match member[..] {
            [] => None,
            [group] => Some(group),
            _ => return false,
        };
        let id = DocumentId(create.published.id.0);
        self.request_of_operation.insert(create.published.id, id);
        self.requests.insert(
            id,
            Request {
                signed: create.signed(),
                key_group: *key_group,
                member,
            },
        );
        true
    }

    /// A membership: all of its operations, its CREATE among them. False
    /// if it has no CREATE naming its owner group.
    pub fn add_membership(&mut self, operations: Vec<Authored>) -> bool {
        let Some(create) = create_of(&operations) else {
            return false;
        };
        let owner = create
            .published
            .operation
            .fields
            .as_ref()
            .and_then(|fields| fields.get("owner"));
        let Some(Value::Relation(group)) = owner else {
            return false;
        };
        let id = DocumentId(create.published.id.0);
        self.memberships.entry(*group).or_default().insert(id, operations);
        true
    }

    /// `groups` and every group that has one of them as a member (asked for,
    /// at least), directly or not: the groups whose grants may change when
    /// those do.
    pub fn with_groups_joined_by(&self, groups: &HashSet<DocumentId>) -> HashSet<DocumentId> {
        let mut joined = groups.clone();
        loop {
            let before = joined.len();
            for request in self.requests.values() {
                if request.member.is_some_and(|member| joined.contains(&member)) {
                    joined.insert(request.key_group);
                }
            }
            if joined.len() == before {
                return joined;
            }
        }
    }

    /// Who is in `group` and who asks to join it. Members are the keys its
    /// accepted memberships admit directly, as decided by seniority (a
    /// membership whose CREATE does not count admits no one); a request is
    /// answered once a membership of the group whose CREATE counts names
    /// it, accepted or not. A request by a key that is a member already asks
    /// for nothing.
    pub fn people(&self, group: DocumentId) -> GroupPeople {
        let decision = self.decision(group);
        let mut members: Vec<GroupMember> = decision
            .creator
            .map(|key| GroupMember {
                key,
                membership: None,
                can_authorise: true,
            })
            .into_iter()
            .collect();
        // Grants are in the order they were decided: most senior first.
        for grant in decision.grants.iter().filter(|grant| grant.accepted) {
            let Member::Key(key) = grant.member else {
                continue;
            };
            match members.iter_mut().find(|member| member.key == key) {
                Some(member) => member.can_authorise |= grant.permissions.authorise,
                None => members.push(GroupMember {
                    key,
                    membership: Some(grant.membership),
                    can_authorise: grant.permissions.authorise,
                }),
            }
        }
        let answered: HashSet<DocumentId> = self
            .memberships
            .get(&group)
            .into_iter()
            .flat_map(BTreeMap::values)
            .filter_map(|operations| create_of(operations))
            .filter(|create| decision.counted.contains(&create.published.id))
            .filter_map(
                |create| match create.published.operation.fields.as_ref()?.get("request")? {
                    Value::PinnedRelation(view) => view
                        .operations()
                        .iter()
                        .find_map(|operation| self.request_of_operation.get(operation).copied()),
                    _ => None,
                },
            )
            .collect();
        let mut requests: Vec<PendingRequest> = self
            .requests
            .iter()
            .filter(|(id, request)| {
                request.key_group == group
                    && request.member.is_none()
                    && !answered.contains(id)
                    && !members.iter().any(|member| member.key == request.signed.author)
            })
            .map(|(id, request)| PendingRequest {
                request: *id,
                key: request.signed.author,
            })
            .collect();
        requests.sort_by_key(|pending| pending.request);
        GroupPeople { members, requests }
    }

    /// Who holds which permissions in `group`.
    pub fn decide(&self, group: DocumentId) -> Decided<'_> {
        Decided {
            groups: self,
            decision: Cow::Owned(self.decision(group)),
        }
    }

    /// [`KeyGroups::decide`], as a value to keep while the key groups stay
    /// as they are (see [`Decided::of`]).
    pub fn decision(&self, group: DocumentId) -> Decision {
        self.decide_on_path(group, vec![group])
    }

    /// Decides `group`'s memberships most senior first, each against those
    /// decided before it. `path`: the groups whose grants led here, which a
    /// nested group may not lead back to.
    fn decide_on_path(&self, group: DocumentId, path: Vec<DocumentId>) -> Decision {
        let mut decided = Decided {
            groups: self,
            decision: Cow::Owned(Decision {
                creator: self.creators.get(&group).copied(),
                path,
                ..Decision::default()
            }),
        };
        let Some(memberships) = self.memberships.get(&group) else {
            return decided.decision.into_owned();
        };
        // Each membership's CREATE, and the memberships each key created.
        let creates: HashMap<DocumentId, &Authored> = memberships
            .iter()
            .filter_map(|(id, ops)| Some((*id, create_of(ops)?)))
            .collect();
        let mut created_by: HashMap<PublicKey, Vec<DocumentId>> = HashMap::new();
        for (id, create) in &creates {
            created_by.entry(create.published.author).or_default().push(*id);
        }
        // The memberships whose CREATE counts, most senior first.
        let mut eligible = BinaryHeap::new();
        let offer = |decided: &Decided<'_>,
                     ids: &[DocumentId],
                     eligible: &mut BinaryHeap<Reverse<(u32, DocumentId)>>| {
            for id in ids {
                if let Some(depth) = decided.allows(creates[id].signed(), Need::Authorise, None) {
                    eligible.push(Reverse((depth + 1, *id)));
                }
            }
        };
        if let Some(creator) = decided.decision.creator {
            offer(
                &decided,
                created_by.get(&creator).map_or(&[], Vec::as_slice),
                &mut eligible,
            );
        }
        let mut done = HashSet::new();
        while let Some(Reverse((depth, id))) = eligible.pop() {
            if !done.insert(id) {
                continue;
            }
            let counting = counting(&memberships[&id], |op| {
                decided.allows(op.signed(), Need::Authorise, None).is_some()
            });
            let counted: Vec<OperationId> = counting.iter().map(|op| op.published.id).collect();
            let grant = decided.grant_of(group, id, depth, &counting);
            decided.decision.to_mut().counted.extend(counted);
            let Some(grant) = grant else {
                continue;
            };
            let (may_authorise, member) = (grant.permissions.authorise, grant.member);
            decided.decision.to_mut().add(grant);
            // Whom this grant lets create memberships may now have theirs decided.
            if may_authorise {
                let candidates: Vec<DocumentId> = match member {
                    Member::Key(key) => created_by.get(&key).cloned().unwrap_or_default(),
                    Member::Group(_) => creates.keys().copied().collect(),
                };
                let undecided: Vec<DocumentId> =
                    candidates.into_iter().filter(|id| !done.contains(id)).collect();
                offer(&decided, &undecided, &mut eligible);
            }
        }
        decided.decision.into_owned()
    }
}

/// A key group's decided memberships: what each grants, to whom.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// `None` if the group itself is not here: it grants nothing.
    creator: Option<PublicKey>,
    grants: Vec<Grant>,
    /// The grants to each key, by index.
    by_key: HashMap<PublicKey, Vec<usize>>,
    /// The grants to nested groups, by index.
    to_groups: Vec<usize>,
    /// The operations on the group's memberships that count.
    counted: HashSet<OperationId>,
    path: Vec<DocumentId>,
}

impl Decision {
    fn add(&mut self, grant: Grant) {
        let index = self.grants.len();
        match grant.member {
            Member::Key(key) => self.by_key.entry(key).or_default().push(index),
            Member::Group(_) => self.to_groups.push(index),
        }
        self.grants.push(grant);
    }
}

/// A key group's permissions, decided, with the key groups it was decided
/// from (for the nested groups it names).
#[derive(Debug, Clone)]
pub struct Decided<'a> {
    groups: &'a KeyGroups,
    decision: Cow<'a, Decision>,
}

impl<'a> Decided<'a> {
    /// A decision kept from `groups`.
    pub fn of(groups: &'a KeyGroups, decision: &'a Decision) -> Self {
        Self {
            groups,
            decision: Cow::Borrowed(decision),
        }
    }
}

impl Decided<'_> {
    /// Whether an operation on one of the group's memberships counts.
    pub fn counts(&self, membership_operation: &OperationId) -> bool {
        self.decision.counted.contains(membership_operation)
    }

    /// Whether an operation `signed` so may do `need` (to a document of
    /// `schema`, for create, update and delete); if so, with the depth of the
    /// most senior grant that allows it (the creator's is 0).
    pub fn allows(&self, signed: Signed, need: Need, schema: Option<&SchemaId>) -> Option<u32> {
        let decision = &self.decision;
        if decision.creator == Some(signed.author) {
            return Some(0);
        }
        let covers = |index: &&usize| decision.grants[**index].covers(signed, need, schema);
        let direct = decision
            .by_key
            .get(&signed.author)
            .into_iter()
            .flatten()
            .filter(covers);
        // A nested group is decided only for a grant that would cover this.
        let through_groups = decision.to_groups.iter().filter(covers).filter(|index| {
            decision.grants[**index].nested.as_ref().is_some_and(|nested| {
                Decided::of(self.groups, nested)
                    .allows(signed, Need::Member, None)
                    .is_some()
            })
        });
        direct
            .chain(through_groups)
            .map(|index| decision.grants[*index].depth)
            .min()
    }

    /// A nested group, decided on this path; `None` where it leads back.
    fn nested(&self, group: DocumentId) -> Option<Decided<'_>> {
        if self.decision.path.contains(&group) {
            return None;
        }
        let mut path = self.decision.path.clone();
        path.push(group);
        Some(Decided {
            groups: self.groups,
            decision: Cow::Owned(self.groups.decide_on_path(group, path)),
        })
    }

    /// What a membership grants, from those of its operations that count;
    /// `None` if it grants nothing.
    fn grant_of(
        &self,
        group: DocumentId,
        membership: DocumentId,
        depth: u32,
        counting: &[&Authored],
    ) -> Option<Grant> {
        let published: Vec<PublishedOperation> = counting.iter().map(|op| op.published.clone()).collect();
        let view = Document::reduce(&published).ok()?;
        let fields = view.fields.as_ref()?;
        let value = |name: &str| fields.get(name).map(|field| &field.value);
        let flag = |name: &str| matches!(value(name), Some(Value::Bool(true)));
        let Some(Value::PinnedRelation(request_view)) = value("request") else {
            return None;
        };
        let request = request_view
            .operations()
            .iter()
            .find_map(|op| self.groups.request_of_operation.get(op))
            .and_then(|id| self.groups.requests.get(id))?;
        if request.key_group != group {
            return None;
        }
        let (member, nested) = match request.member {
            None => (Member::Key(request.signed.author), None),
            Some(group) => {
                // A group joins only with the consent of one who may speak for it.
                let nested = self.nested(group)?;
                nested.allows(request.signed, Need::Authorise, None)?;
                (Member::Group(group), Some(nested.decision.into_owned()))
            }
        };
        let schema = match value("schema") {
            Some(Value::Str(limit)) if limit.is_empty() => SchemaLimit::Any,
            Some(Value::Str(limit)) => limit.parse().map_or(SchemaLimit::Invalid, SchemaLimit::Only),
            _ => SchemaLimit::Invalid,
        };
        let cut = match value("valid_until") {
            Some(Value::Str(cut)) => parse_cut(cut),
            _ => HashMap::new(),
        };
        Some(Grant {
            membership,
            depth,
            member,
            nested,
            permissions: Permissions {
                authorise: flag("can_authorise"),
                create: flag("can_create"),
                update: flag("can_update"),
                delete: flag("can_delete"),
            },
            schema,
            accepted: flag("accepted"),
            cut,
        })
    }
}

/// The operations that count: those `allowed`, less any that builds on one
/// that does not count.
fn counting(operations: &[Authored], allowed: impl Fn(&Authored) -> bool) -> Vec<&Authored> {
    let mut left_out: HashSet<OperationId> = operations
        .iter()
        .filter(|op| !allowed(op))
        .map(|op| op.published.id)
        .collect();
    let graph: Vec<(OperationId, &[OperationId])> = operations
        .iter()
        .map(|op| (op.published.id, previous_of(&op.published.operation)))
        .collect();
    leave_out_what_builds_on(&mut left_out, &graph);
    operations
        .iter()
        .filter(|op| !left_out.contains(&op.published.id))
        .collect()
}

/// The CREATE among a document's operations.
fn create_of(operations: &[Authored]) -> Option<&Authored> {
    operations
        .iter()
        .find(|op| op.published.operation.previous.is_none())
}

/// The operations `operation` builds on (none for a CREATE).
pub(crate) fn previous_of(operation: &Operation) -> &[OperationId] {
    operation
        .previous
        .as_ref()
        .map_or(&[], |previous| previous.operations())
}

/// Reads `valid_until`: `<public key hex>:<log id>:<seq num>`, separated by
/// spaces. A part that does not read counts nothing.
fn parse_cut(text: &str) -> HashMap<(PublicKey, LogId), SeqNum> {
    text.split_whitespace()
        .filter_map(|part| {
            let mut pieces = part.split(':');
            let key: PublicKey = pieces.next()?.parse().ok()?;
            let log_id = LogId(pieces.next()?.parse().ok()?);
            let seq_num = SeqNum::new(pieces.next()?.parse().ok()?)?;
            pieces.next().is_none().then_some(((key, log_id), seq_num))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::{DocumentViewId, Hash, Operation, PrivateKey};

    /// Key-group documents made by hand: every operation in a log of its
    /// own document, its id unique.
    #[derive(Default)]
    struct World {
        groups: KeyGroups,
        /// Per author: the next log id.
        logs: HashMap<PublicKey, u64>,
        next_id: u64,
    }

    fn key() -> PublicKey {
        PrivateKey::generate(&mut rand::rngs::OsRng).public_key()
    }

    fn schema() -> SchemaId {
        "stage_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b"
            .parse()
            .unwrap()
    }

    fn signed(author: PublicKey, log: u64, seq: u64) -> Signed {
        Signed {
            author,
            log_id: LogId(log),
            seq_num: SeqNum::new(seq).unwrap(),
        }
    }

    struct Perms(&'static str);

    impl World {
        fn operation(&mut self, author: PublicKey, log: u64, seq: u64, operation: Operation) -> Authored {
            self.next_id += 1;
            Authored {
                published: PublishedOperation {
                    id: OperationId(Hash::of(&self.next_id.to_be_bytes())),
                    author,
                    operation,
                },
                log_id: LogId(log),
                seq_num: SeqNum::new(seq).unwrap(),
            }
        }

        fn new_log(&mut self, author: PublicKey) -> u64 {
            let log = self.logs.entry(author).or_default();
            *log += 1;
            *log - 1
        }

        fn group(&mut self, creator: PublicKey) -> DocumentId {
            let log = self.new_log(creator);
            let create = self.operation(creator, log, 1, Operation::create(schema(), BTreeMap::new()));
            let id = DocumentId(create.published.id.0);
            self.groups.add_group(id, creator);
            id
        }

        fn request(
            &mut self,
            author: PublicKey,
            group: DocumentId,
            member: Option<DocumentId>,
        ) -> OperationId {
            let log = self.new_log(author);
            let fields = BTreeMap::from([
                ("key_group".to_owned(), Value::Relation(group)),
                (
                    "member".to_owned(),
                    Value::RelationList(member.into_iter().collect()),
                ),
            ]);
            let create = self.operation(author, log, 1, Operation::create(schema(), fields));
            assert!(self.groups.add_request(&create));
            create.published.id
        }

        /// `perms`: the letters a, c, u, d for can_authorise, create, update, delete.
        fn membership_fields(perms: &Perms, accepted: bool, valid_until: &str) -> BTreeMap<String, Value> {
            BTreeMap::from([
                ("accepted".to_owned(), Value::Bool(accepted)),
                ("can_authorise".to_owned(), Value::Bool(perms.0.contains('a'))),
                ("can_create".to_owned(), Value::Bool(perms.0.contains('c'))),
                ("can_update".to_owned(), Value::Bool(perms.0.contains('u'))),
                ("can_delete".to_owned(), Value::Bool(perms.0.contains('d'))),
                ("valid_until".to_owned(), Value::Str(valid_until.to_owned())),
            ])
        }

        /// `by` accepts `request` into `group`; the membership's operations.
        fn accept(
            &mut self,
            by: PublicKey,
            group: DocumentId,
            request: OperationId,
            perms: Perms,
        ) -> Vec<Authored> {
            self.answer(by, group, request, perms, "", true)
        }

        /// `by` rejects `request` to join `group`.
        fn reject(&mut self, by: PublicKey, group: DocumentId, request: OperationId) -> Vec<Authored> {
            self.answer(by, group, request, Perms(""), "", false)
        }

        /// `by` answers `request` to join `group`, `accepted` or not, with
        /// `perms` (for documents of the schema `schema_limit` only, unless empty).
        fn answer(
            &mut self,
            by: PublicKey,
            group: DocumentId,
            request: OperationId,
            perms: Perms,
            schema_limit: &str,
            accepted: bool,
        ) -> Vec<Authored> {
            let log = self.new_log(by);
            let mut fields = Self::membership_fields(&perms, accepted, "");
            fields.insert("owner".to_owned(), Value::Relation(group));
            fields.insert(
                "request".to_owned(),
                Value::PinnedRelation(DocumentViewId::from(request)),
            );
            fields.insert("schema".to_owned(), Value::Str(schema_limit.to_owned()));
            let create = self.operation(by, log, 1, Operation::create(schema(), fields));
            let membership = vec![create];
            assert!(self.groups.add_membership(membership.clone()));
            membership
        }

        /// `by` updates the membership's permissions (in a log of its own).
        fn update(
            &mut self,
            membership: &mut Vec<Authored>,
            by: PublicKey,
            perms: Perms,
            accepted: bool,
            cut: &str,
        ) {
            let previous = DocumentViewId::from(membership.last().unwrap().published.id);
            let log = self.new_log(by);
            let update =
                Operation::update(schema(), previous, Self::membership_fields(&perms, accepted, cut));
            let update = self.operation(by, log, 1, update);
            membership.push(update);
            assert!(self.groups.add_membership(membership.clone()));
        }
    }

    #[test]
    fn the_creator_may_do_anything_and_a_stranger_nothing() {
        let mut world = World::default();
        let (carol, stranger) = (key(), key());
        let group = world.group(carol);
        let decided = world.groups.decide(group);
        assert_eq!(
            decided.allows(signed(carol, 9, 4), Need::Delete, Some(&schema())),
            Some(0)
        );
        assert_eq!(
            decided.allows(signed(stranger, 0, 1), Need::Create, Some(&schema())),
            None
        );
        // A group that is not here grants nothing.
        assert_eq!(
            world.groups.decide(DocumentId(Hash::of(b"elsewhere"))).allows(
                signed(carol, 0, 1),
                Need::Member,
                None
            ),
            None
        );
    }

    #[test]
    fn an_accepted_member_has_what_its_membership_grants() {
        let mut world = World::default();
        let (carol, alice) = (key(), key());
        let group = world.group(carol);
        let request = world.request(alice, group, None);
        world.accept(carol, group, request, Perms("u"));
        let decided = world.groups.decide(group);
        assert_eq!(
            decided.allows(signed(alice, 3, 1), Need::Update, Some(&schema())),
            Some(1)
        );
        assert_eq!(
            decided.allows(signed(alice, 3, 1), Need::Create, Some(&schema())),
            None
        );
        assert_eq!(decided.allows(signed(alice, 3, 1), Need::Authorise, None), None);
    }

    #[test]
    fn a_request_accepted_by_a_key_that_may_not_authorise_is_ignored() {
        let mut world = World::default();
        let (carol, alice, bob) = (key(), key(), key());
        let group = world.group(carol);
        let alices = world.request(alice, group, None);
        world.accept(carol, group, alices, Perms("cud"));
        let bobs = world.request(bob, group, None);
        world.accept(alice, group, bobs, Perms("acud"));
        let decided = world.groups.decide(group);
        assert_eq!(decided.allows(signed(bob, 0, 1), Need::Member, None), None);
        // Nor may a member raise their own permissions.
        let mut world = World::default();
        let group = world.group(carol);
        let alices = world.request(alice, group, None);
        let mut membership = world.accept(carol, group, alices, Perms("u"));
        world.update(&mut membership, alice, Perms("acud"), true, "");
        let decided = world.groups.decide(group);
        assert_eq!(decided.allows(signed(alice, 5, 1), Need::Authorise, None), None);
        assert!(decided
            .allows(signed(alice, 5, 1), Need::Update, Some(&schema()))
            .is_some());
    }

    #[test]
    fn a_revoked_member_keeps_what_the_revoker_had_seen_and_nothing_after() {
        let mut world = World::default();
        let (carol, alice) = (key(), key());
        let group = world.group(carol);
        let request = world.request(alice, group, None);
        let mut membership = world.accept(carol, group, request, Perms("u"));
        world.update(
            &mut membership,
            carol,
            Perms("u"),
            false,
            &format!("{alice}:7:3 not-a-cut"),
        );
        let decided = world.groups.decide(group);
        let update = |log, seq| decided.allows(signed(alice, log, seq), Need::Update, Some(&schema()));
        assert!(update(7, 3).is_some());
        assert!(update(7, 4).is_none(), "after the cut");
        assert!(update(8, 1).is_none(), "a log the revoker had not seen");

        // Rejected outright: nothing counts.
        world.update(&mut membership, carol, Perms("u"), false, "");
        assert!(world
            .groups
            .decide(group)
            .allows(signed(alice, 7, 1), Need::Update, Some(&schema()))
            .is_none());
    }

    #[test]
    fn a_schema_limited_membership_covers_that_schema_only() {
        let mut world = World::default();
        let (carol, alice) = (key(), key());
        let group = world.group(carol);
        let request = world.request(alice, group, None);
        let other: SchemaId = "shift_0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b"
            .parse()
            .unwrap();
        world.answer(carol, group, request, Perms("cu"), &other.to_string(), true);
        let decided = world.groups.decide(group);
        assert!(decided
            .allows(signed(alice, 0, 1), Need::Create, Some(&other))
            .is_some());
        assert!(decided
            .allows(signed(alice, 0, 1), Need::Create, Some(&schema()))
            .is_none());
    }

    #[test]
    fn a_nested_group_brings_its_keys_with_the_consent_of_one_who_speaks_for_it() {
        let mut world = World::default();
        let (carol, dana, erin, mallory) = (key(), key(), key(), key());
        let festival = world.group(carol);
        let crew = world.group(dana);
        let erins = world.request(erin, crew, None);
        world.accept(dana, crew, erins, Perms(""));
        // Dana (crew's creator) asks for the crew to join the festival.
        let crews = world.request(dana, festival, Some(crew));
        world.accept(carol, festival, crews, Perms("u"));
        let decided = world.groups.decide(festival);
        assert!(decided
            .allows(signed(erin, 2, 2), Need::Update, Some(&schema()))
            .is_some());
        assert!(decided
            .allows(signed(erin, 2, 2), Need::Create, Some(&schema()))
            .is_none());

        // Mallory may not speak for the crew: her request brings no one.
        let mut world = World::default();
        let festival = world.group(carol);
        let crew = world.group(dana);
        let erins = world.request(erin, crew, None);
        world.accept(dana, crew, erins, Perms(""));
        let mallorys = world.request(mallory, festival, Some(crew));
        world.accept(carol, festival, mallorys, Perms("u"));
        let decided = world.groups.decide(festival);
        assert!(decided
            .allows(signed(erin, 2, 2), Need::Update, Some(&schema()))
            .is_none());
    }

    #[test]
    fn groups_in_each_other_end_the_loop() {
        let mut world = World::default();
        let (carol, dana, erin) = (key(), key(), key());
        let north = world.group(carol);
        let south = world.group(dana);
        let erins = world.request(erin, north, None);
        world.accept(carol, north, erins, Perms("u"));
        // North in South, and South in North.
        let north_in_south = world.request(carol, south, Some(north));
        world.accept(dana, south, north_in_south, Perms("u"));
        let south_in_north = world.request(dana, north, Some(south));
        world.accept(carol, north, south_in_north, Perms("u"));
        // Erin is in South through North, and in North directly.
        let in_south = world.groups.decide(south);
        assert!(in_south
            .allows(signed(erin, 0, 1), Need::Update, Some(&schema()))
            .is_some());
        let in_north = world.groups.decide(north);
        assert!(in_north
            .allows(signed(erin, 0, 1), Need::Update, Some(&schema()))
            .is_some());
        assert!(in_north
            .allows(signed(dana, 0, 1), Need::Update, Some(&schema()))
            .is_some());
    }

    #[test]
    fn a_junior_cannot_revoke_a_senior_and_of_two_equals_the_first_decided_stands() {
        let mut world = World::default();
        let (carol, alice, bob) = (key(), key(), key());
        let group = world.group(carol);
        let alices = world.request(alice, group, None);
        let mut alice_membership = world.accept(carol, group, alices, Perms("a"));
        let bobs = world.request(bob, group, None);
        world.accept(alice, group, bobs, Perms("a"));
        // Bob (accepted by Alice) revokes Alice: it does not count.
        world.update(&mut alice_membership, bob, Perms("a"), false, "");
        assert!(world
            .groups
            .decide(group)
            .allows(signed(alice, 0, 1), Need::Authorise, None)
            .is_some());

        // Two members of equal depth revoke each other entirely.
        let mut world = World::default();
        let group = world.group(carol);
        let alices = world.request(alice, group, None);
        let mut alice_membership = world.accept(carol, group, alices, Perms("a"));
        let bobs = world.request(bob, group, None);
        let mut bob_membership = world.accept(carol, group, bobs, Perms("a"));
        world.update(&mut alice_membership, bob, Perms("a"), false, "");
        world.update(&mut bob_membership, alice, Perms("a"), false, "");
        let decided = world.groups.decide(group);
        let (alice_stays, bob_stays) = (
            decided
                .allows(signed(alice, 0, 1), Need::Authorise, None)
                .is_some(),
            decided.allows(signed(bob, 0, 1), Need::Authorise, None).is_some(),
        );
        assert!(alice_stays != bob_stays, "exactly one stands");
        let first =
            DocumentId(alice_membership[0].published.id.0).min(DocumentId(bob_membership[0].published.id.0));
        assert_eq!(
            alice_stays,
            first == DocumentId(alice_membership[0].published.id.0)
        );
    }

    #[test]
    fn people_are_the_founder_and_accepted_keys_and_requests_wait_for_a_counting_answer() {
        let mut world = World::default();
        let (carol, alice, bob, dave, mallory) = (key(), key(), key(), key(), key());
        let group = world.group(carol);
        let alices = world.request(alice, group, None);
        let bobs = world.request(bob, group, None);
        let daves = world.request(dave, group, None);
        // A group asking to join is not a person asking.
        let other = world.group(mallory);
        world.request(mallory, group, Some(other));
        let pending = |world: &World| -> Vec<(DocumentId, PublicKey)> {
            let people = world.groups.people(group);
            people
                .requests
                .iter()
                .map(|pending| (pending.request, pending.key))
                .collect()
        };
        let mut asked = vec![
            (DocumentId(alices.0), alice),
            (DocumentId(bobs.0), bob),
            (DocumentId(daves.0), dave),
        ];
        asked.sort();
        assert_eq!(pending(&world), asked);
        assert_eq!(
            world.groups.people(group).members,
            [GroupMember {
                key: carol,
                membership: None,
                can_authorise: true
            }]
        );

        let mut alice_membership = world.accept(carol, group, alices, Perms("a"));
        world.reject(carol, group, bobs);
        // Mallory may not answer: Dave still waits.
        world.accept(mallory, group, daves, Perms("acud"));
        assert_eq!(pending(&world), [(DocumentId(daves.0), dave)]);
        let alice_in = GroupMember {
            key: alice,
            membership: Some(DocumentId(alice_membership[0].published.id.0)),
            can_authorise: true,
        };
        assert_eq!(world.groups.people(group).members[1..], [alice_in]);

        // A second request by a member asks for nothing.
        world.request(alice, group, None);
        assert_eq!(pending(&world), [(DocumentId(daves.0), dave)]);

        world.update(&mut alice_membership, carol, Perms("a"), false, "");
        let people = world.groups.people(group);
        assert_eq!(people.members.len(), 1, "revoked: {people:?}");
        assert_eq!(people.requests.len(), 2, "Dave's, and Alice's second");
    }
}
