//! The read endpoints of the local server: an import's progress, analysis
//! and results; work locations and user locations.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::data::{Job, StoredLocation};
use super::respond::{Rejection, error, global_error_summary, lines};
use crate::office::types::Position;

#[derive(Deserialize)]
pub(crate) struct SummaryQuery {
    #[serde(rename = "summaryId")]
    summary_id: Option<String>,
}

/// Finds the job of `?summaryId=`, or the answer that says why not.
fn with_job<T>(
    shared: &Shared,
    query: &SummaryQuery,
    read: impl FnOnce(uuid::Uuid, &Job) -> Result<T, Rejection>,
) -> Result<T, Rejection> {
    let Some(text) = query.summary_id.as_deref() else {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            "the query parameter `summaryId` is required",
        ));
    };
    let Ok(summary_id) = text.parse::<uuid::Uuid>() else {
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("`{text}` is not an import id"),
        ));
    };
    let store = shared.lock();
    match store.jobs.get(&summary_id) {
        Some(job) => read(summary_id, job),
        None => Err(Rejection::new(
            StatusCode::NOT_FOUND,
            format!("no import {summary_id}"),
        )),
    }
}

fn answer(result: Result<Value, Rejection>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// `GET …/progress?summaryId=`.
pub(crate) async fn progress(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<SummaryQuery>,
) -> Response {
    answer(with_job(&shared, &query, |_, job| {
        let percent = if job.outcome.is_some() {
            100
        } else if job.duration.is_zero() {
            99
        } else {
            let done = job.started.elapsed().as_secs_f64() / job.duration.as_secs_f64();
            ((done * 100.0) as u64).min(99)
        };
        Ok(json!({ "progress": percent }))
    }))
}

fn finished(job: &Job, create: bool) -> Result<&super::data::Applied, Rejection> {
    if job.create != create {
        let (asked, kind) = if create {
            ("results", "simulation")
        } else {
            ("analysis", "creation")
        };
        return Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("this import is a {kind}: it has no {asked}"),
        ));
    }
    job.outcome.as_ref().ok_or_else(|| {
        Rejection::new(
            StatusCode::CONFLICT,
            "the import is not finished; poll progress until 100",
        )
    })
}

/// The analysis (of a simulation) or the results (of a creation): the same
/// shape under the keys the documentation gives each.
fn outcome(shared: &Shared, query: &SummaryQuery, create: bool) -> Response {
    let (created_key, deleted_key) = if create {
        ("userLocationsCreatedSummary", "userLocationsDeletedSummary")
    } else {
        (
            "validUserLocationsToCreateSummary",
            "userLocationsToDeleteSummary",
        )
    };
    answer(with_job(shared, query, |summary_id, job| {
        let applied = finished(job, create)?;
        let (errors, warnings) = lines(&job.verdicts);
        Ok(json!({
            "summaryId": summary_id,
            created_key: { "count": applied.created.len(), "descriptions": applied.created },
            deleted_key: { "count": applied.deleted },
            "globalErrorSummary": global_error_summary(errors.len()),
            "errorLines": errors,
            "warningLines": warnings,
            "errorFileUri": Value::Null,
        }))
    }))
}

/// `GET …/analysis?summaryId=` (simulations).
pub(crate) async fn analysis(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<SummaryQuery>,
) -> Response {
    outcome(&shared, &query, false)
}

/// `GET …/results?summaryId=` (creations).
pub(crate) async fn results(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<SummaryQuery>,
) -> Response {
    outcome(&shared, &query, true)
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    page: Option<usize>,
    limit: Option<usize>,
}

impl PageQuery {
    fn slice<T: Clone>(&self, items: &[T]) -> Result<Vec<T>, Rejection> {
        let page = self.page.unwrap_or(1);
        let limit = self.limit.unwrap_or(100);
        if page == 0 || limit == 0 || limit > 1000 {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                "page starts at 1; limit is 1 to 1000",
            ));
        }
        Ok(items
            .iter()
            .skip((page - 1).saturating_mul(limit))
            .take(limit)
            .cloned()
            .collect())
    }
}

/// `GET /work-locations/public/api/work-locations`.
pub(crate) async fn work_locations(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<PageQuery>,
) -> Response {
    let store = shared.lock();
    let page = match query.slice(&store.places) {
        Ok(page) => page,
        Err(rejection) => return rejection.into_response(),
    };
    let items: Vec<Value> = page
        .iter()
        .map(|place| {
            let office = (place.kind == "Office").then(|| {
                json!({
                    "capacity": Value::Null,
                    "showAreas": !place.areas.is_empty(),
                    "areas": place.areas.iter().map(|(id, name)| json!({ "id": id, "name": name, "capacity": Value::Null, "floorKey": Value::Null })).collect::<Vec<_>>(),
                    "floors": [],
                })
            });
            json!({ "id": place.id, "name": place.name, "type": place.kind, "isActive": true, "office": office })
        })
        .collect();
    Json(json!({ "count": store.places.len(), "items": items })).into_response()
}

fn location_json(location: &StoredLocation) -> Value {
    let position = match location.position {
        Position::FullDay => "FullDay",
        Position::FirstHalf => "FirstHalf",
        Position::SecondHalf => "SecondHalf",
    };
    json!({
        "id": location.id,
        "ownerId": location.owner_id,
        "workLocationId": location.work_location_id,
        "date": location.date.format("%Y-%m-%d").to_string(),
        "position": position,
        "status": "Confirmed",
        "areaId": location.area_id,
        "createdAt": location.created_at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        "deletedAt": Value::Null,
    })
}

/// `GET /work-locations/public/api/user-locations`.
pub(crate) async fn user_locations(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<PageQuery>,
) -> Response {
    let store = shared.lock();
    match query.slice(&store.locations) {
        Ok(page) => Json(json!({
            "count": store.locations.len(),
            "items": page.iter().map(location_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// `GET /work-locations/public/api/user-locations/{id}`.
pub(crate) async fn user_location(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let store = shared.lock();
    let found = id
        .parse::<i64>()
        .ok()
        .and_then(|id| store.locations.iter().find(|location| location.id == id));
    match found {
        Some(location) => Json(location_json(location)).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("no user location {id}")),
    }
}
