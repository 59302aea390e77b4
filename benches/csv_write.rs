//! Typed office rows to CSV bytes, against the `csv` crate writing the same
//! cells as plain strings (the baseline a user would write by hand): one
//! million rows prepared beforehand, into a `Vec` and into `io::sink()`.

use std::hint::black_box;

use chrono::{Days, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use roster::office::types::Position;
use roster::office::{UserLocationCsvWriter, UserLocationRow};

const ROWS: usize = 1_000_000;

fn rows() -> Vec<UserLocationRow> {
    let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    (0..ROWS)
        .map(|index| {
            let row = UserLocationRow::new(
                format!("employee{index:06}"),
                ["Paris", "Nantes", "Remote"][index % 3],
                start + Days::new((index % 365) as u64),
                [Position::FullDay, Position::FirstHalf, Position::SecondHalf][index % 3],
            );
            match index % 4 {
                0 => row.area("Service Client"),
                1 => row.comment("client visit; back at 2pm"),
                2 => row.comment("said \"hello\"").deletion(),
                _ => row,
            }
        })
        .collect()
}

/// The same cells, already strings, as a hand-written exporter has them.
fn cells(rows: &[UserLocationRow]) -> Vec<[String; 7]> {
    rows.iter()
        .map(|row| {
            [
                row.login.clone(),
                row.work_location_name.clone(),
                row.area_name.clone().unwrap_or_default(),
                row.date.format("%Y/%m/%d").to_string(),
                row.position.to_string(),
                row.comment.clone().unwrap_or_default(),
                row.is_deletion.to_string(),
            ]
        })
        .collect()
}

fn csv_write(c: &mut Criterion) {
    let rows = rows();
    let cells = cells(&rows);
    let mut group = c.benchmark_group("csv_write");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(10);
    for (target, into_vec) in [("Vec", true), ("sink", false)] {
        group.bench_function(
            format!("baseline: csv crate, plain strings, into {target}"),
            |b| {
                b.iter(|| {
                    let out: Box<dyn std::io::Write> = if into_vec {
                        Box::new(Vec::with_capacity(96 << 20))
                    } else {
                        Box::new(std::io::sink())
                    };
                    let mut out = out;
                    out.write_all(b"\xEF\xBB\xBF").unwrap();
                    let mut writer = csv::WriterBuilder::new()
                        .delimiter(b';')
                        .terminator(csv::Terminator::CRLF)
                        .from_writer(out);
                    writer
                        .write_record([
                            "login",
                            "workLocationName",
                            "areaName",
                            "date",
                            "position",
                            "comment",
                            "isDeletion",
                        ])
                        .unwrap();
                    for record in &cells {
                        writer.write_record(record).unwrap();
                    }
                    black_box(writer.into_inner().ok())
                })
            },
        );
        group.bench_function(format!("roster: typed rows, into {target}"), |b| {
            b.iter(|| {
                let out: Box<dyn std::io::Write> = if into_vec {
                    Box::new(Vec::with_capacity(96 << 20))
                } else {
                    Box::new(std::io::sink())
                };
                let mut writer = UserLocationCsvWriter::new(out).unwrap();
                for row in &rows {
                    writer.write_row(row).unwrap();
                }
                black_box(writer.finish().ok())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, csv_write);
criterion_main!(benches);
