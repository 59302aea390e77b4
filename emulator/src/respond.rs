//! The answers' shapes, as the Lucca Office documentation shows them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::data::Verdict;
use crate::knobs::{EchoedDate, LineNumbers};
use crate::office_csv::parse_day;

/// An error answer, in the shape of Lucca's old SDK (`Status`, `Message`).
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "Status": status.as_u16(), "Message": message })),
    )
        .into_response()
}

/// The `line` of an error or warning line: the row as the server read it.
fn line(verdict: &Verdict, dates: EchoedDate) -> Value {
    let row = &verdict.row;
    let mut line = json!({
        "login": row.login,
        "firstname": verdict.employee.as_ref().map_or("", |employee| employee.first_name.as_str()),
        "lastname": verdict.employee.as_ref().map_or("", |employee| employee.last_name.as_str()),
        "worklocationName": row.work_location_name,
        "areaName": row.area_name,
        "position": row.position,
        "comment": row.comment,
        "isDeletion": row.is_deletion.eq_ignore_ascii_case("true"),
    });
    let echoed = match (dates, parse_day(&row.date)) {
        (EchoedDate::AsSent, _) => Some(row.date.clone()),
        (_, None) => None,
        (EchoedDate::Dashes, Some(day)) => Some(day.format("%Y-%m-%d").to_string()),
        (EchoedDate::Slashes, Some(day)) => Some(day.format("%Y/%m/%d").to_string()),
        (EchoedDate::Midnight, Some(day)) => Some(day.format("%Y-%m-%dT00:00:00").to_string()),
    };
    if let Some(date) = echoed {
        line["date"] = json!(date);
    }
    line
}

/// `errorLines` and `warningLines` of an analysis or results.
pub(crate) fn lines(
    verdicts: &[Verdict],
    dates: EchoedDate,
    numbers: LineNumbers,
) -> (Vec<Value>, Vec<Value>) {
    let number = |verdict: &Verdict| match numbers {
        LineNumbers::DataRow => verdict.index as u64 + 1,
        _ => verdict.row.line_number,
    };
    let errors = verdicts
        .iter()
        .filter_map(|verdict| {
            let error = verdict.error.as_ref()?;
            Some(json!({ "line": line(verdict, dates), "lineNumber": number(verdict), "error": error }))
        })
        .collect();
    let warnings = verdicts
        .iter()
        .filter_map(|verdict| {
            let (warning, conflict) = verdict.warning.as_ref()?;
            Some(json!({
                "line": line(verdict, dates),
                "lineNumber": number(verdict),
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
