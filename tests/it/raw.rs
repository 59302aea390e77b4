//! The escape hatch, `client.request(method, path)`: an endpoint the specs
//! do not describe, through the one request path (the client's key, its
//! rate limiter, retries by method), and never a way to another host.

use std::time::Duration;

use reqwest::Method;
use roster::{HttpError, Operation, RateLimit, directory, office};
use roster_emulator::{Fault, LocalLucca, Route};

use crate::support::LocalConfig;

/// An answer of `status` (with `retry_after`), without handling.
fn status(status: u16, retry_after: Option<&str>) -> Fault {
    Fault::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
    }
}

#[tokio::test(start_paused = true)]
async fn a_request_the_specs_do_not_describe_waits_on_the_clients_limiter() {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    let directory: directory::Client = lucca
        .config()
        .with_rate_limit(Some(RateLimit {
            requests: 1,
            per: Duration::from_secs(60),
        }))
        .client()
        .unwrap();
    let start = tokio::time::Instant::now();

    let first: serde_json::Value = directory
        .request(Method::GET, "/organization/structure/api/departments")
        .send()
        .await
        .unwrap()
        .json()
        .unwrap();
    assert!(!first["items"].as_array().unwrap().is_empty(), "{first}");
    assert!(start.elapsed() < Duration::from_secs(1));

    // The second waits for the window: the same limiter as every call.
    let second = directory
        .request(Method::GET, "/organization/structure/api/departments")
        .query("limit", "50")
        .send()
        .await
        .unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(59),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        lucca.requests_of("GET /organization/structure/api/departments"),
        2
    );
    assert_eq!(
        lucca
            .received_queries("GET /organization/structure/api/departments")
            .last()
            .map(String::as_str),
        Some("limit=50")
    );
    let typed: serde_json::Map<String, serde_json::Value> = second.json().unwrap();
    assert!(typed.contains_key("items"));
}

#[tokio::test]
async fn a_path_of_another_host_is_refused_before_anything_is_sent() {
    let lucca = LocalLucca::start().await.unwrap();
    let office: office::Client = lucca.config().with_rate_limit(None).client().unwrap();
    for path in [
        "https://elsewhere.example/steal",
        "//elsewhere.example/steal",
        "relative/path",
        "",
    ] {
        let error = office.request(Method::GET, path).send().await.unwrap_err();
        assert!(
            matches!(error, HttpError::InvalidRequest { .. }) && error.not_sent(),
            "{path}: {error:?}"
        );
        assert_eq!(error.operation(), Operation::Unlisted);
        assert!(!error.to_string().contains(lucca.api_key()));
    }
    assert_eq!(lucca.requests_total(), 0);
}

#[tokio::test]
async fn retries_follow_the_method_a_post_is_never_sent_twice() {
    let lucca = LocalLucca::start().await.unwrap();
    let office: office::Client = lucca
        .config()
        .with_rate_limit(None)
        .with_retries(roster::Backoff {
            attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .client()
        .unwrap();
    lucca.faults().inject_n(Route::Any, status(503, None), 2);
    // A read is tried again until it is answered.
    office
        .request(Method::GET, "/organization/structure/api/departments")
        .send()
        .await
        .unwrap();
    assert_eq!(
        lucca.requests_of("GET /organization/structure/api/departments"),
        3
    );

    lucca.faults().inject(Route::Any, status(503, None));
    let error = office
        .request(Method::POST, "/organization/structure/api/departments")
        .json(serde_json::json!({ "name": "New" }))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(503));
    assert_eq!(
        lucca.requests_of("POST /organization/structure/api/departments"),
        1
    );
}

/// A handwritten call whose second attempt cannot pass the rate limit
/// before its deadline hands back what the first brought (the 503: it may
/// have been applied), not a "not sent".
#[tokio::test(start_paused = true)]
async fn a_retry_the_limit_would_delay_past_the_deadline_hands_back_the_last_answer() {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    let directory: directory::Client = lucca
        .config()
        .with_rate_limit(Some(RateLimit {
            requests: 1,
            per: Duration::from_secs(600),
        }))
        .with_operation_timeout(Duration::from_secs(60))
        .unwrap()
        .client()
        .unwrap();
    lucca.faults().inject(Route::Any, status(503, Some("1")));
    let start = tokio::time::Instant::now();

    let error = directory
        .request(Method::PUT, "/organization/structure/api/departments")
        .send()
        .await
        .unwrap_err();

    assert_eq!(
        error.status().map(|status| status.as_u16()),
        Some(503),
        "{error:?}"
    );
    assert!(!error.not_sent());
    assert_eq!(lucca.requests_total(), 1, "not sent again");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(60) && waited < Duration::from_secs(61),
        "{waited:?}"
    );
}

/// A token refused when it is refreshed after a 401: the refusal, typed.
#[tokio::test]
async fn a_refresh_refused_after_a_401_is_the_auth_error() {
    let local = roster_emulator::LocalDocutools::start().await.unwrap();
    let client: roster::docutools::Client = crate::support::login_config(&local).client().unwrap();
    let file = client
        .upload_users_file(&crate::docutools::users_csv(1))
        .send()
        .await
        .unwrap();
    assert!(!file.id.is_nil());
    local.revoke_access_tokens();
    local.faults().inject_n(Route::Token, status(400, None), 2);

    let error = client
        .request(Method::GET, "/api/v2/users/imports/files")
        .send()
        .await
        .unwrap_err();

    assert!(matches!(error, HttpError::Auth { .. }), "{error:?}");
    assert_eq!(local.unauthorized(), 1);
}
