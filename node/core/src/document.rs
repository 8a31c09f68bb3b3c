//! Documents: the operations on one document id, reduced to its fields.
//!
//! A document is materialised by walking its operation graph in the
//! reference's order (see [`graph`]) and applying each operation's fields; the
//! view id is the set of graph tips.

mod graph;
mod ids;

use std::collections::{BTreeMap, HashSet};

pub use ids::{DocumentId, DocumentViewId, OperationId, ViewIdError};

use crate::identity::PublicKey;
use crate::operation::{Operation, OperationAction, Value};
use crate::schema::SchemaId;

/// Grows `left_out` by every operation of `graph` (each with the
/// operations it builds on) that builds on one in it, directly or not: an
/// operation left out of a document takes everything after it along.
pub fn leave_out_what_builds_on(
    left_out: &mut HashSet<OperationId>,
    graph: &[(OperationId, &[OperationId])],
) {
    loop {
        let before = left_out.len();
        for (id, previous) in graph {
            if previous.iter().any(|previous| left_out.contains(previous)) {
                left_out.insert(*id);
            }
        }
        if left_out.len() == before {
            return;
        }
    }
}

/// An operation with what its entry says about it: its id and author.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedOperation {
    /// The hash of the entry that carried it.
    pub id: OperationId,
    /// Who signed it.
    pub author: PublicKey,
    /// The operation, checked against its schema.
    pub operation: Operation,
}

/// A field of a document: its value and the operation that wrote it last.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue {
    /// The operation that set this value.
    pub operation_id: OperationId,
    /// The value.
    pub value: Value,
}

/// A document at one view: what readers see.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The id of its CREATE operation.
    pub id: DocumentId,
    /// Its schema.
    pub schema_id: SchemaId,
    /// Who created it.
    pub author: PublicKey,
    /// The version shown: the graph tips of the operations reduced.
    pub view_id: DocumentViewId,
    /// The fields by name; `None` once the document is deleted.
    pub fields: Option<BTreeMap<String, FieldValue>>,
}

/// A reduced document and the end of the walk that reduced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduced {
    /// The document.
    pub document: Document,
    /// The operation that a following operation may build on alone to be
    /// applied with [`Document::extend`]; `None` where every new operation
    /// needs a new walk.
    pub walk_end: Option<OperationId>,
}

/// Why a set of operations does not reduce to a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReduceError {
    /// No operation is without `previous`: there is no CREATE.
    #[error("The first operation of a document must be a CREATE")]
    NoCreate,
    /// More than one operation without `previous`.
    #[error("multiple CREATE operations found when building operation graph")]
    MultipleCreates,
    /// The same operation id twice.
    #[error("the same operation appears twice in one document")]
    DuplicateOperation,
    /// An operation builds on one that is not part of the document.
    #[error("operation {0} cannot be connected to the document graph")]
    UnknownPrevious(OperationId),
    /// An operation claims another schema than the CREATE.
    #[error("Operation {0} does not match the documents schema")]
    SchemaMismatch(OperationId),
    /// [`Document::extend`] was given an operation that does not build on one
    /// operation alone.
    #[error("operation {0} does not extend the document's walk")]
    NotAnExtension(OperationId),
    /// A requested view's tip is not among the operations.
    #[error("operation {0} of the requested view is not part of the document")]
    UnknownViewTip(OperationId),
}

impl Document {
    /// Reduces all operations of a document, in any order, to its current view.
    pub fn reduce(operations: &[PublishedOperation]) -> Result<Document, ReduceError> {
        Self::reduce_with_walk_end(operations).map(|reduced| reduced.document)
    }

    /// Reduces a document, and tells where a later operation can extend it
    /// without a new walk (see [`Document::extend`]).
    pub fn reduce_with_walk_end(operations: &[PublishedOperation]) -> Result<Reduced, ReduceError> {
        let graph = graph_of(operations)?;
        let (order, end) = graph.walk_with_end();
        let view_id = view_of(graph.tips());
        let document = Self::fold(operations, &order, view_id)?;
        Ok(Reduced {
            document,
            walk_end: end.map(|index| operations[index].id),
        })
    }

    /// Applies `step`, an operation whose `previous` is exactly the walk end
    /// of this document, and gives the new walk end. The result is the same as
    /// reducing all operations again, at the cost of one operation.
    pub fn extend(&mut self, step: &PublishedOperation) -> Result<OperationId, ReduceError> {
        let previous = step.operation.previous.as_ref().map(DocumentViewId::operations);
        let [walk_end] = previous.unwrap_or_default() else {
            return Err(ReduceError::NotAnExtension(step.id));
        };
        self.apply(step)?;
        let tips = self
            .view_id
            .operations()
            .iter()
            .copied()
            .filter(|tip| tip != walk_end);
        self.view_id = view_of(tips.chain([step.id]));
        Ok(step.id)
    }

    /// Reduces a document to an earlier view: only `view_id`'s operations and
    /// what they build on count.
    pub fn reduce_to_view(
        operations: &[PublishedOperation],
        view_id: &DocumentViewId,
    ) -> Result<Document, ReduceError> {
        let graph = graph_of(operations)?;
        let keep = graph
            .ancestors(view_id.operations())
            .map_err(ReduceError::UnknownViewTip)?;
        let history: Vec<PublishedOperation> = operations
            .iter()
            .zip(keep)
            .filter(|(_, keep)| *keep)
            .map(|(operation, _)| operation.clone())
            .collect();
        let mut document = Self::reduce(&history)?;
        document.view_id = view_id.clone();
        Ok(document)
    }

    /// The order in which the reference applies a document's operations.
    pub fn operation_order(operations: &[PublishedOperation]) -> Result<Vec<OperationId>, ReduceError> {
        let order = graph_of(operations)?.walk();
        Ok(order.into_iter().map(|index| operations[index].id).collect())
    }

    fn fold(
        operations: &[PublishedOperation],
        order: &[usize],
        view_id: DocumentViewId,
    ) -> Result<Self, ReduceError> {
        let mut steps = order.iter().map(|&index| &operations[index]);
        let create = steps.next().ok_or(ReduceError::NoCreate)?;
        if create.operation.action != OperationAction::Create {
            return Err(ReduceError::NoCreate);
        }
        let mut document = Document {
            id: DocumentId(create.id.0),
            schema_id: create.operation.schema_id.clone(),
            author: create.author,
            view_id,
            fields: Some(BTreeMap::new()),
        };
        document.write_fields(create);
        for step in steps {
            document.apply(step)?;
        }
        Ok(document)
    }

    /// Applies one more operation after those already reduced. A deleted
    /// document stays deleted: operations ordered after its DELETE change nothing.
    ///
    /// The view id is not changed: it depends on the whole graph, not the order.
    pub fn apply(&mut self, step: &PublishedOperation) -> Result<(), ReduceError> {
        if step.operation.schema_id != self.schema_id {
            return Err(ReduceError::SchemaMismatch(step.id));
        }
        match step.operation.action {
            OperationAction::Create => Err(ReduceError::MultipleCreates),
            OperationAction::Delete => {
                self.fields = None;
                Ok(())
            }
            OperationAction::Update => {
                self.write_fields(step);
                Ok(())
            }
        }
    }

    fn write_fields(&mut self, step: &PublishedOperation) {
        let (Some(fields), Some(written)) = (&mut self.fields, &step.operation.fields) else {
            return;
        };
        for (name, value) in written {
            fields.insert(
                name.clone(),
                FieldValue {
                    operation_id: step.id,
                    value: value.clone(),
                },
            );
        }
    }

    /// Whether the document was deleted.
    pub fn is_deleted(&self) -> bool {
        self.fields.is_none()
    }

    /// Whether anything but the CREATE shaped it: a field written by an update,
    /// or a deletion.
    pub fn is_edited(&self) -> bool {
        match &self.fields {
            Some(fields) => fields.values().any(|field| field.operation_id.0 != self.id.0),
            None => true,
        }
    }
}

fn graph_of(operations: &[PublishedOperation]) -> Result<graph::Graph, ReduceError> {
    graph::Graph::new(operations.iter().map(|published| {
        let previous = published
            .operation
            .previous
            .as_ref()
            .map_or(&[][..], DocumentViewId::operations);
        (published.id, previous)
    }))
}

fn view_of(tips: impl Iterator<Item = OperationId>) -> DocumentViewId {
    match DocumentViewId::from_tips(tips) {
        Some(view_id) => view_id,
        // A finite, acyclic, non-empty graph always has a node without children.
        None => unreachable!("an operation graph without tips"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::Hash;
    use crate::identity::PrivateKey;
    use proptest::prelude::*;

    fn schema() -> SchemaId {
        "venue_0020e19ea020754fb8a34492dcb9a1fc072ad98a64d86a61422393c12d03175b1da1"
            .parse()
            .unwrap()
    }

    fn field(value: i64) -> BTreeMap<String, Value> {
        BTreeMap::from([("n".to_owned(), Value::Int(value))])
    }

    #[test]
    fn what_builds_on_a_left_out_operation_is_left_out_too() {
        let id = |i: u8| OperationId(Hash::of(&[i]));
        // 0 <- 1 <- 2, 0 <- 3, and 4 merges 2 and 3; 5 stands alone.
        let graph = [
            (id(1), &[id(0)][..]),
            (id(4), &[id(2), id(3)][..]),
            (id(2), &[id(1)][..]),
            (id(3), &[id(0)][..]),
            (id(5), &[][..]),
        ];
        let mut left_out = HashSet::from([id(1)]);
        leave_out_what_builds_on(&mut left_out, &graph);
        assert_eq!(left_out, HashSet::from([id(1), id(2), id(4)]));
    }

    /// A random document: operation `i` builds on a non-empty set of earlier
    /// operations chosen by `parents[i]` (bit masks over a window of recent ones);
    /// `delete_at` turns one operation into a DELETE.
    fn document(parents: &[u8], delete_at: Option<usize>) -> Vec<PublishedOperation> {
        let author = PrivateKey::from_bytes(&[3; 32]).public_key();
        let id = |i: usize| OperationId(Hash::of(&(i as u64).to_be_bytes()));
        let mut operations = vec![PublishedOperation {
            id: id(0),
            author,
            operation: Operation::create(schema(), field(0)),
        }];
        for (index, mask) in parents.iter().enumerate() {
            let i = index + 1;
            let window = i.min(8);
            let previous: Vec<OperationId> = (0..window)
                .filter(|bit| mask & (1 << bit) != 0)
                .map(|bit| id(i - 1 - bit))
                .collect();
            let previous = DocumentViewId::from_tips(previous).unwrap_or_else(|| id(i - 1).into());
            let operation = if delete_at == Some(i) {
                Operation::delete(schema(), previous)
            } else {
                Operation::update(schema(), previous, field(i as i64))
            };
            operations.push(PublishedOperation {
                id: id(i),
                author,
                operation,
            });
        }
        operations
    }

    proptest! {
        #[test]
        fn every_arrival_order_reduces_to_the_same_document(
            parents in proptest::collection::vec(any::<u8>(), 0..40),
            delete_at in proptest::option::of(1usize..40),
            seed: u64,
        ) {
            let operations = document(&parents, delete_at);
            let expected = Document::reduce(&operations).unwrap();
            let expected_order = Document::operation_order(&operations).unwrap();
            let mut shuffled = operations.clone();
            // A deterministic Fisher-Yates shuffle driven by the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(Document::reduce(&shuffled).unwrap(), expected);
            prop_assert_eq!(Document::operation_order(&shuffled).unwrap(), expected_order);
        }

        #[test]
        fn extending_at_the_walk_end_equals_reducing_again(
            parents in proptest::collection::vec(any::<u8>(), 0..30),
        ) {
            let mut operations = document(&parents, None);
            let Reduced { mut document, walk_end } = Document::reduce_with_walk_end(&operations).unwrap();
            let Some(walk_end) = walk_end else { return Ok(()) };
            let next = PublishedOperation {
                id: OperationId(Hash::of(b"next")),
                author: document.author,
                operation: Operation::update(schema(), walk_end.into(), field(-1)),
            };
            prop_assert_eq!(document.extend(&next).unwrap(), next.id);
            operations.push(next);
            let again = Document::reduce_with_walk_end(&operations).unwrap();
            prop_assert_eq!(document, again.document);
            prop_assert_eq!(again.walk_end, Some(operations.last().unwrap().id));
        }

        #[test]
        fn the_current_view_reduced_as_history_is_the_document(
            parents in proptest::collection::vec(any::<u8>(), 0..30),
        ) {
            let operations = document(&parents, None);
            let current = Document::reduce(&operations).unwrap();
            prop_assert_eq!(Document::reduce_to_view(&operations, &current.view_id).unwrap(), current);
        }
    }

    #[test]
    fn a_linear_history_ends_with_the_last_writes() {
        let operations = document(&[1, 1, 1], None);
        let document = Document::reduce(&operations).unwrap();
        assert_eq!(document.view_id, DocumentViewId::from(operations[3].id));
        assert_eq!(document.fields.as_ref().unwrap()["n"].value, Value::Int(3));
        assert!(document.is_edited() && !document.is_deleted());
    }

    #[test]
    fn a_deleted_document_stays_deleted_whatever_is_ordered_after_it() {
        // 1 deletes; 2 updates concurrently from the CREATE, so both are tips.
        let mut operations = document(&[1, 2], Some(1));
        let document_now = Document::reduce(&operations).unwrap();
        assert!(document_now.is_deleted() && document_now.is_edited());
        operations.reverse();
        assert_eq!(Document::reduce(&operations).unwrap(), document_now);
    }
}
