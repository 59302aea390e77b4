//! The import endpoint of the local server: reads the multipart upload and
//! its CSV with the server's rules, judges each row against the account,
//! and runs the import in the background.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::data::{
    Applied, DayPart, Effect, Job, ReceivedImport, ReceivedRow, Store, StoredLocation, Verdict,
};
use crate::knobs::ImportFate;
use crate::lucca::Shared;
use crate::office_csv::{parse_day, read_rows};
use crate::respond::{Rejection, error};
use crate::serve;
use crate::shape::Api;

/// How many of the last imports the server keeps whole (bytes and rows);
/// older ones are kept as what they were, without their contents, so a
/// server that takes import after import stays in bounded memory.
pub const KEPT_IN_FULL: usize = 16;

/// What the server reads of a request body at most: past the platform's
/// limit (a knob), it answers 413 itself; this bound only keeps a runaway
/// body out of memory.
pub(crate) const MAX_BODY: usize = 1 << 30;

#[derive(Deserialize)]
pub(crate) struct ImportQuery {
    create: Option<String>,
    #[serde(rename = "overrideUserLocations")]
    override_user_locations: Option<String>,
}

fn required_bool(value: Option<&str>, name: &str) -> Result<bool, Rejection> {
    match value {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("`{name}` must be true or false, not `{other}`"),
        )),
        None => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            format!("the query parameter `{name}` is required"),
        )),
    }
}

/// `POST /work-locations/public/api/imports/user-locations`.
pub(crate) async fn import(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<ImportQuery>,
    headers: axum::http::HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let limit = shared.knobs().office_max_upload;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the request exceeds the platform's limit of {limit} bytes"),
        );
    }
    let create = match required_bool(query.create.as_deref(), "create") {
        Ok(value) => value,
        Err(rejection) => return rejection.into_response(),
    };
    let override_existing = match required_bool(
        query.override_user_locations.as_deref(),
        "overrideUserLocations",
    ) {
        Ok(value) => value,
        Err(rejection) => return rejection.into_response(),
    };
    let mut file = None;
    loop {
        match multipart.next_field().await {
            // The spec's encoding names the part `files`; its example names
            // the part after the file.
            Ok(Some(field))
                if field.name() == Some("files")
                    || (field.name().is_some() && field.name() == field.file_name()) =>
            {
                let file_name = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(str::to_owned);
                match field.bytes().await {
                    Ok(bytes) => file = Some((file_name, content_type, bytes)),
                    Err(rejection) => return error(rejection.status(), &rejection.body_text()),
                }
            }
            Ok(Some(_other)) => continue,
            Ok(None) => break,
            Err(rejection) => return error(rejection.status(), &rejection.body_text()),
        }
    }
    let Some((file_name, content_type, bytes)) = file else {
        return error(
            StatusCode::BAD_REQUEST,
            "no file part (named `files`, or after its file name)",
        );
    };
    if bytes.len() > limit {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the file exceeds the platform's limit of {limit} bytes"),
        );
    }
    let rows = match read_rows(&bytes) {
        Ok(rows) => rows,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let summary_id = uuid::Uuid::new_v4();
    let knobs = shared.knobs();
    let duration = {
        let mut store = shared.lock();
        // The first employee of each login, as a search in order finds it.
        let mut logins: HashMap<&str, usize> = HashMap::new();
        for (index, employee) in store.employees.iter().enumerate() {
            logins.entry(employee.login.as_str()).or_insert(index);
        }
        // Each employee's user locations by day, so that a large file is
        // judged in time linear in its rows.
        let mut days: HashMap<(i64, NaiveDate), Vec<&StoredLocation>> = HashMap::new();
        for location in &store.locations {
            days.entry((location.owner_id, location.date))
                .or_default()
                .push(location);
        }
        let verdicts = rows
            .iter()
            .enumerate()
            .map(|(index, row)| judge(index, row, &store, &logins, &days, override_existing))
            .collect();
        drop(days);
        let sha256 = {
            use sha2::Digest;
            sha2::Sha256::digest(&bytes)
                .iter()
                .map(|byte| format!("{byte:02x}"))
                .collect()
        };
        // What it keeps is bounded: the bytes and rows of the last
        // `KEPT_IN_FULL` imports; of the older ones, what they were (their
        // hash, mode, file name), never their contents.
        let kept = store.received.len().saturating_sub(KEPT_IN_FULL - 1);
        for older in &mut store.received[..kept] {
            older.file = bytes::Bytes::new();
            older.rows = Vec::new();
        }
        store.received.push(ReceivedImport {
            summary_id,
            create,
            override_existing,
            file_name,
            content_type,
            file: bytes,
            sha256,
            rows,
        });
        let duration = shared.import_duration();
        store.jobs.insert(
            summary_id,
            Job {
                create,
                override_existing,
                started: tokio::time::Instant::now(),
                duration,
                verdicts,
                outcome: None,
                fate: knobs.import_fate,
            },
        );
        duration
    };
    if let Some(hook) = shared.import_hook() {
        let received = shared.lock().received.last().cloned();
        if let Some(received) = received {
            hook.call(&received);
        }
    }
    let runs = matches!(
        knobs.import_fate,
        ImportFate::Completes | ImportFate::OutcomeFails(_)
    );
    if runs {
        let runner = Arc::clone(&shared);
        tokio::spawn(async move {
            tokio::time::sleep(duration).await;
            finish(&runner, summary_id);
        });
    }
    let answer = Json(knobs.shape(Api::Office, serde_json::json!({ "summaryId": summary_id })))
        .into_response();
    if create && knobs.cut_creation_answer {
        return serve::cut_mid_body(answer).await;
    }
    answer
}

/// Judges the row at `index` (from 0) against the account as it is now.
/// `logins`: each employee's position in `store.employees`.
fn judge(
    index: usize,
    row: &ReceivedRow,
    store: &Store,
    logins: &HashMap<&str, usize>,
    days: &HashMap<(i64, NaiveDate), Vec<&StoredLocation>>,
    override_existing: bool,
) -> Verdict {
    let employee = logins
        .get(row.login.as_str())
        .map(|index| store.employees[*index].clone());
    let mut verdict = Verdict {
        index,
        row: row.clone(),
        employee: employee.clone(),
        error: None,
        warning: None,
        effect: None,
    };
    let is_deletion = match row.is_deletion.to_ascii_lowercase().as_str() {
        "" | "false" => false,
        "true" => true,
        _ => {
            verdict.error = Some("IsDeletion is invalid".into());
            return verdict;
        }
    };
    let Some(employee) = employee else {
        verdict.error = Some("User doesn't exist".into());
        return verdict;
    };
    let Some(date) = parse_day(&row.date) else {
        verdict.error = Some("Date is invalid".into());
        return verdict;
    };
    let Some(position) = DayPart::parse(&row.position) else {
        verdict.error = Some("DayPart is invalid".into());
        return verdict;
    };
    let on_day = days
        .get(&(employee.id, date))
        .map(Vec::as_slice)
        .unwrap_or_default();
    let existing = on_day
        .iter()
        .any(|location| location.overlaps(employee.id, date, position));
    if is_deletion {
        if on_day.is_empty() {
            verdict.warning = Some((
                "There is no user location to delete on this day".into(),
                false,
            ));
        }
        verdict.effect = Some(Effect::Delete {
            owner_id: employee.id,
            date,
        });
        return verdict;
    }
    let Some(place) = store
        .places
        .iter()
        .find(|place| place.name == row.work_location_name)
    else {
        verdict.error = Some("Work location doesn't exist".into());
        return verdict;
    };
    let area_id = if row.area_name.is_empty() {
        None
    } else {
        match place.areas.iter().find(|(_, name)| *name == row.area_name) {
            Some((id, _)) => Some(*id),
            None => {
                verdict.error = Some("Area doesn't exist".into());
                return verdict;
            }
        }
    };
    if existing && !override_existing {
        verdict.warning = Some((
            "A user location already exists on this day and is kept".into(),
            true,
        ));
    }
    verdict.effect = Some(Effect::Create {
        owner_id: employee.id,
        work_location_id: place.id,
        area_id,
        date,
        position,
    });
    verdict
}

fn describe(names: &HashMap<i64, String>, owner_id: i64, date: NaiveDate) -> String {
    let name = names.get(&owner_id).map_or("", String::as_str);
    format!(
        "Created user location for {name} on {}",
        date.format("%Y/%m/%d")
    )
}

/// Applies the valid rows of a job to `locations` (the real ones for a
/// creation, a copy for a simulation).
fn apply(
    store: &Store,
    locations: &mut Vec<StoredLocation>,
    next_id: &mut i64,
    job: &Job,
) -> Applied {
    let mut applied = Applied::default();
    let now = chrono::Utc::now().naive_utc();
    // The live locations of each (owner, day), so that a row costs the same
    // whatever the import's size: a million-row import stays linear.
    let mut by_day: HashMap<(i64, NaiveDate), Vec<usize>> = HashMap::new();
    for (index, location) in locations.iter().enumerate() {
        by_day
            .entry((location.owner_id, location.date))
            .or_default()
            .push(index);
    }
    let mut removed = vec![false; locations.len()];
    let names: HashMap<i64, String> = store
        .employees
        .iter()
        .map(|employee| {
            (
                employee.id,
                format!("{} {}", employee.first_name, employee.last_name),
            )
        })
        .collect();
    for verdict in &job.verdicts {
        let index = verdict.index;
        match &verdict.effect {
            None => {}
            Some(Effect::Delete { owner_id, date }) => {
                for at in by_day.remove(&(*owner_id, *date)).unwrap_or_default() {
                    removed[at] = true;
                    applied.deleted += 1;
                }
            }
            Some(Effect::Create {
                owner_id,
                work_location_id,
                area_id,
                date,
                position,
            }) => {
                let same_day = by_day.entry((*owner_id, *date)).or_default();
                let taken = same_day
                    .iter()
                    .any(|at| locations[*at].overlaps(*owner_id, *date, *position));
                if taken && !job.override_existing {
                    applied
                        .skipped
                        .push((index, "kept the existing user location".into()));
                    continue;
                }
                same_day.retain(|at| {
                    let replaced = locations[*at].overlaps(*owner_id, *date, *position);
                    if replaced {
                        removed[*at] = true;
                    }
                    !replaced
                });
                *next_id += 1;
                same_day.push(locations.len());
                removed.push(false);
                locations.push(StoredLocation {
                    id: *next_id,
                    owner_id: *owner_id,
                    work_location_id: *work_location_id,
                    area_id: *area_id,
                    date: *date,
                    position: *position,
                    created_at: now,
                });
                applied.created.push(describe(&names, *owner_id, *date));
            }
        }
    }
    let mut index = 0;
    locations.retain(|_| {
        index += 1;
        !removed[index - 1]
    });
    applied
}

/// Of the finished jobs older than the last [`KEPT_IN_FULL`], keeps only
/// the verdicts their answers show (errors and warnings, each with its row
/// number): a server that runs import after import stays in bounded memory.
fn forget_old_verdicts(jobs: &mut HashMap<uuid::Uuid, Job>) {
    let mut finished: Vec<(tokio::time::Instant, uuid::Uuid)> = jobs
        .iter()
        .filter(|(_, job)| job.outcome.is_some())
        .map(|(id, job)| (job.started, *id))
        .collect();
    finished.sort_unstable();
    let older = finished.len().saturating_sub(KEPT_IN_FULL);
    for (_, id) in &finished[..older] {
        if let Some(job) = jobs.get_mut(id) {
            job.verdicts
                .retain(|verdict| verdict.error.is_some() || verdict.warning.is_some());
            job.verdicts.shrink_to_fit();
        }
    }
}

/// Runs a job: a creation changes the account (and counts as applied), a
/// simulation works on a copy.
fn finish(shared: &Shared, summary_id: uuid::Uuid) {
    let mut guard = shared.lock();
    let store = &mut *guard;
    let Some(job) = store.jobs.get(&summary_id) else {
        return;
    };
    let mut next_id = store.next_location_id;
    let outcome = if job.create {
        let mut locations = std::mem::take(&mut store.locations);
        let outcome = apply(store, &mut locations, &mut next_id, job);
        store.locations = locations;
        store.next_location_id = next_id;
        store.imports_applied += 1;
        outcome
    } else {
        let mut copy = store.locations.clone();
        apply(store, &mut copy, &mut next_id, job)
    };
    if let Some(job) = store.jobs.get_mut(&summary_id) {
        job.outcome = Some(outcome);
    }
    forget_old_verdicts(&mut store.jobs);
}
