//! What a person sees of the requests: with `-v`, one plain line a request
//! once it ends (`GET /work-locations/public/api/work-locations 200 12 ms,
//! attempt 1`); on a terminal, one line when an answer is slow to come, so
//! that a silent host is never silence. Both read the transport's
//! `roster.request` spans, which carry no secret and no query.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// After how long without an answer the line is written.
pub const SLOW: Duration = Duration::from_secs(3);

/// The transport's span of one request.
const SPAN: &str = "roster.request";

/// One request in flight: what it is, and since when its attempt waits.
#[derive(Debug, Clone, Default)]
struct Request {
    method: String,
    path: String,
    status: Option<u64>,
    attempt: Option<u64>,
    started: Option<Instant>,
    /// When its latest attempt left (after the rate limit's wait).
    sent: Option<Instant>,
    said_slow: bool,
}

impl Visit for Request {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "method" => self.method = value.to_owned(),
            "path" => self.path = value.to_owned(),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = Some(value),
            "attempt" => {
                self.attempt = Some(value);
                self.sent = Some(Instant::now());
            }
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(value) = u64::try_from(value) {
            self.record_u64(field, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

/// The layer: the requests in flight, shared with the watcher of slow
/// answers.
#[derive(Clone, Default)]
pub struct Lines {
    in_flight: Arc<Mutex<HashMap<Id, Request>>>,
    /// `-v`: a line a request.
    each: bool,
}

impl Lines {
    /// The layer; with `each`, a line a request. With `slow`, a thread
    /// watches for answers slower than [`SLOW`].
    pub fn new(each: bool, slow: bool) -> Self {
        let lines = Self {
            in_flight: Arc::default(),
            each,
        };
        if slow {
            let watched = lines.in_flight.clone();
            std::thread::spawn(move || watch(&watched));
        }
        lines
    }
}

/// Every quarter second, one line for each attempt waiting longer than
/// [`SLOW`] that has not had one.
fn watch(in_flight: &Mutex<HashMap<Id, Request>>) {
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let Ok(mut requests) = in_flight.lock() else {
            return;
        };
        let mut lines = Vec::new();
        for request in requests.values_mut() {
            // An attempt that has its answer waits for no answer (a retry's
            // pause, a 429's).
            let Some(sent) = request.sent.filter(|_| request.status.is_none()) else {
                continue;
            };
            if request.said_slow || sent.elapsed() < SLOW {
                continue;
            }
            request.said_slow = true;
            lines.push(format!(
                "roster: still waiting for the answer to {} {} ({} s; Ctrl-C stops, --timeout bounds the wait)",
                request.method,
                request.path,
                sent.elapsed().as_secs()
            ));
        }
        // Written once the lock is let go: a terminal that blocks must not
        // hold the requests' spans.
        drop(requests);
        for line in lines {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

/// One request's line: method, path, status, milliseconds, attempt.
fn line(request: &Request) -> String {
    let status = request
        .status
        .map_or_else(|| "no answer".to_owned(), |status| status.to_string());
    let ms = request
        .started
        .map_or(0, |started| started.elapsed().as_millis());
    let attempt = request.attempt.map_or_else(
        || "not sent".to_owned(),
        |attempt| format!("attempt {attempt}"),
    );
    format!(
        "{} {} {status} {ms} ms, {attempt}",
        request.method, request.path
    )
}

impl<S> tracing_subscriber::Layer<S> for Lines
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        if attrs.metadata().name() != SPAN {
            return;
        }
        let mut request = Request {
            started: Some(Instant::now()),
            ..Request::default()
        };
        attrs.record(&mut request);
        if let Ok(mut requests) = self.in_flight.lock() {
            requests.insert(id.clone(), request);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Ok(mut requests) = self.in_flight.lock()
            && let Some(request) = requests.get_mut(id)
        {
            let before = request.attempt;
            values.record(request);
            if request.attempt != before {
                request.said_slow = false;
                request.status = None;
            }
        }
    }

    fn on_close(&self, id: Id, _: Context<'_, S>) {
        let Some(request) = self
            .in_flight
            .lock()
            .ok()
            .and_then(|mut requests| requests.remove(&id))
        else {
            return;
        };
        if self.each {
            let _ = writeln!(std::io::stderr(), "{}", line(&request));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_method_path_status_time_and_attempt() {
        let request = Request {
            method: "GET".into(),
            path: "/api/v3/users".into(),
            status: Some(200),
            attempt: Some(2),
            ..Request::default()
        };
        assert_eq!(line(&request), "GET /api/v3/users 200 0 ms, attempt 2");
        let unsent = Request {
            method: "POST".into(),
            path: "/x".into(),
            ..Request::default()
        };
        assert_eq!(line(&unsent), "POST /x no answer 0 ms, not sent");
    }
}
