//! Answers to read-only queries, kept until the store's next commit: on a
//! festival LAN hundreds of phones ask for the same programme page, and while
//! nothing is committed the answer cannot change.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::{OperationType, Selection, SelectionSet};
use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use tokio::sync::OnceCell;

/// At most this many answers are kept for one state of the store...
const MAX_ANSWERS: usize = 1_024;
/// ...and at most this many bytes of them.
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// What makes two requests the same question.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Question {
    query: String,
    operation_name: Option<String>,
    variables: String,
}

impl Question {
    /// The question `request` asks, whatever it is.
    pub(crate) fn new(request: &async_graphql::Request) -> Self {
        Self {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).unwrap_or_default(),
        }
    }
}

/// Root fields whose answers are never kept: the sync status changes without
/// a commit, `thisNode` tells whether the request is the owner's, and the
/// channels answer the owner only (a kept answer would reach a visitor).
const NEVER_KEPT: [&str; 4] = [
    super::sync_status::FIELD,
    super::this_node::FIELD,
    super::channels::CHANNELS_FIELD,
    super::channels::CHANNEL_FIELD,
];

/// Whether an answer to `request` may be kept: every operation it holds is
/// a query, and it asks for nothing that changes without a commit or from
/// one request to the next ([`NEVER_KEPT`]). Parses the query (the parse is
/// kept in the request).
pub(crate) fn keepable(request: &mut async_graphql::Request) -> bool {
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    let only_queries = document
        .operations
        .iter()
        .all(|(_, operation)| operation.node.ty == OperationType::Query);
    let selections = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set.node),
        );
    only_queries && !selections.into_iter().any(asks_never_kept)
}

fn asks_never_kept(selections: &SelectionSet) -> bool {
    selections.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => {
            NEVER_KEPT.contains(&field.node.name.node.as_str())
                || asks_never_kept(&field.node.selection_set.node)
        }
        Selection::InlineFragment(fragment) => asks_never_kept(&fragment.node.selection_set.node),
        Selection::FragmentSpread(_) => false,
    })
}

/// One answer, computed once however many ask at the same time; `None`
/// when it had errors, which are not kept (they may not last, like a busy
/// database).
type Answer = Arc<OnceCell<Option<Bytes>>>;

/// The answers kept for the store's latest state and the one before: a
/// request that began before the latest commit is still answered from its
/// state, instead of each computing its own answer.
#[derive(Debug, Default)]
pub(crate) struct Answers {
    states: Mutex<States>,
}

#[derive(Debug, Default)]
struct States {
    latest: Kept,
    previous: Kept,
}

impl States {
    /// The answers of the state after `commits` commits; a newer count
    /// retires the oldest state. `None` for a state older than both.
    fn of(&mut self, commits: u64) -> Option<&mut Kept> {
        if commits > self.latest.commits {
            self.previous = std::mem::take(&mut self.latest);
            self.latest.commits = commits;
        }
        if commits == self.latest.commits {
            Some(&mut self.latest)
        } else if commits == self.previous.commits {
            Some(&mut self.previous)
        } else {
            None
        }
    }
}

/// The answers kept for the store's state after `commits` commits.
#[derive(Debug, Default)]
struct Kept {
    commits: u64,
    answers: HashMap<Arc<Question>, Answer>,
    bytes: usize,
}

impl Answers {
    /// The answer to `question` in the store's state after `commits` commits
    /// (read before anything else of the request, so that the answer is at
    /// least that current), from `compute` unless it is known.
    pub(crate) async fn answer(
        &self,
        commits: u64,
        question: Question,
        compute: impl Future<Output = async_graphql::Response>,
    ) -> Response {
        let question = Arc::new(question);
        let mut compute = std::pin::pin!(compute);
        let Some(answer) = self.slot(commits, &question) else {
            return json(compute.await);
        };
        let mut computed_here = None;
        let kept = answer
            .get_or_init(|| async {
                let response = compute.as_mut().await;
                let body = response
                    .is_ok()
                    .then(|| Bytes::from(serde_json::to_vec(&response).unwrap_or_default()));
                computed_here = Some(response);
                body
            })
            .await
            .clone();
        if let Some(response) = computed_here {
            self.settle(commits, &question, kept.as_ref());
            return json(response);
        }
        match kept {
            Some(body) => body_response(body),
            // The one who computed it got an error: ask again.
            None => json(compute.await),
        }
    }

    /// The answer kept for `question` after `commits` commits, if there is one:
    /// only a query that reads is kept, so the request need not be parsed.
    pub(crate) fn kept(&self, commits: u64, question: &Question) -> Option<Response> {
        let mut states = self.lock();
        let body = states.of(commits)?.answers.get(question)?.get()?.clone()?;
        Some(body_response(body))
    }

    /// The place of the answer, made empty if new; none when the store has
    /// moved on by two states since `commits` or nothing more may be kept.
    fn slot(&self, commits: u64, question: &Arc<Question>) -> Option<Answer> {
        let mut states = self.lock();
        let kept = states.of(commits)?;
        if let Some(answer) = kept.answers.get(question) {
            return Some(Arc::clone(answer));
        }
        if kept.answers.len() >= MAX_ANSWERS || kept.bytes >= MAX_BYTES {
            return None;
        }
        let answer = Answer::default();
        kept.answers.insert(Arc::clone(question), Arc::clone(&answer));
        Some(answer)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, States> {
        self.states.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a computed answer's bytes; one too many, or an error, makes
    /// room for the next to try.
    fn settle(&self, commits: u64, question: &Question, body: Option<&Bytes>) {
        let mut states = self.lock();
        let Some(kept) = states.of(commits) else {
            return;
        };
        // The question is kept too, and a query may be long.
        let size = body.map(|body| body.len() + question.query.len() + question.variables.len());
        match size {
            Some(size) if kept.bytes + size <= MAX_BYTES => kept.bytes += size,
            _ => {
                kept.answers.remove(question);
            }
        }
    }
}

fn json(response: async_graphql::Response) -> Response {
    async_graphql_axum::GraphQLResponse::from(response).into_response()
}

fn body_response(body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn question(query: &str) -> Question {
        Question::new(&async_graphql::Request::new(query))
    }

    /// Answers `query` at `commits`, counting in `computed` whether it was computed.
    async fn ask(
        answers: &Answers,
        commits: u64,
        query: &str,
        computed: &AtomicUsize,
        fails: bool,
    ) -> String {
        let compute = async {
            computed.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            if fails {
                async_graphql::Response::from_errors(vec![async_graphql::ServerError::new("busy", None)])
            } else {
                async_graphql::Response::new(async_graphql::Value::from(format!("{query} at {commits}")))
            }
        };
        let response = answers.answer(commits, question(query), compute).await;
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_same_question_at_the_same_commit_is_computed_once() {
        let (answers, computed) = (Answers::default(), AtomicUsize::new(0));
        let asked =
            futures_util::future::join_all((0..10).map(|_| ask(&answers, 3, "{ a }", &computed, false)))
                .await;
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        assert!(asked.iter().all(|answer| answer == &asked[0]), "{asked:?}");
        assert!(asked[0].contains("{ a } at 3"));
        ask(&answers, 3, "{ b }", &computed, false).await;
        assert_eq!(computed.load(Ordering::SeqCst), 2, "another question is computed");
    }

    #[tokio::test]
    async fn a_commit_makes_every_answer_new() {
        let (answers, computed) = (Answers::default(), AtomicUsize::new(0));
        ask(&answers, 3, "{ a }", &computed, false).await;
        assert!(ask(&answers, 4, "{ a }", &computed, false).await.contains("at 4"));
        assert_eq!(computed.load(Ordering::SeqCst), 2);
        // A request that read the count before the commit gets its state's answer.
        assert!(ask(&answers, 3, "{ a }", &computed, false).await.contains("at 3"));
        assert!(ask(&answers, 4, "{ a }", &computed, false).await.contains("at 4"));
        assert_eq!(computed.load(Ordering::SeqCst), 2);
        // Two commits on, its state is gone: answered, not kept.
        ask(&answers, 5, "{ a }", &computed, false).await;
        assert!(ask(&answers, 3, "{ a }", &computed, false).await.contains("at 3"));
        assert!(ask(&answers, 3, "{ a }", &computed, false).await.contains("at 3"));
        assert_eq!(computed.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn errors_are_not_kept() {
        let (answers, computed) = (Answers::default(), AtomicUsize::new(0));
        assert!(ask(&answers, 1, "{ a }", &computed, true).await.contains("busy"));
        assert!(ask(&answers, 1, "{ a }", &computed, false)
            .await
            .contains("{ a } at 1"));
        assert!(ask(&answers, 1, "{ a }", &computed, false)
            .await
            .contains("{ a } at 1"));
        assert_eq!(
            computed.load(Ordering::SeqCst),
            2,
            "the answer after the error is kept"
        );
    }

    #[test]
    fn only_queries_of_the_store_are_kept() {
        let keepable = |query: &str| keepable(&mut async_graphql::Request::new(query));
        assert!(keepable("{ a }") && keepable("query A { a } query B { b }"));
        assert!(!keepable("mutation { a }"));
        assert!(!keepable("query A { a } subscription B { b }"));
        assert!(!keepable("{ a"));
        assert!(!keepable("{ syncStatus { peers { address } } }"));
        assert!(!keepable(
            "{ a ... on Query { syncStatus { peers { address } } } }"
        ));
        assert!(!keepable(
            "{ ...F } fragment F on Query { syncStatus { unreachable { error } } }"
        ));
    }

    #[test]
    fn answers_that_tell_whether_the_request_is_the_owners_are_never_kept() {
        let keepable = |query: &str| keepable(&mut async_graphql::Request::new(query));
        assert!(!keepable("{ thisNode { owner } }"));
        assert!(
            !keepable("{ a me: thisNode { publicKey } }"),
            "under an alias too"
        );
        assert!(!keepable("{ ... on Query { thisNode { shared } } }"));
        assert!(!keepable(
            "query A { a } query B { ...F } fragment F on Query { thisNode { peerCode } }"
        ));
    }

    #[test]
    fn variables_make_another_question() {
        let with = |variables: serde_json::Value| {
            Question::new(
                &async_graphql::Request::new("query Q($x: Int) { a(x: $x) }")
                    .variables(async_graphql::Variables::from_json(variables)),
            )
        };
        assert_ne!(
            with(serde_json::json!({"x": 1})),
            with(serde_json::json!({"x": 2}))
        );
        assert_eq!(
            with(serde_json::json!({"x": 1})),
            with(serde_json::json!({"x": 1}))
        );
    }

    #[tokio::test]
    async fn kept_answers_are_found_without_computing() {
        let (answers, computed) = (Answers::default(), AtomicUsize::new(0));
        assert!(answers.kept(5, &question("{ a }")).is_none());
        let first = ask(&answers, 5, "{ a }", &computed, false).await;
        let kept = answers.kept(5, &question("{ a }")).expect("kept");
        let body = axum::body::to_bytes(kept.into_body(), usize::MAX).await.unwrap();
        assert_eq!(String::from_utf8(body.to_vec()).unwrap(), first);
        assert!(answers.kept(6, &question("{ a }")).is_none());
    }
}
