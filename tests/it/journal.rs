//! The import journal (feature `journal`), in SQLite and (feature `redis`)
//! in a real `redis-server`: two workers racing to create the same file
//! apply it once; a creation whose answer was lost refuses its repeat until
//! resolved; a deliberate repeat goes through.

use chrono::{Days, NaiveDate};
use roster::office::types::Position;
use roster::office::{
    self, CheckedImport, CsvSource, ImportError, ImportJournal, JournalState, Resolution,
    UserLocationRow,
};
use roster_emulator::{Fault, LocalLucca, Route};

use crate::support::{LocalConfig, fast};

fn rows() -> CsvSource {
    let day = NaiveDate::from_ymd_opt(2025, 10, 6).unwrap();
    CsvSource::rows(vec![
        UserLocationRow::new("jdupont", "Paris", day, Position::FullDay),
        UserLocationRow::new(
            "mlefevre",
            "Nantes",
            day + Days::new(1),
            Position::FirstHalf,
        ),
    ])
}

/// The creations the server received.
fn creations(lucca: &LocalLucca) -> usize {
    lucca
        .received_imports()
        .iter()
        .filter(|import| import.create)
        .count()
}

fn journal_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("roster-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.sqlite3"));
    let _ = std::fs::remove_file(&path);
    path
}

/// The journal in Redis, with a connection of its own (as another
/// process's); the server is kept running by the test.
#[cfg(feature = "redis")]
fn in_redis(redis: &crate::redis_server::RedisServer) -> ImportJournal {
    ImportJournal::redis(&roster::shared::RedisStore::open(&redis.url()).unwrap())
}

#[tokio::test]
async fn two_workers_racing_on_the_same_file_apply_it_once() {
    let path = journal_path("race");
    race(
        ImportJournal::sqlite(&path).unwrap(),
        ImportJournal::sqlite(&path).unwrap(),
    )
    .await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn two_workers_racing_on_the_same_file_apply_it_once_in_redis() {
    let Some(redis) = crate::redis_server::RedisServer::start("journal race") else {
        return;
    };
    race(in_redis(&redis), in_redis(&redis)).await;
}

/// Two workers, with their own clients and their own handles on the
/// journal, create the same file at once.
async fn race(journal_one: ImportJournal, journal_two: ImportJournal) {
    let lucca = LocalLucca::start().await.unwrap();
    let (first, second): (office::Client, office::Client) = (
        lucca.config().with_rate_limit(None).client().unwrap(),
        lucca.config().with_rate_limit(None).client().unwrap(),
    );

    let (one, two) = tokio::join!(
        first
            .checked_import(rows())
            .wait_options(fast())
            .journal(&journal_one)
            .execute(),
        second
            .checked_import(rows())
            .wait_options(fast())
            .journal(&journal_two)
            .execute(),
    );

    let outcomes = [one, two];
    let created = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Ok(CheckedImport::Created { .. })))
        .count();
    let refused: Vec<_> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Err(ImportError::Repeated { earlier }) => Some(earlier),
            _ => None,
        })
        .collect();
    assert_eq!((created, refused.len()), (1, 1), "{outcomes:?}");
    // The tenant, in its one spelling.
    let tenant = roster::BaseUrl::parse(&lucca.base_url()).unwrap().tenant();
    assert_eq!(refused[0].tenant, tenant);
    assert_eq!(lucca.imports_applied(), 1);
    assert_eq!(creations(&lucca), 1, "the refused worker sent no creation");
}

#[tokio::test]
async fn a_lost_answer_refuses_the_repeat_until_resolved_and_a_deliberate_repeat_goes_through() {
    lost_answer(ImportJournal::sqlite(journal_path("lost")).unwrap()).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn a_lost_answer_refuses_the_repeat_until_resolved_in_redis_too() {
    let Some(redis) = crate::redis_server::RedisServer::start("journal lost answer") else {
        return;
    };
    lost_answer(in_redis(&redis)).await;
}

async fn lost_answer(journal: ImportJournal) {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    let office: office::Client = lucca.config().with_rate_limit(None).client().unwrap();
    lucca
        .faults()
        .inject(Route::Create, Fault::DropAfterHandling);

    let lost = import(&office, &journal, rows()).await;
    assert!(matches!(lost, Err(ImportError::Upload { .. })), "{lost:?}");
    assert_eq!(creations(&lucca), 1, "sent once, its answer lost");

    let again = import(&office, &journal, rows()).await;
    let Err(ImportError::Repeated { earlier }) = again else {
        panic!("not refused: {again:?}");
    };
    assert_eq!(earlier.state, JournalState::Unknown);
    assert!(earlier.to_string().contains("may have been applied"));

    // Checked in Lucca: it was applied. A repeat is now refused as done.
    journal
        .resolve(&earlier.tenant, &earlier.sha256, Resolution::Applied)
        .await
        .unwrap();
    let done = import(&office, &journal, rows()).await;
    assert!(
        matches!(&done, Err(ImportError::Repeated { earlier }) if earlier.state == JournalState::Done),
        "{done:?}"
    );
    assert_eq!(creations(&lucca), 1);

    // A deliberate repeat the server refuses (nothing sent on): the done
    // entry comes back, and it cannot be marked not applied.
    lucca.faults().inject(
        Route::Create,
        Fault::Status {
            status: 400,
            retry_after: None,
        },
    );
    let refused = repeat(&office, &journal).await;
    assert!(
        matches!(refused, Err(ImportError::Upload { .. })),
        "{refused:?}"
    );
    let kept = journal
        .entry(&earlier.tenant, &earlier.sha256)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.state, JournalState::Done, "restored, not forgotten");
    assert!(matches!(
        journal
            .resolve(&earlier.tenant, &earlier.sha256, Resolution::NotApplied)
            .await,
        Err(roster::office::JournalError::Applied { .. })
    ));
    let still = journal
        .entry(&earlier.tenant, &earlier.sha256)
        .await
        .unwrap()
        .map(|entry| entry.state);
    assert_eq!(
        still,
        Some(JournalState::Done),
        "an applied import is never forgotten"
    );

    let repeated = repeat(&office, &journal).await;
    assert!(
        matches!(repeated, Ok(CheckedImport::Created { .. })),
        "{repeated:?}"
    );
    assert_eq!(creations(&lucca), 2);
    let entry = journal
        .entry(&earlier.tenant, &earlier.sha256)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, JournalState::Done);
    assert!(entry.summary_id.is_some());
}

/// A deliberate repeat of `rows()`.
async fn repeat(
    client: &office::Client,
    journal: &ImportJournal,
) -> Result<CheckedImport, ImportError> {
    client
        .checked_import(rows())
        .wait_options(fast())
        .journal(journal)
        .allow_repeat()
        .execute()
        .await
}

async fn import(
    client: &office::Client,
    journal: &ImportJournal,
    source: CsvSource,
) -> Result<CheckedImport, ImportError> {
    client
        .checked_import(source)
        .wait_options(fast())
        .journal(journal)
        .execute()
        .await
}

#[tokio::test]
async fn another_file_or_another_tenant_is_not_a_repeat_and_a_refusal_is_forgotten() {
    let path = journal_path("other");
    not_repeats(
        ImportJournal::sqlite(&path).unwrap(),
        ImportJournal::sqlite(&path).unwrap(),
    )
    .await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn another_file_or_another_tenant_is_not_a_repeat_in_redis_either() {
    let Some(redis) = crate::redis_server::RedisServer::start("journal not repeats") else {
        return;
    };
    not_repeats(in_redis(&redis), in_redis(&redis)).await;
}

/// `journal` and `again`: two handles on one journal (`again`'s window is
/// set short).
async fn not_repeats(journal: ImportJournal, again: ImportJournal) {
    let short = again.with_window(std::time::Duration::from_millis(1));
    let lucca = LocalLucca::start().await.unwrap();
    let other = LocalLucca::start().await.unwrap();
    // Five imports polled fast: more than Lucca's 50 requests a minute,
    // which is not what this test is about (the clients' limiter is off too).
    lucca.set_rate_limit(None);
    let office: office::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let elsewhere: office::Client = other.config().with_rate_limit(None).client().unwrap();
    assert!(matches!(
        import(&office, &journal, rows()).await,
        Ok(CheckedImport::Created { .. })
    ));
    assert!(matches!(
        import(&elsewhere, &journal, rows()).await,
        Ok(CheckedImport::Created { .. })
    ));
    let day = NaiveDate::from_ymd_opt(2025, 10, 20).unwrap();
    let different = CsvSource::rows(vec![UserLocationRow::new(
        "jdupont",
        "Paris",
        day,
        Position::FullDay,
    )]);
    assert!(matches!(
        import(&office, &journal, different).await,
        Ok(CheckedImport::Created { .. })
    ));

    // A creation the server refused (nothing imported) leaves no entry.
    let refused_day = NaiveDate::from_ymd_opt(2025, 11, 3).unwrap();
    let refused = || {
        CsvSource::rows(vec![UserLocationRow::new(
            "pmartin",
            "Paris",
            refused_day,
            Position::FullDay,
        )])
    };
    lucca.faults().inject(
        Route::Create,
        Fault::Status {
            status: 400,
            retry_after: None,
        },
    );
    assert!(matches!(
        import(&office, &journal, refused()).await,
        Err(ImportError::Upload { .. })
    ));
    assert!(matches!(
        import(&office, &journal, refused()).await,
        Ok(CheckedImport::Created { .. })
    ));

    // A done import is resumed within the window (24 h): its outcome read
    // again, nothing sent; and created again past it (1 ms: the refused
    // attempt's simulation alone takes longer).
    let before = lucca.received_imports().len();
    assert!(matches!(
        import(&office, &journal, refused()).await,
        Ok(CheckedImport::Resumed { .. })
    ));
    assert_eq!(lucca.received_imports().len(), before, "nothing sent");
    assert!(matches!(
        import(&office, &short, refused()).await,
        Ok(CheckedImport::Created { .. })
    ));
}

/// SQLite waits for another process's lock (up to its busy timeout): on a
/// blocking thread, so that the runtime's timers go on meanwhile, even on a
/// current-thread runtime, and the lock's release is seen.
#[test]
fn a_journal_locked_by_another_process_does_not_stop_the_runtime() {
    let path = journal_path("locked");
    let journal = ImportJournal::sqlite(&path).unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        released.recv().unwrap();
        other.execute_batch("COMMIT;").unwrap();
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // The timer is what releases the lock: if the journal's read held
        // the only thread, it would fire only after the read gave up.
        let timer = async {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            release.send(()).unwrap();
            std::time::Instant::now()
        };
        let read = async {
            let entry = journal.entry("https://tenant", "0123").await;
            (entry, std::time::Instant::now())
        };
        let (fired, (entry, read)) = tokio::join!(timer, read);
        assert!(entry.is_ok(), "{entry:?}");
        assert!(fired <= read, "the timer fired while the journal waited");
    });
    holder.join().unwrap();
}

/// One tenant, one history: the same server reached as `127.0.0.1`, then
/// as `localhost` (and with a trailing slash), is the same tenant to the
/// journal: the second run resumes the first's creation, never sends it.
#[tokio::test]
async fn a_tenant_reached_by_another_spelling_is_the_same_tenant() {
    let lucca = LocalLucca::start().await.unwrap();
    let path = journal_path("spelling");
    let journal = ImportJournal::sqlite(&path).unwrap();
    let numeric = lucca.base_url();
    assert!(numeric.contains("127.0.0.1"), "{numeric}");
    let named = format!("{}/", numeric.replace("127.0.0.1", "LocalHost"));
    for base_url in [numeric, named] {
        let office: office::Client =
            roster::LuccaConfig::new(&base_url, roster::LuccaApiKey::new(lucca.api_key()))
                .unwrap()
                .client()
                .unwrap();
        let outcome = import(&office, &journal, rows()).await.unwrap();
        assert!(
            matches!(
                outcome,
                CheckedImport::Created { .. } | CheckedImport::Resumed { .. }
            ),
            "{outcome:?}"
        );
    }
    assert_eq!(creations(&lucca), 1);
}

/// One tenant, one history across stores: a job that moves from the SQLite
/// journal to Redis, with the SQLite one as its history, resumes the
/// creation the SQLite journal holds instead of sending it again.
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_job_that_moves_to_redis_keeps_the_sqlite_journal_s_history() {
    let Some(redis) = crate::redis_server::RedisServer::start("journal history") else {
        return;
    };
    let lucca = LocalLucca::start().await.unwrap();
    let office: office::Client = lucca.config().client().unwrap();
    let path = journal_path("history");
    let local = ImportJournal::sqlite(&path).unwrap();
    import(&office, &local, rows()).await.unwrap();

    let shared = in_redis(&redis).with_history(ImportJournal::sqlite(&path).unwrap());
    let outcome = import(&office, &shared, rows()).await.unwrap();

    assert!(
        matches!(outcome, CheckedImport::Resumed { .. }),
        "{outcome:?}"
    );
    assert_eq!(creations(&lucca), 1);
}

/// A live claim is never forgotten: while a run sends (its answer slow),
/// another run is refused and told a run holds it, and "not applied" is
/// refused; once that run is gone (killed: its lease no longer renewed)
/// the lease still runs out in full before "not applied" is taken (the
/// grace for a body Lucca may still be reading). Marking it applied is
/// safe at any time.
#[tokio::test]
async fn a_claim_a_run_holds_is_never_resolved_not_applied() {
    let path = journal_path("held");
    held(
        ImportJournal::sqlite(&path).unwrap(),
        ImportJournal::sqlite(&path).unwrap(),
    )
    .await;
}

/// The same in Redis.
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_claim_a_run_holds_is_never_resolved_not_applied_in_redis() {
    let Some(redis) = crate::redis_server::RedisServer::start("journal held") else {
        return;
    };
    held(in_redis(&redis), in_redis(&redis)).await;
}

/// `running` is the journal of the run that sends; `journal` another
/// handle on the same journal.
async fn held(running: ImportJournal, journal: ImportJournal) {
    let lucca = LocalLucca::start().await.unwrap();
    let office: office::Client = lucca.config().with_rate_limit(None).client().unwrap();
    lucca.faults().inject(
        Route::Create,
        Fault::Delay(std::time::Duration::from_secs(30)),
    );
    let tenant = lucca.base_url();
    let sending = import(&office, &running, rows());
    let meanwhile = async {
        // Once the creation has reached the server (a condition, polled),
        // the other run is refused, told that a run holds it.
        while creations(&lucca) == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let earlier = loop {
            match import(&office, &journal, rows()).await {
                Err(ImportError::Repeated { earlier })
                    if earlier.state == JournalState::Sending =>
                {
                    break earlier;
                }
                _ => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        };
        assert!(earlier.is_held(), "{earlier:?}");
        let holder = earlier.holder.clone().unwrap();
        assert!(
            holder
                .owner
                .contains(&format!("pid {}", std::process::id())),
            "{holder:?}"
        );
        assert!(
            earlier.to_string().contains("may be sending it now"),
            "{earlier}"
        );
        let refused = journal
            .resolve(&tenant, &earlier.sha256, Resolution::NotApplied)
            .await;
        assert!(
            matches!(refused, Err(roster::office::JournalError::Held { .. })),
            "{refused:?}"
        );
        earlier
    };
    // The sending run is dropped once the checks are done: killed with its
    // creation in flight, its lease no longer renewed.
    let earlier = tokio::select! {
        done = sending => panic!("the slow creation ended first: {done:?}"),
        earlier = meanwhile => earlier,
    };
    let still = journal
        .resolve(&tenant, &earlier.sha256, Resolution::NotApplied)
        .await;
    assert!(
        matches!(still, Err(roster::office::JournalError::Held { .. })),
        "{still:?}"
    );
    let kept = journal
        .entry(&tenant, &earlier.sha256)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.state, JournalState::Sending, "nothing resolved");
    assert!(creations(&lucca) <= 1);
    // Applied is safe whoever holds it: it only refuses repeats.
    journal
        .resolve(&tenant, &earlier.sha256, Resolution::Applied)
        .await
        .unwrap();
}

/// Resolving by reading (feature `directory` too). A creation whose answer
/// was lost after Lucca applied it: once the claim's lease has run out,
/// the evidence shows the file's first and last rows as user locations
/// created since the claim, so "not applied" would send it twice. A
/// creation that never reached Lucca: none of its rows is there, and once
/// resolved not applied the next run creates it, once.
#[cfg(feature = "directory")]
#[tokio::test]
async fn resolving_by_reading_tells_an_applied_creation_from_one_that_never_arrived() {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_rate_limit(None);
    let office: office::Client = lucca.config().with_rate_limit(None).client().unwrap();
    let directory: roster::directory::Client =
        lucca.config().with_rate_limit(None).client().unwrap();
    let journal = ImportJournal::sqlite(journal_path("evidence"))
        .unwrap()
        .lease(std::time::Duration::from_secs(1));
    let tenant = lucca.base_url();

    // Applied, its answer lost.
    lucca
        .faults()
        .inject(Route::Create, Fault::DropAfterHandling);
    let lost = import(&office, &journal, rows()).await;
    assert!(matches!(lost, Err(ImportError::Upload { .. })), "{lost:?}");
    let entry = released(&journal, &tenant).await;
    while lucca.imports_applied() == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let prepared = office.checked_import(rows()).prepare().await.unwrap();
    let evidence = prepared.evidence(&directory, &entry).await.unwrap();
    assert!(evidence.applied(), "{evidence}");
    assert_eq!(evidence.probes.len(), 2, "the first and last rows");
    assert!(
        evidence.probes.iter().all(|probe| probe.seen.is_some()),
        "{evidence}"
    );
    assert!(
        evidence.to_string().contains("line 2 (jdupont"),
        "{evidence}"
    );
    assert_eq!(creations(&lucca), 1);

    // Another file, sent nowhere: its creation is dropped before Lucca
    // reads it.
    let day = NaiveDate::from_ymd_opt(2025, 11, 3).unwrap();
    let other = || {
        CsvSource::rows(vec![
            UserLocationRow::new("jdupont", "Paris", day, Position::SecondHalf),
            UserLocationRow::new("mlefevre", "Nantes", day, Position::FullDay),
        ])
    };
    lucca
        .faults()
        .inject(Route::Create, Fault::DropBeforeHandling);
    let dropped = import(&office, &journal, other()).await;
    assert!(
        matches!(dropped, Err(ImportError::Upload { .. })),
        "{dropped:?}"
    );
    let entry = released(&journal, &tenant).await;
    let prepared = office.checked_import(other()).prepare().await.unwrap();
    let evidence = prepared.evidence(&directory, &entry).await.unwrap();
    assert!(
        evidence.is_conclusive() && !evidence.applied(),
        "{evidence}"
    );
    assert!(evidence.read > 0, "the user locations were read");
    journal
        .resolve(&tenant, &entry.sha256, Resolution::NotApplied)
        .await
        .unwrap();
    let created = import(&office, &journal, other()).await;
    assert!(
        matches!(created, Ok(CheckedImport::Created { .. })),
        "{created:?}"
    );
    assert_eq!(lucca.imports_applied(), 2, "each file applied once");

    // The evidence of a file that is not the entry's is refused.
    let wrong = office.checked_import(rows()).prepare().await.unwrap();
    assert!(matches!(
        wrong.evidence(&directory, &entry).await,
        Err(ImportError::OtherFile { .. })
    ));
}

/// The journal's newest entry whose outcome is unknown, once its lease has
/// run out (polled).
#[cfg(feature = "directory")]
async fn released(journal: &ImportJournal, tenant: &str) -> roster::office::JournalEntry {
    loop {
        let entries = journal.entries().await.unwrap();
        let entry = entries
            .into_iter()
            .find(|entry| entry.state == JournalState::Unknown)
            .expect("an entry whose outcome is unknown");
        assert_eq!(
            entry.tenant,
            roster::BaseUrl::parse(tenant).unwrap().tenant()
        );
        if !entry.is_held() {
            return entry;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
