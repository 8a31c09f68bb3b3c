//! The signed schema definitions every node ingests, and which schema each
//! of their ids is.

use std::sync::OnceLock;

use std::collections::HashMap;

use lineup_core::{EncodedEntry, EncodedOperation, FieldType, PlainValue, SchemaId};

use crate::ids;

/// The lock file: one `<entry hex> <operation hex>` per line, in the order
/// they must be ingested; versions are only ever appended.
const LOCK: &str = include_str!("../schemas.lock");

/// The entries that define every version of the festival schemas, in order.
pub fn lock_entries() -> Vec<(EncodedEntry, EncodedOperation)> {
    lineup_core::read_lock(LOCK)
}

/// A festival schema, whichever version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `festival`
    Festival,
    /// `area`
    Area,
    /// `artist`
    Artist,
    /// `slot`
    Slot,
    /// `shift`
    Shift,
    /// `shift_signup`
    ShiftSignup,
    /// `task`
    Task,
    /// `resource`
    Resource,
    /// `booking`
    Booking,
    /// `announcement`
    Announcement,
    /// `profile`
    Profile,
    /// `channel`
    Channel,
    /// `channel_commit`
    ChannelCommit,
    /// `key_package`
    KeyPackage,
    /// `channel_message`
    ChannelMessage,
}

impl Kind {
    /// Every festival schema, in the order they are defined.
    pub const ALL: [Kind; 15] = [
        Kind::Festival,
        Kind::Area,
        Kind::Artist,
        Kind::Slot,
        Kind::Shift,
        Kind::ShiftSignup,
        Kind::Task,
        Kind::Resource,
        Kind::Booking,
        Kind::Announcement,
        Kind::Profile,
        Kind::Channel,
        Kind::ChannelCommit,
        Kind::KeyPackage,
        Kind::ChannelMessage,
    ];

    /// The schemas of secret groups (`docs/secret-groups.md`): their
    /// documents carry MLS messages, which only the node reads.
    pub const SECRET: [Kind; 4] = [
        Kind::Channel,
        Kind::ChannelCommit,
        Kind::KeyPackage,
        Kind::ChannelMessage,
    ];

    /// The schema's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Festival => "festival",
            Kind::Area => "area",
            Kind::Artist => "artist",
            Kind::Slot => "slot",
            Kind::Shift => "shift",
            Kind::ShiftSignup => "shift_signup",
            Kind::Task => "task",
            Kind::Resource => "resource",
            Kind::Booking => "booking",
            Kind::Announcement => "announcement",
            Kind::Profile => "profile",
            Kind::Channel => "channel",
            Kind::ChannelCommit => "channel_commit",
            Kind::KeyPackage => "key_package",
            Kind::ChannelMessage => "channel_message",
        }
    }

    /// The id of the schema's current version, which this code writes.
    pub fn schema_id(self) -> &'static SchemaId {
        versions()
            .iter()
            .rev()
            .find_map(|(kind, id)| (*kind == self).then_some(id))
            .unwrap_or_else(|| unreachable!("ids.rs names every festival schema"))
    }

    /// The fields of the schema's current version, by name, as its signed
    /// definition in the lock file gives them: what a client asks a node for.
    pub fn fields(self) -> &'static [(String, FieldType)] {
        static FIELDS: OnceLock<HashMap<SchemaId, Vec<(String, FieldType)>>> = OnceLock::new();
        FIELDS
            .get_or_init(defined_fields)
            .get(self.schema_id())
            .map(Vec::as_slice)
            .unwrap_or_else(|| unreachable!("the lock file defines every version in ids.rs"))
    }

    /// The festival schema `schema` is a version of, if any.
    pub fn of(schema: &SchemaId) -> Option<Kind> {
        versions()
            .iter()
            .find_map(|(kind, id)| (id == schema).then_some(*kind))
    }
}

/// Every version in `ids.rs`, oldest first, with its schema: parsed once.
fn versions() -> &'static [(Kind, SchemaId)] {
    static VERSIONS: OnceLock<Vec<(Kind, SchemaId)>> = OnceLock::new();
    VERSIONS.get_or_init(|| {
        ids::VERSIONS
            .iter()
            .map(|id| {
                let id: SchemaId = id
                    .parse()
                    .unwrap_or_else(|error| unreachable!("ids.rs holds valid schema ids: {error}"));
                let kind = Kind::ALL
                    .into_iter()
                    .find(|kind| kind.name() == id.name())
                    .unwrap_or_else(|| unreachable!("ids.rs holds festival schemas only"));
                (kind, id)
            })
            .collect()
    })
}

/// Every schema the lock file defines, with its fields sorted by name.
fn defined_fields() -> HashMap<SchemaId, Vec<(String, FieldType)>> {
    let mut field_definitions = HashMap::new();
    let mut schemas = HashMap::new();
    for (entry, operation) in lock_entries() {
        let Ok(plain) = operation.decode() else {
            unreachable!("the lock file holds valid operations")
        };
        let fields = plain.fields.unwrap_or_default();
        let text = |name: &str| match fields.get(name) {
            Some(PlainValue::Str(text)) => text.clone(),
            _ => unreachable!("the lock file's definitions have a {name}"),
        };
        if plain.schema_id == SchemaId::SCHEMA_FIELD_DEFINITION_V1 {
            let Ok(field_type) = text("type").parse::<FieldType>() else {
                unreachable!("the lock file's field types are valid")
            };
            field_definitions.insert(entry.hash(), (text("name"), field_type));
        } else if plain.schema_id == SchemaId::SCHEMA_DEFINITION_V1 {
            let Some(PlainValue::HashLists(views)) = fields.get("fields") else {
                unreachable!("a schema definition lists its fields")
            };
            let mut defined: Vec<(String, FieldType)> = views
                .iter()
                .filter_map(|view| field_definitions.get(view.first()?).cloned())
                .collect();
            defined.sort_by(|a, b| a.0.cmp(&b.0));
            let view = lineup_core::DocumentViewId::from(lineup_core::OperationId(entry.hash()));
            let Ok(id) = SchemaId::application(&text("name"), view) else {
                unreachable!("the lock file's schema names are valid")
            };
            schemas.insert(id, defined);
        }
    }
    schemas
}

#[cfg(test)]
mod tests {
    use super::*;
    use lineup_core::{DocumentViewId, OperationId, PlainValue};

    /// The schema ids the lock file's definitions give, in order.
    fn ids_in_lock() -> Vec<String> {
        lock_entries()
            .into_iter()
            .filter_map(|(entry, operation)| {
                let plain = operation.decode().expect("the lock holds operations");
                if plain.schema_id != SchemaId::SCHEMA_DEFINITION_V1 {
                    return None;
                }
                let Some(PlainValue::Str(name)) = plain.fields.as_ref()?.get("name") else {
                    panic!("a schema definition without a name");
                };
                let view = DocumentViewId::from(OperationId(entry.hash()));
                Some(
                    SchemaId::application(name, view)
                        .expect("a valid name")
                        .to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn the_ids_in_code_are_those_of_the_lock_file() {
        assert_eq!(ids_in_lock(), ids::VERSIONS);
    }

    #[test]
    fn every_kind_knows_the_fields_of_its_current_version() {
        let names =
            |kind: Kind| -> Vec<&str> { kind.fields().iter().map(|(name, _)| name.as_str()).collect() };
        assert_eq!(names(Kind::Profile), ["about", "display_name", "owner"]);
        let slot_area = Kind::Slot.fields().iter().find(|(name, _)| name == "area");
        assert_eq!(
            slot_area.map(|(_, field_type)| field_type),
            Some(&FieldType::Relation(Kind::Area.schema_id().clone()))
        );
        for kind in Kind::ALL {
            assert!(!kind.fields().is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn every_kind_has_a_current_version_that_is_its_own() {
        for kind in Kind::ALL {
            assert_eq!(kind.schema_id().name(), kind.name());
            assert_eq!(Kind::of(kind.schema_id()), Some(kind));
        }
        let stranger: SchemaId = ids::VERSIONS[0].replace("festival", "fiesta").parse().unwrap();
        assert_eq!(Kind::of(&stranger), None);
    }
}
