//! When may a failed call be sent again? One pure function of what came
//! back, so the loops that sleep stay trivial and the rules have table tests.
//!
//! Only calls that change nothing on the server (reads, and Lucca's `PUT`,
//! which is idempotent) go through here. Imports are never retried.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The generated operations that create data (by progenitor's operation
/// name): never sent twice, not even after a 401; the token is refreshed
/// for the next call instead.
pub const NEVER_RESENT: [&str; 1] = ["import_users_from_file"];

/// What to do after a failed call that is safe to repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Do not repeat it: the failure will not go away by itself.
    No,
    /// Repeat it, after at least the delay the server asked for, if any.
    After(Option<Duration>),
}

/// Which kind of call failed: it decides which statuses are worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// A read (`GET`): also retried on 500, which Lucca calls "maybe" transient.
    Read,
    /// An idempotent write (Lucca's `PUT`): retried on 408, 429, 502, 503,
    /// 504 only, since a 500 may have half-applied it.
    IdempotentWrite,
}

/// The statuses Lucca documents as worth another try (408 past 5 s, 429 over
/// the rate limit, 503), and the gateway errors a proxy in front of it gives.
pub fn is_transient_status(status: StatusCode, kind: CallKind) -> bool {
    match status.as_u16() {
        408 | 429 | 502 | 503 | 504 => true,
        500 => kind == CallKind::Read,
        _ => false,
    }
}

/// How long `Retry-After` asks to wait: seconds, or an HTTP date (relative
/// to `now`). A date in the past means no wait; nonsense means no hint.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The decision for an answer with `status` and `headers`.
pub fn decide_status(
    status: StatusCode,
    headers: &HeaderMap,
    kind: CallKind,
    now: SystemTime,
) -> Retry {
    if is_transient_status(status, kind) {
        Retry::After(retry_after(headers, now))
    } else {
        Retry::No
    }
}

/// The decision for an error of a generated read.
pub fn decide<E>(error: &progenitor_client::Error<E>, now: SystemTime) -> Retry {
    let kind = CallKind::Read;
    use progenitor_client::Error;
    match error {
        // No answer: connection refused, reset or timed out. Safe to repeat
        // for the calls that come here.
        Error::CommunicationError(_) => Retry::After(None),
        Error::ErrorResponse(answer) => decide_status(answer.status(), answer.headers(), kind, now),
        Error::UnexpectedResponse(answer) => {
            decide_status(answer.status(), answer.headers(), kind, now)
        }
        // The answer's body broke off while it was read.
        Error::ResponseBodyError(_) => Retry::After(None),
        Error::InvalidRequest(_)
        | Error::InvalidUpgrade(_)
        | Error::InvalidResponsePayload(..)
        | Error::Custom(_) => Retry::No,
    }
}

/// Attempts and jittered exponential delays between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts, the first included (1 means no retry).
    pub attempts: u32,
    /// The first delay (doubled each time).
    pub base_delay: Duration,
    /// The largest delay.
    pub max_delay: Duration,
}

impl Backoff {
    /// What every generated `GET` gets: 3 attempts, 250 ms then 500 ms
    /// (jittered), longer if the server asks with `Retry-After`.
    pub const READS: Backoff = Backoff {
        attempts: 3,
        base_delay: Duration::from_millis(250),
        max_delay: Duration::from_secs(5),
    };

    /// The delay after attempt `attempt + 1` failed: `base · 2^attempt`,
    /// capped, jittered down to half of it.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1_u32 << attempt.min(20))
            .min(self.max_delay.max(self.base_delay));
        let floor = ceiling / 2;
        if ceiling <= floor {
            return ceiling;
        }
        let nanos = rand::random_range(floor.as_nanos()..=ceiling.as_nanos());
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}
