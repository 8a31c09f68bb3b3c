//! A festival's programme as the files other tools read, for anyone on the
//! network: `GET /festivals/<id>/schedule.xml` (frab, for Giggity and
//! EventFahrplan), `schedule.json` (c3voc) and `programme.ics` (any
//! calendar).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use lineup_core::DocumentId;
use lineup_schemas::formats;

use super::ApiState;
use crate::festival;

/// `GET /festivals/<festival id>/<file>`.
pub(crate) async fn file(
    State(state): State<Arc<ApiState>>,
    Path((festival, file)): Path<(String, String)>,
) -> Response {
    let Ok(festival) = festival.parse::<DocumentId>() else {
        return (StatusCode::BAD_REQUEST, "not a document id").into_response();
    };
    let programme = match festival::programme(&state.node, festival).await {
        Ok(Some(programme)) => programme,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such festival here").into_response(),
        Err(error) => return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    };
    let (content_type, body) = match file.as_str() {
        "schedule.xml" => (
            "application/xml; charset=utf-8",
            formats::schedule_xml(&programme),
        ),
        "schedule.json" => ("application/json", formats::schedule_json(&programme)),
        "programme.ics" => (
            "text/calendar; charset=utf-8",
            formats::programme_ical(&programme, Timestamp::now()),
        ),
        _ => {
            return (
                StatusCode::NOT_FOUND,
                "schedule.xml, schedule.json or programme.ics",
            )
                .into_response()
        }
    };
    ([(CONTENT_TYPE, content_type)], body).into_response()
}
