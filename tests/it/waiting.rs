//! The waiter against imports that fail, stall or answer what cannot be
//! read (paused time: the minutes pass at once, exactly): each ends with its
//! typed error within the stall time, and no outcome is lost.

use std::time::Duration;

use chrono::NaiveDate;
use roster::office::types::Position;
use roster::office::{
    CheckedImport, CsvSource, ImportMode, ImportOutcome, UserLocationRow, WaitError, WaitFailure,
    WaitOptions,
};
use roster::{HttpError, office};
use roster_emulator::{Fault, ImportFate, Knobs, LocalLucca, Route, Setup};

use crate::support::LocalConfig;

const STALL: Duration = Duration::from_secs(5 * 60);

fn rows() -> Vec<UserLocationRow> {
    let day = NaiveDate::from_ymd_opt(2025, 9, 15).unwrap();
    vec![UserLocationRow::new(
        "jdupont",
        "Paris",
        day,
        Position::FullDay,
    )]
}

/// A server whose imports meet `fate`, and a client without a rate limiter.
async fn server(fate: ImportFate) -> (LocalLucca, office::Client) {
    let mut knobs = Knobs::default();
    knobs.import_fate = fate;
    let setup = Setup {
        import_duration: Duration::ZERO,
        ..Setup::default()
    }
    .with_knobs(knobs);
    let lucca = LocalLucca::start_with(setup).await.unwrap();
    let office = lucca.config().with_rate_limit(None).client().unwrap();
    (lucca, office)
}

/// Starts an import of `mode` and waits for it with the default options.
async fn wait(office: &office::Client, mode: ImportMode) -> Result<ImportOutcome, WaitError> {
    let started = office
        .import_user_locations(CsvSource::rows(rows()))
        .mode(mode)
        .send()
        .await
        .unwrap();
    office.wait_for_import(started).execute().await
}

#[test]
fn the_default_wait_is_half_an_hour_with_a_five_minute_stall() {
    let options = WaitOptions::default();
    assert_eq!(options.max_wait, Duration::from_secs(30 * 60));
    assert_eq!(options.stall_after, Some(STALL));
}

#[tokio::test(start_paused = true)]
async fn a_stalled_import_ends_the_wait_at_the_stall_time() {
    let (_lucca, office) = server(ImportFate::StallsAt(40)).await;

    let error = wait(&office, ImportMode::Simulate).await.unwrap_err();

    // Said for a person: a percentage and minutes, not `Some(40)`.
    assert!(
        error
            .to_string()
            .contains("progress stayed at 40 % for 5 min 0 s"),
        "{error}"
    );
    let WaitError {
        failure: WaitFailure::Stalled { unchanged_for, .. },
        last_progress: progress,
        elapsed,
        polls,
        ..
    } = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(progress, Some(40));
    assert_eq!(unchanged_for, STALL, "seen when it happens");
    assert!(elapsed < WaitOptions::default().max_wait, "{elapsed:?}");
    assert!(polls > 2, "{polls}");
}

#[tokio::test(start_paused = true)]
async fn an_import_that_never_starts_is_a_stall_at_zero() {
    let (_lucca, office) = server(ImportFate::NeverStarts).await;

    let error = wait(&office, ImportMode::Simulate).await.unwrap_err();

    assert!(
        matches!(error, WaitError { failure: WaitFailure::Stalled { unchanged_for, .. }, last_progress: Some(0), .. } if unchanged_for == STALL),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_progress_outside_0_to_100_ends_the_wait_at_once() {
    for value in [150, -1] {
        let (_lucca, office) = server(ImportFate::StallsAt(value)).await;

        let error = wait(&office, ImportMode::Simulate).await.unwrap_err();

        assert!(
            matches!(error, WaitError { failure: WaitFailure::ProgressOutOfRange { value: seen }, polls: 1, .. } if seen == value),
            "{error:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_outcome_ends_the_wait_within_the_stall_time_and_says_it_was_applied() {
    let (lucca, office) = server(ImportFate::OutcomeFails(500)).await;

    let error = wait(&office, ImportMode::Create).await.unwrap_err();

    let WaitFailure::OutcomeFailed {
        mode,
        failing_for,
        source,
        ..
    } = error.failure
    else {
        panic!("{error:?}");
    };
    assert_eq!(mode, ImportMode::Create);
    // The stall is seen at the first poll at or after the stall time; that
    // poll's own retries (the transport's, under a second) come on top.
    assert!(
        failing_for >= STALL && failing_for < STALL + Duration::from_secs(1),
        "{failing_for:?}"
    );
    assert_eq!(source.status().map(|status| status.as_u16()), Some(500));
    assert_eq!(lucca.imports_applied(), 1, "the creation was applied");
}

#[tokio::test(start_paused = true)]
async fn an_outcome_refused_for_good_ends_the_wait_at_once() {
    let (_lucca, office) = server(ImportFate::OutcomeFails(400)).await;

    let error = wait(&office, ImportMode::Simulate).await.unwrap_err();

    assert!(
        matches!(&error.failure, WaitFailure::OutcomeFailed { failing_for, .. } if failing_for.is_zero()),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn results_that_do_not_read_keep_the_import_s_counts_and_raw_answer() {
    let (lucca, office) = server(ImportFate::Completes).await;
    let unreadable = r#"{"summaryId": 7, "userLocationsCreatedSummary": {"count": "1"},
        "userLocationsDeletedSummary": {"count": 0}, "errorLines": [], "warningLines": {"not": "a list"}}"#;
    lucca
        .faults()
        .inject(Route::Results, Fault::Body(unreadable.to_owned()));

    let outcome = office
        .checked_import(CsvSource::rows(rows()))
        .execute()
        .await
        .unwrap();

    let CheckedImport::CreatedUnread { results, .. } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!((results.created, results.deleted), (Some(1), Some(0)));
    assert_eq!(results.error_lines, Some(0));
    assert_eq!(results.raw.as_ref().unwrap()["summaryId"], 7);
    assert!(matches!(results.error, HttpError::InvalidAnswer { .. }));
    assert_eq!(lucca.imports_applied(), 1);
}

#[tokio::test(start_paused = true)]
async fn at_the_deadline_a_failing_outcome_is_still_an_outcome_failure_not_an_unfinished_import() {
    let (lucca, office) = server(ImportFate::OutcomeFails(503)).await;
    let started = office
        .import_user_locations(CsvSource::rows(rows()))
        .mode(ImportMode::Create)
        .send()
        .await
        .unwrap();
    let options = WaitOptions {
        stall_after: None,
        max_wait: Duration::from_secs(600),
        ..WaitOptions::default()
    };

    let error = office
        .wait_for_import(started)
        .options(options)
        .execute()
        .await
        .unwrap_err();

    assert!(
        matches!(
            &error.failure,
            WaitFailure::OutcomeFailed {
                mode: ImportMode::Create,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(lucca.imports_applied(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_analysis_that_does_not_read_creates_nothing_and_says_so() {
    let (lucca, office) = server(ImportFate::Completes).await;
    lucca.faults().inject(
        Route::Analysis,
        Fault::Body(r#"{"errorLines": 3}"#.to_owned()),
    );

    let outcome = office
        .checked_import(CsvSource::rows(rows()))
        .execute()
        .await
        .unwrap();

    let CheckedImport::AnalysisUnread { analysis } = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(analysis.mode, ImportMode::Simulate);
    assert_eq!(analysis.raw.as_ref().unwrap()["errorLines"], 3);
    assert_eq!(lucca.imports_applied(), 0, "nothing was created");
    assert_eq!(
        lucca.received_imports().len(),
        1,
        "the creation was never sent"
    );
}

/// Starts an import of `mode` on a client built from `config`.
async fn started(office: &office::Client, mode: ImportMode) -> roster::office::ImportStarted {
    office
        .import_user_locations(CsvSource::rows(rows()))
        .mode(mode)
        .send()
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_of_an_hour_ends_a_wait_at_its_max_wait() {
    let (lucca, _) = server(ImportFate::Completes).await;
    // The client's own defaults: retries, and the rate limiter a 429 pauses.
    let office = lucca.config().client().unwrap();
    let started = started(&office, ImportMode::Simulate).await;
    lucca.faults().inject_n(
        Route::Progress,
        Fault::Status {
            status: 429,
            retry_after: Some("3600".into()),
        },
        10,
    );
    let options = WaitOptions {
        max_wait: Duration::from_secs(60),
        stall_after: None,
        ..WaitOptions::default()
    };
    let start = tokio::time::Instant::now();

    let error = office
        .wait_for_import(started)
        .options(options)
        .execute()
        .await
        .unwrap_err();

    let waited = start.elapsed();
    assert!(
        matches!(error.failure, WaitFailure::ExceededMaxWait { max_wait, .. } if max_wait == options.max_wait),
        "{error:?}"
    );
    assert!(
        waited >= Duration::from_secs(60) && waited < Duration::from_secs(61),
        "ended after {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_generated_call_with_an_operation_timeout_hands_back_a_long_retry_after() {
    let (lucca, _) = server(ImportFate::Completes).await;
    let office = lucca
        .config()
        .with_operation_timeout(Duration::from_secs(60))
        .unwrap()
        .client()
        .unwrap();
    let started = started(&office, ImportMode::Simulate).await;
    let id = started.summary_id.to_string();
    lucca.faults().inject(
        Route::Progress,
        Fault::Status {
            status: 429,
            retry_after: Some("3600".into()),
        },
    );
    let progress = || async {
        office
            .get_office_api_imports_user_locations_progress()
            .summary_id(&id)
            .send()
            .await
    };
    let start = tokio::time::Instant::now();

    // The 429 comes back at once, with its Retry-After, rather than slept.
    let error = progress().await.unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(429));
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );

    // The next call waits for the paused rate limit until its deadline,
    // and nothing is sent.
    let sent = lucca.faults().requests(Route::Progress);
    let error = progress().await.unwrap_err();
    assert!(
        matches!(error, HttpError::DeadlinePassed { .. }) && error.not_sent(),
        "{error:?}"
    );
    assert_eq!(lucca.faults().requests(Route::Progress), sent);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(60) && waited < Duration::from_secs(61),
        "{waited:?}"
    );
}

/// A generated call whose second attempt cannot pass the rate limit before
/// its deadline is not sent again, and hands back what the first attempt
/// brought (the 503), not an error made up for it.
#[tokio::test(start_paused = true)]
async fn a_generated_retry_the_limit_would_delay_past_the_deadline_hands_back_the_last_answer() {
    let (lucca, _) = server(ImportFate::Completes).await;
    let office: office::Client = lucca
        .config()
        .with_rate_limit(Some(roster::RateLimit {
            requests: 1,
            per: Duration::from_secs(600),
        }))
        .with_operation_timeout(Duration::from_secs(60))
        .unwrap()
        .client()
        .unwrap();
    let id = uuid::Uuid::new_v4().to_string();
    lucca.faults().inject(
        Route::Progress,
        Fault::Status {
            status: 503,
            retry_after: Some("1".into()),
        },
    );
    let start = tokio::time::Instant::now();

    let error = office
        .get_office_api_imports_user_locations_progress()
        .summary_id(&id)
        .send()
        .await
        .unwrap_err();

    assert_eq!(
        error.status().map(|status| status.as_u16()),
        Some(503),
        "{error:?}"
    );
    assert_eq!(
        lucca.faults().requests(Route::Progress),
        1,
        "not sent again"
    );
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(60) && waited < Duration::from_secs(61),
        "{waited:?}"
    );
}

/// An import of `mode` whose `route` answers `status` twice before it is
/// visible: its outcome, waited for with the default options.
async fn not_visible_yet(mode: ImportMode, route: Route, status: u16) -> ImportOutcome {
    let (lucca, office) = server(ImportFate::Completes).await;
    let started = started(&office, mode).await;
    lucca.faults().inject_n(
        route,
        Fault::Status {
            status,
            retry_after: None,
        },
        2,
    );
    let outcome = office.wait_for_import(started).execute().await.unwrap();
    assert_eq!(lucca.faults().pending(), 0, "both were seen");
    outcome
}

#[tokio::test(start_paused = true)]
async fn a_summary_not_visible_yet_is_waited_for_and_read() {
    let outcome = not_visible_yet(ImportMode::Create, Route::Progress, 404).await;
    assert!(matches!(outcome, ImportOutcome::Results(_)), "{outcome:?}");
}

#[tokio::test(start_paused = true)]
async fn an_outcome_not_visible_yet_at_progress_100_is_waited_for_and_read() {
    let outcome = not_visible_yet(ImportMode::Simulate, Route::Analysis, 409).await;
    assert!(matches!(outcome, ImportOutcome::Analysis(_)), "{outcome:?}");
}

#[tokio::test(start_paused = true)]
async fn a_summary_still_unknown_after_the_grace_period_ends_the_wait() {
    let (_lucca, office) = server(ImportFate::Completes).await;
    let unknown = roster::office::ImportStarted {
        summary_id: uuid::Uuid::new_v4(),
        mode: ImportMode::Create,
    };
    let start = tokio::time::Instant::now();

    let error = office.wait_for_import(unknown).execute().await.unwrap_err();

    let grace = WaitOptions::default().visibility_grace;
    let WaitFailure::Http { source } = &error.failure else {
        panic!("{error:?}");
    };
    assert_eq!(source.status().map(|status| status.as_u16()), Some(404));
    assert!(start.elapsed() >= grace, "{:?}", start.elapsed());
    assert!(start.elapsed() < grace * 2, "{:?}", start.elapsed());
}

// Real time: the outcome is read on a blocking thread, and a paused clock
// does not move while one runs (the server's cut waits on it).
#[tokio::test]
async fn results_cut_while_they_came_are_read_again() {
    let (lucca, office) = server(ImportFate::Completes).await;
    let started = started(&office, ImportMode::Create).await;
    lucca.faults().inject(Route::Results, Fault::CutMidBody);

    let outcome = office
        .wait_for_import(started)
        .options(crate::support::fast())
        .execute()
        .await
        .unwrap();

    assert!(matches!(outcome, ImportOutcome::Results(_)), "{outcome:?}");
    assert_eq!(lucca.faults().pending(), 0, "the cut answer was seen");
}
