//! Live queries over websocket (graphql-ws): a schema's documents, or one
//! document, each time they change, in the order the node stored the changes.

use std::sync::Arc;

use async_graphql::dynamic::{
    FieldValue, InputValue, Subscription, SubscriptionField, SubscriptionFieldFuture, TypeRef,
};
use async_graphql::Error;
use futures_util::stream::{self, Stream};
use lineup_core::{Document, DocumentId, Schema, SchemaId};
use tokio::sync::broadcast::error::RecvError;

use super::documents::DocumentItem;
use super::scalars::{optional_text, parse};
use crate::node::{Node, NodeEvent};

/// The subscription root: per schema, `all_<schema_id>` (every change of its
/// documents) and `<schema_id>(id)` (every change of one document). A deleted
/// document arrives once more, with `meta.deleted` set and no fields.
pub(crate) fn root(schemas: &[Schema]) -> Subscription {
    schemas
        .iter()
        .fold(Subscription::new("Subscription"), |root, schema| {
            root.field(changes(schema.id(), false))
                .field(changes(schema.id(), true))
        })
}

fn changes(schema_id: &SchemaId, one_document: bool) -> SubscriptionField {
    let name = if one_document {
        schema_id.to_string()
    } else {
        format!("all_{schema_id}")
    };
    let schema_id = schema_id.clone();
    let field = SubscriptionField::new(name, TypeRef::named_nn(schema_id.to_string()), move |ctx| {
        let schema_id = schema_id.clone();
        SubscriptionFieldFuture::new(async move {
            let only = optional_text(&ctx.args, "id")?
                .map(|id| parse::<DocumentId>(id, "document id"))
                .transpose()?;
            let node = ctx.data::<Arc<Node>>()?;
            Ok(changes_of(node, schema_id, only))
        })
    });
    if one_document {
        field.argument(InputValue::new("id", TypeRef::named_nn("DocumentId")))
    } else {
        field
    }
}

/// The changed documents of a schema (or one of its documents), as they come.
fn changes_of<'a>(
    node: &Node,
    schema_id: SchemaId,
    only: Option<DocumentId>,
) -> impl Stream<Item = Result<FieldValue<'a>, Error>> + Send + use<'a> {
    let events = node.subscribe();
    let wanted =
        move |document: &Document| document.schema_id == schema_id && only.is_none_or(|id| id == document.id);
    stream::unfold((events, wanted), |(mut events, wanted)| async move {
        loop {
            let next = match events.recv().await {
                Ok(NodeEvent::DocumentChanged(document)) if wanted(&document) => {
                    Ok(FieldValue::owned_any(DocumentItem::new(document)))
                }
                Ok(_) => continue,
                // The subscriber fell so far behind that changes were dropped:
                // say so rather than silently skip them.
                Err(RecvError::Lagged(missed)) => Err(Error::new(format!(
                    "this subscription fell behind and missed {missed} changes"
                ))),
                Err(RecvError::Closed) => return None,
            };
            return Some((next, (events, wanted)));
        }
    })
}
