//! `roster office …`: check files, import them, list work locations.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Subcommand;
use futures_util::TryStreamExt;
use roster::office::{
    self, CheckedImport, CsvError, CsvSource, ExistingLocations, ImportError, ImportJournal,
    ImportMode, JournalEntry, JournalError, JournalState, Resolution, SimulatedImport, UploadError,
    WaitError, WaitFailure, WaitOptions, types,
};
use serde_json::{Value, json};

use crate::exit::{Failure, chain};
use crate::ui::{Context, Tone};

#[derive(Debug, Subcommand)]
pub(crate) enum OfficeCommand {
    /// Checks import files: every problem with its line, column and field.
    #[command(
        after_help = "Examples:\n  roster office check week.csv\n  roster office check exports/*.csv --format json"
    )]
    Check {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The files' encoding: `auto` (UTF-8, or Windows-1252 when a file
        /// has no UTF-8 sequence), `utf-8` or `windows-1252`.
        #[arg(long, default_value = "auto")]
        encoding: roster::Encoding,
    },
    /// Simulates an import (and, with `--create`, creates it if the
    /// simulation is clean), waits for the outcome and shows it.
    #[command(
        after_help = "Examples:\n  roster office import week.csv                   # simulate, show the analysis\n  roster office import week.csv --create --yes    # create (never twice: the journal)\n  roster office import export.csv --encoding windows-1252 --errors-csv\n  generate-rows | roster office import - --create"
    )]
    Import {
        /// The file (`-`: standard input, read once to its end).
        file: PathBuf,
        /// The file's encoding: `auto` (UTF-8, or Windows-1252 when it has no
        /// UTF-8 sequence: French Excel's CSV), `utf-8` or `windows-1252`.
        #[arg(long, default_value = "auto")]
        encoding: roster::Encoding,
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
        /// Writes the error lines (the file's own rows, plus an `error`
        /// column) to a CSV, to fix and send again; without a path, to
        /// `NAME.errors.csv` next to the file.
        #[arg(long, value_name = "PATH", num_args = 0..=1)]
        errors_csv: Option<Option<PathBuf>>,
        /// The import journal, a SQLite file (default: the Redis of
        /// `ROSTER_REDIS_URL` when set, else `roster/imports.sqlite3` in your
        /// data directory): a creation of a file already created for this
        /// tenant is refused.
        #[arg(long, value_name = "PATH")]
        journal: Option<PathBuf>,
        /// Creates without the journal.
        #[arg(long, conflicts_with = "journal")]
        no_journal: bool,
        /// Creates even when the journal has the same file.
        #[arg(long)]
        allow_repeat: bool,
        /// The longest wait for each simulation's or creation's outcome
        /// (`90s`, `10m`; default 30 minutes, and 5 minutes without
        /// progress): past it the command stops waiting and says so (exit
        /// 4 for a simulation, 3 for a creation, which Lucca may still
        /// apply).
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        max_wait: Option<std::time::Duration>,
    },
    /// The import journal: resolve a creation whose outcome was unknown.
    /// Without a flag it reads Lucca Office for evidence (the file's first
    /// and last rows, as user locations created since the claim) and
    /// resolves as it reads; a run's claim is never resolved while its
    /// lease runs.
    #[command(
        after_help = "Examples:\n  roster office journal                          # the entries, with their SHA-256\n  roster office resolve 3f2a…                     # read Lucca, resolve as it shows\n  roster office resolve 3f2a… --applied           # you know it was"
    )]
    Resolve {
        /// The file's SHA-256, as the refusal printed it.
        sha256: String,
        /// It was applied (nothing is read): a repeat within 24 hours stays
        /// refused.
        #[arg(long, conflicts_with = "not_applied")]
        applied: bool,
        /// It was not applied: the entry is forgotten, once Lucca shows none
        /// of its rows (refused when it does).
        #[arg(long)]
        not_applied: bool,
        /// The file, when the journal does not know it (or it moved).
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
        /// The journal (default as for `import`).
        #[arg(long, value_name = "PATH")]
        journal: Option<PathBuf>,
    },
    /// Shows an import's progress, then its results (a creation) or its
    /// analysis (a simulation), waiting for it to finish.
    #[command(
        after_help = "Examples:\n  roster office status 3aea8eb4-41fa-4360-ab41-5fdde1ffd8ce"
    )]
    Status {
        /// The import's `summaryId`.
        summary_id: uuid::Uuid,
    },
    /// Lists the import journal: each creation's file, SHA-256, tenant,
    /// state, `summaryId` and when.
    #[command(
        after_help = "Examples:\n  roster office journal\n  roster office journal --format csv > journal.csv"
    )]
    Journal {
        /// The journal (default as for `import`).
        #[arg(long, value_name = "PATH")]
        journal: Option<PathBuf>,
    },
    /// Lists the account's work locations.
    #[command(after_help = "Examples:\n  roster office work-locations --format json")]
    WorkLocations,
    /// Lists user locations, optionally of some days only.
    #[command(
        after_help = "Examples:\n  roster office user-locations --from 2026/12/07 --to 2026/12/11\n  roster office user-locations --format csv > locations.csv"
    )]
    UserLocations {
        /// The first day (YYYY-MM-DD, or YYYY/MM/DD as import files write it).
        #[arg(long, value_parser = crate::user_locations::parse_day)]
        from: Option<NaiveDate>,
        /// The last day (YYYY-MM-DD or YYYY/MM/DD).
        #[arg(long, value_parser = crate::user_locations::parse_day)]
        to: Option<NaiveDate>,
    },
}

pub(crate) async fn run(command: OfficeCommand, context: &Context) -> Result<(), Failure> {
    match command {
        OfficeCommand::Check { files, encoding } => check(&files, encoding, context),
        OfficeCommand::Import {
            file,
            encoding,
            create,
            replace_existing,
            yes,
            errors_csv,
            journal,
            no_journal,
            allow_repeat,
            max_wait,
        } => {
            let errors_csv =
                errors_csv.map(|path| path.unwrap_or_else(|| crate::errors_csv::next_to(&file)));
            let journal = if no_journal {
                None
            } else {
                Some(journal_at(journal, context)?)
            };
            let request = ImportRequest {
                file,
                encoding,
                create,
                replace_existing,
                yes,
                errors_csv,
                journal,
                allow_repeat,
                max_wait,
            };
            import(request, context).await
        }
        OfficeCommand::Resolve {
            sha256,
            applied,
            not_applied,
            file,
            journal,
        } => {
            let asked = match (applied, not_applied) {
                (true, _) => Some(Resolution::Applied),
                (_, true) => Some(Resolution::NotApplied),
                _ => None,
            };
            resolve(&sha256, asked, file, journal, context).await
        }
        OfficeCommand::Status { summary_id } => status(summary_id, context).await,
        OfficeCommand::Journal { journal } => list_journal(journal, context).await,
        OfficeCommand::WorkLocations => work_locations(context).await,
        OfficeCommand::UserLocations { from, to } => {
            crate::user_locations::list(from, to, context).await
        }
    }
}

fn check(files: &[PathBuf], encoding: roster::Encoding, context: &Context) -> Result<(), Failure> {
    let mut total = 0;
    let mut report = Vec::new();
    for file in files {
        let shown = file.display().to_string();
        let (rows, problems, warnings) = match crate::input::check_office(file, encoding)? {
            Ok(summary) => (Some(summary.rows), Vec::new(), summary.warnings),
            Err(CsvError::Io { source, .. }) => {
                return Err(Failure::usage(format!("cannot read {shown}: {source}")));
            }
            Err(error) => (None, error.problems().to_vec(), Vec::new()),
        };
        for problem in &problems {
            context.say(crate::input::in_cli_words(&format!("{shown}:{problem}")));
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
    context.document(&json!({ "files": report, "problems": total }));
    context.say(format!("{total} problem(s) in {} file(s)", files.len()));
    if total > 0 {
        return Err(Failure::refused(format!(
            "{total} problem(s) found: fix them and check again"
        )));
    }
    Ok(())
}

/// What `office import` was asked.
struct ImportRequest {
    file: PathBuf,
    encoding: roster::Encoding,
    create: bool,
    replace_existing: bool,
    yes: bool,
    errors_csv: Option<PathBuf>,
    journal: Option<JournalAt>,
    allow_repeat: bool,
    max_wait: Option<std::time::Duration>,
}

/// The waiter's options: the library's, bounded by `--max-wait` (the
/// stall bound never past it).
fn wait_options(max_wait: Option<std::time::Duration>) -> WaitOptions {
    let options = WaitOptions::default();
    match max_wait {
        Some(max_wait) => WaitOptions {
            max_wait,
            stall_after: options.stall_after.map(|stall| stall.min(max_wait)),
            ..options
        },
        None => options,
    }
}

/// Where the import journal is.
enum JournalAt {
    Sqlite(PathBuf),
    Redis(roster::shared::RedisStore),
}

impl JournalAt {
    fn open(&self) -> Result<ImportJournal, Failure> {
        let journal = self.open_store()?;
        Ok(match journal_lease()? {
            Some(lease) => journal.lease(lease),
            None => journal,
        })
    }

    fn open_store(&self) -> Result<ImportJournal, Failure> {
        match self {
            Self::Sqlite(path) => {
                ImportJournal::sqlite(path).map_err(|error| Failure::usage(chain(&error)))
            }
            // One tenant, one history: the data directory's journal, if
            // this machine kept one before Redis, is consulted too.
            Self::Redis(store) => {
                let journal = ImportJournal::redis(store);
                match journal_path() {
                    Ok(path) if path.is_file() => ImportJournal::sqlite(&path)
                        .map(|history| journal.with_history(history))
                        .map_err(|error| Failure::usage(chain(&error))),
                    _ => Ok(journal),
                }
            }
        }
    }
}

impl std::fmt::Display for JournalAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Redis(store) => write!(f, "{}", store.address()),
        }
    }
}

/// The journal: `--journal PATH`, else the Redis of `ROSTER_REDIS_URL`, else
/// the data directory's file.
fn journal_at(given: Option<PathBuf>, context: &Context) -> Result<JournalAt, Failure> {
    if let Some(path) = given {
        return Ok(JournalAt::Sqlite(path));
    }
    if let Some(store) = context.sources.redis()? {
        return Ok(JournalAt::Redis(store));
    }
    journal_path().map(JournalAt::Sqlite)
}

/// The journal a command uses when none is given (the Redis of
/// `ROSTER_REDIS_URL`, else the data directory's file): user creations
/// share it with imports.
pub(crate) fn default_journal(context: &Context) -> Result<ImportJournal, Failure> {
    journal_at(None, context)?.open()
}

/// `ROSTER_JOURNAL_LEASE`: how long a creation's claim stays held after its
/// run stops (60 s unless set): longer on a slow link.
pub(crate) const LEASE_VAR: &str = "ROSTER_JOURNAL_LEASE";

fn journal_lease() -> Result<Option<std::time::Duration>, Failure> {
    match std::env::var(LEASE_VAR) {
        Ok(text) => humantime::parse_duration(&text)
            .map(Some)
            .map_err(|error| Failure::usage(format!("{LEASE_VAR}={text:?}: {error}"))),
        Err(_) => Ok(None),
    }
}

/// The data directory's journal.
fn journal_path() -> Result<PathBuf, Failure> {
    dirs::data_dir()
        .map(|dir| dir.join("roster").join("imports.sqlite3"))
        .ok_or_else(|| {
            Failure::usage("no data directory to keep the import journal in: give --journal PATH (or --no-journal)")
        })
}

async fn resolve(
    sha256: &str,
    asked: Option<Resolution>,
    file: Option<PathBuf>,
    journal: Option<PathBuf>,
    context: &Context,
) -> Result<(), Failure> {
    let at = journal_at(journal, context)?;
    let journal = at.open()?;
    let (office, host) = client(context)?;
    let missing = || {
        Failure::usage(format!(
            "the journal {at} has no import of {sha256} to {host}"
        ))
    };
    let resolution = match asked {
        // Marking it applied only refuses repeats: nothing to read.
        Some(Resolution::Applied) => Resolution::Applied,
        _ => {
            let entry = journal
                .entry(&host, sha256)
                .await
                .map_err(|error| journal_failure(&error, ""))?
                .ok_or_else(missing)?;
            if entry.is_held() {
                return Err(Failure::transient(format!(
                    "not resolved: {entry}; check again after its lease runs out"
                )));
            }
            let evidence = read_evidence(&office, &entry, file, context).await?;
            match (evidence.applied(), evidence.is_conclusive(), asked) {
                (true, _, Some(_)) => {
                    return Err(Failure::refused(format!(
                        "not resolved: Lucca shows it was applied ({evidence}); resolve it with --applied"
                    )));
                }
                (true, _, None) => Resolution::Applied,
                (false, false, None) => {
                    return Err(Failure::refused(format!(
                        "not resolved: Lucca cannot tell ({evidence}); say --applied or --not-applied"
                    )));
                }
                (false, _, _) => Resolution::NotApplied,
            }
        }
    };
    let entry = journal
        .resolve(&host, sha256, resolution)
        .await
        .map_err(|error| match error {
            JournalError::Missing { .. } => missing(),
            JournalError::Applied { .. } => Failure::refused(chain(&error)),
            JournalError::Held { .. } => Failure::transient(chain(&error)),
            error => journal_failure(&error, ""),
        })?;
    let verdict = match resolution {
        Resolution::Applied => "applied",
        Resolution::NotApplied => "not applied",
    };
    context.say(format!("resolved: {entry} -> {verdict}"));
    context.document(&json!({ "sha256": sha256, "tenant": host, "resolution": verdict }));
    Ok(())
}

/// What Lucca Office shows of `entry`, read from its file (`--file`, else
/// the one the journal names).
async fn read_evidence(
    office: &office::Client,
    entry: &JournalEntry,
    file: Option<PathBuf>,
    context: &Context,
) -> Result<office::Evidence, Failure> {
    // The journal names a part as `PATH (part N of M)`.
    let journaled = entry.file.as_deref().map(|file| {
        let path = PathBuf::from(file);
        match file.rsplit_once(" (part ") {
            Some((whole, _)) if !path.is_file() => PathBuf::from(whole),
            _ => path,
        }
    });
    let file = file.or(journaled).ok_or_else(|| {
        Failure::usage(format!(
            "the journal does not know the file of {}: give it with --file PATH",
            entry.sha256
        ))
    })?;
    let directory: roster::directory::Client = context
        .sources
        .lucca()?
        .client()
        .map_err(|error| Failure::usage(chain(&error)))?;
    let prepared = office
        .checked_import(CsvSource::path(&file))
        .prepare()
        .await
        .map_err(import_failure)?;
    context.say(format!(
        "reading Lucca for the rows of {} created since the claim...",
        file.display()
    ));
    let evidence = prepared
        .evidence(&directory, entry)
        .await
        .map_err(|error| match &error {
            ImportError::OtherFile { .. } => Failure::usage(chain(&error)),
            _ => import_failure(error),
        })?;
    context.say(evidence.to_string());
    Ok(evidence)
}

/// `office journal`: the entries, newest first.
async fn list_journal(journal: Option<PathBuf>, context: &Context) -> Result<(), Failure> {
    let at = journal_at(journal, context)?;
    let entries = at
        .open()?
        .entries()
        .await
        .map_err(|error| journal_failure(&error, ""))?;
    let rows: Vec<Value> = entries
        .iter()
        .map(|entry| {
            json!({
                "file": entry.file,
                "sha256": entry.sha256,
                "tenant": entry.tenant,
                "state": entry.state.name(),
                "summaryId": entry.summary_id,
                "at": entry.at.to_rfc3339(),
            })
        })
        .collect();
    context.table(
        &["file", "sha256", "tenant", "state", "summaryId", "at"],
        entries.iter().map(|entry| {
            let tone = match entry.state {
                JournalState::Done => Tone::Good,
                JournalState::Accepted => Tone::Plain,
                _ => Tone::Bad,
            };
            (
                tone,
                vec![
                    entry.file.clone().unwrap_or_default(),
                    entry.sha256.clone(),
                    entry.tenant.clone(),
                    entry.state.name().to_owned(),
                    entry.summary_id.clone().unwrap_or_default(),
                    entry.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                ],
            )
        }),
    );
    context.document(&Value::Array(rows));
    Ok(())
}

/// `office status`: waits for the import and shows its results, or its
/// analysis when it is a simulation.
async fn status(summary_id: uuid::Uuid, context: &Context) -> Result<(), Failure> {
    let (office, _) = client(context)?;
    let mut mode = ImportMode::Create;
    let outcome = loop {
        let mut bar = context.progress("waiting");
        // An id given by hand names an import made before: a `404` is
        // soon final (a fresh import's grace is for the run that made it).
        let options = WaitOptions {
            visibility_grace: std::time::Duration::from_secs(5),
            ..WaitOptions::default()
        };
        let waited = office
            .wait_for_import(office::ImportStarted { summary_id, mode })
            .options(options)
            .on_progress(|step| bar.set(step.percent))
            .execute()
            .await;
        match waited {
            // A simulation has no results: its analysis, then.
            Err(WaitError {
                failure: WaitFailure::Http { source } | WaitFailure::OutcomeFailed { source, .. },
                ..
            }) if mode == ImportMode::Create
                && source.status().is_some_and(|status| status.as_u16() == 400) =>
            {
                mode = ImportMode::Simulate;
            }
            other => break other,
        }
    };
    let outcome = outcome.map_err(|source| {
        let status = match &source.failure {
            WaitFailure::Http { source } | WaitFailure::OutcomeFailed { source, .. } => {
                source.status()
            }
            _ => None,
        };
        let text = chain(&ImportError::Wait { mode, source });
        match status.map(|status| status.as_u16()) {
            // Not there: waiting will not bring it.
            Some(404) => Failure::refused(format!(
                "{text}\nno import {summary_id} on this tenant: check the id (`roster office journal` lists the creations made from here)"
            )),
            Some(code) if (400..500).contains(&code) && !matches!(code, 408 | 429) => {
                Failure::refused(text)
            }
            _ => Failure::transient(text),
        }
    })?;
    show_outcome(summary_id.to_string(), outcome, None, context)
}

/// An import's results (or analysis) as a table, a line and a JSON
/// document; `analysis` is the simulation's, when this run made one.
fn show_outcome(
    summary_id: String,
    outcome: office::ImportOutcome,
    analysis: Option<&types::ImportAnalysis>,
    context: &Context,
) -> Result<(), Failure> {
    macro_rules! summary {
        ($summary:expr) => {
            $summary.as_ref().and_then(|summary| summary.count)
        };
    }
    let results = match outcome {
        office::ImportOutcome::Results(results) => results,
        office::ImportOutcome::Analysis(analysis) => {
            let to_create = summary!(analysis.valid_user_locations_to_create_summary);
            context.say(format!(
                "simulation {summary_id}: {} user location(s) to create, {} error line(s)",
                count(to_create),
                analysis.error_lines.len()
            ));
            context.document(&json!({
                "created": false,
                "summaryId": summary_id,
                "userLocationsToCreate": to_create,
                "errorLines": lines_json(&analysis.error_lines),
            }));
            return Ok(());
        }
        office::ImportOutcome::ReadPartially(results) => {
            context.document(&json!({
                "created": true,
                "summaryId": results.summary_id.to_string(),
                "userLocationsCreated": results.created,
                "raw": results.raw,
            }));
            context.say(format!(
                "the import {} was applied; its results read only partially ({} created)",
                results.summary_id,
                count(results.created.and_then(|n| i32::try_from(n).ok()))
            ));
            return Ok(());
        }
    };
    let created = summary!(results.user_locations_created_summary);
    let deleted = summary!(results.user_locations_deleted_summary);
    let mut rows = vec![
        (
            Tone::Good,
            "created",
            created,
            analysis.and_then(|a| summary!(a.valid_user_locations_to_create_summary)),
        ),
        (
            Tone::Plain,
            "deleted",
            deleted,
            analysis.and_then(|a| summary!(a.user_locations_to_delete_summary)),
        ),
    ];
    rows.push((
        Tone::Bad,
        "error lines",
        i32::try_from(results.error_lines.len()).ok(),
        analysis.and_then(|a| i32::try_from(a.error_lines.len()).ok()),
    ));
    let header: &[&str] = if analysis.is_some() {
        &["", "simulated", "applied"]
    } else {
        &["", "applied"]
    };
    context.table(
        header,
        rows.into_iter().map(|(tone, name, applied, simulated)| {
            let mut cells = vec![name.to_owned()];
            if analysis.is_some() {
                cells.push(count(simulated));
            }
            cells.push(count(applied));
            (tone, cells)
        }),
    );
    context.say(format!(
        "created {} user location(s), deleted {} (import {})",
        created.unwrap_or_default(),
        deleted.unwrap_or_default(),
        results.summary_id.as_deref().unwrap_or(&summary_id)
    ));
    context.document(&json!({
        "created": true,
        "summaryId": results.summary_id,
        "userLocationsCreated": created,
        "userLocationsDeleted": deleted,
        "errorLines": lines_json(&results.error_lines),
        "warningLines": warnings_json(&results.warning_lines),
    }));
    if results.error_lines.is_empty() {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "the import was applied, and Lucca refused {} line(s): fix them and send only those again",
            results.error_lines.len()
        )))
    }
}

/// A journal that cannot be used: its store down is transient (try again
/// later), a file that cannot be used is the configuration's; `then` says
/// what became of the request.
fn journal_failure(error: &JournalError, then: &str) -> Failure {
    let text = chain(error);
    match error {
        JournalError::Shared(_) => Failure::transient(format!("{text}{then}: try again later")),
        _ => Failure::usage(format!("{text}{then}")),
    }
}

fn client(context: &Context) -> Result<(office::Client, String), Failure> {
    let config = context.sources.lucca()?;
    let client = config
        .client()
        .map_err(|error| Failure::usage(chain(&error)))?;
    Ok((client, config.base_url().as_str().to_owned()))
}

async fn import(request: ImportRequest, context: &Context) -> Result<(), Failure> {
    let (office, host) = client(context)?;
    if request.create {
        // The question comes after the simulation: a creation that could
        // not be asked for is refused before anything is sent.
        context.may_ask(
            &format!("Creating the user locations of {}", request.file.display()),
            request.yes,
        )?;
    }
    let existing = if request.replace_existing {
        ExistingLocations::Replace
    } else {
        ExistingLocations::Keep
    };
    // Until the creation may leave, Ctrl-C ends the command at once: nothing
    // was created (a simulation creates nothing). From then on, the select
    // below says what the journal holds.
    let before_sending = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let guard = {
        let armed = std::sync::Arc::clone(&before_sending);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok()
                && armed.load(std::sync::atomic::Ordering::SeqCst)
            {
                eprintln!("roster: interrupted before the creation was sent: nothing was created");
                std::process::exit(i32::from(crate::exit::INTERRUPTED));
            }
        })
    };
    let journal = match (&request.journal, request.create) {
        (Some(at), true) => Some(at.open()?),
        _ => None,
    };
    // The step's bar, ended (cleared) before the preview and the question.
    let progress = std::sync::Mutex::new(None::<(ImportMode, crate::ui::Progress)>);
    let bar = || {
        progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let mut checked = office
        .checked_import(crate::input::office_source(
            &request.file,
            request.encoding,
        )?)
        .wait_options(wait_options(request.max_wait))
        .existing(existing)
        .on_progress(|step| {
            let mut progress = bar();
            if progress.as_ref().is_none_or(|(mode, _)| *mode != step.mode) {
                let name = match step.mode {
                    ImportMode::Simulate => "simulating",
                    _ => "creating",
                };
                *progress = Some((step.mode, context.progress(name)));
            }
            if let Some((_, bar)) = progress.as_mut() {
                bar.set(step.percent);
            }
        });
    if let Some(journal) = &journal {
        checked = checked.journal(journal);
    }
    if request.allow_repeat {
        checked = checked.allow_repeat();
    }
    // The file is taken once and checked (nothing is sent for a file the
    // local check refuses), then every part is simulated: the preview shows
    // Lucca's analysis before any question, and exactly the bytes simulated
    // are created.
    let prepared = checked.prepare().await.map_err(import_failure)?;
    let simulated = prepared.simulate().await.map_err(import_failure)?;
    *bar() = None;
    let lines = preview(&request, &simulated, context)?;
    if !request.create {
        guard.abort();
        return simulation_only(&simulated, lines, context);
    }
    if simulated.creates() {
        let replaced = if request.replace_existing {
            ", replacing the user locations that exist on those days"
        } else {
            ", keeping the user locations that exist"
        };
        let parts = match simulated.parts().len() {
            1 => String::new(),
            parts => format!(" in {parts} parts (over Lucca's 100 MB limit)"),
        };
        context.confirm(
            &format!(
                "Creating {} user location(s) from {}{parts} on {host}{replaced}",
                simulated.summary().rows,
                request.file.display(),
            ),
            request.yes,
        )?;
    }
    // What the journal holds for each part before anything leaves: after a
    // Ctrl-C, what changed is what this run did.
    let keys: Vec<String> = simulated
        .parts()
        .iter()
        .map(|part| part.sha256.clone())
        .collect();
    let mut before = Vec::new();
    if let Some(journal) = &journal {
        for sha256 in &keys {
            before.push(journal.entry(&host, sha256).await.ok().flatten());
        }
    }
    before_sending.store(false, std::sync::atomic::Ordering::SeqCst);
    let outcome = tokio::select! {
        outcome = simulated.create() => {
            guard.abort();
            outcome.map_err(import_failure)?
        }
        _ = tokio::signal::ctrl_c() => {
            *bar() = None;
            return Err(interrupted(journal.as_ref(), &host, &keys, &before).await);
        }
    };
    *bar() = None;
    match outcome {
        CheckedImport::Rejected { analysis } => {
            context.document(&merged(
                json!({
                    "created": false,
                    "summaryId": analysis.summary_id,
                }),
                lines.unwrap_or_default(),
            ));
            Err(Failure::refused(format!(
                "the simulation found {} error line(s): nothing was created; fix them and run again",
                analysis.error_lines.len()
            )))
        }
        CheckedImport::Created { analysis, results } => {
            let created = results
                .user_locations_created_summary
                .as_ref()
                .and_then(|summary| summary.count);
            let deleted = results
                .user_locations_deleted_summary
                .as_ref()
                .and_then(|summary| summary.count);
            let to_create = analysis
                .valid_user_locations_to_create_summary
                .as_ref()
                .and_then(|summary| summary.count);
            context.table(
                &["", "simulated", "applied"],
                [
                    (
                        Tone::Good,
                        vec!["created".into(), count(to_create), count(created)],
                    ),
                    (
                        Tone::Plain,
                        vec![
                            "deleted".into(),
                            count(
                                analysis
                                    .user_locations_to_delete_summary
                                    .as_ref()
                                    .and_then(|summary| summary.count),
                            ),
                            count(deleted),
                        ],
                    ),
                    (
                        Tone::Bad,
                        vec![
                            "error lines".into(),
                            analysis.error_lines.len().to_string(),
                            results.error_lines.len().to_string(),
                        ],
                    ),
                ],
            );
            let lines = report_lines(
                &request,
                &results.error_lines,
                &results.warning_lines,
                context,
            )?;
            context.say(format!(
                "created {} user location(s), deleted {} (import {})",
                created.unwrap_or_default(),
                deleted.unwrap_or_default(),
                results.summary_id.as_deref().unwrap_or("?")
            ));
            context.document(&merged(
                json!({
                    "created": true,
                    "summaryId": results.summary_id,
                    "userLocationsCreated": created,
                    "userLocationsDeleted": deleted,
                }),
                lines,
            ));
            if results.error_lines.is_empty() {
                Ok(())
            } else {
                Err(Failure::refused(format!(
                    "the import was applied, and Lucca refused {} line(s): fix them and send only those again",
                    results.error_lines.len()
                )))
            }
        }
        CheckedImport::Resumed {
            summary_id,
            outcome,
        } => {
            context.say(format!(
                "this file was already created (import {summary_id}): resumed, nothing sent again"
            ));
            show_outcome(summary_id.to_string(), outcome, None, context)
        }
        CheckedImport::CreatedInParts { parts, .. } => show_parts(parts, context),
        CheckedImport::AnalysisUnread { analysis } => Err(Failure::refused(format!(
            "the simulation's analysis could not be read ({}): nothing was created",
            chain(&analysis.error)
        ))),
        CheckedImport::CreatedUnread { results, .. } => show_outcome(
            results.summary_id.to_string(),
            office::ImportOutcome::ReadPartially(results),
            None,
            context,
        ),
    }
}

/// What a Ctrl-C left: nothing sent, or (from the journal) a creation that
/// left, and what to run next. Exit 130 either way.
async fn interrupted(
    journal: Option<&ImportJournal>,
    host: &str,
    keys: &[String],
    before: &[Option<office::JournalEntry>],
) -> Failure {
    let unknown = |why: &str| {
        Failure::interrupted(format!(
            "interrupted while the import ran: {why}, so whether the creation left is unknown; check Lucca Office's imports before running it again"
        ))
    };
    let Some(journal) = journal else {
        return unknown("there is no journal (--no-journal)");
    };
    let mut left = Vec::new();
    {
        for (index, sha256) in keys.iter().enumerate() {
            let now = match journal.entry(host, sha256).await {
                Ok(now) => now,
                Err(_) => return unknown("the journal cannot be read"),
            };
            let earlier = before.get(index).cloned().flatten();
            let changed = match (&now, &earlier) {
                (Some(now), Some(earlier)) => now.state != earlier.state || now.at != earlier.at,
                (now, _) => now.is_some(),
            };
            if let (true, Some(entry)) = (changed, now) {
                left.push(entry);
            }
        }
    }
    let Some(entry) = left.last() else {
        return Failure::interrupted(
            "interrupted before the creation left: nothing was created (a simulation creates nothing)",
        );
    };
    let next = match (entry.state, entry.summary_id.as_deref()) {
        (JournalState::Accepted | JournalState::Done, Some(id)) => format!(
            "Lucca accepted it (import {id}): it is being applied; follow it with `roster office status {id}`, or run the same command again to resume it"
        ),
        _ => format!(
            "no answer came: it may have been applied; check Lucca Office's imports, then run `roster office resolve {} --applied` (or --not-applied)",
            entry.sha256
        ),
    };
    Failure::interrupted(format!(
        "interrupted after the creation left: the journal holds it as `{}` ({})\n{next}",
        entry.state.name(),
        entry.state
    ))
}

/// A file created in parts: a row per part and the totals.
fn show_parts(parts: Vec<office::CreatedPart>, context: &Context) -> Result<(), Failure> {
    let mut rows = Vec::new();
    let mut documents = Vec::new();
    let (mut created, mut deleted, mut refused) = (0_i64, 0_i64, 0_usize);
    for part in parts {
        let (made, removed, errors) = match &part.outcome {
            office::ImportOutcome::Results(results) => (
                results
                    .user_locations_created_summary
                    .as_ref()
                    .and_then(|summary| summary.count)
                    .map(i64::from),
                results
                    .user_locations_deleted_summary
                    .as_ref()
                    .and_then(|summary| summary.count)
                    .map(i64::from),
                Some(results.error_lines.len()),
            ),
            office::ImportOutcome::ReadPartially(results) => {
                (results.created, results.deleted, results.error_lines)
            }
            office::ImportOutcome::Analysis(_) => (None, None, None),
        };
        created += made.unwrap_or_default();
        deleted += removed.unwrap_or_default();
        refused += errors.unwrap_or_default();
        let shown = |value: Option<i64>| value.map_or_else(|| "?".to_owned(), |n| n.to_string());
        rows.push((
            if errors.unwrap_or_default() > 0 {
                Tone::Bad
            } else {
                Tone::Good
            },
            vec![
                format!("{} of {}", part.part.number, part.part.of),
                part.summary_id.to_string(),
                shown(made),
                shown(removed),
                errors.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            ],
        ));
        documents.push(json!({
            "part": part.part.number,
            "summaryId": part.summary_id,
            "resumed": part.resumed,
            "sha256": part.part.sha256,
            "userLocationsCreated": made,
            "userLocationsDeleted": removed,
            "errorLines": errors,
        }));
    }
    context.table(
        &["part", "import", "created", "deleted", "error lines"],
        rows,
    );
    context.say(format!(
        "created {created} user location(s), deleted {deleted}, in {} parts",
        documents.len()
    ));
    context.document(&json!({
        "created": true,
        "parts": documents,
        "userLocationsCreated": created,
        "userLocationsDeleted": deleted,
    }));
    if refused == 0 {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "the import was applied, and Lucca refused {refused} line(s): see each part with `roster office status SUMMARY_ID`"
        )))
    }
}

fn count(value: Option<i32>) -> String {
    value.map_or_else(|| "?".to_owned(), |n| n.to_string())
}

/// The simulation, shown before any question: what Lucca's analysis says
/// the file would create and delete, and its error and warning lines (the
/// fields they add to the command's JSON document, when it was read).
fn preview(
    request: &ImportRequest,
    simulated: &SimulatedImport<'_>,
    context: &Context,
) -> Result<Option<serde_json::Map<String, Value>>, Failure> {
    let Some(analysis) = simulated.analysis() else {
        return Ok(None);
    };
    let to_create = analysis
        .valid_user_locations_to_create_summary
        .as_ref()
        .and_then(|summary| summary.count);
    let to_delete = analysis
        .user_locations_to_delete_summary
        .as_ref()
        .and_then(|summary| summary.count);
    context.table(
        &["simulation", "count"],
        [
            (Tone::Good, vec!["to create".into(), count(to_create)]),
            (Tone::Plain, vec!["to delete".into(), count(to_delete)]),
            (
                Tone::Bad,
                vec!["error lines".into(), analysis.error_lines.len().to_string()],
            ),
            (
                Tone::Warn,
                vec![
                    "warning lines".into(),
                    analysis.warning_lines.len().to_string(),
                ],
            ),
        ],
    );
    report_lines(
        request,
        &analysis.error_lines,
        &analysis.warning_lines,
        context,
    )
    .map(Some)
}

/// `office import` without `--create`: the simulation's verdict.
fn simulation_only(
    simulated: &SimulatedImport<'_>,
    lines: Option<serde_json::Map<String, Value>>,
    context: &Context,
) -> Result<(), Failure> {
    let Some(analysis) = simulated.analysis() else {
        let why = simulated
            .unread()
            .map(|unread| chain(&unread.error))
            .unwrap_or_default();
        return Err(Failure::refused(format!(
            "the simulation's analysis could not be read ({why}): nothing was created"
        )));
    };
    context.say(if analysis.error_lines.is_empty() {
        "nothing was created: add --create to import"
    } else {
        "nothing was created: fix the error lines, then add --create"
    });
    context.document(&merged(
        json!({
            "created": false,
            "summaryId": analysis.summary_id,
            "userLocationsToCreate": analysis
                .valid_user_locations_to_create_summary
                .as_ref()
                .and_then(|summary| summary.count),
            "userLocationsToDelete": analysis
                .user_locations_to_delete_summary
                .as_ref()
                .and_then(|summary| summary.count),
        }),
        lines.unwrap_or_default(),
    ));
    if analysis.error_lines.is_empty() {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "the simulation found {} error line(s)",
            analysis.error_lines.len()
        )))
    }
}

fn lines_json(lines: &[types::ErrorLine]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| json!({ "line": line.line_number, "error": line.error, "row": line.line }))
        .collect()
}

fn warnings_json(lines: &[types::WarningLine]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| json!({ "line": line.line_number, "warning": line.warning, "row": line.line }))
        .collect()
}

/// Shows the error and warning lines, and writes the errors CSV when asked:
/// their fields of the JSON document (`errors`, `warnings`, `errorsCsv`).
fn report_lines(
    request: &ImportRequest,
    errors: &[types::ErrorLine],
    warnings: &[types::WarningLine],
    context: &Context,
) -> Result<serde_json::Map<String, Value>, Failure> {
    show_lines(errors, warnings, context);
    let written = write_errors(request, errors, context)?;
    let mut fields = serde_json::Map::new();
    fields.insert("errors".into(), lines_json(errors).into());
    fields.insert("warnings".into(), warnings_json(warnings).into());
    fields.insert("errorsCsv".into(), written.into());
    Ok(fields)
}

/// `document` with `fields` added.
fn merged(mut document: Value, fields: serde_json::Map<String, Value>) -> Value {
    if let Some(object) = document.as_object_mut() {
        object.extend(fields);
    }
    document
}

/// The error and warning lines as one table.
fn show_lines(errors: &[types::ErrorLine], warnings: &[types::WarningLine], context: &Context) {
    if errors.is_empty() && warnings.is_empty() {
        return;
    }
    let cells = |line: Option<i32>, row: Option<&types::ImportedLine>, text: Option<&str>| {
        let row = row.cloned().unwrap_or_default();
        vec![
            line.map_or_else(|| "?".to_owned(), |n| n.to_string()),
            row.login.unwrap_or_default(),
            row.date.map(|date| date.to_string()).unwrap_or_default(),
            row.worklocation_name.unwrap_or_default(),
            text.unwrap_or_default().to_owned(),
        ]
    };
    let rows = errors
        .iter()
        .map(|line| {
            (
                Tone::Bad,
                cells(line.line_number, line.line.as_ref(), line.error.as_deref()),
            )
        })
        .chain(warnings.iter().map(|line| {
            (
                Tone::Warn,
                cells(
                    line.line_number,
                    line.line.as_ref(),
                    line.warning.as_deref(),
                ),
            )
        }));
    context.table(&["line", "login", "date", "work location", "message"], rows);
}

/// Writes the error lines' CSV when asked and there are any; its path.
fn write_errors(
    request: &ImportRequest,
    lines: &[types::ErrorLine],
    context: &Context,
) -> Result<Option<String>, Failure> {
    let Some(path) = &request.errors_csv else {
        return Ok(None);
    };
    if lines.is_empty() {
        return Ok(None);
    }
    if crate::input::is_stdin(&request.file) {
        return Err(Failure::usage(
            "--errors-csv copies lines of the file: it needs a file, not standard input",
        ));
    }
    crate::errors_csv::write(&request.file, lines, path)
        .map_err(|error| Failure::usage(format!("cannot write {}: {error}", path.display())))?;
    context.say(format!(
        "wrote the {} error line(s) to {}: fix them and send that file",
        lines.len(),
        path.display()
    ));
    Ok(Some(path.display().to_string()))
}

/// The exit code an import error deserves, and what to do next.
fn import_failure(error: ImportError) -> Failure {
    let text = chain(&error);
    match &error {
        ImportError::Rows(_) | ImportError::Csv(_) => Failure::refused(format!(
            "{}\ncheck it with `roster office check`",
            crate::input::in_cli_words(&text)
        )),
        ImportError::Repeated { earlier } => match earlier.state {
            JournalState::Sending if earlier.is_held() => Failure::transient(format!(
                "{text}\nnothing was sent: a run holds this file's creation; run again once it has finished (if that run died, its lease runs out by itself: then run `roster office resolve {}`: it reads Lucca Office for the file's rows)",
                earlier.sha256
            )),
            JournalState::Done | JournalState::Accepted => Failure::refused(format!(
                "{text}\nnothing was sent: see it with `roster office status SUMMARY_ID` (the id Lucca Office shows for it), or `roster office journal`"
            )),
            _ => Failure::unknown(format!(
                "{text}\nnothing was sent: run `roster office resolve {}`: it reads Lucca Office for the file's rows, and resolves as it reads",
                earlier.sha256
            )),
        },
        ImportError::Journal(error) => journal_failure(error, "\nnothing was sent"),
        ImportError::File(error) => Failure::from_file(error, text),
        ImportError::RowTooLarge { .. } | ImportError::TooLarge { .. } => Failure::usage(text),
        ImportError::NoRows => Failure::refused(text),
        ImportError::PartlyCreated(_) => Failure::unknown(format!(
            "{text}\nrun the same command again: the parts applied are resumed from the journal, never sent twice"
        )),
        ImportError::Upload { mode, source } => match source {
            UploadError::OutcomeUnknown { .. } | UploadError::NoSummaryId { .. }
                if *mode == ImportMode::Create =>
            {
                Failure::unknown(format!(
                    "{text}\noutcome unknown: check Lucca Office's imports before running this again"
                ))
            }
            // Too many requests: refused before anything was done; safe
            // to run again.
            UploadError::Rejected(error)
                if error.status().is_some_and(|status| status.as_u16() == 429) =>
            {
                Failure::transient(format!(
                    "{text}\nnothing was imported (too many requests): it is safe to run again later"
                ))
            }
            UploadError::Rejected(_) => Failure::refused(text),
            _ => Failure::transient(format!("{text}\nnothing was imported: try again later")),
        },
        ImportError::Wait { mode, source } => {
            let applied = *mode == ImportMode::Create;
            match &source.failure {
                WaitFailure::Http { source } if !applied && source.retry_after().is_some() => {
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
    let (office, _) = client(context)?;
    let places = office
        .all_work_locations()
        .stream()
        .map_err(|error| Failure::from_http(&error, chain(&error)));
    context
        .listing(&["id", "name", "type", "active"], places, |place| {
            vec![
                place.id.to_string(),
                place.name.clone(),
                place.type_.to_string(),
                place
                    .is_active
                    .map_or_else(String::new, |active| active.to_string()),
            ]
        })
        .await
}
