//! Changes to make to a festival, in order, as a pure value: what an import
//! or the demo decides, before a node signs it. A change may relate to a
//! document that an earlier change of the same plan creates.

use std::collections::BTreeMap;

use lineup_core::{DocumentId, DocumentViewId, Value};

use crate::fields::Fields;
use crate::model::Document;
use crate::Kind;

/// A document a change relates to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One that exists.
    Existing(DocumentId),
    /// The one created by the plan's change at this index.
    Created(usize),
}

/// A field value that may relate to a document the plan creates.
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    /// A value as it is.
    Value(Value),
    /// A `relation`.
    Relation(Target),
    /// A `relation_list`.
    Relations(Vec<Target>),
}

/// One operation to make.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Its schema.
    pub kind: Kind,
    /// What it does.
    pub action: Action,
    /// The fields it writes (all for a create, those that change for an update).
    pub fields: BTreeMap<String, Planned>,
}

/// What a change does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Creates a document.
    Create,
    /// Updates a document, building on the view read.
    Update {
        /// The document.
        document: DocumentId,
        /// Its view the change was decided on.
        previous: DocumentViewId,
    },
}

/// Changes, in the order they must be made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The changes.
    pub changes: Vec<Change>,
}

impl Plan {
    /// Adds the creation of `document`, whose relations named in `relations`
    /// point at documents this plan creates; gives its target.
    pub fn create<T: Document>(&mut self, document: &T, relations: &[(&str, Planned)]) -> Target {
        let mut fields: BTreeMap<String, Planned> = document
            .fields()
            .into_iter()
            .map(|(name, value)| (name, Planned::Value(value)))
            .collect();
        for (name, planned) in relations {
            fields.insert((*name).to_owned(), planned.clone());
        }
        self.changes.push(Change {
            kind: T::KIND,
            action: Action::Create,
            fields,
        });
        Target::Created(self.changes.len() - 1)
    }

    /// Adds an update of `document` (read at `previous`) writing `fields`.
    pub fn update(&mut self, kind: Kind, document: DocumentId, previous: DocumentViewId, fields: Fields) {
        self.changes.push(Change {
            kind,
            action: Action::Update { document, previous },
            fields: fields
                .into_iter()
                .map(|(name, value)| (name, Planned::Value(value)))
                .collect(),
        });
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

impl Change {
    /// Its fields, with the documents created so far (`created[i]` for
    /// change `i`) in place of its targets; `None` if it relates to a
    /// change that is not made yet.
    pub fn fields(&self, created: &[DocumentId]) -> Option<Fields> {
        let resolve = |target: &Target| match target {
            Target::Existing(id) => Some(*id),
            Target::Created(index) => created.get(*index).copied(),
        };
        self.fields
            .iter()
            .map(|(name, planned)| {
                let value = match planned {
                    Planned::Value(value) => value.clone(),
                    Planned::Relation(target) => Value::Relation(resolve(target)?),
                    Planned::Relations(targets) => {
                        Value::RelationList(targets.iter().map(resolve).collect::<Option<_>>()?)
                    }
                };
                Some((name.clone(), value))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Resource, Slot, SlotStatus};
    use lineup_core::Hash;

    #[test]
    fn a_change_relates_to_what_an_earlier_one_created() {
        let festival = DocumentId(Hash::of(b"festival"));
        let mut plan = Plan::default();
        let van = plan.create(
            &Resource {
                festival,
                name: "Van".into(),
                description: String::new(),
            },
            &[],
        );
        let slot = Slot {
            festival,
            title: "Load-in".into(),
            description: String::new(),
            artists: Vec::new(),
            area: festival,
            start: jiff::Timestamp::from_second(0).unwrap(),
            end: jiff::Timestamp::from_second(60).unwrap(),
            status: SlotStatus::Scheduled,
            track: String::new(),
            language: String::new(),
            guid: String::new(),
        };
        plan.create(&slot, &[("area", Planned::Relation(van))]);
        let created_van = DocumentId(Hash::of(b"van"));
        assert_eq!(plan.changes[1].fields(&[]), None, "the van is not created yet");
        let fields = plan.changes[1].fields(&[created_van]).unwrap();
        assert_eq!(fields["area"], Value::Relation(created_van));
        assert_eq!(fields["title"], Value::Str("Load-in".into()));
    }
}
