//! Reading the channel documents' fields.

use lineup_core::{Document, DocumentId, PrivateKey, Value};
use lineup_schemas::Kind;

use super::ChannelError;
use crate::query::{Condition, DocumentQuery, Filter};
use crate::replica::Replica;
use crate::secret::SecretError;

/// Every live document of a festival schema that meets `filters`.
pub(super) fn documents(
    replica: &Replica,
    kind: Kind,
    filters: Vec<Filter>,
) -> Result<Vec<Document>, ChannelError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let query = DocumentQuery {
            filters: filters.clone(),
            after,
            first: 1_000,
            count_total: false,
            ..DocumentQuery::default()
        };
        let Some(page) = replica.documents(kind.schema_id(), &query)? else {
            return Ok(all);
        };
        after = page.items.last().map(|document| document.id);
        all.extend(page.items);
        if !page.has_next_page {
            return Ok(all);
        }
    }
}

pub(super) fn owned_by(key: &PrivateKey) -> Filter {
    Filter::field("owner", Condition::Eq(Value::Str(key.public_key().to_string())))
}

/// A group's id: its channel document's id, as bytes.
pub(super) fn group_id(document: &DocumentId) -> Vec<u8> {
    document.hash().to_bytes().to_vec()
}

pub(super) fn field<'a>(document: &'a Document, name: &str) -> Option<&'a Value> {
    Some(&document.fields.as_ref()?.get(name)?.value)
}

pub(super) fn str_field<'a>(document: &'a Document, name: &str) -> Option<&'a str> {
    match field(document, name)? {
        Value::Str(text) => Some(text),
        _ => None,
    }
}

pub(super) fn hex_field(document: &Document, name: &str) -> Result<Vec<u8>, SecretError> {
    let text = str_field(document, name).ok_or_else(|| SecretError::Malformed(format!("no {name}")))?;
    hex::decode(text).map_err(|_| SecretError::Malformed(format!("{name} is not hex")))
}

pub(super) fn relation_field(document: &Document, name: &str) -> Result<DocumentId, SecretError> {
    match field(document, name) {
        Some(Value::Relation(id)) => Ok(*id),
        _ => Err(SecretError::Malformed(format!("no {name}"))),
    }
}
