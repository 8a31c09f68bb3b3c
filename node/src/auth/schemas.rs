//! The key-group schemas, as ordinary p2panda application schemas defined
//! by the entries in `schemas.lock`: signed once by a key made for the
//! purpose and then discarded, so that their ids are the same on every node
//! and no one can sign more into their logs.

use lineup_core::{DocumentViewId, EncodedEntry, EncodedOperation, OperationId, SchemaId};

/// The lock file: one `<entry hex> <operation hex>` per line, in the order
/// they must be ingested.
const LOCK: &str = include_str!("schemas.lock");

/// A schema's name, description, and fields (name and type).
type Definition = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// What each key-group schema is called and which fields it has, in the
/// order they are defined (later ones refer to earlier ones by name).
const DEFINITIONS: [Definition; 3] = [
    (
        "key_group",
        "A group of keys that acts as one owner",
        &[("name", "str")],
    ),
    (
        "key_group_membership_request",
        "A key (or, with member, a key group) asks to join a key group",
        &[
            ("key_group", "relation(key_group)"),
            ("member", "relation_list(key_group)"),
        ],
    ),
    (
        "key_group_membership",
        "A key group accepts (or revokes) a membership request",
        &[
            ("owner", "relation(key_group)"),
            ("request", "pinned_relation(key_group_membership_request)"),
            ("schema", "str"),
            ("accepted", "bool"),
            ("can_authorise", "bool"),
            ("can_create", "bool"),
            ("can_update", "bool"),
            ("can_delete", "bool"),
            ("valid_until", "str"),
        ],
    ),
];

/// The ids of the key-group schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGroupSchemas {
    /// `key_group`.
    pub key_group: SchemaId,
    /// `key_group_membership_request`.
    pub request: SchemaId,
    /// `key_group_membership`.
    pub membership: SchemaId,
}

/// The entries that define the key-group schemas.
pub fn lock_entries() -> Vec<(EncodedEntry, EncodedOperation)> {
    lineup_core::read_lock(LOCK)
}

impl KeyGroupSchemas {
    /// Whether `schema` is one of them.
    pub fn contains(&self, schema: &SchemaId) -> bool {
        [&self.key_group, &self.request, &self.membership].contains(&schema)
    }
}

/// The ids of the key-group schemas, read from the lock file once.
pub fn key_group_schemas() -> &'static KeyGroupSchemas {
    static SCHEMAS: std::sync::OnceLock<KeyGroupSchemas> = std::sync::OnceLock::new();
    SCHEMAS.get_or_init(read_key_group_schemas)
}

/// The ids the lock file's definitions give the key-group schemas: each
/// definition is the last entry of its group in the lock file.
fn read_key_group_schemas() -> KeyGroupSchemas {
    let entries = lock_entries();
    let ids: Vec<SchemaId> = DEFINITIONS
        .iter()
        .scan(0, |next, (name, _, fields)| {
            // Each schema: one entry per field, then its definition.
            *next += fields.len() + 1;
            let definition = entries.get(*next - 1)?;
            let view = DocumentViewId::from(OperationId(definition.0.hash()));
            SchemaId::application(name, view).ok()
        })
        .collect();
    match <[SchemaId; 3]>::try_from(ids) {
        Ok([key_group, request, membership]) => KeyGroupSchemas {
            key_group,
            request,
            membership,
        },
        // The lock file is part of the build; its test proves it whole.
        Err(ids) => unreachable!("the lock file defines {} of 3 key-group schemas", ids.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::{Ingested, Replica};
    use crate::store::Durability;
    use lineup_core::{Entry, FieldType, Hash, LogId, Operation, PrivateKey, Value};
    use std::collections::BTreeMap;

    /// Signs the definitions of the key-group schemas with `key`, as lock file
    /// lines. Each field definition and each schema definition is a document
    /// of its own, in a log of its own. (Run by hand through a test.)
    fn sign_lock(key: &PrivateKey) -> String {
        let mut lines = Vec::new();
        let mut defined: BTreeMap<&str, SchemaId> = BTreeMap::new();
        let mut log = 0;
        let mut sign = |operation: &Operation, lines: &mut Vec<String>| -> Hash {
            let payload = operation.encode();
            let (_, entry) = Entry::sign_after(key, LogId(log), &[], &payload)
                .unwrap_or_else(|error| unreachable!("a first entry always signs: {error}"));
            log += 1;
            lines.push(format!(
                "{} {}",
                hex::encode(entry.as_bytes()),
                hex::encode(payload.as_bytes())
            ));
            entry.hash()
        };
        for (name, description, fields) in DEFINITIONS {
            let mut field_views = Vec::new();
            for (field, kind) in fields {
                // Refer to the schemas defined before by their ids.
                let kind = defined.iter().fold(kind.to_string(), |kind, (name, id)| {
                    kind.replace(&format!("({name})"), &format!("({id})"))
                });
                let operation = Operation::create(
                    SchemaId::SCHEMA_FIELD_DEFINITION_V1,
                    BTreeMap::from([
                        ("name".to_owned(), Value::Str(field.to_string())),
                        ("type".to_owned(), Value::Str(kind)),
                    ]),
                );
                field_views.push(DocumentViewId::from(OperationId(sign(&operation, &mut lines))));
            }
            let operation = Operation::create(
                SchemaId::SCHEMA_DEFINITION_V1,
                BTreeMap::from([
                    ("name".to_owned(), Value::Str(name.to_owned())),
                    ("description".to_owned(), Value::Str(description.to_owned())),
                    ("fields".to_owned(), Value::PinnedRelationList(field_views)),
                ]),
            );
            let view = DocumentViewId::from(OperationId(sign(&operation, &mut lines)));
            let id = SchemaId::application(name, view)
                .unwrap_or_else(|error| unreachable!("the key-group schema names are valid: {error}"));
            defined.insert(name, id);
        }
        lines.join("\n") + "\n"
    }

    #[test]
    fn the_lock_file_defines_the_three_schemas_on_a_fresh_node() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = Replica::open(&dir.path().join("lineup.sqlite"), Durability::Normal).unwrap();
        for (entry, operation) in lock_entries() {
            let outcome = replica.ingest_from_peer("lock", [(&entry, &operation)]).unwrap();
            assert!(matches!(outcome[..], [Ingested::Applied(_)]), "{outcome:?}");
        }
        let schemas = key_group_schemas();
        let field = |schema: &SchemaId, name: &str| {
            let schema = replica
                .schemas()
                .get(schema)
                .unwrap_or_else(|| panic!("{schema} is registered"));
            schema.fields().get(name).cloned()
        };
        assert_eq!(field(&schemas.key_group, "name"), Some(FieldType::Str));
        assert_eq!(
            field(&schemas.request, "key_group"),
            Some(FieldType::Relation(schemas.key_group.clone()))
        );
        assert_eq!(
            field(&schemas.membership, "request"),
            Some(FieldType::PinnedRelation(schemas.request.clone()))
        );
        assert_eq!(field(&schemas.membership, "can_authorise"), Some(FieldType::Bool));
        assert_eq!(field(&schemas.membership, "valid_until"), Some(FieldType::Str));
    }

    #[test]
    fn signing_the_lock_again_gives_other_ids_of_the_same_schemas() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let lines = sign_lock(&key);
        assert_eq!(lines.lines().count(), LOCK.lines().count());
        assert_ne!(lines, LOCK, "the lock was signed by another key");
    }

    /// Writes a new lock file: run by hand (`cargo test -p lineup-node
    /// write_a_new_lock_file -- --ignored`) only to change the key-group
    /// schemas, which changes their ids for every node.
    #[test]
    #[ignore = "changes the key-group schema ids; run by hand only"]
    fn write_a_new_lock_file() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/auth/schemas.lock");
        std::fs::write(path, sign_lock(&key)).unwrap();
    }
}
