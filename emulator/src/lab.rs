//! The servers as a fault lab from the command line: the rate limit, the
//! faults and the import duration as flags of `roster-emulator` and
//! `roster serve`, and the counters they report when they stop.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::{Fault, LocalLucca, RequestLimit, Route};

/// `N/DURATION`: at most N requests in any window of DURATION (`50/60s`).
pub fn parse_limit(text: &str) -> Result<RequestLimit, String> {
    let (requests, per) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not N/DURATION (50/60s)"))?;
    let requests = requests
        .trim()
        .parse()
        .map_err(|_| format!("{requests:?} is not a number of requests"))?;
    let per = humantime::parse_duration(per.trim()).map_err(|error| error.to_string())?;
    Ok(RequestLimit { requests, per })
}

/// A duration such as `30s` or `2m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|error| error.to_string())
}

/// One fault for the next requests on a route: `ROUTE=FAULT[*COUNT]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultFlag {
    /// Where.
    pub route: Route,
    /// What.
    pub fault: Fault,
    /// For how many requests.
    pub count: usize,
}

/// `ROUTE=FAULT[*COUNT]`. Routes: any, import, create, progress, analysis,
/// results, lists, users, token, users-upload, users-import. Faults:
/// `status:CODE`, `html:CODE`, `delay:DURATION`, `drop-before`,
/// `drop-after`, `cut`, `body:TEXT`.
pub fn parse_fault(text: &str) -> Result<FaultFlag, String> {
    let (route, rest) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not ROUTE=FAULT"))?;
    let (fault, count) = match rest.rsplit_once('*') {
        Some((fault, count)) if count.chars().all(|c| c.is_ascii_digit()) && !count.is_empty() => (
            fault,
            count
                .parse()
                .map_err(|_| format!("{count:?} is no count"))?,
        ),
        _ => (rest, 1),
    };
    let route = match route.trim() {
        "any" => Route::Any,
        "import" => Route::Import,
        "create" => Route::Create,
        "progress" => Route::Progress,
        "analysis" => Route::Analysis,
        "results" => Route::Results,
        "lists" => Route::Lists,
        "users" => Route::Users,
        "token" => Route::Token,
        "users-upload" => Route::UsersUpload,
        "users-import" => Route::UsersImport,
        other => return Err(format!("{other:?} is no route")),
    };
    let code = |value: &str| {
        value
            .parse::<u16>()
            .map_err(|_| format!("{value:?} is no status code"))
    };
    let fault = match fault.split_once(':') {
        Some(("status", value)) => Fault::Status {
            status: code(value)?,
            retry_after: None,
        },
        Some(("html", value)) => Fault::Html {
            status: code(value)?,
        },
        Some(("delay", value)) => Fault::Delay(parse_duration(value)?),
        Some(("body", value)) => Fault::Body(value.to_owned()),
        None if fault == "drop-before" => Fault::DropBeforeHandling,
        None if fault == "drop-after" => Fault::DropAfterHandling,
        None if fault == "cut" => Fault::CutMidBody,
        _ => return Err(format!("{fault:?} is no fault")),
    };
    Ok(FaultFlag {
        route,
        fault,
        count,
    })
}

/// What the Lucca server counted: requests by operation, creations by the
/// file's SHA-256, imports applied, requests the rate limit refused, and
/// the most requests it let through in any window of the limit's length
/// (60 s without a limit).
pub fn counters(lucca: &LocalLucca, window: Duration) -> Value {
    let mut creations: BTreeMap<String, u64> = BTreeMap::new();
    for import in lucca
        .received_imports()
        .iter()
        .filter(|import| import.create)
    {
        *creations.entry(import.sha256.clone()).or_default() += 1;
    }
    json!({
        "requestsByOperation": lucca.requests_by_operation(),
        "creationsByFile": creations,
        "importsApplied": lucca.imports_applied(),
        "rateLimited": lucca.rate_limited(),
        "mostInAnyWindow": most_in_any_window(&lucca.admitted_requests(), window),
        "windowSeconds": window.as_secs_f64(),
    })
}

/// The most of `times` (sorted) within any span of `window`.
fn most_in_any_window(times: &[Duration], window: Duration) -> usize {
    let mut first = 0;
    let mut most = 0;
    for (last, time) in times.iter().enumerate() {
        while *time - times[first] >= window {
            first += 1;
        }
        most = most.max(last + 1 - first);
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_as_written() {
        assert_eq!(
            parse_limit("50/60s").unwrap(),
            RequestLimit {
                requests: 50,
                per: Duration::from_secs(60)
            }
        );
        assert_eq!(
            parse_fault("create=status:429*3").unwrap(),
            FaultFlag {
                route: Route::Create,
                fault: Fault::Status {
                    status: 429,
                    retry_after: None
                },
                count: 3
            }
        );
        assert_eq!(
            parse_fault("import=delay:2s").unwrap().fault,
            Fault::Delay(Duration::from_secs(2))
        );
        assert_eq!(
            parse_fault("any=drop-after").unwrap().fault,
            Fault::DropAfterHandling
        );
        assert!(parse_fault("create=explode").is_err());
        assert!(parse_fault("nowhere=cut").is_err());
        assert!(parse_limit("50").is_err());
    }

    #[test]
    fn the_most_in_any_window_slides() {
        let at = |seconds: u64| Duration::from_secs(seconds);
        let times = [at(0), at(10), at(59), at(60), at(61), at(200)];
        assert_eq!(most_in_any_window(&times, at(60)), 4);
        assert_eq!(most_in_any_window(&[], at(60)), 0);
    }
}
