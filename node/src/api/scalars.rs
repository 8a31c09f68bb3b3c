//! p2panda's GraphQL scalars: what they accept, and reading arguments of them.

use async_graphql::dynamic::{ObjectAccessor, Scalar, ValueAccessor};
use async_graphql::{Error, Value};
use lineup_core::{DocumentId, DocumentViewId, FieldType, PublicKey};

/// Names of the scalars, and what each holds.
pub(crate) const SCALARS: &[(&str, &str)] = &[
    ("PublicKey", "Public key that signed the entry."),
    ("DocumentId", "The id of a p2panda document."),
    (
        "DocumentViewId",
        "The document view id of a p2panda document. Refers to a specific point in a documents history and can be used to look up a specific version of a document.",
    ),
    ("EncodedEntry", "Signed bamboo entry, encoded as a hexadecimal string."),
    (
        "EncodedOperation",
        "Entry payload and p2panda operation, CBOR bytes encoded as a hexadecimal string.",
    ),
    ("EntryHash", "Hash of a signed bamboo entry."),
    ("LogId", "Log id of a bamboo entry."),
    ("SeqNum", "Sequence number of an entry."),
    ("HexBytes", "Bytes encoded as a hexadecimal string."),
    ("Cursor", "The cursor used in paginated queries."),
];

/// The scalar types, each checking the text it is given.
pub(crate) fn scalars() -> Vec<Scalar> {
    SCALARS
        .iter()
        .map(|(name, description)| {
            let check = checker(name);
            Scalar::new(*name)
                .description(*description)
                .validator(move |value| matches!(value, Value::String(text) if check(text)))
        })
        .collect()
}

fn checker(name: &str) -> fn(&str) -> bool {
    match name {
        "PublicKey" => |text| text.parse::<PublicKey>().is_ok(),
        "DocumentId" => |text| text.parse::<DocumentId>().is_ok(),
        "DocumentViewId" => |text| text.parse::<DocumentViewId>().is_ok(),
        "EncodedEntry" | "EncodedOperation" | "HexBytes" => |text| hex::decode(text).is_ok(),
        "LogId" | "SeqNum" => |text| text.parse::<u64>().is_ok(),
        _ => |_| true,
    }
}

/// A text argument; `None` when absent or null.
pub(crate) fn optional_text<'a>(
    arguments: &'a ObjectAccessor<'_>,
    name: &str,
) -> Result<Option<&'a str>, Error> {
    match arguments.get(name) {
        Some(value) if !value.is_null() => Ok(Some(value.string()?)),
        _ => Ok(None),
    }
}

/// A text argument that must be there.
pub(crate) fn required_text<'a>(arguments: &'a ObjectAccessor<'_>, name: &str) -> Result<&'a str, Error> {
    optional_text(arguments, name)?.ok_or_else(|| Error::new(format!("{name} is required")))
}

/// Parses a scalar's text.
pub(crate) fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, Error>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|error| Error::new(format!("invalid {what} {text}: {error}")))
}

/// A GraphQL list of texts, each parsed as a `what`.
fn parsed_list<T: std::str::FromStr>(value: &ValueAccessor<'_>, what: &str) -> Result<Vec<T>, Error>
where
    T::Err: std::fmt::Display,
{
    value
        .list()?
        .iter()
        .map(|item| parse(item.string()?, what))
        .collect()
}

/// Decodes hexadecimal text.
pub(crate) fn hex_bytes(text: &str, what: &str) -> Result<Vec<u8>, Error> {
    hex::decode(text).map_err(|error| Error::new(format!("invalid {what}: {error}")))
}

/// A GraphQL input as the value of a field of `field_type` (lists as lists of
/// ids), as mutations and filters take them.
pub(crate) fn field_value(
    value: &ValueAccessor<'_>,
    field_type: &FieldType,
) -> Result<lineup_core::Value, Error> {
    use lineup_core::Value as Field;
    Ok(match field_type {
        FieldType::Bool => Field::Bool(value.boolean()?),
        FieldType::Int => Field::Int(value.i64()?),
        FieldType::Float => Field::Float(value.f64()?),
        FieldType::Str => Field::Str(value.string()?.to_owned()),
        FieldType::Bytes => Field::Bytes(hex_bytes(value.string()?, "bytes")?),
        FieldType::Relation(_) => Field::Relation(parse(value.string()?, "document id")?),
        FieldType::PinnedRelation(_) => Field::PinnedRelation(parse(value.string()?, "view id")?),
        FieldType::RelationList(_) => Field::RelationList(parsed_list(value, "document id")?),
        FieldType::PinnedRelationList(_) => Field::PinnedRelationList(parsed_list(value, "view id")?),
    })
}
