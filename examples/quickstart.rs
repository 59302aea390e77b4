//! The main job: import employees' work locations into Lucca Office with a
//! checked import (simulate, stop on errors, create, wait for the results).
//!
//! With no credentials it starts the local Lucca server and imports there:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With `LUCCA_HOST` and `LUCCA_API_KEY` set it talks to that account and
//! only simulates, unless `--create` is given. `--csv FILE` imports a file
//! instead of the sample rows.

mod common;

use std::error::Error;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{Datelike, Days, Local, NaiveDate};
use roster::office::{
    self, CheckedImport, CsvSource, ImportOutcome, Progress, UserLocationRow, WaitOptions, types,
};

/// The Monday after today, so that the sample rows are in the future.
fn next_monday() -> NaiveDate {
    let today = Local::now().date_naive();
    let ahead = 7 - u64::from(today.weekday().num_days_from_monday());
    today + Days::new(ahead)
}

fn sample_rows() -> Vec<UserLocationRow> {
    use types::Position::{FirstHalf, FullDay, SecondHalf};
    let monday = next_monday();
    let day = |offset: u64| monday + Days::new(offset);
    vec![
        UserLocationRow::new("jdupont", "Paris", day(0), FullDay).area("Service Client"),
        UserLocationRow::new("jdupont", "Remote", day(1), FullDay),
        UserLocationRow::new("mlefevre", "Nantes", day(0), FirstHalf)
            .area("B1")
            .comment("client visit; back at 2pm"),
        UserLocationRow::new("mlefevre", "Remote", day(0), SecondHalf),
        UserLocationRow::new("pmartin", "Paris", day(2), FullDay).comment("\"Team day\""),
        UserLocationRow::new("adurand", "Paris", day(3), FullDay).area("B1"),
    ]
}

fn print_progress(progress: Progress) {
    println!(
        "  {:?}: {:>3} % after {} poll(s), {:.1} s",
        progress.mode,
        progress.percent,
        progress.polls,
        progress.elapsed.as_secs_f64()
    );
}

fn print_lines(errors: &[types::ErrorLine], warnings: &[types::WarningLine]) {
    for line in errors {
        println!(
            "  error   line {:>3}: {}",
            line.line_number.unwrap_or_default(),
            line.error.as_deref().unwrap_or("?")
        );
    }
    for line in warnings {
        println!(
            "  warning line {:>3}: {}",
            line.line_number.unwrap_or_default(),
            line.warning.as_deref().unwrap_or("?")
        );
    }
}

fn print_analysis(analysis: &types::ImportAnalysis) {
    let create = analysis.valid_user_locations_to_create_summary.as_ref();
    println!("Analysis (simulation):");
    println!(
        "  {} user location(s) to create, {} to delete",
        create.and_then(|summary| summary.count).unwrap_or_default(),
        analysis
            .user_locations_to_delete_summary
            .as_ref()
            .and_then(|summary| summary.count)
            .unwrap_or_default()
    );
    print_lines(&analysis.error_lines, &analysis.warning_lines);
}

fn print_results(results: &types::ImportResults) {
    let created = results.user_locations_created_summary.as_ref();
    println!("Results (creation):");
    for description in created
        .map(|summary| summary.descriptions.as_slice())
        .unwrap_or_default()
    {
        println!("  {description}");
    }
    println!(
        "  {} created, {} deleted",
        created
            .and_then(|summary| summary.count)
            .unwrap_or_default(),
        results
            .user_locations_deleted_summary
            .as_ref()
            .and_then(|summary| summary.count)
            .unwrap_or_default()
    );
    print_lines(&results.error_lines, &results.warning_lines);
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let create_on_tenant = args.iter().any(|arg| arg == "--create");
    let csv = args
        .iter()
        .position(|arg| arg == "--csv")
        .and_then(|index| args.get(index + 1))
        .map(PathBuf::from);

    let (config, local) = common::lucca_from_env_or_local().await?;
    let office: office::Client = config.client()?;
    let source = match csv {
        Some(path) => CsvSource::path(path),
        None => CsvSource::rows(sample_rows()),
    };
    let options = match local {
        Some(_) => WaitOptions {
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(400),
            max_wait: Duration::from_secs(30),
            ..WaitOptions::default()
        },
        None => WaitOptions::default(),
    };

    if local.is_none() && !create_on_tenant {
        println!(
            "Simulating on {} (add --create to import for real)",
            config.base_url()
        );
        let started = office.import_user_locations(source).send().await?;
        let outcome = office
            .wait_for_import(started)
            .options(options)
            .on_progress(print_progress)
            .execute()
            .await?;
        if let ImportOutcome::Analysis(analysis) = outcome {
            print_analysis(&analysis);
        }
        return Ok(());
    }

    println!("Checked import: simulate, then create only if the analysis is clean");
    let outcome = office
        .checked_import(source)
        .wait_options(options)
        .on_progress(print_progress)
        .execute()
        .await?;
    match outcome {
        CheckedImport::Rejected { analysis } => {
            print_analysis(&analysis);
            println!("Nothing was created: fix the error lines and run again.");
        }
        CheckedImport::Created { analysis, results } => {
            print_analysis(&analysis);
            print_results(&results);
        }
        CheckedImport::Resumed {
            summary_id,
            outcome,
        } => {
            println!(
                "This file was already created (import {summary_id}); nothing was sent again."
            );
            if let roster::office::ImportOutcome::Results(results) = outcome {
                print_results(&results);
            }
        }
        CheckedImport::CreatedInParts { analysis, parts } => {
            // A file over Lucca's 100 MB: every part simulated, then each created.
            print_analysis(&analysis);
            for part in parts {
                println!(
                    "Part {} of {}: import {}",
                    part.part.number, part.part.of, part.summary_id
                );
                if let roster::office::ImportOutcome::Results(results) = part.outcome {
                    print_results(&results);
                }
            }
        }
        CheckedImport::AnalysisUnread { analysis } => {
            println!(
                "The analysis of {} could not be read ({}): nothing was created.",
                analysis.summary_id, analysis.error
            );
        }
        CheckedImport::CreatedUnread { analysis, results } => {
            print_analysis(&analysis);
            println!(
                "The import {} WAS APPLIED; its results read only partially ({} created, {} deleted): {}",
                results.summary_id,
                results
                    .created
                    .map_or("?".to_owned(), |count| count.to_string()),
                results
                    .deleted
                    .map_or("?".to_owned(), |count| count.to_string()),
                results.error
            );
        }
    }
    if let Some(lucca) = local {
        println!(
            "The local server now holds {} user location(s).",
            lucca.user_locations().len()
        );
    }
    Ok(())
}
