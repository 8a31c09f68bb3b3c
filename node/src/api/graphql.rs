//! The GraphQL schema, in the shape of aquadoggo 0.9's: the p2panda root
//! fields, and for every schema this node knows a document query, a
//! collection query and their types, generated from the schema.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::dynamic::{
    Enum, Field, FieldFuture, FieldValue, InputObject, InputValue, Object, ResolverContext, Schema,
    SchemaError, TypeRef,
};
use async_graphql::{Error, Value as GqlValue};
use lineup_core::{Document, FieldType, Schema as P2pSchema, SchemaId, Value};

use super::documents::{self, DocumentItem, Loaders};
use super::filters;
use super::scalars::{self, optional_text, required_text};
use crate::ingest::NextArgs;
use crate::node::Node;

/// How deep a query may nest, and how many fields it may ask for in all.
const MAX_DEPTH: usize = 16;
const MAX_COMPLEXITY: usize = 10_000;

/// Builds the schema for these p2panda schemas.
pub(crate) fn build(
    node: Arc<Node>,
    replication: Option<super::Replication>,
    reach: super::this_node::Reach,
    schemas: &[P2pSchema],
) -> Result<Schema, SchemaError> {
    let known: Vec<&SchemaId> = schemas.iter().map(P2pSchema::id).collect();
    let application: HashSet<SchemaId> = known
        .iter()
        .filter(|id| !id.is_system())
        .map(|id| (*id).clone())
        .collect();
    let mut query = Object::new("Query")
        .field(next_args_field())
        .field(super::sync_status::field())
        .field(super::this_node::field());
    let mut mutation = Object::new("MutationRoot")
        .description("GraphQL mutation root.")
        .field(publish_field(Arc::new(application)))
        .field(super::sync_status::add_peer_field());
    for field in super::key_groups::fields() {
        mutation = mutation.field(field);
    }
    let festival_schemas = known.contains(&lineup_schemas::Kind::Festival.schema_id());
    if festival_schemas {
        for field in super::festival::queries()
            .into_iter()
            .chain(super::channels::queries())
        {
            query = query.field(field);
        }
        for field in super::festival::mutations()
            .into_iter()
            .chain(super::channels::mutations())
        {
            mutation = mutation.field(field);
        }
    }
    let mut builder_types = Vec::new();
    for schema in schemas {
        query = query
            .field(document_field(schema))
            .field(collection_field(schema));
        builder_types.extend(schema_types(schema, &known));
        for field in super::mutations::fields(schema) {
            mutation = mutation.field(field);
        }
        builder_types.extend(super::mutations::input_objects(schema).map(Built::Input));
    }
    let mut builder = Schema::build("Query", Some("MutationRoot"), Some("Subscription"))
        .register(query)
        .register(mutation)
        .register(super::subscriptions::root(schemas))
        .register(next_arguments_object())
        .register(document_meta_object())
        .register(
            Enum::new("OrderDirection")
                .description("Possible ordering direction for collection queries.")
                .item("ASC")
                .item("DESC"),
        )
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .register(super::this_node::object())
        .data(reach)
        .data(node);
    for object in super::sync_status::objects() {
        builder = builder.register(object);
    }
    if festival_schemas {
        for festival_type in super::festival::types()
            .into_iter()
            .chain(super::channels::types())
        {
            builder = builder.register(festival_type);
        }
    }
    if let Some(replication) = replication {
        builder = builder.data(replication.status).data(replication.dialler);
    }
    for scalar in scalars::scalars() {
        builder = builder.register(scalar);
    }
    for input in filters::input_objects() {
        builder = builder.register(input);
    }
    for built in builder_types {
        builder = match built {
            Built::Object(object) => builder.register(object),
            Built::Enum(enumeration) => builder.register(enumeration),
            Built::Input(input) => builder.register(input),
        };
    }
    builder.finish()
}

enum Built {
    Object(Object),
    Enum(Enum),
    Input(InputObject),
}

fn next_arguments_object() -> Object {
    let text = |name: &'static str, ty: TypeRef| {
        Field::new(name, ty, move |ctx| {
            FieldFuture::new(async move {
                let arguments = ctx.parent_value.try_downcast_ref::<NextArgs>()?;
                Ok(match name {
                    "logId" => Some(FieldValue::value(arguments.log_id.0.to_string())),
                    "seqNum" => Some(FieldValue::value(arguments.seq_num.get().to_string())),
                    "backlink" => arguments.backlink.map(|hash| FieldValue::value(hash.to_string())),
                    _ => arguments.skiplink.map(|hash| FieldValue::value(hash.to_string())),
                })
            })
        })
    };
    Object::new("NextArguments")
        .description("Arguments required to sign and encode the next entry for a public_key.")
        .field(text("logId", TypeRef::named_nn("LogId")))
        .field(text("seqNum", TypeRef::named_nn("SeqNum")))
        .field(text("backlink", TypeRef::named("EntryHash")))
        .field(text("skiplink", TypeRef::named("EntryHash")))
}

fn document_meta_object() -> Object {
    let meta = |name: &'static str, ty: TypeRef| {
        Field::new(name, ty, move |ctx| {
            FieldFuture::new(async move {
                let document = ctx.parent_value.try_downcast_ref::<Arc<Document>>()?;
                Ok(Some(FieldValue::value(match name {
                    "documentId" => GqlValue::from(document.id.to_string()),
                    "viewId" => GqlValue::from(document.view_id.to_string()),
                    "owner" => GqlValue::from(document.author.to_string()),
                    "edited" => GqlValue::from(document.is_edited()),
                    _ => GqlValue::from(document.is_deleted()),
                })))
            })
        })
    };
    Object::new("DocumentMeta")
        .description("Meta fields of a document, contains id and authorship information.")
        .field(meta("documentId", TypeRef::named_nn("DocumentId")))
        .field(meta("viewId", TypeRef::named_nn("DocumentViewId")))
        .field(meta("owner", TypeRef::named_nn("PublicKey")))
        .field(meta("edited", TypeRef::named_nn(TypeRef::BOOLEAN)))
        .field(meta("deleted", TypeRef::named_nn(TypeRef::BOOLEAN)))
}

/// A field of an object whose parent value is a `T`: the non-null text
/// `text` makes of it.
pub(crate) fn text_field<T: std::any::Any + Send + Sync>(name: &str, text: fn(&T) -> String) -> Field {
    Field::new(name, TypeRef::named_nn(TypeRef::STRING), move |ctx| {
        FieldFuture::new(async move {
            let parent = ctx.parent_value.try_downcast_ref::<T>()?;
            Ok(Some(FieldValue::value(text(parent))))
        })
    })
}

/// A field of an object whose parent value is a `T`, of type `type_ref`:
/// what `value` gives of it, null for `None`.
pub(crate) fn value_field<T: std::any::Any + Send + Sync>(
    name: &str,
    type_ref: TypeRef,
    value: fn(&T) -> Option<GqlValue>,
) -> Field {
    Field::new(name, type_ref, move |ctx| {
        FieldFuture::new(async move {
            let parent = ctx.parent_value.try_downcast_ref::<T>()?;
            Ok(value(parent).map(FieldValue::value))
        })
    })
}

/// A field of an object whose parent value is a `T`: the non-null list of
/// the `item_type` objects `items` gives of it.
pub(crate) fn list_field<T, Item>(name: &str, item_type: &str, items: fn(&T) -> &[Item]) -> Field
where
    T: std::any::Any + Send + Sync,
    Item: std::any::Any + Send + Sync,
{
    Field::new(name, TypeRef::named_nn_list_nn(item_type), move |ctx| {
        FieldFuture::new(async move {
            let parent = ctx.parent_value.try_downcast_ref::<T>()?;
            Ok(Some(FieldValue::list(
                items(parent).iter().map(|item| FieldValue::borrowed_any(item)),
            )))
        })
    })
}

fn node<'a>(ctx: &ResolverContext<'a>) -> Result<&'a Arc<Node>, Error> {
    ctx.data::<Arc<Node>>()
}

fn next_args_field() -> Field {
    Field::new("nextArgs", TypeRef::named_nn("NextArguments"), |ctx| {
        FieldFuture::new(async move {
            let public_key = scalars::parse(required_text(&ctx.args, "publicKey")?, "public key")?;
            let view_id = optional_text(&ctx.args, "viewId")?
                .map(|text| scalars::parse(text, "document view id"))
                .transpose()?;
            let arguments = node(&ctx)?
                .next_args(public_key, view_id)
                .await
                .map_err(|error| Error::new(error.to_string()))?;
            Ok(Some(FieldValue::owned_any(arguments)))
        })
    })
    .description("Gives the arguments a client needs to sign its next entry.")
    .argument(InputValue::new("publicKey", TypeRef::named_nn("PublicKey")))
    .argument(InputValue::new("viewId", TypeRef::named("DocumentViewId")))
}

/// `publish`; `application` are the application schemas the node has (the
/// GraphQL schema is rebuilt when it learns one), to which strangers may publish.
fn publish_field(application: Arc<HashSet<SchemaId>>) -> Field {
    Field::new("publish", TypeRef::named_nn("NextArguments"), move |ctx| {
        let application = Arc::clone(&application);
        FieldFuture::new(async move {
            let entry = scalars::hex_bytes(required_text(&ctx.args, "entry")?, "entry")?;
            let operation = scalars::hex_bytes(required_text(&ctx.args, "operation")?, "operation")?;
            if ctx.data_opt::<super::exposure::Stranger>().is_some() {
                only_application_schemas(&application, &operation)?;
            }
            let (_, next_args) = node(&ctx)?
                .publish(
                    lineup_core::EncodedEntry::from_bytes(entry),
                    lineup_core::EncodedOperation::from_bytes(operation),
                )
                .await
                .map_err(|error| Error::new(error.to_string()))?;
            Ok(Some(FieldValue::owned_any(next_args)))
        })
    })
    .description("Publishes an entry and its operation; answers with the arguments for the next entry.")
    .argument(InputValue::new("entry", TypeRef::named_nn("EncodedEntry")))
    .argument(InputValue::new(
        "operation",
        TypeRef::named_nn("EncodedOperation"),
    ))
}

/// A stranger on a shared API may publish only to the application schemas
/// this node has: not define new ones.
fn only_application_schemas(application: &HashSet<SchemaId>, operation: &[u8]) -> Result<(), Error> {
    let claimed = lineup_core::EncodedOperation::from_bytes(operation.to_vec())
        .decode()
        .map_err(|error| Error::new(error.to_string()))?
        .schema_id;
    if !application.contains(&claimed) {
        return Err(Error::new(format!(
            "this node takes entries of its own schemas only from other machines, not of {claimed}"
        )));
    }
    Ok(())
}

/// `<schema_id>(id, viewId)`: one document, current or at a view.
fn document_field(schema: &P2pSchema) -> Field {
    let schema_id = schema.id().clone();
    Field::new(
        schema_id.to_string(),
        TypeRef::named(schema_id.to_string()),
        move |ctx| {
            let schema_id = schema_id.clone();
            FieldFuture::new(async move {
                let id = optional_text(&ctx.args, "id")?;
                let view_id = optional_text(&ctx.args, "viewId")?;
                let loaders = ctx.data::<Loaders>()?;
                let document = match (id, view_id) {
                    (Some(id), None) => loaders.document(scalars::parse(id, "document id")?).await?,
                    (None, Some(view_id)) => {
                        loaders.view(scalars::parse(view_id, "document view id")?).await?
                    }
                    _ => return Err(Error::new("give either id or viewId")),
                };
                Ok(document
                    .filter(|document| document.schema_id == schema_id)
                    .map(|document| FieldValue::owned_any(DocumentItem::new(document))))
            })
        },
    )
    .description(format!("Query a single document of schema {}.", schema.id()))
    .argument(InputValue::new("id", TypeRef::named("DocumentId")))
    .argument(InputValue::new("viewId", TypeRef::named("DocumentViewId")))
}

/// The arguments of a collection: filters, order and pagination.
fn with_collection_arguments(field: Field, schema_id: &SchemaId) -> Field {
    field
        .argument(InputValue::new(
            "filter",
            TypeRef::named(format!("{schema_id}Filter")),
        ))
        .argument(InputValue::new("meta", TypeRef::named("MetaFilterInputObject")))
        .argument(InputValue::new(
            "orderBy",
            TypeRef::named(format!("{schema_id}OrderBy")),
        ))
        .argument(InputValue::new(
            "orderDirection",
            TypeRef::named("OrderDirection"),
        ))
        .argument(InputValue::new("first", TypeRef::named(TypeRef::INT)))
        .argument(InputValue::new("after", TypeRef::named("Cursor")))
}

/// `all_<schema_id>(..)`: a page of the schema's live documents.
fn collection_field(schema: &P2pSchema) -> Field {
    let schema_id = schema.id().clone();
    let shared = Arc::new(schema.clone());
    let field = Field::new(
        format!("all_{schema_id}"),
        TypeRef::named_nn(format!("{schema_id}Collection")),
        move |ctx| {
            let schema = Arc::clone(&shared);
            FieldFuture::new(async move {
                let page = documents::collection(&ctx, &schema).await?;
                Ok(Some(FieldValue::owned_any(page)))
            })
        },
    )
    .description(format!(
        "Query a paginated collection of {} documents.",
        schema.id()
    ));
    with_collection_arguments(field, schema.id())
}

/// The object, item, fields, collection, order and filter types of a schema.
fn schema_types(schema: &P2pSchema, known: &[&SchemaId]) -> Vec<Built> {
    let name = schema.id().to_string();
    let description = schema.description().to_owned();
    let fields_type = format!("{name}Fields");
    let meta = || {
        Field::new("meta", TypeRef::named("DocumentMeta"), |ctx| {
            FieldFuture::new(async move {
                let document = &ctx.parent_value.try_downcast_ref::<DocumentItem>()?.document;
                Ok(Some(FieldValue::owned_any(Arc::clone(document))))
            })
        })
    };
    let fields = || {
        Field::new("fields", TypeRef::named(fields_type.clone()), |ctx| {
            FieldFuture::new(async move {
                let item = ctx.parent_value.try_downcast_ref::<DocumentItem>()?;
                Ok(item
                    .document
                    .fields
                    .is_some()
                    .then(|| FieldValue::owned_any(Arc::clone(&item.document))))
            })
        })
    };
    let document = Object::new(&name)
        .description(&description)
        .field(fields())
        .field(meta());
    let item = Object::new(format!("{name}Item"))
        .description(&description)
        .field(fields())
        .field(meta())
        .field(Field::new("cursor", TypeRef::named(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let item = ctx.parent_value.try_downcast_ref::<DocumentItem>()?;
                Ok(item
                    .cursor
                    .as_ref()
                    .map(|cursor| FieldValue::value(cursor.encode())))
            })
        }));
    let collection = Object::new(format!("{name}Collection"))
        .description(format!(
            "A single page response returned when querying a collection of `{}` documents.",
            schema.id().name()
        ))
        .field(Field::new("totalCount", TypeRef::named_nn(TypeRef::INT), |ctx| {
            FieldFuture::new(async move {
                let page = ctx.parent_value.try_downcast_ref::<documents::CollectionPage>()?;
                Ok(Some(FieldValue::value(page.total_count)))
            })
        }))
        .field(Field::new("endCursor", TypeRef::named(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let page = ctx.parent_value.try_downcast_ref::<documents::CollectionPage>()?;
                Ok(page
                    .items
                    .last()
                    .and_then(|item| item.cursor.as_ref())
                    .map(|cursor| FieldValue::value(cursor.encode())))
            })
        }))
        .field(Field::new(
            "hasNextPage",
            TypeRef::named_nn(TypeRef::BOOLEAN),
            |ctx| {
                FieldFuture::new(async move {
                    let page = ctx.parent_value.try_downcast_ref::<documents::CollectionPage>()?;
                    Ok(Some(FieldValue::value(page.has_next_page)))
                })
            },
        ))
        .field(Field::new(
            "documents",
            TypeRef::named_nn_list_nn(format!("{name}Item")),
            |ctx| {
                FieldFuture::new(async move {
                    let page = ctx.parent_value.try_downcast_ref::<documents::CollectionPage>()?;
                    Ok(Some(FieldValue::list(
                        page.items.iter().map(|item| FieldValue::borrowed_any(item)),
                    )))
                })
            },
        ));

    let mut fields_object = Object::new(&fields_type).description(format!(
        "The application fields of a `{}` document.",
        schema.id().name()
    ));
    let mut order = Enum::new(format!("{name}OrderBy"))
        .item("DOCUMENT_ID")
        .item("DOCUMENT_VIEW_ID");
    let mut filter = InputObject::new(format!("{name}Filter"));
    for (field_name, field_type) in schema.fields() {
        fields_object = fields_object.field(application_field(field_name, field_type, known));
        order = order.item(field_name.as_str());
        filter = filter.field(InputValue::new(
            field_name.as_str(),
            TypeRef::named(filters::filter_type(field_type)),
        ));
    }
    vec![
        Built::Object(document),
        Built::Object(item),
        Built::Object(collection),
        Built::Object(fields_object),
        Built::Enum(order),
        Built::Input(filter),
    ]
}

/// One application field of a document, resolved from its current value;
/// relations are resolved to the documents they point at.
fn application_field(name: &str, field_type: &FieldType, known: &[&SchemaId]) -> Field {
    let field_name = name.to_owned();
    let target_known = |target: &SchemaId| known.contains(&target);
    let (ty, is_list) = match field_type {
        FieldType::Bool => (TypeRef::named(TypeRef::BOOLEAN), false),
        FieldType::Int => (TypeRef::named(TypeRef::INT), false),
        FieldType::Float => (TypeRef::named(TypeRef::FLOAT), false),
        FieldType::Str => (TypeRef::named(TypeRef::STRING), false),
        FieldType::Bytes => (TypeRef::named("HexBytes"), false),
        FieldType::Relation(target) | FieldType::PinnedRelation(target) if target_known(target) => {
            (TypeRef::named(target.to_string()), false)
        }
        FieldType::Relation(_) => (TypeRef::named("DocumentId"), false),
        FieldType::PinnedRelation(_) => (TypeRef::named("DocumentViewId"), false),
        FieldType::RelationList(target) | FieldType::PinnedRelationList(target) if target_known(target) => {
            (TypeRef::named(format!("{target}Collection")), true)
        }
        FieldType::RelationList(_) => (TypeRef::named_nn_list("DocumentId"), false),
        FieldType::PinnedRelationList(_) => (TypeRef::named_nn_list("DocumentViewId"), false),
    };
    let resolves_documents = matches!(
        field_type,
        FieldType::Relation(target) | FieldType::PinnedRelation(target)
            | FieldType::RelationList(target) | FieldType::PinnedRelationList(target) if target_known(target)
    );
    let field = Field::new(name, ty, move |ctx| {
        let field_name = field_name.clone();
        FieldFuture::new(async move {
            let document = ctx.parent_value.try_downcast_ref::<Arc<Document>>()?;
            let Some(field) = document
                .fields
                .as_ref()
                .and_then(|fields| fields.get(&field_name))
            else {
                return Ok(None);
            };
            if !resolves_documents {
                return Ok(plain_value(&field.value).map(FieldValue::value));
            }
            let loaders = ctx.data::<Loaders>()?;
            match &field.value {
                Value::Relation(id) => Ok(loaders.document(*id).await?.map(item)),
                Value::PinnedRelation(view_id) => Ok(loaders.view(view_id.clone()).await?.map(item)),
                Value::RelationList(_) | Value::PinnedRelationList(_) => {
                    let page = documents::relation_list(&ctx, document, &field_name, field).await?;
                    Ok(Some(FieldValue::owned_any(page)))
                }
                _ => Ok(plain_value(&field.value).map(FieldValue::value)),
            }
        })
    });
    match field_type {
        FieldType::RelationList(target) | FieldType::PinnedRelationList(target) if is_list => {
            with_collection_arguments(field, target)
        }
        _ => field,
    }
}

fn item(document: Arc<Document>) -> FieldValue<'static> {
    FieldValue::owned_any(DocumentItem::new(document))
}

/// A value as GraphQL shows it; relations as their ids.
pub(crate) fn plain_value(value: &Value) -> Option<GqlValue> {
    Some(match value {
        Value::Bool(value) => GqlValue::from(*value),
        Value::Int(value) => GqlValue::from(*value),
        // JSON has no NaN or infinity: those show as null.
        Value::Float(value) => GqlValue::Number(async_graphql::Number::from_f64(*value)?),
        Value::Str(value) => GqlValue::from(value.clone()),
        Value::Bytes(value) => GqlValue::from(hex::encode(value)),
        Value::Relation(id) => GqlValue::from(id.to_string()),
        Value::PinnedRelation(view_id) => GqlValue::from(view_id.to_string()),
        Value::RelationList(ids) => {
            GqlValue::List(ids.iter().map(|id| GqlValue::from(id.to_string())).collect())
        }
        Value::PinnedRelationList(view_ids) => {
            GqlValue::List(view_ids.iter().map(|id| GqlValue::from(id.to_string())).collect())
        }
    })
}
