//! The HTTP API: GraphQL at `/graphql` in the shape of aquadoggo's, so that
//! p2panda clients work against Lineup unchanged.
//!
//! The GraphQL schema is generated from the p2panda schemas the node knows and
//! rebuilt before the first request that follows a new one, so a client that
//! has just published a schema can query it at once.

mod compat;
mod cursor;
mod documents;
mod filters;
mod graphql;
mod scalars;
mod subscriptions;

use std::sync::{Arc, RwLock};

use async_graphql::dynamic::Schema;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::{DefaultBodyLimit, State, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use tower_http::cors::CorsLayer;

use crate::node::{Node, NodeError};

/// The largest request body: entries and operations are small.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The routes of the API, serving `node`.
pub fn router(node: Arc<Node>) -> Router {
    let state = Arc::new(ApiState {
        schema: RwLock::new(None),
        node,
    });
    Router::new()
        .route("/graphql", post(graphql).get(subscribe))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Open like aquadoggo's, so browser p2panda clients on other origins work.
        .layer(CorsLayer::very_permissive())
        .with_state(state)
}

struct ApiState {
    node: Arc<Node>,
    /// The schema, and the node's schema generation it was built for.
    schema: RwLock<Option<(u64, Schema)>>,
}

impl ApiState {
    /// The GraphQL schema for the p2panda schemas the node knows now.
    async fn schema(&self) -> Result<Schema, NodeError> {
        let generation = self.node.schema_generation();
        if let Some((built_for, schema)) = self.schema.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if *built_for == generation {
                return Ok(schema.clone());
            }
        }
        let schemas = self.node.schemas().await?;
        let schema = graphql::build(Arc::clone(&self.node), &schemas)
            .map_err(|error| NodeError::Api(format!("cannot build the GraphQL schema: {error}")))?;
        *self.schema.write().unwrap_or_else(|e| e.into_inner()) = Some((generation, schema.clone()));
        Ok(schema)
    }
}

async fn graphql(State(state): State<Arc<ApiState>>, request: GraphQLRequest) -> GraphQLResponse {
    let schema = match state.schema().await {
        Ok(schema) => schema,
        Err(error) => {
            return async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                error.to_string(),
                None,
            )])
            .into()
        }
    };
    let mut request = request.into_inner();
    if let Ok(parsed) = request.parsed_query() {
        let mut parsed = parsed.clone();
        compat::retype_string_variables(&mut parsed);
        request.set_parsed_query(parsed);
    }
    let request = request.data(documents::Loaders::new(Arc::clone(&state.node)));
    schema.execute(request).await.into()
}

/// Subscriptions over websocket (graphql-ws, and the older
/// subscriptions-transport-ws), with the schema of the moment the connection
/// opens.
async fn subscribe(
    State(state): State<Arc<ApiState>>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema().await;
    let node = Arc::clone(&state.node);
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            // Without a schema there is nothing to serve: the socket closes.
            let Ok(schema) = schema else {
                return;
            };
            let mut data = Data::default();
            data.insert(documents::Loaders::new(node));
            GraphQLWebSocket::new(socket, schema, protocol)
                .with_data(data)
                .serve()
                .await;
        })
}
