//! The answers' shapes, as the Lucca Office documentation shows them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::data::Verdict;
use crate::office::parse_date;

/// An error answer, in the shape of Lucca's old SDK (`Status`, `Message`).
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "Status": status.as_u16(), "Message": message })),
    )
        .into_response()
}

/// The `line` of an error or warning line: the row as the server read it.
fn line(verdict: &Verdict) -> Value {
    let row = &verdict.row;
    let mut line = json!({
        "login": row.login,
        "firstname": verdict.employee.as_ref().map_or("", |employee| employee.first_name.as_str()),
        "lastname": verdict.employee.as_ref().map_or("", |employee| employee.last_name.as_str()),
        "worklocationName": row.work_location_name,
        "areaName": row.area_name,
        "position": row.position,
        "comment": if row.comment.is_empty() { Value::Null } else { json!(row.comment) },
        "isDeletion": row.is_deletion.eq_ignore_ascii_case("true"),
    });
    if let Some(date) = parse_date(&row.date) {
        line["date"] = json!(date.format("%Y-%m-%d").to_string());
    }
    line
}

/// `errorLines` and `warningLines` of an analysis or results.
pub(crate) fn lines(verdicts: &[Verdict]) -> (Vec<Value>, Vec<Value>) {
    let errors = verdicts
        .iter()
        .filter_map(|verdict| {
            let error = verdict.error.as_ref()?;
            Some(json!({ "line": line(verdict), "lineNumber": verdict.row.line_number, "error": error }))
        })
        .collect();
    let warnings = verdicts
        .iter()
        .filter_map(|verdict| {
            let (warning, conflict) = verdict.warning.as_ref()?;
            Some(json!({
                "line": line(verdict),
                "lineNumber": verdict.row.line_number,
                "warning": warning,
                "isConflict": conflict,
            }))
        })
        .collect();
    (errors, warnings)
}

/// `globalErrorSummary`: `null`, or how many lines have errors.
pub(crate) fn global_error_summary(errors: usize) -> Value {
    if errors == 0 {
        Value::Null
    } else {
        json!(format!("{errors} errors lines detected"))
    }
}

/// A request the local server refuses: its status and why.
#[derive(Debug)]
pub(crate) struct Rejection(pub StatusCode, pub String);

impl Rejection {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self(status, message.into())
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        error(self.0, &self.1)
    }
}
