//! What a node's owner does with key groups, signed with the node's key:
//! ask to join a group, answer a request, revoke a membership. Every step
//! goes through the same checks as any published operation, so what the
//! node's key may not do is refused with the same message.

use std::collections::BTreeMap;

use lineup_core::{Document, DocumentId, DocumentViewId, SchemaId, Value};

use super::grants::Permissions;
use super::schemas::key_group_schemas;
use crate::node::{Node, NodeError};

/// Why a membership step could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    /// The document named is not here.
    #[error("{0} is not known here")]
    NotFound(DocumentId),
    /// The document named is of another schema.
    #[error("{0} is not a {1}")]
    WrongKind(DocumentId, &'static str),
    /// The node refused the operation (permission, or the store).
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// How the owner answers a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Admits the requester with these permissions, for documents of
    /// `schema` only if given.
    Accept {
        /// What the member may do.
        permissions: Permissions,
        /// The only schema whose documents the member may create, update
        /// and delete.
        schema: Option<SchemaId>,
    },
    /// Refuses the request.
    Reject,
}

/// Asks for this node's key (or, with `member`, the group it speaks for) to
/// join `group`; the request's document id.
pub async fn request(
    node: &Node,
    group: DocumentId,
    member: Option<DocumentId>,
) -> Result<DocumentId, MembershipError> {
    Ok(node
        .create(key_group_schemas().request.clone(), request_fields(group, member))
        .await?)
}

/// The fields of a request to join `group`: by the key that signs it, or
/// for the group `member`.
pub(crate) fn request_fields(group: DocumentId, member: Option<DocumentId>) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("key_group".to_owned(), Value::Relation(group)),
        (
            "member".to_owned(),
            Value::RelationList(member.into_iter().collect()),
        ),
    ])
}

/// The fields of a membership in `group` answering the request read at
/// `request`: with `permissions` (for documents of `schema` only, if
/// given) if `accepted`.
pub(crate) fn membership_fields(
    group: DocumentId,
    request: DocumentViewId,
    answer: Answer,
) -> BTreeMap<String, Value> {
    let (accepted, permissions, schema) = match answer {
        Answer::Accept { permissions, schema } => (true, permissions, schema),
        Answer::Reject => (false, Permissions::default(), None),
    };
    BTreeMap::from([
        ("owner".to_owned(), Value::Relation(group)),
        ("request".to_owned(), Value::PinnedRelation(request)),
        (
            "schema".to_owned(),
            Value::Str(schema.map(|schema| schema.to_string()).unwrap_or_default()),
        ),
        ("accepted".to_owned(), Value::Bool(accepted)),
        ("can_authorise".to_owned(), Value::Bool(permissions.authorise)),
        ("can_create".to_owned(), Value::Bool(permissions.create)),
        ("can_update".to_owned(), Value::Bool(permissions.update)),
        ("can_delete".to_owned(), Value::Bool(permissions.delete)),
        ("valid_until".to_owned(), Value::Str(String::new())),
    ])
}

/// Answers `request` as a member of the group it asks to join; the new
/// membership's document id.
pub async fn answer(node: &Node, request: DocumentId, answer: Answer) -> Result<DocumentId, MembershipError> {
    let schemas = key_group_schemas();
    let asked = of_schema(node, request, &schemas.request, "membership request").await?;
    let Some(Value::Relation(group)) = field(&asked, "key_group") else {
        return Err(MembershipError::WrongKind(request, "membership request"));
    };
    let fields = membership_fields(*group, asked.view_id.clone(), answer);
    Ok(node.create(schemas.membership.clone(), fields).await?)
}

/// Revokes `membership`: what the member did that this node holds still
/// counts, anything after does not. A group admitted as a member loses
/// everything it did (this node does not list its keys' logs yet).
pub async fn revoke(node: &Node, membership: DocumentId) -> Result<DocumentViewId, MembershipError> {
    let schemas = key_group_schemas();
    let kept = of_schema(node, membership, &schemas.membership, "membership").await?;
    let Some(Value::PinnedRelation(request_view)) = field(&kept, "request") else {
        return Err(MembershipError::WrongKind(membership, "membership"));
    };
    let asked = node
        .document_view(request_view.clone())
        .await?
        .ok_or(MembershipError::NotFound(membership))?;
    let cut = match field(&asked, "member") {
        Some(Value::RelationList(groups)) if groups.is_empty() => node
            .log_heights()
            .await?
            .into_iter()
            .filter(|log| log.public_key == asked.author)
            .map(|log| format!("{}:{}:{}", log.public_key, log.log_id.0, log.seq_num.get()))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let fields = BTreeMap::from([
        ("accepted".to_owned(), Value::Bool(false)),
        ("valid_until".to_owned(), Value::Str(cut)),
    ]);
    Ok(node.update(membership, fields).await?)
}

async fn of_schema(
    node: &Node,
    id: DocumentId,
    schema: &SchemaId,
    kind: &'static str,
) -> Result<Document, MembershipError> {
    let document = node.document(id).await?.ok_or(MembershipError::NotFound(id))?;
    if document.schema_id != *schema {
        return Err(MembershipError::WrongKind(id, kind));
    }
    Ok(document)
}

fn field<'a>(document: &'a Document, name: &str) -> Option<&'a Value> {
    document.fields.as_ref()?.get(name).map(|field| &field.value)
}
