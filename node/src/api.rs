//! The HTTP API: GraphQL at `/graphql` in the shape of aquadoggo's, so that
//! p2panda clients work against Lineup unchanged.
//!
//! The GraphQL schema is generated from the p2panda schemas the node knows and
//! rebuilt before the first request that follows a new one, so a client that
//! has just published a schema can query it at once.

mod answers;
mod blobs;
mod channels;
mod compat;
mod cursor;
mod documents;
mod exposure;
mod festival;
mod filters;
mod graphql;
mod key_groups;
mod mutations;
mod parsed;
mod scalars;
mod schedule_files;
mod subscriptions;
mod sync_status;
mod this_node;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_graphql::dynamic::Schema;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use axum::extract::{DefaultBodyLimit, State, WebSocketUpgrade};
use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::services::{ServeDir, ServeFile};

use crate::node::{Node, NodeError};

/// The largest request body: entries and operations are small.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long a websocket's client has to answer the close frame the node
/// sends when it stops.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(1);

pub use exposure::Exposure;

/// How the API serves.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Requests that carry this token may also write with the node's key.
    pub owner_token: String,
    /// Whether other machines can reach the API.
    pub exposure: Exposure,
    /// The web UI's files, served at `/`, if any: see [`ui_files`].
    pub ui: Option<Router>,
    /// The node's replication, if it replicates.
    pub replication: Option<Replication>,
}

/// What the API shows and asks of the node's replication.
#[derive(Debug, Clone)]
pub struct Replication {
    /// How it stands.
    pub status: crate::net::status::SyncStatus,
    /// To add peers.
    pub dialler: crate::net::peers::Dialler,
    /// Where other nodes reach this one (QUIC), as bound: the peer code
    /// `thisNode` gives names it.
    pub quic_address: std::net::SocketAddr,
}

/// Serves a built web UI from `dir`; unknown paths get its `index.html`, so
/// that the UI's own routes load it. A file's gzipped twin (`name.gz`, as
/// `scripts/build-ui` writes them) goes to browsers that take gzip: the
/// build compresses once and harder than a request could.
pub fn ui_files(dir: &std::path::Path) -> Router {
    let index = ServeFile::new(dir.join("index.html")).precompressed_gzip();
    let files = ServeDir::new(dir).precompressed_gzip().fallback(index);
    Router::new().fallback_service(files)
}

/// The routes of an API serving `node` that is never stopped: its
/// websockets end when their clients leave. See [`Api`].
pub fn router(node: Arc<Node>, options: ApiOptions) -> Router {
    Api::new(node, options).router()
}

/// The API of a node: its routes, and what it runs beside requests (a task
/// per websocket, the document loads that requests start), which
/// [`Api::stop`] ends. Dropped without a stop, it leaves them to end on
/// their own.
#[derive(Debug)]
pub struct Api {
    router: Router,
    /// Becomes `true` when the API stops. Everything the API runs beside
    /// requests holds a receiver, so the channel also tells when all of it
    /// has ended.
    stopping: watch::Sender<bool>,
}

impl Api {
    /// The API serving `node`.
    pub fn new(node: Arc<Node>, options: ApiOptions) -> Self {
        let (stopping, stopping_receiver) = watch::channel(false);
        Self {
            router: routes(node, options, stopping_receiver),
            stopping,
        }
    }

    /// The routes. Serve them with
    /// `into_make_service_with_connect_info::<SocketAddr>()` so that requests
    /// from this machine are told from others.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Stops the API, once its server has stopped (axum's graceful shutdown
    /// waits for requests, not for the websockets they upgraded to): closes
    /// every websocket with a close frame ("going away", which tells a
    /// graphql-ws client to connect again later), ends the document loads,
    /// and waits up to `within` for all of it, and every copy of the routes,
    /// to be gone; whether it all was.
    pub async fn stop(self, within: Duration) -> bool {
        let Self { router, stopping } = self;
        drop(router);
        stopping.send_replace(true);
        tokio::time::timeout(within, stopping.closed()).await.is_ok()
    }
}

/// Resolves once the API stops; never if its [`Api`] was dropped without
/// stopping it.
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    if stopping.wait_for(|stopping| *stopping).await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn routes(node: Arc<Node>, options: ApiOptions, stopping: watch::Receiver<bool>) -> Router {
    let state = Arc::new(ApiState {
        schema: RwLock::new(None),
        answers: answers::Answers::default(),
        parsed: parsed::ParsedQueries::default(),
        node,
        owner_token: options.owner_token,
        exposure: options.exposure,
        rate_limits: exposure::RateLimits::default(),
        replication: options.replication,
        stopping,
    });
    let routes = Router::new()
        .route(
            "/graphql",
            // The GraphQL extractor reads the body itself: limit it below.
            post(graphql)
                .get(subscribe)
                .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES)),
        )
        .route(
            "/blobs",
            post(blobs::upload).layer(DefaultBodyLimit::max(blobs::MAX_UPLOAD_BYTES)),
        )
        .route("/blobs/{document_id}", get(blobs::current))
        .route("/blobs/{document_id}/{view_id}", get(blobs::at_view))
        .route("/festivals/{festival}/{file}", get(schedule_files::file));
    // Anything else is a file of the UI.
    let routes = match options.ui {
        // The app is a megabyte and a half of WebAssembly; gzipped, a phone
        // on festival Wi-Fi fetches a third of it. Files the build gzipped
        // already pass through as they are.
        Some(ui) => routes.fallback_service(ui.layer(tower_http::compression::CompressionLayer::new())),
        None => routes,
    };
    routes
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            exposure::limit_rate,
        ))
        // Open like aquadoggo's, so browser p2panda clients on other origins work.
        .layer(CorsLayer::very_permissive())
        .with_state(state)
}

struct ApiState {
    node: Arc<Node>,
    owner_token: String,
    exposure: Exposure,
    rate_limits: exposure::RateLimits,
    /// The schema, and the node's schema generation it was built for.
    schema: RwLock<Option<(u64, Schema)>>,
    answers: answers::Answers,
    parsed: parsed::ParsedQueries,
    replication: Option<Replication>,
    /// Whether the API is stopping; see [`Api`].
    stopping: watch::Receiver<bool>,
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
        let reach = this_node::Reach {
            shared: self.exposure != Exposure::Local,
            quic: self
                .replication
                .as_ref()
                .map(|replication| replication.quic_address),
        };
        let schema = graphql::build(Arc::clone(&self.node), self.replication.clone(), reach, &schemas)
            .map_err(|error| NodeError::Api(format!("cannot build the GraphQL schema: {error}")))?;
        *self.schema.write().unwrap_or_else(|e| e.into_inner()) = Some((generation, schema.clone()));
        Ok(schema)
    }
}

impl ApiState {
    /// Whether `Authorization: Bearer <token>` names the owner token. Only
    /// the header counts, never a cookie: a page from another origin cannot
    /// make a browser send it.
    fn is_owner(&self, headers: &HeaderMap) -> bool {
        headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|token| same_secret(token.trim(), &self.owner_token))
    }
}

/// Compares in time that does not depend on where the texts differ.
fn same_secret(given: &str, secret: &str) -> bool {
    given.len() == secret.len()
        && given
            .bytes()
            .zip(secret.bytes())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

async fn graphql(
    State(state): State<Arc<ApiState>>,
    headers: HeaderMap,
    Extension(exposure::Peer(peer)): Extension<exposure::Peer>,
    request: GraphQLRequest,
) -> Response {
    // Read first: whatever the answer sees is at least this current.
    let commits = state.node.commit_count();
    let mut request = request.into_inner();
    let question = answers::Question::new(&request);
    if let Some(kept) = state.answers.kept(commits, &question) {
        return kept;
    }
    state.parsed.prepare(&mut request);
    let keepable = answers::keepable(&mut request);
    let answer = execute(&state, &headers, peer, request);
    if keepable {
        state.answers.answer(commits, question, answer).await
    } else {
        GraphQLResponse::from(answer.await).into_response()
    }
}

async fn execute(
    state: &ApiState,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let schema = match state.schema().await {
        Ok(schema) => schema,
        Err(error) => {
            return async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                error.to_string(),
                None,
            )])
        }
    };
    let mut request = request.data(documents::Loaders::new(Arc::clone(&state.node), &state.stopping));
    if state.is_owner(headers) {
        request = request.data(mutations::Owner);
    } else if exposure::is_stranger(state, peer) {
        request = request.data(exposure::Stranger);
    }
    schema.execute(request).await
}

/// Subscriptions over websocket (graphql-ws, and the older
/// subscriptions-transport-ws), with the schema of the moment the connection
/// opens.
async fn subscribe(
    State(state): State<Arc<ApiState>>,
    Extension(exposure::Peer(peer)): Extension<exposure::Peer>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema().await;
    let stranger = exposure::is_stranger(&state, peer);
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            // Without a schema there is nothing to serve: the socket closes.
            let Ok(schema) = schema else {
                return;
            };
            let connection = Connection {
                schema,
                protocol,
                stranger,
            };
            serve_websocket(state.stopping.clone(), socket, connection, state).await;
        })
}

/// What one websocket connection serves.
struct Connection {
    schema: Schema,
    protocol: GraphQLProtocol,
    /// Whether the client is another machine without the owner token.
    stranger: bool,
}

/// Serves GraphQL over `socket` until the client leaves, or until the API
/// stops: then closes it with a close frame, and the subscriptions with it.
async fn serve_websocket(
    // The first argument is dropped last: the API's stop waits for it.
    mut stopping: watch::Receiver<bool>,
    socket: WebSocket,
    connection: Connection,
    state: Arc<ApiState>,
) {
    let Connection {
        schema,
        protocol,
        stranger,
    } = connection;
    let (mut sink, mut stream) = socket.split();
    let mut data = Data::default();
    data.insert(documents::Loaders::new(Arc::clone(&state.node), &stopping));
    let serving = GraphQLWebSocket::new_with_pair(&mut sink, &mut stream, schema, protocol)
        .with_data(data)
        // The owner token, if any, comes in `connection_init`'s payload
        // as `token` (browsers cannot set headers on websockets).
        .on_connection_init(move |payload| async move {
            let mut data = Data::default();
            match payload.get("token").and_then(|token| token.as_str()) {
                // A stranger's websocket is held to the same rules as
                // its HTTP requests (publish goes both ways).
                None if stranger => data.insert(exposure::Stranger),
                None => {}
                Some(token) if same_secret(token, &state.owner_token) => data.insert(mutations::Owner),
                Some(_) => return Err(async_graphql::Error::new("wrong owner token")),
            }
            Ok(data)
        })
        .serve();
    let api_stopped = tokio::select! {
        () = serving => false,
        () = stopped(&mut stopping) => true,
    };
    if api_stopped {
        let close = Message::Close(Some(CloseFrame {
            code: close_code::AWAY,
            reason: "the node is stopping".into(),
        }));
        // The client answers with a close frame of its own, and the
        // connection ends; a client that does not answer is not waited for.
        let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
            if sink.send(close).await.is_ok() {
                while let Some(Ok(_)) = stream.next().await {}
            }
        })
        .await;
    }
}
