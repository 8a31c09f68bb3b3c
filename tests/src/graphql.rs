//! Queries and mutations sent to a node's GraphQL API, for setting up a test
//! and checking what the node stored.

use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};

/// How long one request may take before the test fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Posts `query` with `variables` to the GraphQL `endpoint`, with the owner
/// `token` if one is given, and answers its `data`. GraphQL errors, a status
/// other than 200 and an answer that is not GraphQL fail with what the node
/// said.
pub async fn post(
    endpoint: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    // One client per request: a test's tokio runtime ends with the test, and
    // pooled connections must not outlive it.
    let client = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("making an HTTP client")?;
    let mut request = client
        .post(endpoint)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("posting to {endpoint}: {query}"))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .with_context(|| format!("reading the answer of {endpoint}"))?;
    let answer: Value = serde_json::from_str(&body)
        .with_context(|| format!("{endpoint} answered {status} with no JSON: {body}\nto: {query}"))?;
    if let Some(errors) = answer.get("errors").and_then(Value::as_array) {
        let messages: Vec<&str> = errors
            .iter()
            .map(|error| {
                error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("(no message)")
            })
            .collect();
        anyhow::bail!("{endpoint} refused: {}\nto: {query}", messages.join("; "));
    }
    anyhow::ensure!(
        status.is_success(),
        "{endpoint} answered {status}: {body}\nto: {query}"
    );
    answer
        .get("data")
        .cloned()
        .with_context(|| format!("{endpoint} answered without data: {body}\nto: {query}"))
}
