//! May a request be sent again? One pure function of what is known (is the
//! request safe to resend, which attempt this was, what came back), so the
//! loop that sleeps stays trivial and the rules have table tests.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// Whether a request may be sent again, said where it is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Resend {
    /// Never: its effect cannot be undone (an import). Sent once, not even
    /// repeated after a 401.
    Never,
    /// Only after the server refused its credentials (401) and a fresh token
    /// was obtained: the server did nothing with it (an upload that only
    /// stores a temporary file).
    #[cfg_attr(not(feature = "docutools"), allow(dead_code))]
    AfterAuthRefusal,
    /// A read (`GET`): repeated on a lost answer and on 408, 429, 500, 502,
    /// 503, 504 (Lucca calls 500 "maybe" transient).
    Read,
    /// A page of a listing: a read, except that a `408` (Lucca aborts
    /// requests over 5 s) is handed back at once, for the pager to ask a
    /// smaller page rather than the same one again.
    #[cfg_attr(not(feature = "directory"), allow(dead_code))]
    Page,
    /// An idempotent write (Lucca's `PUT`): repeated on a lost answer and on
    /// 408, 429, 502, 503, 504, but not on a 500, which may have half-applied it.
    IdempotentWrite,
}

impl Resend {
    /// What HTTP says of a method: `GET`, `HEAD` and `OPTIONS` are reads,
    /// `PUT` and `DELETE` idempotent, anything else is sent once.
    pub(crate) fn for_method(method: &str) -> Self {
        match method {
            "GET" | "HEAD" | "OPTIONS" => Self::Read,
            "PUT" | "DELETE" => Self::IdempotentWrite,
            _ => Self::Never,
        }
    }

    /// Whether a failure without an answer, or `status`, is worth another try.
    fn transient(self, status: Option<StatusCode>) -> bool {
        let repeatable = matches!(self, Self::Read | Self::Page | Self::IdempotentWrite);
        match status.map(|status| status.as_u16()) {
            None => repeatable,
            Some(408) => matches!(self, Self::Read | Self::IdempotentWrite),
            Some(429 | 502 | 503 | 504) => repeatable,
            Some(500) => matches!(self, Self::Read | Self::Page),
            Some(_) => false,
        }
    }
}

/// What an attempt ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// No connection could be made: nothing reached the server.
    NotConnected,
    /// The request went out but no whole answer came back.
    NoAnswer,
    /// An answer, with how long `Retry-After` asked to wait.
    Answer {
        /// Its status.
        status: StatusCode,
        /// Its `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Hand the outcome to the caller.
    Done,
    /// Drop the refused token and send again with a fresh one, at once.
    Refresh,
    /// Send again after the backoff's delay, and at least this long.
    Retry(Option<Duration>),
}

/// The decision after attempt `attempt` (1 for the first) of at most
/// `attempts`. `can_refresh`: a token was used and has not been refreshed
/// for this request yet.
pub(crate) fn decide(
    resend: Resend,
    attempt: u32,
    attempts: u32,
    seen: Seen,
    can_refresh: bool,
) -> Next {
    let status = match seen {
        Seen::Answer { status, .. } => Some(status),
        Seen::NotConnected | Seen::NoAnswer => None,
    };
    if status == Some(StatusCode::UNAUTHORIZED) && can_refresh && resend != Resend::Never {
        return Next::Refresh;
    }
    if attempt >= attempts || !resend.transient(status) {
        return Next::Done;
    }
    match seen {
        Seen::Answer { retry_after, .. } => Next::Retry(retry_after),
        Seen::NotConnected | Seen::NoAnswer => Next::Retry(None),
    }
}

/// The longest wait a `Retry-After` is taken at: a server asking for more is
/// waited on for an hour (a larger value could not even be added to a clock).
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// How long `Retry-After` asks to wait: seconds, or an HTTP date (relative
/// to `now`), at most [`MAX_RETRY_AFTER`]. A date in the past means no
/// wait; nonsense means no hint.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let date = httpdate::parse_http_date(value).ok()?;
            date.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Attempts and jittered exponential delays between them: how requests that
/// may be resent are tried again ([`Config::with_retries`](crate::Config::with_retries)).
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
    /// The default: 3 attempts, 250 ms then 500 ms (jittered), longer if the
    /// server asks with `Retry-After`.
    pub const DEFAULT: Backoff = Backoff {
        attempts: 3,
        base_delay: Duration::from_millis(250),
        max_delay: Duration::from_secs(5),
    };

    /// No retry at all.
    pub const NONE: Backoff = Backoff {
        attempts: 1,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
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

impl Default for Backoff {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn answer(status: u16, retry_after: Option<u64>) -> Seen {
        Seen::Answer {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn the_decision_for_each_status_and_kind() {
        use Resend::*;
        let retry = |hint: Option<u64>| Next::Retry(hint.map(Duration::from_secs));
        // (status, Retry-After, read, idempotent write)
        let table: [(u16, Option<u64>, Next, Next); 13] = [
            (408, None, retry(None), retry(None)),
            (429, None, retry(None), retry(None)),
            (429, Some(12), retry(Some(12)), retry(Some(12))),
            (500, None, retry(None), Next::Done),
            (502, None, retry(None), retry(None)),
            (503, Some(3), retry(Some(3)), retry(Some(3))),
            (504, None, retry(None), retry(None)),
            (200, None, Next::Done, Next::Done),
            (400, None, Next::Done, Next::Done),
            (403, None, Next::Done, Next::Done),
            (404, Some(5), Next::Done, Next::Done),
            (413, None, Next::Done, Next::Done),
            (431, None, Next::Done, Next::Done),
        ];
        for (status, hint, read, write) in table {
            let seen = answer(status, hint);
            assert_eq!(decide(Read, 1, 3, seen, false), read, "GET {status}");
            // A page is a read, but a 408 goes back to the pager, which
            // asks a smaller page.
            let page = if status == 408 { Next::Done } else { read };
            assert_eq!(decide(Page, 1, 3, seen, false), page, "page {status}");
            assert_eq!(
                decide(IdempotentWrite, 1, 3, seen, false),
                write,
                "PUT {status}"
            );
            for once in [Never, AfterAuthRefusal] {
                assert_eq!(decide(once, 1, 3, seen, false), Next::Done, "{once:?}");
            }
        }
    }

    #[test]
    fn lost_answers_are_retried_only_when_safe() {
        for seen in [Seen::NotConnected, Seen::NoAnswer] {
            assert_eq!(decide(Resend::Read, 1, 3, seen, true), Next::Retry(None));
            assert_eq!(
                decide(Resend::IdempotentWrite, 2, 3, seen, true),
                Next::Retry(None)
            );
            assert_eq!(decide(Resend::Never, 1, 3, seen, true), Next::Done);
            assert_eq!(
                decide(Resend::AfterAuthRefusal, 1, 3, seen, true),
                Next::Done
            );
        }
    }

    #[test]
    fn the_last_attempt_is_final() {
        assert_eq!(
            decide(Resend::Read, 3, 3, answer(503, None), false),
            Next::Done
        );
        assert_eq!(
            decide(Resend::Read, 1, 1, Seen::NoAnswer, false),
            Next::Done
        );
    }

    #[test]
    fn a_401_refreshes_the_token_once_unless_never_resent() {
        let refused = answer(401, None);
        for resend in [
            Resend::Read,
            Resend::IdempotentWrite,
            Resend::AfterAuthRefusal,
        ] {
            assert_eq!(
                decide(resend, 1, 1, refused, true),
                Next::Refresh,
                "{resend:?}"
            );
            assert_eq!(
                decide(resend, 2, 3, refused, false),
                Next::Done,
                "{resend:?}"
            );
        }
        assert_eq!(decide(Resend::Never, 1, 3, refused, true), Next::Done);
    }

    #[test]
    fn methods_say_what_may_be_resent() {
        assert_eq!(Resend::for_method("GET"), Resend::Read);
        assert_eq!(Resend::for_method("PUT"), Resend::IdempotentWrite);
        assert_eq!(Resend::for_method("DELETE"), Resend::IdempotentWrite);
        assert_eq!(Resend::for_method("POST"), Resend::Never);
        assert_eq!(Resend::for_method("PATCH"), Resend::Never);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            headers
        };
        let in_90_s = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            retry_after(&headers(" 7 "), now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&in_90_s), now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            retry_after(&headers("Thu, 01 Jan 1970 00:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers("18446744073709551615"), now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(retry_after(&headers("-1"), now), None);
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn the_backoff_doubles_within_its_bounds() {
        let backoff = Backoff {
            attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
        };
        for _ in 0..200 {
            for (attempt, ceiling) in [(0, 100), (1, 200), (2, 400), (3, 700), (9, 700)] {
                let delay = backoff.delay(attempt);
                let ceiling = Duration::from_millis(ceiling);
                assert!(
                    delay <= ceiling && delay >= ceiling / 2,
                    "attempt {attempt}: {delay:?} not within {:?}..={ceiling:?}",
                    ceiling / 2
                );
            }
        }
        assert_eq!(Backoff::NONE.delay(0), Duration::ZERO);
    }
}
