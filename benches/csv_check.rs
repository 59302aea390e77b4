//! Checking a 1 GiB import file (`check_csv_file`) against what a user
//! would run instead: the `csv` crate reading the same file into
//! `ByteRecord`s. Throughput of each, and the peak memory of the check,
//! which must stay under 64 MiB whatever the file's size.
//!
//! `cargo bench --bench csv_check` writes the file once under
//! `target/bench-data/` (`SIZE_MIB` sets its size, default 1024), then runs
//! each arm `RUNS` times (default 3) and prints the medians. The file is in
//! the page cache for both arms after the first read.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Days, NaiveDate};
use roster::office::types::Position;
use roster::office::{UserLocationCsvWriter, UserLocationRow, check_csv_file};

/// A valid import file of about `size` bytes, written once.
fn file(size: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("check-{}m.csv", size >> 20));
    if std::fs::metadata(&path).is_ok_and(|meta| meta.len() >= size) {
        return path;
    }
    let out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut writer = UserLocationCsvWriter::new(out).unwrap();
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut written = 0_u64;
    let mut index = 0_u64;
    while written < size {
        let row = UserLocationRow::new(
            format!("employee{index:07}"),
            ["Paris", "Nantes", "Remote"][(index % 3) as usize],
            start + Days::new(index % 365),
            [Position::FullDay, Position::FirstHalf, Position::SecondHalf][(index % 3) as usize],
        );
        let row = if index % 4 == 1 {
            row.comment("client visit; back at 2pm")
        } else {
            row
        };
        writer.write_row(&row).unwrap();
        written += 59;
        index += 1;
    }
    writer.finish().unwrap();
    path
}

fn main() {
    let size = support::sized("SIZE_MIB", 1024, 1) << 20;
    let runs = support::sized("RUNS", 3, 1);
    let path = file(size as u64);
    let bytes = std::fs::metadata(&path).unwrap().len() as f64;
    let mib = bytes / f64::from(1 << 20);

    let mut baseline = Vec::new();
    let mut roster = Vec::new();
    let mut peaks = Vec::new();
    let mut rows = (0, 0);
    // `ARM=roster` runs the check alone (to profile it).
    let only_roster = std::env::var("ARM").is_ok_and(|arm| arm == "roster");
    for _ in 0..runs {
        let started = Instant::now();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_path(&path)
            .unwrap();
        let mut record = csv::ByteRecord::new();
        let mut count = 0_u64;
        while !only_roster && reader.read_byte_record(&mut record).unwrap() {
            count += 1;
        }
        baseline.push(mib / started.elapsed().as_secs_f64());
        rows.0 = count;

        support::reset_peak();
        let before = support::peak_mib();
        let started = Instant::now();
        let summary = check_csv_file(&path).unwrap();
        roster.push(mib / started.elapsed().as_secs_f64());
        peaks.push(support::peak_mib() - before);
        rows.1 = summary.rows;
    }
    if only_roster {
        return;
    }
    assert_eq!(rows.0 as usize, rows.1 as usize, "both read every row");
    let (baseline, roster) = (support::median(&mut baseline), support::median(&mut roster));
    println!(
        "csv_check: {mib:.0} MiB, {} rows, median of {runs} runs",
        rows.1
    );
    println!("baseline: csv crate into ByteRecords   {baseline:>8.0} MiB/s");
    println!("roster: check_csv_file                 {roster:>8.0} MiB/s");
    println!("ratio roster / baseline: {:.3}", roster / baseline);
    println!(
        "roster's peak memory: {:.1} MiB over the process's before the check; process peak {:.1} MiB",
        peaks.iter().cloned().fold(0.0, f64::max),
        support::peak_mib()
    );
}
