//! What the owner's app changes: each a mutation signed by the node's key.
//! A refused change leaves nothing behind (the node applies all or nothing)
//! and comes back as the node's reason.

use lineup_core::DocumentId;
use lineup_schemas::fields::Fields;
use lineup_schemas::model::Document;
use lineup_schemas::Kind;
use serde_json::{json, Value as Json};

use crate::api::documents::input;
use crate::api::{ApiError, Client};

/// Creates a document; answers its id.
pub async fn create<T: Document>(client: &Client, document: &T) -> Result<DocumentId, ApiError> {
    let id = T::KIND.schema_id();
    let query = format!(
        "mutation Create($fields: {id}CreateInput!) {{ created: create_{id}(fields: $fields) {{ meta {{ documentId }} }} }}"
    );
    let answer: Json = client
        .query(&query, json!({ "fields": input(&document.fields()) }))
        .await?;
    answer["created"]["meta"]["documentId"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| ApiError::Unexpected("a created document without its id".into()))
}

/// Changes some fields of a document.
pub async fn update(
    client: &Client,
    kind: Kind,
    document: DocumentId,
    fields: &Fields,
) -> Result<(), ApiError> {
    let id = kind.schema_id();
    let query = format!(
        "mutation Update($id: DocumentId!, $fields: {id}UpdateInput!) {{ update_{id}(id: $id, fields: $fields) {{ meta {{ documentId }} }} }}"
    );
    client
        .query::<Json>(
            &query,
            json!({ "id": document.to_string(), "fields": input(fields) }),
        )
        .await
        .map(drop)
}

/// Replaces a document's fields by those of `document`, sending only those
/// that changed.
pub async fn save<T: Document>(
    client: &Client,
    id: DocumentId,
    before: &T,
    after: &T,
) -> Result<(), ApiError> {
    let (old, new) = (before.fields(), after.fields());
    let changed: Fields = new
        .into_iter()
        .filter(|(name, value)| old.get(name) != Some(value) && name != "owner")
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    update(client, T::KIND, id, &changed).await
}

/// Deletes a document.
pub async fn delete(client: &Client, kind: Kind, document: DocumentId) -> Result<(), ApiError> {
    let id = kind.schema_id();
    let query = format!("mutation Delete($id: DocumentId!) {{ delete_{id}(id: $id) }}");
    client
        .query::<Json>(&query, json!({ "id": document.to_string() }))
        .await
        .map(drop)
}

/// Runs a mutation of Lineup's own (festival and key-group steps) that
/// answers a string.
pub async fn call(client: &Client, mutation: &str, variables: Json) -> Result<String, ApiError> {
    let answer: Json = client.query(mutation, variables).await?;
    answer
        .as_object()
        .and_then(|fields| fields.values().next())
        .and_then(|value| {
            value
                .as_str()
                .map(str::to_owned)
                .or_else(|| Some(value.to_string()))
        })
        .ok_or_else(|| ApiError::Unexpected("an empty answer".into()))
}
