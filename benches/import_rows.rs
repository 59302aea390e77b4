//! A checked import (simulation, then creation) of 100,000, 1,000,000 and
//! 3,000,000 rows from a file against the local server (its own process):
//! wall time and the client's peak memory, which should not grow with the
//! rows (the file is taken once to a private copy, streamed, and the
//! outcome read as a stream). 3,000,000 rows are about 150 MB: over Lucca's
//! 100 MB, they go as two parts. Polls every 50 to 200 ms, so that the time
//! is the work's and not the waiter's.
//!
//! `cargo bench --bench import_rows` (`ROWS` sets the middle count; the
//! others are a tenth of it and three times it).

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use roster::office::types::Position;
use roster::office::{
    self, CheckedImport, CsvSource, UserLocationCsvWriter, UserLocationRow, WaitOptions,
};

/// The generated employees' logins, `user0000`….
const EMPLOYEES: usize = 1_000;

/// `rows` rows: every employee, on consecutive days.
fn file(rows: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("import-{rows}.csv"));
    if path.exists() {
        return path;
    }
    let out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut writer = UserLocationCsvWriter::new(out).unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    for index in 0..rows {
        let row = UserLocationRow::new(
            format!("user{:04}", index % EMPLOYEES),
            "Paris",
            start + Days::new((index / EMPLOYEES) as u64),
            Position::FullDay,
        );
        writer.write_row(&row).unwrap();
    }
    writer.finish().unwrap();
    path
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let large = support::sized("ROWS", 1_000_000, 2_000);
    println!("checked import from a file, the local server in its own process");
    println!(
        "{:>9} | {:>9} | {:>5} | {:>8} | {:>12} | {:>16} | {:>26}",
        "rows",
        "MiB",
        "parts",
        "seconds",
        "client CPU s",
        "client peak MiB",
        "client peak over start MiB"
    );
    for rows in [large / 10, large, large * 3] {
        let path = file(rows);
        let mib = std::fs::metadata(&path).unwrap().len() as f64 / f64::from(1 << 20);
        let emulator = support::Emulator::start(EMPLOYEES);
        let office: office::Client = emulator.lucca().client().unwrap();
        support::reset_peak();
        let before = support::resident_mib();
        let cpu = support::cpu_seconds();
        let started = Instant::now();
        let outcome = office
            .checked_import(CsvSource::path(path))
            .wait_options(WaitOptions {
                min_delay: Duration::from_millis(50),
                max_delay: Duration::from_millis(200),
                ..WaitOptions::default()
            })
            .execute()
            .await
            .unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        let created = |results: &office::types::ImportResults| {
            results
                .user_locations_created_summary
                .as_ref()
                .and_then(|summary| summary.count)
                .unwrap_or_default()
        };
        let (created, parts) = match &outcome {
            CheckedImport::Created { results, .. } => (created(results), 1),
            CheckedImport::CreatedInParts { parts, .. } => (
                parts
                    .iter()
                    .map(|part| match &part.outcome {
                        office::ImportOutcome::Results(results) => created(results),
                        other => panic!("part not read: {other:?}"),
                    })
                    .sum(),
                parts.len(),
            ),
            other => panic!("not created: {other:?}"),
        };
        assert_eq!(created, rows as i32);
        println!(
            "{rows:>9} | {mib:>9.1} | {parts:>5} | {elapsed:>8.1} | {:>12.2} | {:>16.1} | {:>26.1}",
            support::cpu_seconds() - cpu,
            support::peak_mib(),
            support::peak_mib() - before
        );
    }
}
