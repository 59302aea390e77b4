//! The import end to end against the local Lucca server: what the server
//! reads is what was written, a checked import never creates when the
//! simulation has errors, and no fault ever applies an import twice.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{LocalConfig, fast};
use chrono::{Days, NaiveDate};
#[cfg(feature = "journal")]
use roster::office::ImportJournal;
use roster::office::types::Position;
use roster::office::{
    CheckedImport, CsvSource, ExistingLocations, ImportError, ImportMode, ImportOutcome,
    ImportStarted, SimulatedImport, UploadError, UserLocationRow, WaitError, WaitFailure,
    WaitOptions,
};
use roster::{LuccaApiKey, LuccaConfig, office};
use roster_emulator::{Fault, LocalLucca, Route};

use crate::strings::tricky_strings;
use crate::support::error_chain;

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 9, 15).unwrap() + Days::new(offset)
}

fn good_rows() -> Vec<UserLocationRow> {
    vec![
        UserLocationRow::new("jdupont", "Paris", day(0), Position::FullDay).area("Service Client"),
        UserLocationRow::new("mlefevre", "Nantes", day(0), Position::FirstHalf).area("B1"),
        UserLocationRow::new("mlefevre", "Remote", day(0), Position::SecondHalf),
        UserLocationRow::new("pmartin", "Paris", day(1), Position::FullDay).comment("on site"),
    ]
}

async fn local() -> (LocalLucca, office::Client) {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_import_duration(Duration::from_millis(30));
    let office = lucca.config().client().unwrap();
    (lucca, office)
}

/// A local server and a client whose transport never retries and has no
/// rate limiter (which a 429 would pause), so that what the waiter does on
/// its own shows.
async fn local_waiter_alone() -> (LocalLucca, office::Client) {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_import_duration(Duration::from_millis(30));
    let office = lucca
        .config()
        .with_retries(roster::Backoff::NONE)
        .with_rate_limit(None)
        .client()
        .unwrap();
    (lucca, office)
}

/// Sends the good rows as a creation that must fail; its error.
async fn create_fails(office: &office::Client) -> UploadError {
    let error = office
        .import_user_locations(CsvSource::rows(good_rows()))
        .mode(ImportMode::Create)
        .send()
        .await
        .unwrap_err();
    match error {
        ImportError::Upload {
            mode: ImportMode::Create,
            source,
        } => source,
        other => panic!("expected the creation's sending to fail, got {other:?}"),
    }
}

async fn finish(office: &office::Client, started: ImportStarted) -> ImportOutcome {
    office
        .wait_for_import(started)
        .options(fast())
        .execute()
        .await
        .unwrap()
}

#[tokio::test]
async fn what_the_server_reads_is_what_was_written() {
    let (lucca, office) = local().await;
    let strings = tricky_strings(200);
    let rows: Vec<UserLocationRow> = strings
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let row = UserLocationRow::new(
                format!("login{text}"),
                format!("{text}place"),
                day(index as u64),
                Position::SecondHalf,
            )
            .area(format!("area {text}"));
            if text.is_empty() {
                row
            } else {
                row.comment(text.clone())
            }
        })
        .collect();

    let started = office
        .import_user_locations(CsvSource::rows(rows.clone()))
        .send()
        .await
        .unwrap();

    let received = lucca.received_imports();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].summary_id, started.summary_id);
    assert_eq!(received[0].file_name.as_deref(), Some("user-locations.csv"));
    assert_eq!(received[0].content_type.as_deref(), Some("text/csv"));
    let read = &received[0].rows;
    assert_eq!(read.len(), rows.len());
    for (sent, got) in rows.iter().zip(read) {
        assert_eq!(got.login, sent.login);
        assert_eq!(got.work_location_name, sent.work_location_name);
        assert_eq!(got.area_name, sent.area_name.clone().unwrap_or_default());
        assert_eq!(got.comment, sent.comment.clone().unwrap_or_default());
        assert_eq!(got.date, sent.date.format("%Y/%m/%d").to_string());
        assert_eq!(got.position, "SecondHalf");
        assert_eq!(got.is_deletion, "false");
    }
}

#[tokio::test]
async fn a_clean_checked_import_creates_and_reports() {
    let (lucca, office) = local().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);

    let outcome = office
        .checked_import(CsvSource::rows(good_rows()))
        .wait_options(fast())
        .on_progress(move |progress| {
            record
                .lock()
                .unwrap()
                .push((progress.mode, progress.percent))
        })
        .execute()
        .await
        .unwrap();

    // Read at one path: applied, its id, its count.
    assert!(outcome.applied());
    assert_eq!(outcome.created(), Some(4));
    assert_eq!(outcome.summary_ids().len(), 1);
    assert_eq!(
        outcome.summary_id(),
        lucca
            .received_imports()
            .last()
            .map(|import| import.summary_id)
    );
    let CheckedImport::Created { analysis, results } = outcome else {
        panic!("expected a creation: {outcome:?}");
    };
    let planned = analysis.valid_user_locations_to_create_summary.unwrap();
    assert_eq!(planned.count, Some(4));
    let created = results.user_locations_created_summary.unwrap();
    assert_eq!(created.count, Some(4));
    assert_eq!(
        created.descriptions[0],
        "Created user location for Jean Dupont on 2025/09/15"
    );
    assert!(results.error_lines.is_empty());
    assert_eq!(lucca.imports_applied(), 1);
    assert_eq!(lucca.user_locations().len(), 4);
    let seen = seen.lock().unwrap();
    for mode in [ImportMode::Simulate, ImportMode::Create] {
        let percents: Vec<u8> = seen
            .iter()
            .filter(|(m, _)| *m == mode)
            .map(|(_, p)| *p)
            .collect();
        assert_eq!(percents.last(), Some(&100), "{mode:?}: {percents:?}");
        assert!(
            percents.windows(2).all(|pair| pair[0] < pair[1]),
            "{mode:?}: {percents:?}"
        );
    }
}

/// `rows` checked and simulated: nothing created yet.
async fn simulate(office: &office::Client, rows: Vec<UserLocationRow>) -> SimulatedImport<'_> {
    office
        .checked_import(CsvSource::rows(rows))
        .wait_options(fast())
        .prepare()
        .await
        .unwrap()
        .simulate()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_simulation_creates_nothing_and_what_is_created_is_what_was_simulated() {
    let (lucca, office) = local().await;

    let simulated = simulate(&office, good_rows()).await;

    // The preview: the analysis, before anything is created.
    let analysis = simulated.analysis().expect("the analysis was read");
    assert_eq!(
        analysis
            .valid_user_locations_to_create_summary
            .as_ref()
            .and_then(|s| s.count),
        Some(4)
    );
    assert!(simulated.is_clean() && simulated.resumed().is_none());
    assert_eq!(lucca.imports_applied(), 0, "a simulation creates nothing");
    let simulation = lucca.received_imports();
    assert_eq!(simulation.len(), 1);
    assert!(!simulation[0].create);

    let outcome = simulated.create().await.unwrap();

    assert!(
        matches!(outcome, CheckedImport::Created { .. }),
        "{outcome:?}"
    );
    assert_eq!(lucca.imports_applied(), 1);
    let received = lucca.received_imports();
    assert_eq!(
        received.len(),
        2,
        "the creation only: nothing simulated again"
    );
    assert!(received[1].create);
    assert_eq!(
        received[1].file, received[0].file,
        "the bytes simulated are created"
    );
}

#[tokio::test]
async fn a_simulation_with_errors_is_not_clean_and_its_creation_creates_nothing() {
    let (lucca, office) = local().await;
    let mut rows = good_rows();
    rows.push(UserLocationRow::new(
        "nobody",
        "Paris",
        day(0),
        Position::FullDay,
    ));

    let simulated = simulate(&office, rows).await;

    assert!(!simulated.is_clean());
    assert!(!simulated.analysis().unwrap().error_lines.is_empty());
    let outcome = simulated.create().await.unwrap();
    assert!(
        matches!(outcome, CheckedImport::Rejected { .. }),
        "{outcome:?}"
    );
    assert_eq!(lucca.imports_applied(), 0);
    assert_eq!(lucca.received_imports().len(), 1, "only the simulation");
}

#[tokio::test]
async fn a_checked_import_with_errors_creates_nothing() {
    let (lucca, office) = local().await;
    let mut rows = good_rows();
    rows.push(UserLocationRow::new(
        "nobody",
        "Paris",
        day(2),
        Position::FullDay,
    ));
    rows.push(UserLocationRow::new(
        "jdupont",
        "Atlantis",
        day(3),
        Position::FullDay,
    ));

    let outcome = office
        .checked_import(CsvSource::rows(rows))
        .wait_options(fast())
        .execute()
        .await
        .unwrap();

    assert!(!outcome.applied());
    assert_eq!((outcome.created(), outcome.summary_id()), (Some(0), None));
    let CheckedImport::Rejected { analysis } = outcome else {
        panic!("expected a rejection: {outcome:?}");
    };
    let errors: Vec<(Option<i32>, Option<String>)> = analysis
        .error_lines
        .iter()
        .map(|line| (line.line_number, line.error.clone()))
        .collect();
    assert_eq!(
        errors,
        [
            (Some(6), Some("User doesn't exist".to_owned())),
            (Some(7), Some("Work location doesn't exist".to_owned()))
        ]
    );
    assert_eq!(
        analysis.global_error_summary.as_deref(),
        Some("2 errors lines detected")
    );
    assert_eq!(lucca.imports_applied(), 0);
    assert!(lucca.user_locations().is_empty());
    let received = lucca.received_imports();
    assert_eq!(received.len(), 1, "only the simulation was sent");
    assert!(!received[0].create);
}

#[tokio::test]
async fn a_bad_file_is_refused_before_anything_is_sent() {
    let (lucca, office) = local().await;
    let file =
        b"\xEF\xBB\xBFlogin;workLocationName;date;position\r\njdupont;Paris;2025/02/30;FullDay\r\n";

    let error = office
        .checked_import(CsvSource::bytes(bytes::Bytes::from_static(file)))
        .execute()
        .await
        .unwrap_err();

    let ImportError::Csv(problems) = error else {
        panic!("{error:?}")
    };
    assert_eq!(problems.problems()[0].line, 2);
    assert!(lucca.received_imports().is_empty());
}

/// Waits for the import the server received last, whatever the client knows.
async fn settle(lucca: &LocalLucca, office: &office::Client) {
    let received = lucca.received_imports();
    let last = received.last().expect("the server received an import");
    let mode = if last.create {
        ImportMode::Create
    } else {
        ImportMode::Simulate
    };
    finish(
        office,
        ImportStarted {
            summary_id: last.summary_id,
            mode,
        },
    )
    .await;
}

#[tokio::test]
async fn a_connection_cut_after_the_create_was_handled_is_outcome_unknown_and_applied_once() {
    let (lucca, office) = local().await;
    lucca
        .faults()
        .inject(Route::Create, Fault::DropAfterHandling);

    let error = office
        .checked_import(CsvSource::rows(good_rows()))
        .wait_options(fast())
        .execute()
        .await
        .unwrap_err();

    let ImportError::Upload {
        mode: ImportMode::Create,
        source: UploadError::OutcomeUnknown { mode, .. },
    } = &error
    else {
        panic!("expected an unknown outcome of the creation: {error:?}");
    };
    assert_eq!(*mode, ImportMode::Create);
    assert!(
        error_chain(&error)
            .to_string()
            .contains("it may have been applied")
    );
    settle(&lucca, &office).await;
    let creations = lucca
        .received_imports()
        .iter()
        .filter(|import| import.create)
        .count();
    assert_eq!(creations, 1, "the creation was sent once");
    assert_eq!(lucca.imports_applied(), 1);
    assert_eq!(lucca.user_locations().len(), 4);
}

#[tokio::test]
async fn a_timeout_after_the_create_was_handled_is_outcome_unknown_and_applied_once() {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_import_duration(Duration::from_millis(30));
    let config = lucca
        .config()
        .with_timeout(Duration::from_millis(300))
        .unwrap();
    let office: office::Client = config.client().unwrap();
    lucca
        .faults()
        .inject(Route::Create, Fault::Delay(Duration::from_secs(3)));

    let error = create_fails(&office).await;

    let UploadError::OutcomeUnknown { source, .. } = &error else {
        panic!("{error:?}")
    };
    let roster::HttpError::NoAnswer { source, .. } = source else {
        panic!("{error:?}")
    };
    assert!(source.is_timeout(), "{source:?}");
    settle(&lucca, &office).await;
    assert_eq!(lucca.received_imports().len(), 1);
    assert_eq!(lucca.imports_applied(), 1);
}

#[tokio::test]
async fn a_connection_cut_before_handling_is_still_unknown_to_the_client_but_applies_nothing() {
    let (lucca, office) = local().await;
    lucca
        .faults()
        .inject(Route::Import, Fault::DropBeforeHandling);

    let error = create_fails(&office).await;

    assert!(
        matches!(error, UploadError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert!(lucca.received_imports().is_empty());
    assert_eq!(lucca.imports_applied(), 0);
}

#[tokio::test]
async fn no_server_means_not_sent() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config =
        LuccaConfig::new(&format!("http://127.0.0.1:{port}"), LuccaApiKey::new("k")).unwrap();
    let office: office::Client = config.client().unwrap();

    let error = create_fails(&office).await;

    assert!(matches!(error, UploadError::NotSent(_)), "{error:?}");
    assert!(error.to_string().contains("not sent"));
}

#[tokio::test]
async fn a_5xx_on_an_import_leaves_its_outcome_unknown() {
    // A gateway's 502 may come after Lucca applied the import: not "refused".
    let (lucca, office) = local().await;
    let fault = Fault::Status {
        status: 502,
        retry_after: None,
    };
    lucca.faults().inject(Route::Import, fault);

    let error = create_fails(&office).await;

    let UploadError::OutcomeUnknown { source, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(source.status().map(|status| status.as_u16()), Some(502));
    assert!(
        error.to_string().contains("may have been applied"),
        "{error}"
    );
    assert_eq!(lucca.faults().pending(), 0, "exactly one request was made");
}

#[tokio::test]
async fn a_refused_import_is_not_sent_again() {
    let (lucca, office) = local().await;
    let fault = Fault::Status {
        status: 429,
        retry_after: Some("7".into()),
    };
    lucca.faults().inject_n(Route::Import, fault, 2);

    let error = create_fails(&office).await;

    let UploadError::Rejected(refusal) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(refusal.status().map(|status| status.as_u16()), Some(429));
    assert_eq!(refusal.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(lucca.faults().pending(), 1, "exactly one request was made");
    assert_eq!(lucca.imports_applied(), 0);
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_401() {
    let lucca = LocalLucca::start().await.unwrap();
    let config = LuccaConfig::new(&lucca.base_url(), LuccaApiKey::new("not-the-key")).unwrap();
    let office: office::Client = config.client().unwrap();

    let error = office
        .import_user_locations(CsvSource::rows(good_rows()))
        .send()
        .await
        .unwrap_err();

    assert!(
        matches!(&error, ImportError::Upload { source: UploadError::Rejected(refusal), .. } if refusal.status().is_some_and(|status| status.as_u16() == 401)),
        "{error:?}"
    );
    assert!(!error.to_string().contains("not-the-key"));
}

/// Creates `rows` and waits for the results.
async fn create(
    office: &office::Client,
    rows: Vec<UserLocationRow>,
    existing: ExistingLocations,
) -> roster::office::types::ImportResults {
    let started = office
        .import_user_locations(CsvSource::rows(rows))
        .mode(ImportMode::Create)
        .existing(existing)
        .send()
        .await
        .unwrap();
    match finish(office, started).await {
        ImportOutcome::Results(results) => results,
        other => panic!("a creation ends with results: {other:?}"),
    }
}

#[tokio::test]
async fn existing_locations_are_kept_or_replaced_as_asked() {
    let (lucca, office) = local().await;
    let monday = UserLocationRow::new("jdupont", "Paris", day(0), Position::FullDay);
    let remote = UserLocationRow::new("jdupont", "Remote", day(0), Position::FullDay);
    create(&office, vec![monday.clone()], ExistingLocations::Keep).await;

    let kept = create(&office, vec![remote.clone()], ExistingLocations::Keep).await;

    assert_eq!(kept.user_locations_created_summary.unwrap().count, Some(0));
    assert_eq!(kept.warning_lines[0].is_conflict, Some(true));
    let locations = lucca.user_locations();
    assert_eq!(locations.len(), 1);
    assert_eq!(locations[0].work_location_id, 1, "Paris was kept");

    let replaced = create(&office, vec![remote], ExistingLocations::Replace).await;

    assert_eq!(
        replaced.user_locations_created_summary.unwrap().count,
        Some(1)
    );
    let locations = lucca.user_locations();
    assert_eq!(locations.len(), 1);
    assert_eq!(locations[0].work_location_id, 3, "Remote replaced Paris");

    let deleted = create(&office, vec![monday.deletion()], ExistingLocations::Keep).await;

    assert_eq!(
        deleted.user_locations_deleted_summary.unwrap().count,
        Some(1)
    );
    assert!(lucca.user_locations().is_empty());
    assert_eq!(lucca.imports_applied(), 4);
}

#[tokio::test]
async fn the_waiter_gives_up_at_its_deadline_with_a_typed_error() {
    let (lucca, office) = local().await;
    lucca.set_import_duration(Duration::from_secs(3600));
    let started = office
        .import_user_locations(CsvSource::rows(good_rows()))
        .send()
        .await
        .unwrap();
    let options = WaitOptions {
        max_wait: Duration::from_millis(150),
        ..fast()
    };

    let error = office
        .wait_for_import(started)
        .options(options)
        .execute()
        .await
        .unwrap_err();

    let WaitError {
        failure: WaitFailure::ExceededMaxWait { max_wait, .. },
        elapsed,
        polls,
        last_progress,
        ..
    } = error
    else {
        panic!("{error:?}")
    };
    assert_eq!(max_wait, Duration::from_millis(150));
    assert!(elapsed >= max_wait, "{elapsed:?}");
    assert!(polls >= 2, "{polls}");
    assert_eq!(last_progress, Some(0));
}

#[tokio::test]
async fn the_waiter_survives_transient_faults_while_polling() {
    let (lucca, office) = local_waiter_alone().await;
    let started = office
        .import_user_locations(CsvSource::rows(good_rows()))
        .send()
        .await
        .unwrap();
    let faults = lucca.faults();
    faults.inject(
        Route::Progress,
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    );
    faults.inject(Route::Progress, Fault::Html { status: 502 });
    faults.inject(Route::Progress, Fault::DropBeforeHandling);
    faults.inject(
        Route::Analysis,
        Fault::Status {
            status: 500,
            retry_after: None,
        },
    );

    let outcome = finish(&office, started).await;

    assert!(matches!(outcome, ImportOutcome::Analysis(_)));
    assert_eq!(faults.pending(), 0);
}

#[tokio::test]
async fn the_waiter_honours_retry_after() {
    let (lucca, office) = local_waiter_alone().await;
    let started = office
        .import_user_locations(CsvSource::rows(good_rows()))
        .send()
        .await
        .unwrap();
    lucca.faults().inject(
        Route::Progress,
        Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
        },
    );
    let polls = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&polls);

    office
        .wait_for_import(started)
        .options(fast())
        .on_progress(move |progress| record.lock().unwrap().push(progress.elapsed))
        .execute()
        .await
        .unwrap();

    let first_answer = polls.lock().unwrap()[0];
    assert!(
        first_answer >= Duration::from_secs(1),
        "polled again after {first_answer:?}"
    );
}

#[tokio::test]
async fn the_waiter_stops_on_an_error_waiting_cannot_mend() {
    let (_lucca, office) = local().await;
    let unknown = ImportStarted {
        summary_id: uuid::Uuid::new_v4(),
        mode: ImportMode::Simulate,
    };

    // A 404 is final once the summary had time to become visible.
    let error = office
        .wait_for_import(unknown)
        .options(WaitOptions {
            visibility_grace: Duration::ZERO,
            ..fast()
        })
        .execute()
        .await
        .unwrap_err();

    let WaitFailure::Http { source } = &error.failure else {
        panic!("{error:?}")
    };
    assert_eq!(
        source.operation(),
        roster::Operation::GetOfficeApiImportsUserLocationsProgress
    );
    assert_eq!(source.status().map(|status| status.as_u16()), Some(404));
}

/// The import futures are `Send`: a job runs them in `tokio::spawn` (a
/// compile-time check; nothing is polled).
#[test]
fn the_import_futures_can_be_spawned() {
    fn send<T: Send>(_: T) {}
    let office: office::Client =
        roster::LuccaConfig::new("https://acme.ilucca.net", roster::LuccaApiKey::new("k"))
            .unwrap()
            .client()
            .unwrap();
    send(
        office
            .checked_import(CsvSource::reader(std::io::empty()))
            .on_progress(|_| {})
            .execute(),
    );
    #[cfg(feature = "journal")]
    {
        let journal =
            ImportJournal::sqlite(std::env::temp_dir().join("roster-send.sqlite3")).unwrap();
        send(
            office
                .checked_import(CsvSource::path("x.csv"))
                .journal(&journal)
                .execute(),
        );
    }
    send(
        office
            .import_user_locations(CsvSource::path("x.csv"))
            .send(),
    );
    let started = ImportStarted {
        summary_id: uuid::Uuid::nil(),
        mode: ImportMode::Simulate,
    };
    send(
        office
            .wait_for_import(started)
            .on_progress(|_| {})
            .execute(),
    );
}
