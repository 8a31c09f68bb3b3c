//! Listing the documents of a schema: filters on fields and meta data, order,
//! and cursor pagination, as the GraphQL `all_<schema>` queries need them.

use lineup_core::{DocumentId, Value};

/// What a filter or an order looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An application field, by name.
    Field(String),
    /// The document id (compare with [`Value::Relation`]).
    DocumentId,
    /// The current view id (compare with [`Value::PinnedRelation`]).
    ViewId,
    /// The author of the document's first operation (compare with
    /// [`Value::Bytes`] of the public key).
    Owner,
    /// Whether the document was updated since its creation ([`Value::Bool`]).
    Edited,
}

impl From<&str> for Subject {
    fn from(field: &str) -> Self {
        Subject::Field(field.to_owned())
    }
}

/// How a subject is compared.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Equal.
    Eq(Value),
    /// Not equal.
    NotEq(Value),
    /// Greater than.
    Gt(Value),
    /// Greater than or equal.
    Gte(Value),
    /// Less than.
    Lt(Value),
    /// Less than or equal.
    Lte(Value),
    /// Equal to one of these.
    In(Vec<Value>),
    /// Equal to none of these.
    NotIn(Vec<Value>),
    /// A text that contains this.
    Contains(String),
    /// A text that does not contain this.
    NotContains(String),
    /// A relation list that holds at least one of these ids (as text).
    HoldsAny(Vec<String>),
    /// A relation list that holds none of these ids (as text).
    HoldsNone(Vec<String>),
}

/// One condition every listed document meets.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// What is compared.
    pub subject: Subject,
    /// How.
    pub condition: Condition,
}

impl Filter {
    /// A condition on an application field.
    pub fn field(name: &str, condition: Condition) -> Self {
        Self {
            subject: Subject::Field(name.to_owned()),
            condition,
        }
    }
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
    pub filters: Vec<Filter>,
    /// What to sort by, and how; documents with equal values (or without an
    /// order) follow their ids.
    pub order_by: Option<(Subject, Direction)>,
    /// Start after this document (the previous page's last one).
    pub after: Option<DocumentId>,
    /// How many documents at most.
    pub first: usize,
    /// Whether to count all documents that meet the filters (a scan of
    /// them all; leave it out when nobody asks).
    pub count_total: bool,
}

impl Default for DocumentQuery {
    fn default() -> Self {
        Self {
            filters: Vec::new(),
            order_by: None,
            after: None,
            first: 100,
            count_total: true,
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
    /// How many documents meet the filters, on every page (0 when not counted).
    pub total_count: u64,
}
