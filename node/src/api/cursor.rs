//! Pagination cursors in aquadoggo's encoding, so that a client can keep a
//! cursor between requests and between nodes.
//!
//! aquadoggo names a row of an operation's fields: the BLAKE3 hash (hex) of
//! the list index, the field name and the operation id. A document in a
//! collection is named by the greatest such hash among the fields the query
//! selects (the last row in aquadoggo's order); an item of a relation list also
//! names the list's row and the view of the document holding the list. The
//! whole is base58-encoded text.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use lineup_core::{Document, DocumentViewId, OperationId};

/// Separates the parts of a relation list cursor (view ids contain `_`).
const SEPARATOR: char = '-';

/// The hash naming row `index` of field `name` in operation `operation_id`.
pub(crate) fn row(index: usize, name: &str, operation_id: &OperationId) -> String {
    blake3::hash(format!("{index}{name}{operation_id}").as_bytes())
        .to_hex()
        .to_string()
}

/// The row naming `document` among the `selected` fields (all fields if none
/// is selected); `None` for a document without fields.
pub(crate) fn document_row(document: &Document, selected: &[String]) -> Option<String> {
    let fields = document.fields.as_ref()?;
    fields
        .iter()
        .filter(|(name, _)| selected.is_empty() || selected.contains(name))
        .map(|(name, field)| row(0, name, &field.operation_id))
        .max()
}

/// Base58 takes time quadratic in the length, and a page of documents asks
/// for the same cursors again and again: keep the recent ones.
static ENCODED: EncodedCursors = EncodedCursors(Mutex::new(None));

struct EncodedCursors(Mutex<Option<HashMap<String, String>>>);

impl EncodedCursors {
    /// How many cursors are kept (a few MB) before starting afresh.
    const CAPACITY: usize = 50_000;

    fn get_or_encode(&self, text: String) -> String {
        let lock = || self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(encoded) = lock().as_ref().and_then(|cache| cache.get(&text)) {
            return encoded.clone();
        }
        let encoded = bs58::encode(&text).into_string();
        let mut cache = lock();
        let cache = cache.get_or_insert_with(HashMap::new);
        if cache.len() >= Self::CAPACITY {
            cache.clear();
        }
        cache.insert(text, encoded.clone());
        encoded
    }
}

/// A decoded cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The row naming the document.
    pub(crate) row: String,
    /// For an item of a relation list: the list's row and the view of the
    /// document holding the list.
    pub(crate) list: Option<(String, DocumentViewId)>,
}

impl Cursor {
    /// Encodes the cursor as aquadoggo does.
    pub(crate) fn encode(&self) -> String {
        let text = match &self.list {
            None => self.row.clone(),
            Some((list_row, root)) => format!("{}{SEPARATOR}{list_row}{SEPARATOR}{root}", self.row),
        };
        ENCODED.get_or_encode(text)
    }

    /// Decodes a cursor from a client; `None` if it is not one.
    pub(crate) fn decode(encoded: &str) -> Option<Self> {
        let bytes = bs58::decode(encoded).into_vec().ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let parts: Vec<&str> = text.split(SEPARATOR).collect();
        let is_row = |part: &str| part.len() == 64 && part.bytes().all(|byte| byte.is_ascii_hexdigit());
        match parts.as_slice() {
            [row] if is_row(row) => Some(Self {
                row: (*row).to_owned(),
                list: None,
            }),
            [row, list_row, root] if is_row(row) && is_row(list_row) => Some(Self {
                row: (*row).to_owned(),
                list: Some(((*list_row).to_owned(), root.parse().ok()?)),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_rows_as_aquadoggo_does() {
        // From aquadoggo's answer for the public vectors: venue2's cursor.
        let operation: OperationId = "0020cc0f45471bb53e1653df10e30c346884c80aba534a8b7be79e60b0980c6a3166"
            .parse()
            .unwrap();
        let cursor = Cursor {
            row: row(0, "capacity", &operation),
            list: None,
        };
        assert_eq!(
            cursor.encode(),
            "31RMGhoEtyWNfTLvzvs7ZWV4zsEpno3R5dD9B8ZUD38CPN9jHRBJbZqqHXN6T6zYerpvApk3xkidxSVXEHtvXs4b"
        );
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }

    #[test]
    fn round_trips_relation_list_cursors_and_refuses_others() {
        let operation: OperationId = "0020cc0f45471bb53e1653df10e30c346884c80aba534a8b7be79e60b0980c6a3166"
            .parse()
            .unwrap();
        let cursor = Cursor {
            row: row(0, "name", &operation),
            list: Some((row(2, "venues", &operation), DocumentViewId::from(operation))),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in [
            "",
            "0OIl",
            "3mJr7AoUXx2Wqd",
            &bs58::encode("abc-def").into_string(),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
