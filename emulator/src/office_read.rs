//! The read endpoints of the local server: an import's progress, analysis
//! and results; work locations and user locations.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::data::{Applied, Job, StoredLocation};
use crate::knobs::{ImportFate, Knobs};
use crate::lucca::Shared;
use crate::respond::{Rejection, error, global_error_summary, lines};
use crate::shape::{Api, canonical};

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

fn answer(knobs: &Knobs, result: Result<Value, Rejection>) -> Response {
    match result {
        Ok(value) => Json(knobs.shape(Api::Office, value)).into_response(),
        Err(rejection) => rejection.into_response(),
    }
}

/// `GET …/progress?summaryId=`.
pub(crate) async fn progress(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<SummaryQuery>,
) -> Response {
    answer(
        &shared.knobs(),
        with_job(&shared, &query, |_, job| {
            let running = |top: i64| {
                if job.duration.is_zero() {
                    return top;
                }
                let done = job.started.elapsed().as_secs_f64() / job.duration.as_secs_f64();
                ((done * 100.0) as i64).min(top)
            };
            let percent = match job.fate {
                ImportFate::NeverStarts => 0,
                ImportFate::StallsAt(value) if (0..=99).contains(&value) => running(value),
                ImportFate::StallsAt(value) => value,
                _ if job.outcome.is_some() => 100,
                _ => running(99),
            };
            Ok(json!({ "progress": percent }))
        }),
    )
}

fn finished(job: &Job, create: bool) -> Result<&Applied, Rejection> {
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
    if let (ImportFate::OutcomeFails(status), Some(_)) = (job.fate, &job.outcome) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Err(Rejection::new(status, "the import failed"));
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
    let knobs = shared.knobs();
    answer(
        &knobs,
        with_job(shared, query, |summary_id, job| {
            let applied = finished(job, create)?;
            let (errors, warnings) = lines(&job.verdicts, knobs.echoed_dates, knobs.line_numbers);
            Ok(json!({
                "summaryId": summary_id,
                created_key: { "count": applied.created.len(), "descriptions": applied.created },
                deleted_key: { "count": applied.deleted },
                "globalErrorSummary": global_error_summary(errors.len()),
                "errorLines": errors,
                "warningLines": warnings,
                "errorFileUri": Value::Null,
            }))
        }),
    )
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
    #[serde(rename = "fields.root")]
    fields_root: Option<String>,
}

impl PageQuery {
    /// `{"items": …}`, with `count` when `fields.root=count` asks for it.
    fn listing(&self, count: usize, items: Vec<Value>) -> Value {
        let mut listing = json!({ "items": items });
        if self.fields_root.as_deref() == Some("count") {
            listing["count"] = json!(count);
        }
        listing
    }

    /// One page of `items`; `limit` is bounded by `max_limit` (1000 in the
    /// newer documents, 10 in the older ones, where it is also the default).
    fn slice<T: Clone>(&self, items: &[T], max_limit: u32) -> Result<Vec<T>, Rejection> {
        let max_limit = max_limit as usize;
        let page = self.page.unwrap_or(1);
        let limit = self.limit.unwrap_or(max_limit.min(100));
        // Both are `int32`: a value past it is no page.
        let int32 = |value: usize| i32::try_from(value).is_ok();
        if page == 0 || limit == 0 || limit > max_limit || !int32(page) || !int32(limit) {
            return Err(Rejection::new(
                StatusCode::BAD_REQUEST,
                format!("page starts at 1; limit is 1 to {max_limit}"),
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
    let knobs = shared.knobs();
    let store = shared.lock();
    let mut places: Vec<Value> = store
        .places
        .iter()
        .map(|place| {
            let floors = if knobs.floors { place.floors.as_slice() } else { &[] };
            let office = (place.kind == "Office").then(|| {
                json!({
                    "capacity": Value::Null,
                    "showAreas": !place.areas.is_empty(),
                    "areas": place.areas.iter().enumerate().map(|(at, (id, name))| json!({
                        "id": id,
                        "name": name,
                        "capacity": Value::Null,
                        "floorKey": floors.get(at % floors.len().max(1)).map(|floor| floor.0),
                    })).collect::<Vec<_>>(),
                    "floors": floors.iter().map(|(key, name, position)| json!({
                        "key": key, "name": name, "position": position,
                    })).collect::<Vec<_>>(),
                })
            });
            json!({ "id": place.id, "name": place.name, "type": place.kind, "isActive": true, "office": office })
        })
        .collect();
    if knobs.unknown_enum_values {
        places.push(json!({ "id": 99, "name": "Client visit", "type": "Travel", "isActive": true, "office": Value::Null }));
    }
    let count = places.len();
    match query.slice(&places, knobs.office_max_limit) {
        Ok(items) => answer(&knobs, Ok(query.listing(count, items))),
        Err(rejection) => rejection.into_response(),
    }
}

fn location_json(location: &StoredLocation) -> Value {
    let position = location.position.as_str();
    json!({
        "id": location.id,
        "ownerId": location.owner_id,
        "workLocationId": location.work_location_id,
        "date": location.date.format("%Y-%m-%d").to_string(),
        "position": position,
        "status": "Confirmed",
        "areaId": location.area_id,
        "createdAt": canonical(location.created_at),
        "deletedAt": Value::Null,
    })
}

/// `GET /work-locations/public/api/user-locations`.
pub(crate) async fn user_locations(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<PageQuery>,
) -> Response {
    let knobs = shared.knobs();
    let store = shared.lock();
    let page = query.slice(&store.locations, knobs.office_max_limit);
    answer(
        &knobs,
        page.map(|page| {
            let items = page.iter().map(location_json).collect();
            query.listing(store.locations.len(), items)
        }),
    )
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
        Some(location) => answer(&shared.knobs(), Ok(location_json(location))),
        None => error(StatusCode::NOT_FOUND, &format!("no user location {id}")),
    }
}
