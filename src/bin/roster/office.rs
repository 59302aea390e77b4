//! `roster office …`: check files, import them, list work locations.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::Subcommand;
use futures_util::TryStreamExt;
use roster::office::{
    self, CheckedImport, ClientExtraImportExt, ClientExtraPagesExt, CsvCheckError, CsvSource,
    ExistingLocations, ImportError, ImportMode, UploadError, WaitError, check_csv_file,
};
use roster::{ConfigError, LuccaConfig};
use serde_json::{Value, json};

use crate::Context;
use crate::exit::{Failure, chain};

#[derive(Debug, Subcommand)]
pub(crate) enum OfficeCommand {
    /// Checks import files: every problem with its line, column and field.
    Check {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Simulates an import (and, with `--create`, creates it if the
    /// simulation is clean), waits for the outcome and shows it.
    Import {
        /// The file.
        file: PathBuf,
        /// Creates the user locations (cannot be undone).
        #[arg(long)]
        create: bool,
        /// Replaces the user locations that exist on the file's days.
        #[arg(long)]
        replace_existing: bool,
        /// Confirms the irreversible step without asking (needed without a
        /// terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Lists the account's work locations.
    WorkLocations,
}

pub(crate) async fn run(command: OfficeCommand, context: &Context) -> Result<(), Failure> {
    match command {
        OfficeCommand::Check { files } => check(&files, context),
        OfficeCommand::Import {
            file,
            create,
            replace_existing,
            yes,
        } => import(file, create, replace_existing, yes, context).await,
        OfficeCommand::WorkLocations => work_locations(context).await,
    }
}

fn check(files: &[PathBuf], context: &Context) -> Result<(), Failure> {
    let mut total = 0;
    let mut report = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        let (rows, problems, warnings) = match check_csv_file(file) {
            Ok(summary) => (Some(summary.rows), Vec::new(), summary.warnings),
            Err(CsvCheckError::Io { source, .. }) => {
                return Err(Failure::usage(format!("cannot read {shown}: {source}")));
            }
            Err(error) => (None, error.problems().to_vec(), Vec::new()),
        };
        for problem in &problems {
            context.say(format!("{shown}:{problem}"));
        }
        for warning in &warnings {
            context.say(format!("{shown}: warning: {warning}"));
        }
        total += problems.len();
        let located = |list: &[office::CsvProblem]| -> Vec<Value> {
            list.iter()
                .map(|problem| {
                    json!({
                        "line": problem.line,
                        "column": problem.column,
                        "field": problem.field,
                        "message": problem.message,
                    })
                })
                .collect()
        };
        report.push(json!({
            "file": shown,
            "rows": rows,
            "problems": located(&problems),
            "warnings": located(&warnings),
        }));
    }
    if context.json {
        println!("{}", json!({ "files": report, "problems": total }));
    }
    context.say(format!("{total} problem(s) in {} file(s)", files.len()));
    if total > 0 {
        return Err(Failure::refused(format!(
            "{total} problem(s) found: fix them and check again"
        )));
    }
    Ok(())
}

/// The Lucca configuration from `--host`/`LUCCA_HOST` and
/// `--api-key-file`/`LUCCA_API_KEY`.
fn config(context: &Context) -> Result<LuccaConfig, Failure> {
    let key_file = match &context.api_key_file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map(|text| text.trim().to_owned())
                .map_err(|error| {
                    Failure::usage(format!(
                        "cannot read the key file {}: {error}",
                        path.display()
                    ))
                })?,
        ),
        None => None,
    };
    // The SDK's own reading of the environment, with the flags first.
    LuccaConfig::from_vars(|name| match name {
        "LUCCA_HOST" if context.host.is_some() => context.host.clone(),
        "LUCCA_API_KEY" if key_file.is_some() => key_file.clone(),
        name => std::env::var(name).ok(),
    })
    .map_err(|error| match error {
        ConfigError::MissingVariable { name } => Failure::usage(format!(
            "{name} is not set: set it, or give {}",
            if name == "LUCCA_HOST" {
                "--host"
            } else {
                "--api-key-file"
            }
        )),
        error => Failure::usage(chain(&error)),
    })
}

/// Asks before an irreversible step on a terminal; without one, `--yes` is
/// required.
fn confirm(what: &str, yes: bool, context: &Context) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !context.terminal {
        return Err(Failure::usage(format!(
            "{what} cannot be undone: add --yes to confirm (no terminal to ask on)"
        )));
    }
    print!("{what} cannot be undone. Go on? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::refused("not confirmed: nothing was created"))
    }
}

fn lines_json(lines: &[office::types::ErrorLine]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| json!({ "line": line.line_number, "error": line.error }))
        .collect()
}

async fn import(
    file: PathBuf,
    create: bool,
    replace_existing: bool,
    yes: bool,
    context: &Context,
) -> Result<(), Failure> {
    let config = config(context)?;
    let office: office::Client = config
        .client()
        .map_err(|error| Failure::usage(chain(&error)))?;
    if create {
        confirm(
            &format!(
                "Creating the user locations of {} on {}",
                file.display(),
                config.base_url().as_str()
            ),
            yes,
            context,
        )?;
    }
    let existing = if replace_existing {
        ExistingLocations::Replace
    } else {
        ExistingLocations::Keep
    };
    if !create {
        return simulate(&office, file, existing, context).await;
    }
    let outcome = office
        .checked_import(CsvSource::Path(file))
        .existing(existing)
        .execute()
        .await
        .map_err(import_failure)?;
    match outcome {
        CheckedImport::Rejected { analysis } => {
            for line in &analysis.error_lines {
                context.say(format!(
                    "line {:?}: {}",
                    line.line_number,
                    line.error.as_deref().unwrap_or("")
                ));
            }
            if context.json {
                println!(
                    "{}",
                    json!({ "created": false, "errors": lines_json(&analysis.error_lines) })
                );
            }
            Err(Failure::refused(format!(
                "the simulation found {} error line(s): nothing was created; fix them and run again",
                analysis.error_lines.len()
            )))
        }
        CheckedImport::Created { results, .. } => {
            let created = results
                .user_locations_created_summary
                .as_ref()
                .and_then(|summary| summary.count);
            let deleted = results
                .user_locations_deleted_summary
                .as_ref()
                .and_then(|summary| summary.count);
            context.say(format!(
                "created {} user location(s), deleted {}",
                created.unwrap_or_default(),
                deleted.unwrap_or_default()
            ));
            if context.json {
                println!(
                    "{}",
                    json!({ "created": true, "summaryId": results.summary_id, "userLocationsCreated": created, "userLocationsDeleted": deleted })
                );
            }
            Ok(())
        }
        CheckedImport::AnalysisUnread { analysis } => Err(Failure::refused(format!(
            "the simulation's analysis could not be read ({}): nothing was created",
            chain(&analysis.error)
        ))),
        CheckedImport::CreatedUnread { results, .. } => {
            if context.json {
                println!(
                    "{}",
                    json!({ "created": true, "summaryId": results.summary_id.to_string(), "userLocationsCreated": results.created, "raw": results.raw })
                );
            }
            context.say(format!(
                "the import {} was applied; its results read only partially ({:?} created)",
                results.summary_id, results.created
            ));
            Ok(())
        }
    }
}

async fn simulate(
    office: &office::Client,
    file: PathBuf,
    existing: ExistingLocations,
    context: &Context,
) -> Result<(), Failure> {
    let upload = office::CsvUpload::from_path(&file)
        .await
        .map_err(|error| Failure::usage(chain(&error)))?;
    let started = office
        .import_user_locations(upload)
        .existing(existing)
        .send()
        .await
        .map_err(|source| {
            import_failure(ImportError::Upload {
                mode: ImportMode::Simulate,
                source,
            })
        })?;
    let outcome = office
        .wait_for_import(started)
        .execute()
        .await
        .map_err(|source| {
            import_failure(ImportError::Wait {
                mode: ImportMode::Simulate,
                source,
            })
        })?;
    let office::ImportOutcome::Analysis(analysis) = outcome else {
        return Err(Failure::refused("the analysis could not be read"));
    };
    let to_create = analysis
        .valid_user_locations_to_create_summary
        .as_ref()
        .and_then(|summary| summary.count);
    for line in &analysis.error_lines {
        context.say(format!(
            "line {:?}: {}",
            line.line_number,
            line.error.as_deref().unwrap_or("")
        ));
    }
    context.say(format!(
        "simulation: {} user location(s) to create, {} error line(s) (add --create to import)",
        to_create.unwrap_or_default(),
        analysis.error_lines.len()
    ));
    if context.json {
        println!(
            "{}",
            json!({ "created": false, "userLocationsToCreate": to_create, "errors": lines_json(&analysis.error_lines) })
        );
    }
    if analysis.error_lines.is_empty() {
        Ok(())
    } else {
        Err(Failure::refused("the simulation found error lines"))
    }
}

/// The exit code an import error deserves, and what to do next.
fn import_failure(error: ImportError) -> Failure {
    let text = chain(&error);
    match &error {
        ImportError::Rows(_) | ImportError::Csv(_) => {
            Failure::refused(format!("{text}\ncheck it with `roster office check`"))
        }
        ImportError::Upload { mode, source } => match source {
            UploadError::OutcomeUnknown { .. } if *mode == ImportMode::Create => {
                Failure::unknown(format!(
                    "{text}\noutcome unknown: check Lucca Office's imports before running this again"
                ))
            }
            UploadError::Rejected(_) => Failure::refused(text),
            UploadError::Io { .. } | UploadError::FileName(_) => Failure::usage(text),
            _ => Failure::transient(format!("{text}\nnothing was imported: try again later")),
        },
        ImportError::Wait { mode, source } => {
            let applied = *mode == ImportMode::Create;
            match source {
                WaitError::Http { source, .. } if !applied && source.retry_after().is_some() => {
                    Failure::transient(text)
                }
                _ if applied => Failure::unknown(format!(
                    "{text}\nthe import was started: check Lucca Office's imports before running this again"
                )),
                _ => Failure::transient(format!("{text}\nnothing was created: try again later")),
            }
        }
        _ => Failure::transient(text),
    }
}

async fn work_locations(context: &Context) -> Result<(), Failure> {
    let office: office::Client = config(context)?
        .client()
        .map_err(|error| Failure::usage(chain(&error)))?;
    let places: Vec<_> = office
        .all_work_locations()
        .execute()
        .try_collect()
        .await
        .map_err(|error| Failure::transient(chain(&error)))?;
    if context.json {
        println!("{}", serde_json::to_string(&places).unwrap_or_default());
        return Ok(());
    }
    for place in &places {
        context.say(format!(
            "{:>6}  {:<30}  {:?}",
            place.id, place.name, place.type_
        ));
    }
    Ok(())
}
