//! Listing the documents of a schema: filters on fields, order, and cursor
//! pagination, as the GraphQL `all_<schema>` queries need them.

use lineup_core::{DocumentId, Value};

/// How a field is compared with a filter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    /// Equal.
    Eq,
    /// Not equal.
    NotEq,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less than or equal.
    Lte,
    /// The text contains the value.
    Contains,
}

/// One condition on a field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldFilter {
    /// The field's name.
    pub field: String,
    /// The comparison.
    pub op: FilterOp,
    /// What the field is compared with.
    pub value: Value,
}

/// Which way to sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first.
    #[default]
    Ascending,
    /// Largest first.
    Descending,
}

/// A page of documents to list.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentQuery {
    /// Conditions every listed document meets.
    pub filters: Vec<FieldFilter>,
    /// The field to sort by, and how; documents with equal values (or no
    /// sort field) follow their ids.
    pub order_by: Option<(String, Direction)>,
    /// Start after this document (the previous page's end cursor).
    pub after: Option<DocumentId>,
    /// How many documents at most.
    pub first: usize,
}

impl Default for DocumentQuery {
    fn default() -> Self {
        Self {
            filters: Vec::new(),
            order_by: None,
            after: None,
            first: 100,
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The documents, in order.
    pub items: Vec<T>,
    /// Whether more documents follow.
    pub has_next_page: bool,
}
