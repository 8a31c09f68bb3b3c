//! Filter and order arguments of collections, as aquadoggo names them, turned
//! into a [`DocumentQuery`].

use async_graphql::dynamic::{InputObject, InputValue, ObjectAccessor, TypeRef, ValueAccessor};
use async_graphql::Error;
use lineup_core::{DocumentId, DocumentViewId, FieldType, PublicKey, Schema, Value};

use super::scalars::parse;
use crate::query::{Condition, Direction, DocumentQuery, Filter, Subject};

/// The operators of each filter input type, with the GraphQL type of their value.
const FILTER_TYPES: &[(&str, &str, &[&str])] = &[
    ("BooleanFilter", "Boolean", &["eq", "notEq"]),
    (
        "FloatFilter",
        "Float",
        &["in", "notIn", "eq", "notEq", "gte", "gt", "lte", "lt"],
    ),
    (
        "IntegerFilter",
        "Int",
        &["in", "notIn", "eq", "notEq", "gte", "gt", "lte", "lt"],
    ),
    (
        "StringFilter",
        "String",
        &[
            "in",
            "notIn",
            "eq",
            "notEq",
            "gte",
            "gt",
            "lte",
            "lt",
            "contains",
            "notContains",
        ],
    ),
    ("HexBytesFilter", "HexBytes", &["eq", "notEq"]),
    ("RelationFilter", "DocumentId", &["eq", "notEq", "in", "notIn"]),
    ("RelationListFilter", "DocumentId", &["in", "notIn"]),
    (
        "PinnedRelationFilter",
        "DocumentViewId",
        &["eq", "notEq", "in", "notIn"],
    ),
    ("PinnedRelationListFilter", "DocumentViewId", &["in", "notIn"]),
    ("DocumentIdFilter", "DocumentId", &["in", "notIn", "eq", "notEq"]),
    (
        "DocumentViewIdFilter",
        "DocumentViewId",
        &["in", "notIn", "eq", "notEq"],
    ),
    ("OwnerFilter", "PublicKey", &["in", "notIn", "eq", "notEq"]),
];

/// Reads a filter value from its GraphQL value.
type ReadValue<'a> = dyn Fn(ValueAccessor<'_>) -> Result<Value, Error> + 'a;

/// The filter input types every schema shares.
pub(crate) fn input_objects() -> Vec<InputObject> {
    let mut objects: Vec<InputObject> = FILTER_TYPES
        .iter()
        .map(|(name, value_type, operators)| {
            operators
                .iter()
                .fold(InputObject::new(*name), |object, operator| {
                    let ty = if operator.ends_with("In") || *operator == "in" {
                        TypeRef::named_nn_list(*value_type)
                    } else {
                        TypeRef::named(*value_type)
                    };
                    object.field(InputValue::new(*operator, ty))
                })
        })
        .collect();
    objects.push(
        InputObject::new("MetaFilterInputObject")
            .description("Filter input object containing all meta fields a collection of documents can be filtered by.")
            .field(InputValue::new("documentId", TypeRef::named("DocumentIdFilter")))
            .field(InputValue::new("viewId", TypeRef::named("DocumentViewIdFilter")))
            .field(InputValue::new("owner", TypeRef::named("OwnerFilter")))
            .field(InputValue::new("edited", TypeRef::named("BooleanFilter")))
            .field(InputValue::new("deleted", TypeRef::named("BooleanFilter"))),
    );
    objects
}

/// The filter input type of a field.
pub(crate) fn filter_type(field_type: &FieldType) -> &'static str {
    match field_type {
        FieldType::Bool => "BooleanFilter",
        FieldType::Int => "IntegerFilter",
        FieldType::Float => "FloatFilter",
        FieldType::Str => "StringFilter",
        FieldType::Bytes => "HexBytesFilter",
        FieldType::Relation(_) => "RelationFilter",
        FieldType::RelationList(_) => "RelationListFilter",
        FieldType::PinnedRelation(_) => "PinnedRelationFilter",
        FieldType::PinnedRelationList(_) => "PinnedRelationListFilter",
    }
}

/// The filters and order of a collection's arguments.
pub(crate) fn document_query(
    arguments: &ObjectAccessor<'_>,
    schema: &Schema,
) -> Result<DocumentQuery, Error> {
    let mut query = DocumentQuery::default();
    if let Some(filter) = present(arguments.get("filter")) {
        for (name, conditions) in filter.object()?.iter() {
            let field_type = schema
                .fields()
                .get(name.as_str())
                .ok_or_else(|| Error::new(format!("no field {name}")))?;
            let subject = Subject::Field(name.to_string());
            for condition in conditions_of(
                conditions,
                &|value| filter_value(value, field_type),
                is_list(field_type),
            )? {
                query.filters.push(Filter {
                    subject: subject.clone(),
                    condition,
                });
            }
        }
    }
    if let Some(meta) = present(arguments.get("meta")) {
        for (name, conditions) in meta.object()?.iter() {
            let (subject, read): (Subject, &ReadValue<'_>) = match name.as_str() {
                "documentId" => (Subject::DocumentId, &|value| {
                    Ok(Value::Relation(parse::<DocumentId>(
                        value.string()?,
                        "document id",
                    )?))
                }),
                "viewId" => (Subject::ViewId, &|value| {
                    Ok(Value::PinnedRelation(parse::<DocumentViewId>(
                        value.string()?,
                        "view id",
                    )?))
                }),
                "owner" => (Subject::Owner, &|value| {
                    Ok(Value::Bytes(
                        parse::<PublicKey>(value.string()?, "public key")?
                            .as_bytes()
                            .to_vec(),
                    ))
                }),
                "edited" => (Subject::Edited, &|value| Ok(Value::Bool(value.boolean()?))),
                "deleted" => {
                    // Deleted documents are never listed (as aquadoggo lists
                    // them): asking for them gives nothing.
                    for condition in
                        conditions_of(conditions, &|value| Ok(Value::Bool(value.boolean()?)), false)?
                    {
                        if matches!(
                            condition,
                            Condition::Eq(Value::Bool(true)) | Condition::NotEq(Value::Bool(false))
                        ) {
                            query.filters.push(Filter {
                                subject: Subject::DocumentId,
                                condition: Condition::In(Vec::new()),
                            });
                        }
                    }
                    continue;
                }
                other => return Err(Error::new(format!("no meta field {other}"))),
            };
            for condition in conditions_of(conditions, read, false)? {
                query.filters.push(Filter {
                    subject: subject.clone(),
                    condition,
                });
            }
        }
    }
    let direction = match present(arguments.get("orderDirection")) {
        Some(direction) if direction.enum_name()? == "DESC" => Direction::Descending,
        _ => Direction::Ascending,
    };
    if let Some(order_by) = present(arguments.get("orderBy")) {
        let subject = match order_by.enum_name()? {
            "DOCUMENT_ID" => Subject::DocumentId,
            "DOCUMENT_VIEW_ID" => Subject::ViewId,
            field => Subject::Field(field.to_owned()),
        };
        query.order_by = Some((subject, direction));
    } else if direction == Direction::Descending {
        query.order_by = Some((Subject::DocumentId, direction));
    }
    Ok(query)
}

fn present(value: Option<ValueAccessor<'_>>) -> Option<ValueAccessor<'_>> {
    value.filter(|value| !value.is_null())
}

fn is_list(field_type: &FieldType) -> bool {
    matches!(
        field_type,
        FieldType::RelationList(_) | FieldType::PinnedRelationList(_)
    )
}

/// The conditions of one filter object, such as `{ gt: 1, lt: 5 }`.
fn conditions_of(
    conditions: ValueAccessor<'_>,
    read: &ReadValue<'_>,
    list_field: bool,
) -> Result<Vec<Condition>, Error> {
    let mut parsed = Vec::new();
    for (operator, value) in conditions.object()?.iter() {
        if value.is_null() {
            continue;
        }
        let values = || -> Result<Vec<Value>, Error> { value.list()?.iter().map(read).collect() };
        let texts = || -> Result<Vec<String>, Error> {
            value
                .list()?
                .iter()
                .map(|value| Ok(value.string()?.to_owned()))
                .collect()
        };
        parsed.push(match operator.as_str() {
            "in" if list_field => Condition::HoldsAny(texts()?),
            "notIn" if list_field => Condition::HoldsNone(texts()?),
            "eq" => Condition::Eq(read(value)?),
            "notEq" => Condition::NotEq(read(value)?),
            "gt" => Condition::Gt(read(value)?),
            "gte" => Condition::Gte(read(value)?),
            "lt" => Condition::Lt(read(value)?),
            "lte" => Condition::Lte(read(value)?),
            "in" => Condition::In(values()?),
            "notIn" => Condition::NotIn(values()?),
            "contains" => Condition::Contains(value.string()?.to_owned()),
            "notContains" => Condition::NotContains(value.string()?.to_owned()),
            other => return Err(Error::new(format!("unknown filter {other}"))),
        });
    }
    Ok(parsed)
}

/// A filter value for a field of `field_type`: for a relation list, one of
/// the ids it may hold.
fn filter_value(value: ValueAccessor<'_>, field_type: &FieldType) -> Result<Value, Error> {
    let element = match field_type {
        FieldType::RelationList(schema) => FieldType::Relation(schema.clone()),
        FieldType::PinnedRelationList(schema) => FieldType::PinnedRelation(schema.clone()),
        other => other.clone(),
    };
    super::scalars::field_value(&value, &element)
}
