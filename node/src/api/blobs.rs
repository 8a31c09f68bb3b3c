//! Files over HTTP: `blob_v1` documents assembled from their `blob_piece_v1`
//! pieces, served with their MIME type at `/blobs/<document id>` (as
//! aquadoggo serves them), and the owner's upload that splits a file into
//! pieces.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use lineup_core::{Document, DocumentId, DocumentViewId, OperationId, SchemaId, Value, MAX_BLOB_PIECE_LEN};

use super::ApiState;
use crate::node::{Node, NodeError};

/// The largest file the owner may upload at once.
pub(crate) const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

/// `GET /blobs/<document id>`: the current version of a file.
pub(crate) async fn current(
    State(state): State<Arc<ApiState>>,
    Path(document_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Ok(id) = document_id.parse::<DocumentId>() else {
        return (StatusCode::BAD_REQUEST, "not a document id").into_response();
    };
    let found = state.node.document(id).await;
    respond(&state.node, found, &headers).await
}

/// `GET /blobs/<document id>/<view id>`: one version of a file.
pub(crate) async fn at_view(
    State(state): State<Arc<ApiState>>,
    Path((document_id, view_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (Ok(id), Ok(view_id)) = (
        document_id.parse::<DocumentId>(),
        view_id.parse::<DocumentViewId>(),
    ) else {
        return (StatusCode::BAD_REQUEST, "not a document id and view id").into_response();
    };
    let found = state
        .node
        .live_document_views(vec![view_id.clone()])
        .await
        .map(|mut views| views.remove(&view_id).filter(|document| document.id == id));
    respond(&state.node, found, &headers).await
}

async fn respond(node: &Node, found: Result<Option<Document>, NodeError>, headers: &HeaderMap) -> Response {
    let blob = match found {
        Ok(Some(document)) if document.schema_id == SchemaId::BLOB_V1 && !document.is_deleted() => document,
        Ok(_) => return (StatusCode::NOT_FOUND, "no such file").into_response(),
        Err(error) => return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    };
    // A view never changes: its id is the entity tag.
    let etag = format!("\"{}\"", blob.view_id);
    if headers
        .get(IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag))
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let (Some(Value::Str(mime_type)), Some(Value::Int(length)), Some(Value::PinnedRelationList(pieces))) = (
        field(&blob, "mime_type"),
        field(&blob, "length"),
        field(&blob, "pieces"),
    ) else {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    };
    let loaded = match node.live_document_views(pieces.clone()).await {
        Ok(loaded) => loaded,
        Err(error) => return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    };
    let mut bytes = Vec::with_capacity(usize::try_from(*length).unwrap_or(0));
    for piece in pieces {
        match loaded.get(piece).and_then(|piece| field(piece, "data")) {
            Some(Value::Bytes(data)) => bytes.extend_from_slice(data),
            // A piece has not arrived (yet): the file is not complete here.
            _ => return (StatusCode::NOT_FOUND, "the file is not complete on this node").into_response(),
        }
    }
    if i64::try_from(bytes.len()).ok() != Some(*length) {
        return (
            StatusCode::NOT_FOUND,
            "the file's pieces do not add up to its length",
        )
            .into_response();
    }
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(mime_type) = HeaderValue::from_str(mime_type) {
        headers.insert(CONTENT_TYPE, mime_type);
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, etag);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn field<'d>(document: &'d Document, name: &str) -> Option<&'d Value> {
    document.fields.as_ref()?.get(name).map(|field| &field.value)
}

/// `POST /blobs` (owner only): stores the body as a file of the request's
/// content type, in pieces as large as p2panda allows; answers with the new
/// document's id.
pub(crate) async fn upload(State(state): State<Arc<ApiState>>, headers: HeaderMap, body: Bytes) -> Response {
    if !state.is_owner(&headers) {
        return (StatusCode::UNAUTHORIZED, "only the node's owner may upload files").into_response();
    }
    let mime_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    match store(&state.node, mime_type, &body).await {
        Ok(id) => Json(serde_json::json!({ "documentId": id.to_string() })).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    }
}

async fn store(node: &Node, mime_type: String, bytes: &[u8]) -> Result<DocumentId, NodeError> {
    if bytes.is_empty() {
        return Err(NodeError::Api("an empty file".into()));
    }
    let mut pieces = Vec::new();
    for chunk in bytes.chunks(MAX_BLOB_PIECE_LEN) {
        let piece = node
            .create(
                SchemaId::BLOB_PIECE_V1,
                BTreeMap::from([("data".to_owned(), Value::Bytes(chunk.to_vec()))]),
            )
            .await?;
        pieces.push(DocumentViewId::from(OperationId(*piece.hash())));
    }
    node.create(
        SchemaId::BLOB_V1,
        BTreeMap::from([
            ("length".to_owned(), Value::Int(bytes.len() as i64)),
            ("mime_type".to_owned(), Value::Str(mime_type)),
            ("pieces".to_owned(), Value::PinnedRelationList(pieces)),
        ]),
    )
    .await
}
