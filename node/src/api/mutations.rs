//! The owner's mutations, beyond aquadoggo: create, update and delete
//! documents of any schema, with typed fields, signed with the node's key.
//! They need the owner token (`Authorization: Bearer <token>`).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, InputObject, InputValue, ResolverContext, TypeRef, ValueAccessor,
};
use async_graphql::Error;
use lineup_core::{DocumentId, FieldType, Schema, Value};

use super::documents::DocumentItem;
use super::scalars::{field_value, parse, required_text};
use crate::node::Node;

/// Present in a request's data when it carries the owner token.
pub(crate) struct Owner;

/// The mutations of one schema.
pub(crate) fn fields(schema: &Schema) -> [Field; 3] {
    let name = schema.id().to_string();
    let kind = schema.id().name().to_owned();
    let shared = Arc::new(schema.clone());
    let create = {
        let schema = Arc::clone(&shared);
        Field::new(format!("create_{name}"), TypeRef::named_nn(&name), move |ctx| {
            let schema = Arc::clone(&schema);
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let fields = typed_fields(&ctx.args.try_get("fields")?, &schema)?;
                let id = node
                    .create(schema.id().clone(), fields)
                    .await
                    .map_err(|error| Error::new(error.to_string()))?;
                current(node, id).await
            })
        })
        .description(format!(
            "Creates a {kind} document, signed by this node (owner only)."
        ))
        .argument(InputValue::new(
            "fields",
            TypeRef::named_nn(format!("{name}CreateInput")),
        ))
    };
    let update = {
        let schema = Arc::clone(&shared);
        Field::new(format!("update_{name}"), TypeRef::named_nn(&name), move |ctx| {
            let schema = Arc::clone(&schema);
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let id = own_document(node, &ctx, &schema).await?;
                let fields = typed_fields(&ctx.args.try_get("fields")?, &schema)?;
                node.update(id, fields)
                    .await
                    .map_err(|error| Error::new(error.to_string()))?;
                current(node, id).await
            })
        })
        .description(format!("Changes fields of a {kind} document (owner only)."))
        .argument(InputValue::new("id", TypeRef::named_nn("DocumentId")))
        .argument(InputValue::new(
            "fields",
            TypeRef::named_nn(format!("{name}UpdateInput")),
        ))
    };
    let delete = {
        let schema = Arc::clone(&shared);
        Field::new(
            format!("delete_{name}"),
            TypeRef::named_nn("DocumentId"),
            move |ctx| {
                let schema = Arc::clone(&schema);
                FieldFuture::new(async move {
                    let node = owner_node(&ctx)?;
                    let id = own_document(node, &ctx, &schema).await?;
                    node.delete(id)
                        .await
                        .map_err(|error| Error::new(error.to_string()))?;
                    Ok(Some(FieldValue::value(id.to_string())))
                })
            },
        )
        .description(format!("Deletes a {kind} document (owner only)."))
        .argument(InputValue::new("id", TypeRef::named_nn("DocumentId")))
    };
    [create, update, delete]
}

/// The input types of one schema's mutations: all fields to create, any to update.
pub(crate) fn input_objects(schema: &Schema) -> [InputObject; 2] {
    let name = schema.id().to_string();
    let mut create = InputObject::new(format!("{name}CreateInput"));
    let mut update = InputObject::new(format!("{name}UpdateInput"));
    for (field, field_type) in schema.fields() {
        let (named, list) = match field_type {
            FieldType::Bool => (TypeRef::BOOLEAN, false),
            FieldType::Int => (TypeRef::INT, false),
            FieldType::Float => (TypeRef::FLOAT, false),
            FieldType::Str => (TypeRef::STRING, false),
            FieldType::Bytes => ("HexBytes", false),
            FieldType::Relation(_) => ("DocumentId", false),
            FieldType::PinnedRelation(_) => ("DocumentViewId", false),
            FieldType::RelationList(_) => ("DocumentId", true),
            FieldType::PinnedRelationList(_) => ("DocumentViewId", true),
        };
        let (required, optional) = if list {
            (TypeRef::named_nn_list_nn(named), TypeRef::named_nn_list(named))
        } else {
            (TypeRef::named_nn(named), TypeRef::named(named))
        };
        create = create.field(InputValue::new(field.as_str(), required));
        update = update.field(InputValue::new(field.as_str(), optional));
    }
    [create, update]
}

pub(crate) fn owner_node<'a>(ctx: &ResolverContext<'a>) -> Result<&'a Arc<Node>, Error> {
    if ctx.data_opt::<Owner>().is_none() {
        return Err(Error::new(
            "only the node's owner may do this: send the owner token as `Authorization: Bearer <token>`",
        ));
    }
    ctx.data::<Arc<Node>>()
}

/// The document the mutation names, which must be of its schema.
async fn own_document(node: &Node, ctx: &ResolverContext<'_>, schema: &Schema) -> Result<DocumentId, Error> {
    let id: DocumentId = parse(required_text(&ctx.args, "id")?, "document id")?;
    let document = node
        .document(id)
        .await
        .map_err(|error| Error::new(error.to_string()))?
        .ok_or_else(|| Error::new(format!("no document {id}")))?;
    if &document.schema_id != schema.id() {
        return Err(Error::new(format!("document {id} is a {}", document.schema_id)));
    }
    Ok(id)
}

async fn current(node: &Node, id: DocumentId) -> Result<Option<FieldValue<'static>>, Error> {
    let document = node
        .document(id)
        .await
        .map_err(|error| Error::new(error.to_string()))?
        .ok_or_else(|| Error::new(format!("document {id} vanished")))?;
    Ok(Some(FieldValue::owned_any(DocumentItem::new(Arc::new(document)))))
}

/// The fields given, as the values of their schema's types.
fn typed_fields(given: &ValueAccessor<'_>, schema: &Schema) -> Result<BTreeMap<String, Value>, Error> {
    let mut fields = BTreeMap::new();
    for (name, value) in given.object()?.iter() {
        if value.is_null() {
            continue;
        }
        let field_type = schema
            .fields()
            .get(name.as_str())
            .ok_or_else(|| Error::new(format!("no field {name}")))?;
        fields.insert(name.to_string(), field_value(&value, field_type)?);
    }
    Ok(fields)
}
