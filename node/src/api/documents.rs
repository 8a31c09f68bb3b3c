//! Resolving documents: single ones, collections and relation lists, with the
//! documents that relations point at loaded in batches (one store call per
//! batch, not one per field).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::dynamic::ResolverContext;
use async_graphql::Error;
use lineup_core::{Document, DocumentId, DocumentViewId, FieldValue as DocumentField, Schema, Value};
use tokio::sync::watch;

use super::cursor::{self, Cursor};
use super::filters;
use crate::node::Node;

/// aquadoggo's page size when a query names none.
const DEFAULT_PAGE_SIZE: usize = 25;
/// The largest page a query may ask for.
const MAX_PAGE_SIZE: usize = 10_000;

/// A document as a GraphQL object: the document and, in a collection, its cursor.
pub(crate) struct DocumentItem {
    pub(crate) document: Arc<Document>,
    pub(crate) cursor: Option<Cursor>,
}

impl DocumentItem {
    pub(crate) fn new(document: Arc<Document>) -> Self {
        Self {
            document,
            cursor: None,
        }
    }
}

/// A page of a collection or a relation list.
pub(crate) struct CollectionPage {
    pub(crate) items: Vec<DocumentItem>,
    pub(crate) has_next_page: bool,
    pub(crate) total_count: u64,
}

/// Loads the documents one request needs, batching the lookups that resolve
/// at the same time.
pub(crate) struct Loaders(DataLoader<DocumentLoader>);

impl Loaders {
    /// Loaders reading from `node`; their loads run as tasks of their own,
    /// which end when the API stops (`stopping`), and which it waits for.
    pub(crate) fn new(node: Arc<Node>, stopping: &watch::Receiver<bool>) -> Self {
        let stopping = stopping.clone();
        Self(DataLoader::new(DocumentLoader(node), move |load| {
            let mut stopping = stopping.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = load => {}
                    () = super::stopped(&mut stopping) => {}
                }
            })
        }))
    }

    /// The current view of a live document.
    pub(crate) async fn document(&self, id: DocumentId) -> Result<Option<Arc<Document>>, Error> {
        self.0.load_one(id).await.map_err(Error::new)
    }

    /// A view of a live document.
    pub(crate) async fn view(&self, view_id: DocumentViewId) -> Result<Option<Arc<Document>>, Error> {
        self.0.load_one(view_id).await.map_err(Error::new)
    }

    async fn documents(&self, ids: &[DocumentId]) -> Result<HashMap<DocumentId, Arc<Document>>, Error> {
        self.0.load_many(ids.iter().copied()).await.map_err(Error::new)
    }

    async fn views(&self, ids: &[DocumentViewId]) -> Result<HashMap<DocumentViewId, Arc<Document>>, Error> {
        self.0.load_many(ids.iter().cloned()).await.map_err(Error::new)
    }
}

/// Reads live documents and views of live documents: as aquadoggo answers,
/// a deleted document is not there, whichever view is asked for.
pub(crate) struct DocumentLoader(Arc<Node>);

impl Loader<DocumentId> for DocumentLoader {
    type Value = Arc<Document>;
    type Error = String;

    async fn load(&self, keys: &[DocumentId]) -> Result<HashMap<DocumentId, Arc<Document>>, String> {
        let found = self
            .0
            .documents_by_id(keys.to_vec())
            .await
            .map_err(|error| error.to_string())?;
        Ok(found
            .into_iter()
            .filter(|(_, document)| !document.is_deleted())
            .map(|(id, document)| (id, Arc::new(document)))
            .collect())
    }
}

impl Loader<DocumentViewId> for DocumentLoader {
    type Value = Arc<Document>;
    type Error = String;

    async fn load(&self, keys: &[DocumentViewId]) -> Result<HashMap<DocumentViewId, Arc<Document>>, String> {
        let found = self
            .0
            .live_document_views(keys.to_vec())
            .await
            .map_err(|error| error.to_string())?;
        Ok(found
            .into_iter()
            .map(|(view_id, document)| (view_id, Arc::new(document)))
            .collect())
    }
}

/// The application fields a query selects under `documents { fields { … } }`.
fn selected_fields(ctx: &ResolverContext<'_>) -> Vec<String> {
    ctx.ctx
        .look_ahead()
        .field("documents")
        .field("fields")
        .selection_fields()
        .iter()
        .flat_map(|fields| {
            fields
                .selection_set()
                .map(|field| field.name().to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn page_size(ctx: &ResolverContext<'_>) -> Result<usize, Error> {
    match ctx.args.get("first") {
        Some(first) if !first.is_null() => {
            let first = first.i64()?;
            usize::try_from(first)
                .ok()
                .filter(|first| (1..=MAX_PAGE_SIZE).contains(first))
                .ok_or_else(|| {
                    Error::new(format!(
                        "first must be between 1 and {MAX_PAGE_SIZE}, not {first}"
                    ))
                })
        }
        _ => Ok(DEFAULT_PAGE_SIZE),
    }
}

fn after(ctx: &ResolverContext<'_>) -> Result<Option<Cursor>, Error> {
    super::scalars::optional_text(&ctx.args, "after")?
        .map(|text| Cursor::decode(text).ok_or_else(|| Error::new(format!("invalid cursor {text}"))))
        .transpose()
}

/// `all_<schema>`: a page of the schema's live documents.
pub(crate) async fn collection(ctx: &ResolverContext<'_>, schema: &Schema) -> Result<CollectionPage, Error> {
    let node = ctx.data::<Arc<Node>>()?;
    let mut query = filters::document_query(&ctx.args, schema)?;
    query.first = page_size(ctx)?;
    query.count_total = ctx.ctx.look_ahead().field("totalCount").exists();
    if let Some(cursor) = after(ctx)? {
        if cursor.list.is_some() {
            return Err(Error::new("a relation list's cursor does not page a collection"));
        }
        let row = cursor.row;
        query.after = node
            .find_document(schema.id().clone(), move |name, operation_id| {
                cursor::row(0, name, operation_id) == row
            })
            .await
            .map_err(|error| Error::new(error.to_string()))?;
        if query.after.is_none() {
            return Err(Error::new("the cursor names no document of this collection"));
        }
    }
    let page = node
        .documents(schema.id().clone(), query)
        .await
        .map_err(|error| Error::new(error.to_string()))?;
    let selected = selected_fields(ctx);
    // A cursor is a hash over the document's fields: made only when asked for.
    let look_ahead = ctx.ctx.look_ahead();
    let cursors_asked =
        look_ahead.field("endCursor").exists() || look_ahead.field("documents").field("cursor").exists();
    Ok(CollectionPage {
        items: page
            .items
            .into_iter()
            .map(|document| {
                let cursor = cursors_asked
                    .then(|| cursor::document_row(&document, &selected))
                    .flatten()
                    .map(|row| Cursor { row, list: None });
                DocumentItem {
                    document: Arc::new(document),
                    cursor,
                }
            })
            .collect(),
        has_next_page: page.has_next_page,
        total_count: page.total_count,
    })
}

/// A relation list field: the live documents it names, in list order.
pub(crate) async fn relation_list(
    ctx: &ResolverContext<'_>,
    holder: &Document,
    field_name: &str,
    field: &DocumentField,
) -> Result<CollectionPage, Error> {
    for argument in ["filter", "meta", "orderBy", "orderDirection"] {
        if ctx.args.get(argument).is_some_and(|value| !value.is_null()) {
            return Err(Error::new(format!(
                "{argument} on relation lists is not supported yet; page through the list instead"
            )));
        }
    }
    let loaders = ctx.data::<Loaders>()?;
    let listed: Vec<Option<Arc<Document>>> = match &field.value {
        Value::RelationList(ids) => {
            let found = loaders.documents(ids).await?;
            ids.iter().map(|id| found.get(id).cloned()).collect()
        }
        Value::PinnedRelationList(view_ids) => {
            let found = loaders.views(view_ids).await?;
            view_ids
                .iter()
                .map(|view_id| found.get(view_id).cloned())
                .collect()
        }
        _ => return Err(Error::new(format!("{field_name} is not a relation list"))),
    };
    let selected = selected_fields(ctx);
    let items: Vec<DocumentItem> = listed
        .into_iter()
        .enumerate()
        .filter_map(|(index, document)| {
            let document = document?;
            let row = cursor::document_row(&document, &selected)?;
            let list_row = cursor::row(index, field_name, &field.operation_id);
            Some(DocumentItem {
                document,
                cursor: Some(Cursor {
                    row,
                    list: Some((list_row, holder.view_id.clone())),
                }),
            })
        })
        .collect();
    let total_count = items.len() as u64;
    let start = match after(ctx)? {
        None => 0,
        Some(cursor) => {
            let list_row = cursor.list.map(|(list_row, _)| list_row);
            items
                .iter()
                .position(|item| {
                    item.cursor
                        .as_ref()
                        .and_then(|cursor| cursor.list.as_ref().map(|(row, _)| row))
                        == list_row.as_ref()
                })
                .map(|position| position + 1)
                .ok_or_else(|| Error::new("the cursor names no item of this list"))?
        }
    };
    let first = page_size(ctx)?;
    let has_next_page = items.len() > start + first;
    Ok(CollectionPage {
        items: items.into_iter().skip(start).take(first).collect(),
        has_next_page,
        total_count,
    })
}
