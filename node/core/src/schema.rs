//! Schemas: their ids, field types, the four system schemas, and application
//! schemas built from their published definitions.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::document::{DocumentViewId, OperationId};
use crate::hash::HASH_HEX_LEN;

/// The id of a schema: a system schema such as `schema_definition_v1`, or an
/// application schema `<name>_<view id of its definition>`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchemaId {
    /// `schema_definition_v<version>`: defines application schemas.
    SchemaDefinition(u8),
    /// `schema_field_definition_v<version>`: one field of an application schema.
    SchemaFieldDefinition(u8),
    /// `blob_v<version>`: a file made of pieces.
    Blob(u8),
    /// `blob_piece_v<version>`: part of a file's bytes.
    BlobPiece(u8),
    /// An application schema: its name and the view of its definition document.
    Application(String, DocumentViewId),
}

/// Why text is not a schema id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaIdError {
    /// The text has no `_`.
    #[error("malformed schema id `{0}`: doesn't contain an underscore")]
    NoUnderscore(String),
    /// The system schema version is not a number from 0 to 255.
    #[error("malformed schema id `{0}`: couldn't parse system schema version")]
    InvalidVersion(String),
    /// Not one of the four system schemas.
    #[error("unsupported system schema: {0}")]
    UnknownSystemSchema(String),
    /// An operation id in the application schema id is not a hash.
    #[error("encountered invalid hash while parsing application schema id: {0}")]
    InvalidHash(crate::hash::HashError),
    /// The operation ids are not a view id (sorted, without repeats).
    #[error("encountered invalid document view id while parsing application schema id: {0}")]
    InvalidViewId(crate::document::ViewIdError),
    /// Nothing before the view id.
    #[error("application schema id is missing a name: {0}")]
    MissingName(String),
    /// The name breaks the naming rules.
    #[error("malformed schema id `{0}`: name contains too many or invalid characters")]
    InvalidName(String),
    /// The id parses, but is not written the one way p2panda writes it
    /// (e.g. a version with a leading zero).
    #[error("malformed schema id `{0}`: not in canonical form")]
    NotCanonical(String),
}

const SCHEMA_DEFINITION: &str = "schema_definition";
const SCHEMA_FIELD_DEFINITION: &str = "schema_field_definition";
const BLOB: &str = "blob";
const BLOB_PIECE: &str = "blob_piece";

impl SchemaId {
    /// The id of the `schema_definition_v1` system schema.
    pub const SCHEMA_DEFINITION_V1: SchemaId = SchemaId::SchemaDefinition(1);
    /// The id of the `schema_field_definition_v1` system schema.
    pub const SCHEMA_FIELD_DEFINITION_V1: SchemaId = SchemaId::SchemaFieldDefinition(1);
    /// The id of the `blob_v1` system schema.
    pub const BLOB_V1: SchemaId = SchemaId::Blob(1);
    /// The id of the `blob_piece_v1` system schema.
    pub const BLOB_PIECE_V1: SchemaId = SchemaId::BlobPiece(1);

    /// The id of an application schema defined by the document view `definition`.
    pub fn application(name: &str, definition: DocumentViewId) -> Result<Self, SchemaIdError> {
        if !is_valid_schema_name(name) {
            return Err(SchemaIdError::InvalidName(name.to_owned()));
        }
        Ok(SchemaId::Application(name.to_owned(), definition))
    }

    /// The schema's name, without version.
    pub fn name(&self) -> &str {
        match self {
            SchemaId::SchemaDefinition(_) => SCHEMA_DEFINITION,
            SchemaId::SchemaFieldDefinition(_) => SCHEMA_FIELD_DEFINITION,
            SchemaId::Blob(_) => BLOB,
            SchemaId::BlobPiece(_) => BLOB_PIECE,
            SchemaId::Application(name, _) => name,
        }
    }

    /// Whether this is one of the system schemas every node knows.
    pub fn is_system(&self) -> bool {
        !matches!(self, SchemaId::Application(..))
    }

    fn parse_system(id: &str, name: &str, version_text: &str) -> Result<Self, SchemaIdError> {
        let version: u8 = version_text
            .parse()
            .map_err(|_| SchemaIdError::InvalidVersion(id.to_owned()))?;
        // "blob_v01" and "blob_v+1" parse to blob_v1: only one spelling is
        // accepted, so that an id and its text are interchangeable. (Hashes in
        // application ids are lower-case hex by construction.)
        if version.to_string() != version_text {
            return Err(SchemaIdError::NotCanonical(id.to_owned()));
        }
        match name {
            SCHEMA_DEFINITION => Ok(SchemaId::SchemaDefinition(version)),
            SCHEMA_FIELD_DEFINITION => Ok(SchemaId::SchemaFieldDefinition(version)),
            BLOB => Ok(SchemaId::Blob(version)),
            BLOB_PIECE => Ok(SchemaId::BlobPiece(version)),
            _ => Err(SchemaIdError::UnknownSystemSchema(name.to_owned())),
        }
    }

    fn parse_application(id: &str) -> Result<Self, SchemaIdError> {
        // Operation ids are taken from the right until what is left is too short
        // to hold another one; a name may itself contain underscores.
        let mut operations = Vec::new();
        let mut rest = id;
        while let Some((left, right)) = rest.rsplit_once('_') {
            operations.push(right.parse::<OperationId>().map_err(SchemaIdError::InvalidHash)?);
            rest = left;
            if rest.len() < HASH_HEX_LEN {
                break;
            }
        }
        operations.reverse();
        if rest.is_empty() {
            return Err(SchemaIdError::MissingName(id.to_owned()));
        }
        let view_id = DocumentViewId::from_sorted(operations).map_err(SchemaIdError::InvalidViewId)?;
        if !is_valid_schema_name(rest) {
            return Err(SchemaIdError::InvalidName(id.to_owned()));
        }
        Ok(SchemaId::Application(rest.to_owned(), view_id))
    }
}

impl FromStr for SchemaId {
    type Err = SchemaIdError;

    fn from_str(id: &str) -> Result<Self, Self::Err> {
        let (name, last) = id
            .rsplit_once('_')
            .ok_or_else(|| SchemaIdError::NoUnderscore(id.to_owned()))?;
        match last.strip_prefix('v') {
            Some(version) if last.len() < HASH_HEX_LEN => Self::parse_system(id, name, version),
            _ => Self::parse_application(id),
        }
    }
}

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaId::Application(name, view_id) => {
                f.write_str(name)?;
                for operation in view_id.operations() {
                    write!(f, "_{operation}")?;
                }
                Ok(())
            }
            SchemaId::SchemaDefinition(version)
            | SchemaId::SchemaFieldDefinition(version)
            | SchemaId::Blob(version)
            | SchemaId::BlobPiece(version) => write!(f, "{}_v{version}", self.name()),
        }
    }
}

impl fmt::Debug for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SchemaId({self})")
    }
}

/// A schema name: a letter, then letters, digits and `_`, ending in a letter or
/// digit; 2 to 64 characters.
pub fn is_valid_schema_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (2..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A field name: a letter, then letters, digits and `_`; 1 to 64 characters.
pub fn is_valid_field_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The type of a schema field.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// `bool`
    Bool,
    /// `int`: a signed 64-bit integer.
    Int,
    /// `float`: a 64-bit float.
    Float,
    /// `str`: UTF-8 text.
    Str,
    /// `bytes`
    Bytes,
    /// `relation(<schema>)`: a document of that schema.
    Relation(SchemaId),
    /// `relation_list(<schema>)`: documents of that schema, in order.
    RelationList(SchemaId),
    /// `pinned_relation(<schema>)`: one exact version of a document.
    PinnedRelation(SchemaId),
    /// `pinned_relation_list(<schema>)`: exact versions of documents, in order.
    PinnedRelationList(SchemaId),
}

/// Why text is not a field type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid field type '{0}'")]
pub struct FieldTypeError(pub String);

impl FromStr for FieldType {
    type Err = FieldTypeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || FieldTypeError(text.to_owned());
        let simple = match text {
            "bool" => Some(FieldType::Bool),
            "int" => Some(FieldType::Int),
            "float" => Some(FieldType::Float),
            "str" => Some(FieldType::Str),
            "bytes" => Some(FieldType::Bytes),
            _ => None,
        };
        if let Some(field_type) = simple {
            return Ok(field_type);
        }
        let (kind, rest) = text.split_once('(').ok_or_else(invalid)?;
        let schema: SchemaId = rest
            .strip_suffix(')')
            .ok_or_else(invalid)?
            .parse()
            .map_err(|_| invalid())?;
        match kind {
            "relation" => Ok(FieldType::Relation(schema)),
            "relation_list" => Ok(FieldType::RelationList(schema)),
            "pinned_relation" => Ok(FieldType::PinnedRelation(schema)),
            "pinned_relation_list" => Ok(FieldType::PinnedRelationList(schema)),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldType::Bool => f.write_str("bool"),
            FieldType::Int => f.write_str("int"),
            FieldType::Float => f.write_str("float"),
            FieldType::Str => f.write_str("str"),
            FieldType::Bytes => f.write_str("bytes"),
            FieldType::Relation(schema) => write!(f, "relation({schema})"),
            FieldType::RelationList(schema) => write!(f, "relation_list({schema})"),
            FieldType::PinnedRelation(schema) => write!(f, "pinned_relation({schema})"),
            FieldType::PinnedRelationList(schema) => write!(f, "pinned_relation_list({schema})"),
        }
    }
}

impl fmt::Debug for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldType({self})")
    }
}

/// A schema: its id, description and typed fields (ordered by name, as
/// operations write them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    id: SchemaId,
    description: String,
    fields: BTreeMap<String, FieldType>,
}

/// Why a schema definition does not make a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A schema has at least one field.
    #[error("Schema fields must contain at least one entry")]
    NoFields,
    /// At most 1024 fields.
    #[error("Schema fields contains more than 1024 fields")]
    TooManyFields,
    /// Two fields share a name.
    #[error("Schema fields cannot contain duplicate field names")]
    DuplicateField,
    /// A field name breaks the naming rules.
    #[error("Schema field found with invalid name")]
    InvalidFieldName,
    /// Descriptions have at most 256 characters.
    #[error("Schema description contains more than 256 characters")]
    DescriptionTooLong,
    /// System schemas are built in, not defined by operations.
    #[error("dynamic redefinition of system schema {0}")]
    SystemSchema(SchemaId),
}

/// The most fields a schema may have.
pub const MAX_FIELDS: usize = 1024;

/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 256;

impl Schema {
    /// An application schema from its definition's name, description and fields.
    pub fn new(
        id: SchemaId,
        description: &str,
        fields: impl IntoIterator<Item = (String, FieldType)>,
    ) -> Result<Self, SchemaError> {
        if id.is_system() {
            return Err(SchemaError::SystemSchema(id));
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(SchemaError::DescriptionTooLong);
        }
        let mut by_name = BTreeMap::new();
        for (name, field_type) in fields {
            if !is_valid_field_name(&name) {
                return Err(SchemaError::InvalidFieldName);
            }
            if by_name.insert(name, field_type).is_some() {
                return Err(SchemaError::DuplicateField);
            }
        }
        if by_name.is_empty() {
            return Err(SchemaError::NoFields);
        }
        if by_name.len() > MAX_FIELDS {
            return Err(SchemaError::TooManyFields);
        }
        Ok(Self {
            id,
            description: description.to_owned(),
            fields: by_name,
        })
    }

    /// A built-in system schema; `None` for application schemas and unknown versions.
    pub fn system(id: &SchemaId) -> Option<Schema> {
        let (description, fields): (&str, &[(&str, FieldType)]) = match id {
            SchemaId::SchemaDefinition(1) => (
                "Publish data schemas for your application.",
                &[
                    ("description", FieldType::Str),
                    (
                        "fields",
                        FieldType::PinnedRelationList(SchemaId::SCHEMA_FIELD_DEFINITION_V1),
                    ),
                    ("name", FieldType::Str),
                ],
            ),
            SchemaId::SchemaFieldDefinition(1) => (
                "Define fields for application data schemas.",
                &[("name", FieldType::Str), ("type", FieldType::Str)],
            ),
            SchemaId::Blob(1) => (
                "Definition of a blob file.",
                &[
                    ("length", FieldType::Int),
                    ("mime_type", FieldType::Str),
                    ("pieces", FieldType::PinnedRelationList(SchemaId::BLOB_PIECE_V1)),
                ],
            ),
            SchemaId::BlobPiece(1) => (
                "Representation of the (partial) binary data of a file.",
                &[("data", FieldType::Bytes)],
            ),
            _ => return None,
        };
        Some(Schema {
            id: id.clone(),
            description: description.to_owned(),
            fields: fields
                .iter()
                .map(|(name, kind)| ((*name).to_owned(), kind.clone()))
                .collect(),
        })
    }

    /// The four system schemas.
    pub fn all_system() -> [Schema; 4] {
        [
            SchemaId::SCHEMA_DEFINITION_V1,
            SchemaId::SCHEMA_FIELD_DEFINITION_V1,
            SchemaId::BLOB_V1,
            SchemaId::BLOB_PIECE_V1,
        ]
        .map(|id| match Schema::system(&id) {
            Some(schema) => schema,
            None => unreachable!("{id} is a system schema"),
        })
    }

    /// The schema's id.
    pub fn id(&self) -> &SchemaId {
        &self.id
    }

    /// What the schema is for.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The fields by name, in name order.
    pub fn fields(&self) -> &BTreeMap<String, FieldType> {
        &self.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VENUE: &str = "venue_0020e19ea020754fb8a34492dcb9a1fc072ad98a64d86a61422393c12d03175b1da1";

    #[test]
    fn parses_and_prints_system_and_application_ids() {
        for id in [
            "schema_definition_v1",
            "schema_field_definition_v1",
            "blob_v1",
            "blob_piece_v1",
            VENUE,
        ] {
            assert_eq!(id.parse::<SchemaId>().unwrap().to_string(), id);
        }
        let chat = "chat_message_0020bc90d7a99f97345762d1607ad7feed29da9968ac746dab5049e55e7ce3b35b28";
        assert_eq!(chat.parse::<SchemaId>().unwrap().name(), "chat_message");
    }

    #[test]
    fn rejects_malformed_ids_with_the_reason() {
        let parse = |id: &str| id.parse::<SchemaId>().unwrap_err();
        assert!(matches!(parse("venue"), SchemaIdError::NoUnderscore(_)));
        assert!(matches!(parse("venue_not_a_hash"), SchemaIdError::InvalidHash(_)));
        assert!(matches!(parse("blob_v01"), SchemaIdError::NotCanonical(_)));
        assert!(matches!(parse("blob_v256"), SchemaIdError::InvalidVersion(_)));
        assert!(matches!(parse("cat_v1"), SchemaIdError::UnknownSystemSchema(_)));
        assert!(matches!(
            parse(&VENUE[5..]),
            SchemaIdError::NoUnderscore(_) | SchemaIdError::MissingName(_)
        ));
        assert!(matches!(
            parse(&format!("9venue{}", &VENUE[5..])),
            SchemaIdError::InvalidName(_)
        ));
    }

    #[test]
    fn field_types_round_trip_and_reject_unknown_kinds() {
        for text in [
            "bool",
            "int",
            "float",
            "str",
            "bytes",
            "relation(blob_v1)",
            &format!("pinned_relation_list({VENUE})"),
        ] {
            assert_eq!(text.parse::<FieldType>().unwrap().to_string(), text);
        }
        for text in [
            "string",
            "foo(blob_v1)",
            "relation(blob_v1",
            "relation()",
            "relation(x)",
        ] {
            assert!(text.parse::<FieldType>().is_err(), "{text}");
        }
    }

    #[test]
    fn names_follow_the_reference_rules() {
        assert!(is_valid_schema_name("ab") && !is_valid_schema_name("a") && !is_valid_schema_name("ab_"));
        assert!(is_valid_schema_name(&"a".repeat(64)) && !is_valid_schema_name(&"a".repeat(65)));
        assert!(is_valid_field_name("a") && is_valid_field_name("a_") && !is_valid_field_name("_a"));
        assert!(!is_valid_field_name(&"a".repeat(65)));
    }

    #[test]
    fn application_schemas_need_valid_unique_fields() {
        let id: SchemaId = VENUE.parse().unwrap();
        let field = |name: &str| (name.to_owned(), FieldType::Int);
        assert!(Schema::new(id.clone(), "", [field("a")]).is_ok());
        assert_eq!(Schema::new(id.clone(), "", []), Err(SchemaError::NoFields));
        assert_eq!(
            Schema::new(id.clone(), "", [field("a"), field("a")]),
            Err(SchemaError::DuplicateField)
        );
        assert_eq!(
            Schema::new(id.clone(), "", [field("1a")]),
            Err(SchemaError::InvalidFieldName)
        );
        assert_eq!(
            Schema::new(id, &"x".repeat(257), [field("a")]),
            Err(SchemaError::DescriptionTooLong)
        );
        assert!(matches!(
            Schema::new(SchemaId::BLOB_V1, "", [field("a")]),
            Err(SchemaError::SystemSchema(_))
        ));
    }
}
