//! The node's GraphQL API, the only way the app reaches its node: queries
//! and the owner's mutations over HTTP, live changes over a websocket.

pub mod documents;
pub mod live;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value as Json;

/// Why a request to the node failed, as a person can read it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The node did not answer: it stopped, or the network is down.
    #[error("the node does not answer ({0}); is it running?")]
    Unreachable(String),
    /// The node refused the request; its own words.
    #[error("{0}")]
    Refused(String),
    /// The answer was not what this app expects (another node version?).
    #[error("the node's answer makes no sense to this app: {0}")]
    Unexpected(String),
}

/// A node's GraphQL endpoint, and the owner token if this browser has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    /// `http://host:port`, without a trailing slash.
    pub base: String,
    /// The owner token: without it, the app is read-only.
    pub token: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    data: Option<Json>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: String,
}

impl Client {
    /// The address of `path` (`/festivals/…`, `/blobs/…`) on the node: in
    /// the desktop app, the page's own origin is not the node's.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Asks the node; `T` is the shape of `data`.
    pub async fn query<T: DeserializeOwned>(&self, query: &str, variables: Json) -> Result<T, ApiError> {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let mut request = gloo_net::http::Request::post(&format!("{}/graphql", self.base));
        if let Some(token) = &self.token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let response = request
            .json(&body)
            .map_err(|error| ApiError::Unexpected(error.to_string()))?
            .send()
            .await
            .map_err(|error| ApiError::Unreachable(error.to_string()))?;
        if response.status() == 429 {
            return Err(ApiError::Refused(
                "the node is busy with too many requests from this device; try again in a moment".into(),
            ));
        }
        let answer: Answer = response
            .json()
            .await
            .map_err(|error| ApiError::Unexpected(error.to_string()))?;
        if let Some(error) = answer.errors.into_iter().next() {
            return Err(ApiError::Refused(error.message));
        }
        let data = answer
            .data
            .ok_or_else(|| ApiError::Unexpected("an answer without data".into()))?;
        serde_json::from_value(data).map_err(|error| ApiError::Unexpected(error.to_string()))
    }

    /// The websocket address of the API.
    pub fn websocket_url(&self) -> String {
        let rest = self
            .base
            .strip_prefix("https://")
            .map(|rest| format!("wss://{rest}"))
            .or_else(|| {
                self.base
                    .strip_prefix("http://")
                    .map(|rest| format!("ws://{rest}"))
            })
            .unwrap_or_else(|| self.base.clone());
        format!("{rest}/graphql")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_websocket_lives_where_graphql_does() {
        let client = |base: &str| Client {
            base: base.into(),
            token: None,
        };
        assert_eq!(
            client("http://10.0.0.7:2020").websocket_url(),
            "ws://10.0.0.7:2020/graphql"
        );
        assert_eq!(
            client("https://lineup.example").websocket_url(),
            "wss://lineup.example/graphql"
        );
    }
}
