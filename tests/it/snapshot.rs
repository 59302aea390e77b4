//! One snapshot per import, of any size: the creation carries exactly the
//! simulated bytes whatever happens to the file, and a file over the platform's limit goes as parts, all
//! simulated before any is created, each journaled.

use std::time::Duration;

use chrono::{Days, NaiveDate};
use roster::office;
use roster::office::types::Position;
use roster::office::{CheckedImport, CsvSource, ImportError, UserLocationRow};
#[cfg(feature = "journal")]
use roster_emulator::{Fault, Route};
use roster_emulator::{Knobs, LocalLucca, Setup};

use crate::support::{LocalConfig, fast};

fn rows(count: u64) -> Vec<UserLocationRow> {
    let first = NaiveDate::from_ymd_opt(2025, 9, 15).unwrap();
    (0..count)
        .map(|offset| {
            UserLocationRow::new(
                "jdupont",
                "Paris",
                first + Days::new(offset),
                Position::FullDay,
            )
            .comment(format!("row {offset}"))
        })
        .collect()
}

fn csv(rows: &[UserLocationRow]) -> Vec<u8> {
    office::rows_to_csv(rows).unwrap()
}

/// A local server whose platform limit is `limit` bytes.
async fn local(limit: Option<usize>) -> (LocalLucca, office::Client) {
    let mut knobs = Knobs::default();
    if let Some(limit) = limit {
        knobs.office_max_upload = limit;
    }
    let lucca = LocalLucca::start_with(Setup::default().with_knobs(knobs))
        .await
        .unwrap();
    lucca.set_import_duration(Duration::from_millis(20));
    let office = lucca.config().client().unwrap();
    (lucca, office)
}

#[cfg(feature = "journal")]
#[tokio::test]
async fn the_creation_carries_the_simulated_bytes_even_when_the_file_is_rewritten() {
    let (lucca, office) = local(None).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("locations.csv");
    let original = csv(&rows(3));
    std::fs::write(&path, &original).unwrap();
    // An export job that writes the file again once the simulation passed.
    let rewritten = path.clone();
    lucca.on_import(move |received| {
        if !received.create {
            std::fs::write(&rewritten, csv(&rows(5))).unwrap();
        }
    });
    let journal = office::ImportJournal::sqlite(dir.path().join("journal.sqlite3")).unwrap();
    // Taken to a private file: the copy is what is sent, not the file.
    let outcome = office
        .checked_import(CsvSource::path(path.clone()))
        .wait_options(fast())
        .in_memory_up_to(16)
        .journal(&journal)
        .execute()
        .await
        .unwrap();
    assert!(
        matches!(outcome, CheckedImport::Created { .. }),
        "{outcome:?}"
    );
    let received = lucca.received_imports();
    assert_eq!(received.len(), 2);
    let (simulation, creation) = (&received[0], &received[1]);
    assert!(!simulation.create && creation.create);
    assert_eq!(
        creation.sha256, simulation.sha256,
        "the creation is what was simulated"
    );
    assert_eq!(
        creation.file, original,
        "the bytes taken before the rewrite"
    );
    assert_eq!(creation.rows.len(), 3);
    let entries = journal.entries().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].sha256, creation.sha256,
        "the journal's hash is the one sent"
    );
    // The file on disk did change (the rewrite is real).
    assert_ne!(std::fs::read(&path).unwrap(), original);
}

/// Every received file is under `limit`, starts with the BOM and the
/// header, and the parts' rows, in order, are the file's.
fn assert_parts(received: &[&roster_emulator::ReceivedImport], limit: usize, all: &[u8]) {
    let header_end = all.windows(2).position(|pair| pair == b"\r\n").unwrap() + 2;
    let mut rows = Vec::new();
    for part in received {
        assert!(part.file.len() <= limit, "{} bytes", part.file.len());
        assert!(
            part.file.starts_with(&all[..header_end]),
            "the header in each part"
        );
        rows.extend_from_slice(&part.file[header_end..]);
        let name = part.file_name.as_deref().unwrap_or_default();
        assert!(name.ends_with(".csv"), "{name}");
    }
    let lines = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (sent, file) = (lines(&rows), lines(&all[header_end..]));
    assert_eq!(sent.len(), file.len(), "no row lost or repeated");
    assert!(sent == file, "no row cut or reordered");
}

#[tokio::test]
async fn a_file_over_the_limit_goes_as_parts_all_simulated_then_all_created() {
    const LIMIT: usize = 8_000;
    let (lucca, office) = local(Some(LIMIT)).await;
    let all = rows(300);
    let bytes = csv(&all);
    assert!(
        bytes.len() > LIMIT,
        "{} bytes: over the server's limit",
        bytes.len()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, &bytes).unwrap();
    let before = lucca.user_locations().len();
    // Taken to a private file (the path of files over 16 MiB).
    let prepared = office
        .checked_import(CsvSource::path(path))
        .wait_options(fast())
        .part_limit(LIMIT as u64)
        .in_memory_up_to(1024)
        .prepare()
        .await
        .unwrap();
    assert_eq!(prepared.summary().rows, 300);
    let parts = prepared.parts().len();
    assert!(parts >= 3, "{parts} parts");
    let outcome = prepared.execute().await.unwrap();
    let received = lucca.received_imports();
    let creates: Vec<bool> = received.iter().map(|import| import.create).collect();
    let mut expected = vec![false; parts];
    expected.extend(vec![true; parts]);
    assert_eq!(
        creates, expected,
        "every part simulated before any is created"
    );
    let simulations: Vec<_> = received.iter().filter(|import| !import.create).collect();
    let creations: Vec<_> = received.iter().filter(|import| import.create).collect();
    assert_parts(&simulations, LIMIT, &bytes);
    assert_parts(&creations, LIMIT, &bytes);
    let CheckedImport::CreatedInParts {
        analysis,
        parts: created,
    } = outcome
    else {
        panic!("expected parts, got {outcome:?}");
    };
    assert_eq!(created.len(), parts);
    for (index, part) in created.iter().enumerate() {
        assert_eq!(part.part.number, index + 1);
        assert_eq!(part.part.sha256, creations[index].sha256);
        assert!(!part.resumed);
    }
    let to_create = analysis
        .valid_user_locations_to_create_summary
        .and_then(|summary| summary.count);
    assert_eq!(to_create, Some(300), "the analyses' counts added");
    assert_eq!(lucca.user_locations().len(), before + 300);
}

#[cfg(feature = "journal")]
#[tokio::test]
async fn a_creation_refused_on_part_two_reports_part_one_applied_and_a_rerun_finishes() {
    const LIMIT: usize = 8_000;
    let (lucca, office) = local(Some(LIMIT)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    std::fs::write(&path, csv(&rows(120))).unwrap();
    let journal = office::ImportJournal::sqlite(dir.path().join("journal.sqlite3")).unwrap();
    // The first creation goes through; the second is refused.
    lucca
        .faults()
        .inject(Route::Create, Fault::Delay(Duration::ZERO));
    lucca.faults().inject(
        Route::Create,
        Fault::Status {
            status: 400,
            retry_after: None,
        },
    );
    let import = || {
        office
            .checked_import(CsvSource::path(path.clone()))
            .wait_options(fast())
            .part_limit(LIMIT as u64)
            .journal(&journal)
            .execute()
    };
    let error = import().await.unwrap_err();
    let ImportError::PartlyCreated(roster::AppliedInPart {
        applied, part, of, ..
    }) = &error
    else {
        panic!("expected a partly created file, got {error:?}");
    };
    assert_eq!((applied.len(), *part, *of), (1, 2, 2));
    assert_eq!(applied[0].part.number, 1);
    assert!(error.to_string().contains("applied: 1"), "{error}");
    let applied_id = applied[0].summary_id;
    let creations = |lucca: &LocalLucca| {
        lucca
            .received_imports()
            .iter()
            .filter(|import| import.create)
            .count()
    };
    assert_eq!(
        creations(&lucca),
        1,
        "the refused part was received by nobody"
    );
    // Run again: part 1 is resumed from the journal, part 2 created.
    let outcome = import().await.unwrap();
    let CheckedImport::CreatedInParts { parts, .. } = outcome else {
        panic!("expected parts, got {outcome:?}");
    };
    assert!(parts[0].resumed && !parts[1].resumed);
    assert_eq!(parts[0].summary_id, applied_id);
    assert_eq!(creations(&lucca), 2, "part 1 was not sent again");
}

#[tokio::test]
async fn an_outcome_larger_than_the_answer_bound_is_read_as_a_stream() {
    let lucca = LocalLucca::start().await.unwrap();
    lucca.set_import_duration(Duration::from_millis(20));
    // Answers read whole may be 4 KiB at most; the results of 300 rows,
    // with a description each, are far larger.
    let office: office::Client = lucca
        .config()
        .with_max_response_size(4096)
        .client()
        .unwrap();
    let started = office
        .import_user_locations(office::CsvSource::rows(rows(300)))
        .mode(office::ImportMode::Create)
        .send()
        .await
        .unwrap();
    let mut described = Vec::new();
    let outcome = office
        .wait_for_import(started)
        .options(fast())
        .keep_descriptions(10)
        .on_description(|text| described.push(text.to_owned()))
        .execute()
        .await
        .unwrap();

    let office::ImportOutcome::Results(results) = outcome else {
        panic!("expected typed results, got {outcome:?}");
    };
    let created = results.user_locations_created_summary.unwrap();
    assert_eq!(created.count, Some(300), "the count counts them all");
    assert_eq!(created.descriptions.len(), 10, "ten kept");
    assert_eq!(described.len(), 300, "every description passed on");
    assert_eq!(&described[..10], &created.descriptions[..]);
}

#[tokio::test]
async fn a_file_over_the_server_s_limit_sent_whole_is_refused_413_and_nothing_is_created() {
    const LIMIT: usize = 8_000;
    let (lucca, office) = local(Some(LIMIT)).await;
    // The client told the platform allows more than this server does.
    let error = office
        .checked_import(CsvSource::rows(rows(300)))
        .wait_options(fast())
        .part_limit(1_000_000)
        .execute()
        .await
        .unwrap_err();

    let ImportError::Upload {
        mode: office::ImportMode::Simulate,
        source: office::UploadError::Rejected(refused),
    } = &error
    else {
        panic!("expected a refused simulation, got {error:?}");
    };
    assert_eq!(refused.status().map(|status| status.as_u16()), Some(413));
    assert!(lucca.received_imports().is_empty());
}
