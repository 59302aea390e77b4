//! The retry decision: one pure function, table-tested.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use roster::retry::{CallKind, Retry, decide_status, retry_after};

fn headers(retry: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(value) = retry {
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
    }
    headers
}

#[test]
fn the_decision_for_each_status() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let in_90_s = httpdate::fmt_http_date(now + Duration::from_secs(90));
    let cases: Vec<(u16, Option<&str>, Retry)> = vec![
        (408, None, Retry::After(None)),
        (429, None, Retry::After(None)),
        (429, Some("12"), Retry::After(Some(Duration::from_secs(12)))),
        (
            429,
            Some(&in_90_s),
            Retry::After(Some(Duration::from_secs(90))),
        ),
        (
            429,
            Some("Thu, 01 Jan 1970 00:00:00 GMT"),
            Retry::After(Some(Duration::ZERO)),
        ),
        (429, Some("soon"), Retry::After(None)),
        (500, None, Retry::After(None)),
        (502, None, Retry::After(None)),
        (503, Some("3"), Retry::After(Some(Duration::from_secs(3)))),
        (504, None, Retry::After(None)),
        (200, None, Retry::No),
        (400, None, Retry::No),
        (401, None, Retry::No),
        (403, None, Retry::No),
        (404, Some("5"), Retry::No),
        (413, None, Retry::No),
        (431, None, Retry::No),
    ];
    for (status, retry, expected) in cases {
        let status = StatusCode::from_u16(status).unwrap();
        let read = decide_status(status, &headers(retry), CallKind::Read, now);
        assert_eq!(read, expected, "{status} {retry:?}");
        let write = decide_status(status, &headers(retry), CallKind::IdempotentWrite, now);
        let expected_write = if status == 500 { Retry::No } else { expected };
        assert_eq!(write, expected_write, "PUT {status} {retry:?}");
    }
}

#[test]
fn retry_after_reads_seconds_and_dates() {
    let now = SystemTime::now();
    assert_eq!(
        retry_after(&headers(Some(" 7 ")), now),
        Some(Duration::from_secs(7))
    );
    assert_eq!(retry_after(&headers(Some("-1")), now), None);
    assert_eq!(retry_after(&headers(None), now), None);
}
