//! The festival schema definitions as people write them, the lock file of
//! their signed versions, and how one is brought up to date with the other.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail, Context};
use lineup_core::{
    DocumentViewId, EncodedEntry, EncodedOperation, Entry, Hash, LogId, Operation, OperationId, PlainValue,
    PrivateKey, SchemaId, Value,
};
use serde::Deserialize;

/// `definitions.toml`: the schemas, in the order they are defined (a
/// relation names a schema defined before it).
#[derive(Debug, Deserialize)]
pub struct Definitions {
    schema: Vec<Definition>,
}

/// One schema as people write it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Definition {
    name: String,
    description: String,
    /// Field name → p2panda type, with relations naming schemas by name.
    fields: BTreeMap<String, String>,
}

impl Definitions {
    /// Reads `definitions.toml`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        toml::from_str(text).context("reading the schema definitions")
    }
}

/// One signed version of a schema in the lock file.
#[derive(Debug, Clone)]
struct Version {
    id: SchemaId,
    description: String,
    /// Field name → p2panda type, relations naming schema ids.
    fields: BTreeMap<String, String>,
}

/// `schemas.lock`: the signed entries of every schema version, in the
/// order a node ingests them.
#[derive(Debug, Default)]
pub struct Lock {
    lines: Vec<String>,
    /// Every version, in the order they were signed.
    versions: Vec<Version>,
}

impl Lock {
    /// Reads a lock file, checking that it holds nothing but field and
    /// schema definitions, each field defined before the schema using it.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut lock = Lock::default();
        let mut field_definitions: BTreeMap<Hash, (String, String)> = BTreeMap::new();
        for (number, line) in text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
        {
            let context = || format!("schemas.lock line {}", number + 1);
            let (entry, operation) = line.split_once(' ').with_context(context)?;
            let entry = EncodedEntry::from_bytes(hex::decode(entry).with_context(context)?);
            let operation = EncodedOperation::from_bytes(hex::decode(operation).with_context(context)?);
            let plain = operation.decode().with_context(context)?;
            let fields = plain.fields.unwrap_or_default();
            let text = |name: &str| match fields.get(name) {
                Some(PlainValue::Str(text)) => Ok(text.clone()),
                _ => Err(anyhow!("{}: no text field {name}", context())),
            };
            if plain.schema_id == SchemaId::SCHEMA_FIELD_DEFINITION_V1 {
                field_definitions.insert(entry.hash(), (text("name")?, text("type")?));
            } else if plain.schema_id == SchemaId::SCHEMA_DEFINITION_V1 {
                let views = match fields.get("fields") {
                    Some(PlainValue::HashLists(views)) => views.clone(),
                    _ => Vec::new(),
                };
                let fields = views
                    .iter()
                    .map(|view| match view.as_slice() {
                        [hash] => field_definitions.get(hash).cloned(),
                        _ => None,
                    })
                    .collect::<Option<BTreeMap<_, _>>>()
                    .with_context(|| format!("{}: a field not defined before", context()))?;
                let view = DocumentViewId::from(OperationId(entry.hash()));
                lock.versions.push(Version {
                    id: SchemaId::application(&text("name")?, view).with_context(context)?,
                    description: text("description")?,
                    fields,
                });
            } else {
                bail!("{}: not a schema or field definition", context());
            }
            lock.lines.push(line.to_owned());
        }
        Ok(lock)
    }

    /// The current (last) version of the schema `name`.
    fn current(&self, name: &str) -> Option<&Version> {
        self.versions
            .iter()
            .rev()
            .find(|version| version.id.name() == name)
    }

    /// The definitions, with relations naming schema ids, that differ from
    /// their current version in the lock.
    pub fn outdated(&self, definitions: &Definitions) -> anyhow::Result<Vec<String>> {
        let mut ids = BTreeMap::new();
        let mut outdated = Vec::new();
        for definition in &definitions.schema {
            let fields = resolve(definition, &ids)?;
            match self.current(&definition.name) {
                Some(version)
                    if version.fields == fields && version.description == definition.description =>
                {
                    ids.insert(definition.name.clone(), version.id.clone());
                }
                _ => {
                    outdated.push(definition.name.clone());
                    // Whatever relates to it changes too: its new id is not known here.
                    ids.insert(definition.name.clone(), SchemaId::SCHEMA_DEFINITION_V1);
                }
            }
        }
        Ok(outdated)
    }

    /// Signs, with `key`, a new version of each definition that differs
    /// from its current version (or of each schema relating to one that
    /// changed); gives their names.
    pub fn sign_changes(
        &mut self,
        definitions: &Definitions,
        key: &PrivateKey,
    ) -> anyhow::Result<Vec<String>> {
        let mut ids: BTreeMap<String, SchemaId> = BTreeMap::new();
        let mut signed = Vec::new();
        let mut log = 0;
        for definition in &definitions.schema {
            let fields = resolve(definition, &ids)?;
            if let Some(version) = self.current(&definition.name) {
                if version.fields == fields && version.description == definition.description {
                    ids.insert(definition.name.clone(), version.id.clone());
                    continue;
                }
            }
            let mut sign = |operation: Operation| -> anyhow::Result<DocumentViewId> {
                let payload = operation.encode();
                let (_, entry) = Entry::sign_after(key, LogId(log), &[], &payload)?;
                log += 1;
                self.lines.push(format!(
                    "{} {}",
                    hex::encode(entry.as_bytes()),
                    hex::encode(payload.as_bytes())
                ));
                Ok(DocumentViewId::from(OperationId(entry.hash())))
            };
            let mut field_views = Vec::new();
            for (name, kind) in &fields {
                field_views.push(sign(Operation::create(
                    SchemaId::SCHEMA_FIELD_DEFINITION_V1,
                    BTreeMap::from([
                        ("name".to_owned(), Value::Str(name.clone())),
                        ("type".to_owned(), Value::Str(kind.clone())),
                    ]),
                ))?);
            }
            let view = sign(Operation::create(
                SchemaId::SCHEMA_DEFINITION_V1,
                BTreeMap::from([
                    ("name".to_owned(), Value::Str(definition.name.clone())),
                    (
                        "description".to_owned(),
                        Value::Str(definition.description.clone()),
                    ),
                    ("fields".to_owned(), Value::PinnedRelationList(field_views)),
                ]),
            ))?;
            let id = SchemaId::application(&definition.name, view)?;
            self.versions.push(Version {
                id: id.clone(),
                description: definition.description.clone(),
                fields,
            });
            ids.insert(definition.name.clone(), id);
            signed.push(definition.name.clone());
        }
        Ok(signed)
    }

    /// The lock file's text.
    pub fn to_text(&self) -> String {
        self.lines.iter().map(|line| format!("{line}\n")).collect()
    }

    /// `ids.rs`: every version's id, in the order they were signed.
    pub fn ids_source(&self) -> String {
        let mut source = String::from(
            "//! The festival schema ids, written by `tools/schema-lock` from\n\
             //! `schemas.lock`: do not edit.\n\n\
             /// Every version of every festival schema, oldest first: a schema's\n\
             /// last version is its current one.\n\
             pub const VERSIONS: &[&str] = &[\n",
        );
        for version in &self.versions {
            source.push_str(&format!("    \"{}\",\n", version.id));
        }
        source.push_str("];\n");
        source
    }
}

/// A definition's fields with relations naming schema ids: those defined
/// before it (`ids`), the node's key groups, or system schemas.
fn resolve(
    definition: &Definition,
    ids: &BTreeMap<String, SchemaId>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let key_group = &lineup_node::auth::schemas::key_group_schemas().key_group;
    definition
        .fields
        .iter()
        .map(|(field, kind)| {
            let resolved = match kind.split_once('(') {
                Some((relation, target)) => {
                    let target = target
                        .strip_suffix(')')
                        .with_context(|| format!("{}.{field}: {kind}", definition.name))?;
                    let id = match target {
                        "key_group" => key_group.to_string(),
                        "blob_v1" => target.to_owned(),
                        name => ids
                            .get(name)
                            .with_context(|| {
                                format!(
                                    "{}.{field}: {name} is not defined before {}",
                                    definition.name, definition.name
                                )
                            })?
                            .to_string(),
                    };
                    format!("{relation}({id})")
                }
                None => kind.clone(),
            };
            kind_is_valid(&resolved).with_context(|| format!("{}.{field}: {kind}", definition.name))?;
            Ok((field.clone(), resolved))
        })
        .collect()
}

fn kind_is_valid(kind: &str) -> anyhow::Result<()> {
    kind.parse::<lineup_core::FieldType>()
        .map(|_| ())
        .map_err(|error| anyhow!("{error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemas_dir() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
    }

    #[test]
    fn the_lock_file_is_up_to_date_with_the_definitions() {
        let definitions =
            Definitions::parse(&std::fs::read_to_string(schemas_dir().join("definitions.toml")).unwrap())
                .unwrap();
        let lock =
            Lock::parse(&std::fs::read_to_string(schemas_dir().join("schemas.lock")).unwrap()).unwrap();
        assert_eq!(
            lock.outdated(&definitions).unwrap(),
            Vec::<String>::new(),
            "run `cargo run -p lineup-schema-lock` after changing schemas/definitions.toml"
        );
        assert_eq!(
            lock.ids_source(),
            std::fs::read_to_string(schemas_dir().join("src/ids.rs")).unwrap(),
            "ids.rs is written from the lock file"
        );
    }

    const TWO: &str = r#"
        [[schema]]
        name = "stage"
        description = "A stage"
        fields.owner = "relation(key_group)"
        fields.name = "str"

        [[schema]]
        name = "gig"
        description = "A gig"
        fields.stage = "relation(stage)"
    "#;

    #[test]
    fn a_changed_schema_gets_a_new_version_and_so_do_those_relating_to_it() {
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let mut lock = Lock::default();
        let definitions = Definitions::parse(TWO).unwrap();
        assert_eq!(lock.sign_changes(&definitions, &key).unwrap(), ["stage", "gig"]);
        assert_eq!(
            lock.sign_changes(&definitions, &key).unwrap(),
            Vec::<String>::new()
        );
        let first = lock.to_text();
        let reread = Lock::parse(&first).unwrap();
        assert_eq!(reread.outdated(&definitions).unwrap(), Vec::<String>::new());

        let changed = Definitions::parse(&TWO.replace(
            "fields.name = \"str\"",
            "fields.name = \"str\"\nfields.size = \"int\"",
        ))
        .unwrap();
        assert_eq!(reread.outdated(&changed).unwrap(), ["stage", "gig"]);
        let mut lock = reread;
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        assert_eq!(lock.sign_changes(&changed, &key).unwrap(), ["stage", "gig"]);
        assert!(lock.to_text().starts_with(&first), "versions are only appended");
        let ids = lock.ids_source();
        assert_eq!(ids.matches("\"stage_0020").count(), 2, "{ids}");
        assert_eq!(ids.matches("\"gig_0020").count(), 2, "{ids}");
    }

    #[test]
    fn a_relation_to_a_schema_not_defined_before_is_refused() {
        let definitions = Definitions::parse(
            r#"
            [[schema]]
            name = "gig"
            description = "A gig"
            fields.stage = "relation(stage)"
        "#,
        )
        .unwrap();
        let key = PrivateKey::generate(&mut rand::rngs::OsRng);
        let error = Lock::default().sign_changes(&definitions, &key).unwrap_err();
        assert!(
            error.to_string().contains("stage is not defined before gig"),
            "{error}"
        );
    }
}
