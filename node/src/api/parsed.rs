//! Parsed queries, kept by their text: clients send the same few queries (a
//! publish, the programme page) again and again, and parsing one costs more
//! than copying it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_graphql::parser::types::ExecutableDocument;

use super::compat;

/// How many queries are kept before starting afresh...
const CAPACITY: usize = 512;
/// ...of at most this length: clients repeat short queries; a long one is
/// parsed each time rather than kept (512 of them could fill memory).
const MAX_KEPT_QUERY_BYTES: usize = 16 * 1024;

#[derive(Debug, Default)]
pub(crate) struct ParsedQueries(Mutex<HashMap<String, ExecutableDocument>>);

impl ParsedQueries {
    /// Gives `request` its parsed query, retyped for p2panda clients (see
    /// [`compat`]). A query that does not parse is left to execution, which
    /// reports the error.
    pub(crate) fn prepare(&self, request: &mut async_graphql::Request) {
        let kept = self.lock().get(&request.query).cloned();
        if let Some(parsed) = kept {
            request.set_parsed_query(parsed);
            return;
        }
        let Ok(parsed) = request.parsed_query() else {
            return;
        };
        let mut parsed = parsed.clone();
        compat::retype_string_variables(&mut parsed);
        if request.query.len() > MAX_KEPT_QUERY_BYTES {
            request.set_parsed_query(parsed);
            return;
        }
        let mut kept = self.lock();
        if kept.len() >= CAPACITY {
            kept.clear();
        }
        kept.insert(request.query.clone(), parsed.clone());
        drop(kept);
        request.set_parsed_query(parsed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecutableDocument>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_parse_is_the_parse_of_its_text() {
        let queries = ParsedQueries::default();
        let text = "mutation P($e: String!, $o: String!) { publish(entry: $e, operation: $o) { logId } }";
        let mut first = async_graphql::Request::new(text);
        queries.prepare(&mut first);
        let mut second = async_graphql::Request::new(text);
        queries.prepare(&mut second);
        let (first, second) = (first.parsed_query().unwrap(), second.parsed_query().unwrap());
        assert_eq!(format!("{first:?}"), format!("{second:?}"));
        assert!(
            format!("{first:?}").contains("EncodedEntry"),
            "retyped for p2panda clients"
        );

        let mut other = async_graphql::Request::new("{ a }");
        queries.prepare(&mut other);
        assert!(!format!("{:?}", other.parsed_query().unwrap()).contains("publish"));
        let mut broken = async_graphql::Request::new("{ a");
        queries.prepare(&mut broken);
        assert!(broken.parsed_query().is_err());
    }
}
