//! The user-location import as a user runs it: send a file, wait for its
//! outcome, or do both safely with a checked import (simulate, stop on
//! errors, then create).

use super::Client;
use super::csv_check::{CsvError, CsvSummary};
use super::outcome::{ImportOutcome, PartialOutcome};
use super::snapshot::{ENVELOPE_MARGIN, ImportPart, PLATFORM_LIMIT, Snapshot, SnapshotError};
use super::source::{CsvSource, TakeError};
use super::types;
use super::upload::{ExistingLocations, ImportMode, ImportStarted, UploadError, send_import};
use super::wait::{Progress, WaitError, WaitForImport, WaitOptions};
use crate::file::FileError;
use bytes::Bytes;

/// The import operations `roster` adds to [`office::Client`](Client).
///
/// ```no_run
/// use roster::office::{self, CsvSource, CheckedImport};
///
/// # async fn run(office: office::Client, rows: Vec<office::UserLocationRow>) -> Result<(), roster::office::ImportError> {
/// match office.checked_import(CsvSource::rows(rows)).execute().await? {
///     CheckedImport::Rejected { analysis } => println!("{} error lines", analysis.error_lines.len()),
///     CheckedImport::Created { results, .. } => println!("{:?}", results.user_locations_created_summary),
///     CheckedImport::AnalysisUnread { analysis } => println!("not created: {}", analysis.error),
///     CheckedImport::CreatedUnread { results, .. } => println!("APPLIED, {:?} created", results.created),
///     CheckedImport::Resumed { summary_id, .. } => println!("created before as {summary_id}"),
///     CheckedImport::CreatedInParts { parts, .. } => println!("created in {} parts", parts.len()),
/// }
/// # Ok(()) }
/// ```
impl Client {
    /// Sends one import request (a simulation unless told to create): the
    /// file is taken and checked as in a checked import, and sent whole.
    pub fn import_user_locations(&self, source: CsvSource) -> ImportUserLocations<'_> {
        ImportUserLocations {
            client: self,
            source,
            mode: ImportMode::Simulate,
            existing: ExistingLocations::Keep,
        }
    }

    /// Waits for an import's analysis or results.
    pub fn wait_for_import(&self, started: ImportStarted) -> WaitForImport<'_> {
        WaitForImport::new(self, started)
    }

    /// Simulates the import, stops if the analysis has errors, and otherwise
    /// creates it and waits for the results.
    pub fn checked_import(&self, source: CsvSource) -> CheckedImportRequest<'_> {
        CheckedImportRequest {
            client: self,
            source,
            existing: ExistingLocations::Keep,
            options: WaitOptions::default(),
            on_progress: None,
            part_limit: PLATFORM_LIMIT,
            in_memory: super::IN_MEMORY,
            keep_descriptions: super::KEPT_DESCRIPTIONS,
            journal: None,
            allow_repeat: false,
        }
    }
}

/// One import request. A simulation that keeps existing locations unless
/// told otherwise; sent once, never repeated.
#[derive(Debug)]
pub struct ImportUserLocations<'a> {
    client: &'a Client,
    source: CsvSource,
    mode: ImportMode,
    existing: ExistingLocations,
}

impl ImportUserLocations<'_> {
    /// Simulation or creation.
    pub fn mode(mut self, mode: ImportMode) -> Self {
        self.mode = mode;
        self
    }

    /// Keep or replace the user locations that exist on the rows' days.
    pub fn existing(mut self, existing: ExistingLocations) -> Self {
        self.existing = existing;
        self
    }

    /// Takes the file, checks it, and sends the request. A file the check
    /// refuses, or over the limit of one request, sends nothing.
    pub async fn send(self) -> Result<ImportStarted, ImportError> {
        let (snapshot, _) = self.source.snapshot(super::IN_MEMORY).await?;
        let bytes = snapshot.length().saturating_add(ENVELOPE_MARGIN);
        if bytes > PLATFORM_LIMIT {
            return Err(ImportError::TooLarge {
                bytes,
                limit: PLATFORM_LIMIT,
            });
        }
        let part = snapshot.parts(u64::MAX)?.remove(0);
        let upload = snapshot.upload(&part).map_err(SnapshotError::from)?;
        send_import(self.client, upload, self.mode, self.existing)
            .await
            .map_err(|source| ImportError::Upload {
                mode: self.mode,
                source,
            })
    }
}

impl From<TakeError> for ImportError {
    fn from(error: TakeError) -> Self {
        match error {
            TakeError::Rows(error) => Self::Rows(error),
            TakeError::Csv(error) => Self::Csv(error),
            TakeError::Snapshot(error) => error.into(),
            TakeError::NoRows => Self::NoRows,
        }
    }
}

impl From<SnapshotError> for ImportError {
    fn from(error: SnapshotError) -> Self {
        match error {
            SnapshotError::File(error) => Self::File(error),
            SnapshotError::RowTooLarge(too_large) => Self::RowTooLarge {
                row: too_large.record,
                bytes: too_large.bytes,
                limit: too_large.limit,
            },
        }
    }
}

/// A checked import stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A row cannot be written; nothing was sent.
    #[error("a row cannot be imported; nothing was sent")]
    Rows(#[source] CsvError),
    /// The file has problems; nothing was sent.
    #[error("the import file has problems; nothing was sent")]
    Csv(#[source] CsvError),
    /// The file, or its private copy, could not be used (which, and what):
    /// nothing was sent.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file has no row after its header: there is nothing to import,
    /// and nothing was sent.
    #[error("the import file has no row after its header: nothing to import; nothing was sent")]
    NoRows,
    /// The file is larger than one request may be; nothing was sent. A
    /// checked import sends it in parts.
    #[error(
        "the import file is {bytes} bytes, over the {limit}-byte limit of one request: a checked import sends it in parts"
    )]
    TooLarge {
        /// Its size as sent, envelope included.
        bytes: u64,
        /// The largest request.
        limit: u64,
    },
    /// One row alone is larger than a part may be: the file cannot be cut
    /// under the platform's limit. Nothing was sent.
    #[error(
        "row {row} alone is {bytes} bytes with the header, over the {limit}-byte limit of a part"
    )]
    RowTooLarge {
        /// The row (1 for the first after the header).
        row: u64,
        /// Its size with the header.
        bytes: u64,
        /// The largest part.
        limit: u64,
    },
    /// Sending the simulation or the creation failed.
    #[error("sending the {mode:?} import failed")]
    Upload {
        /// Which step.
        mode: ImportMode,
        /// Why (it says whether the import may exist).
        #[source]
        source: UploadError,
    },
    /// The same file was already created for this tenant (or may have
    /// been): nothing was sent. Allow the repeat with
    /// [`allow_repeat`](CheckedImportRequest::allow_repeat), or resolve an
    /// unknown outcome with [`ImportJournal::resolve`](super::ImportJournal::resolve).
    #[error("not created again: {earlier}")]
    Repeated {
        /// The earlier creation.
        earlier: super::JournalEntry,
    },
    /// The import journal could not be read or written; nothing was sent.
    #[error(transparent)]
    Journal(#[from] super::JournalError),
    /// Neither the file nor a part of it (cut as this request cuts it) is
    /// the journaled creation: its evidence cannot be read from this file.
    #[error("this file is not the one journaled as {sha256} (its SHA-256: {})", found.join(", "))]
    OtherFile {
        /// The journal entry's SHA-256.
        sha256: String,
        /// The file's parts' SHA-256.
        found: Vec<String>,
    },
    /// Reading Lucca for a creation's evidence failed: nothing was
    /// resolved.
    #[error("reading Lucca for evidence failed; nothing was resolved")]
    Read {
        /// The failed read.
        #[source]
        source: crate::HttpError,
    },
    /// Waiting for the simulation's analysis or the creation's results failed.
    #[error("waiting for the {mode:?} import failed")]
    Wait {
        /// Which step.
        mode: ImportMode,
        /// Why.
        #[source]
        source: WaitError,
    },
    /// A file in parts stopped after some of its parts were created: those
    /// **were applied** (each part's creation); the part that failed, and
    /// those after it, say nothing more than its `source` does.
    #[error(transparent)]
    PartlyCreated(crate::AppliedInPart<CreatedPart, ImportError>),
}

/// What a checked import did.
///
/// Deliberately not `#[non_exhaustive]`: some outcomes mean the import
/// **was applied**, so a new one must fail your `match` to compile, never
/// fall into a `_` arm unseen. (Errors are `#[non_exhaustive]`.)
#[derive(Debug)]
pub enum CheckedImport {
    /// The simulation found errors: nothing was created. (For a file in
    /// parts: every part's analysis, merged, with line numbers of the file.)
    Rejected {
        /// The simulation's analysis, with its error lines.
        analysis: types::ImportAnalysis,
    },
    /// The simulation was clean and the import was created.
    Created {
        /// The simulation's analysis.
        analysis: types::ImportAnalysis,
        /// The creation's results.
        results: types::ImportResults,
    },
    /// The simulation's analysis did not read into the typed model, so it
    /// could not be checked: nothing was created.
    AnalysisUnread {
        /// What could be read of it, and the raw answer.
        analysis: PartialOutcome,
    },
    /// The simulation was clean and the import **was created**, but its
    /// results did not read into the typed model.
    CreatedUnread {
        /// The simulation's analysis.
        analysis: types::ImportAnalysis,
        /// What could be read of the results, and the raw answer.
        results: PartialOutcome,
    },
    /// The journal held this file's creation as accepted or done (an
    /// earlier run that stopped while waiting, say): nothing was sent, and
    /// this is that import's outcome, waited for from its `summaryId`.
    Resumed {
        /// The earlier creation's `summaryId`.
        summary_id: uuid::Uuid,
        /// Its results (or what could be read of them).
        outcome: ImportOutcome,
    },
    /// A file over the platform's limit, created in parts: every part was
    /// simulated clean before the first was created, then each was created
    /// in order.
    CreatedInParts {
        /// The simulations' analyses, merged (line numbers of the file).
        analysis: types::ImportAnalysis,
        /// Each part's creation (or the earlier one the journal resumed).
        parts: Vec<CreatedPart>,
    },
}

/// One part of a file in parts, created.
#[derive(Debug)]
#[non_exhaustive]
pub struct CreatedPart {
    /// Which part.
    pub part: ImportPart,
    /// Its creation's `summaryId`.
    pub summary_id: uuid::Uuid,
    /// Its results (line numbers of the part's own file).
    pub outcome: ImportOutcome,
    /// Whether it was created by an earlier run (found in the journal).
    pub resumed: bool,
}

/// A creation's outcome, with the simulation's analysis.
fn created(
    analysis: types::ImportAnalysis,
    summary_id: uuid::Uuid,
    outcome: ImportOutcome,
) -> CheckedImport {
    let results = match outcome {
        ImportOutcome::Results(results) => {
            return CheckedImport::Created { analysis, results };
        }
        ImportOutcome::ReadPartially(results) => results,
        ImportOutcome::Analysis(came) => {
            PartialOutcome::mismatched(ImportMode::Create, summary_id, &came)
        }
    };
    CheckedImport::CreatedUnread { analysis, results }
}

/// Whether an analysis reports anything that should stop the creation.
pub fn analysis_has_errors(analysis: &types::ImportAnalysis) -> bool {
    !analysis.error_lines.is_empty()
        || analysis
            .global_error_summary
            .as_deref()
            .is_some_and(|summary| !summary.trim().is_empty())
}

/// The analyses of a file's parts as one: counts added, lines numbered as
/// in the whole file (a part's line `n` is the file's `n` plus the rows
/// before the part), the first global error kept.
fn merge_analyses(analyses: Vec<(u64, types::ImportAnalysis)>) -> types::ImportAnalysis {
    let shift = |line: Option<i32>, by: u64| {
        line.map(|line| line.saturating_add(i32::try_from(by).unwrap_or(i32::MAX)))
    };
    let add = |total: &mut Option<types::Count>, count: Option<&types::Count>| {
        if let Some(count) = count.and_then(|count| count.count) {
            let total = total.get_or_insert_with(types::Count::default);
            total.count = Some(total.count.unwrap_or_default().saturating_add(count));
        }
    };
    let mut merged = types::ImportAnalysis::default();
    for (rows_before, analysis) in analyses {
        merged
            .error_lines
            .extend(analysis.error_lines.into_iter().map(|mut line| {
                line.line_number = shift(line.line_number, rows_before);
                line
            }));
        merged
            .warning_lines
            .extend(analysis.warning_lines.into_iter().map(|mut line| {
                line.line_number = shift(line.line_number, rows_before);
                line
            }));
        if let Some(part) = analysis.valid_user_locations_to_create_summary {
            let total = merged
                .valid_user_locations_to_create_summary
                .get_or_insert_with(types::DescribedCount::default);
            total.count = match (total.count, part.count) {
                (Some(total), Some(count)) => Some(total.saturating_add(count)),
                (total, count) => total.or(count),
            };
            total.descriptions.extend(part.descriptions);
        }
        add(
            &mut merged.user_locations_to_delete_summary,
            analysis.user_locations_to_delete_summary.as_ref(),
        );
        merged.global_error_summary = merged
            .global_error_summary
            .or(analysis.global_error_summary);
        merged.error_file_uri = merged.error_file_uri.or(analysis.error_file_uri);
        merged.summary_id = merged.summary_id.or(analysis.summary_id);
    }
    merged
}

/// A checked import: made by [`Client::checked_import`].
pub struct CheckedImportRequest<'a> {
    client: &'a Client,
    source: CsvSource,
    existing: ExistingLocations,
    options: WaitOptions,
    on_progress: Option<super::wait::ProgressCallback<'a>>,
    part_limit: u64,
    in_memory: u64,
    keep_descriptions: usize,
    journal: Option<&'a super::ImportJournal>,
    allow_repeat: bool,
}

impl std::fmt::Debug for CheckedImportRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedImportRequest")
            .field("source", &self.source)
            .field("existing", &self.existing)
            .field("options", &self.options)
            .field("part_limit", &self.part_limit)
            .finish_non_exhaustive()
    }
}

impl<'a> CheckedImportRequest<'a> {
    /// Keep or replace the user locations that exist on the rows' days.
    pub fn existing(mut self, existing: ExistingLocations) -> Self {
        self.existing = existing;
        self
    }

    /// Sets the waiter's delays and deadline (for each wait).
    pub fn wait_options(mut self, options: WaitOptions) -> Self {
        self.options = options;
        self
    }

    /// Calls `callback` as the simulation, then the creation, progress.
    pub fn on_progress(mut self, callback: impl FnMut(Progress) + Send + 'a) -> Self {
        self.on_progress = Some(sync_wrapper::SyncWrapper::new(Box::new(callback)));
        self
    }

    /// Keeps at most `count` descriptions of each summary of the analyses
    /// and results (default [`KEPT_DESCRIPTIONS`](super::KEPT_DESCRIPTIONS));
    /// their counts count them all.
    pub fn keep_descriptions(mut self, count: usize) -> Self {
        self.keep_descriptions = count;
        self
    }

    /// The largest snapshot kept in memory (default
    /// [`IN_MEMORY`](super::IN_MEMORY)); a larger file or set of rows is
    /// taken to a private file with no name, which the system deletes with
    /// its last handle.
    pub fn in_memory_up_to(mut self, bytes: u64) -> Self {
        self.in_memory = bytes;
        self
    }

    /// The largest request a part may be, envelope included (the default
    /// is Lucca's [`PLATFORM_LIMIT`]): a larger file is sent in parts.
    pub fn part_limit(mut self, bytes: u64) -> Self {
        self.part_limit = bytes;
        self
    }

    /// Records the creation in `journal` before it leaves, and refuses it
    /// when the same file was created for the same tenant (see
    /// [`ImportJournal`](super::ImportJournal)).
    pub fn journal(mut self, journal: &'a super::ImportJournal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Creates even when the journal has the same file (a deliberate
    /// repeat).
    pub fn allow_repeat(mut self) -> Self {
        self.allow_repeat = true;
        self
    }

    /// Takes the file once (in memory, or a private copy for a large one,
    /// hashed as it is taken), checks that snapshot and cuts it into parts
    /// under the limit. Nothing is sent: the summary is what a confirmation
    /// can show, and [`PreparedImport::execute`] sends exactly these bytes.
    pub async fn prepare(mut self) -> Result<PreparedImport<'a>, ImportError> {
        let source = std::mem::replace(&mut self.source, CsvSource::bytes(Bytes::new()));
        let (snapshot, summary) = source.snapshot(self.in_memory).await?;
        let limit = self.part_limit.saturating_sub(ENVELOPE_MARGIN).max(1);
        let parts = {
            let snapshot = snapshot.clone();
            tokio::task::spawn_blocking(move || snapshot.parts(limit))
                .await
                .map_err(|error| SnapshotError::from(std::io::Error::other(error)))??
        };
        Ok(PreparedImport {
            request: self,
            snapshot,
            summary,
            parts,
        })
    }

    /// [`prepare`](Self::prepare), then [`PreparedImport::execute`].
    pub async fn execute(self) -> Result<CheckedImport, ImportError> {
        self.prepare().await?.execute().await
    }
}

/// What a simulation said of a checked import.
#[derive(Debug)]
enum Verdict {
    /// The journal holds the file's (one part's) creation: nothing was
    /// simulated.
    Resumed(uuid::Uuid, ImportPart),
    /// The analysis did not read into the typed model.
    Unread(PartialOutcome),
    /// The analysis (merged, for a file in parts).
    Analysed(types::ImportAnalysis),
}

/// A checked import whose every part was simulated: nothing created yet.
/// Made by [`PreparedImport::simulate`]; dropping it creates nothing.
#[derive(Debug)]
pub struct SimulatedImport<'a> {
    prepared: PreparedImport<'a>,
    parts: Vec<ImportPart>,
    resumed: Vec<Option<uuid::Uuid>>,
    verdict: Verdict,
}

impl SimulatedImport<'_> {
    /// What the local check found: rows, deletions, warnings.
    pub fn summary(&self) -> &CsvSummary {
        &self.prepared.summary
    }

    /// The parts it is sent in (one, unless the file is over the limit).
    pub fn parts(&self) -> &[ImportPart] {
        &self.parts
    }

    /// The simulation's analysis (merged, with the file's line numbers,
    /// for a file in parts); `None` when the journal holds the file's
    /// creation (see [`resumed`](Self::resumed)) or the analysis did not
    /// read (see [`unread`](Self::unread)).
    pub fn analysis(&self) -> Option<&types::ImportAnalysis> {
        match &self.verdict {
            Verdict::Analysed(analysis) => Some(analysis),
            _ => None,
        }
    }

    /// The earlier creation's `summaryId`, when the journal holds this
    /// file's creation: [`create`](Self::create) then waits for its outcome
    /// and sends nothing.
    pub fn resumed(&self) -> Option<uuid::Uuid> {
        match &self.verdict {
            Verdict::Resumed(summary_id, _) => Some(*summary_id),
            _ => None,
        }
    }

    /// What could be read of an analysis that did not read into the typed
    /// model: [`create`](Self::create) then creates nothing.
    pub fn unread(&self) -> Option<&PartialOutcome> {
        match &self.verdict {
            Verdict::Unread(analysis) => Some(analysis),
            _ => None,
        }
    }

    /// Whether the creation may go ahead: the analysis was read and has no
    /// error line (or the journal holds the creation, to be resumed).
    pub fn is_clean(&self) -> bool {
        match &self.verdict {
            Verdict::Resumed(..) => true,
            Verdict::Unread(_) => false,
            Verdict::Analysed(analysis) => !analysis_has_errors(analysis),
        }
    }

    /// Whether [`create`](Self::create) will send a creation: the analysis
    /// is clean and some part is not one the journal holds as created
    /// already (those are resumed: waited for, never sent again).
    pub fn creates(&self) -> bool {
        matches!(&self.verdict, Verdict::Analysed(analysis) if !analysis_has_errors(analysis))
            && self.resumed.iter().any(Option::is_none)
    }

    /// Creates what was simulated, part after part, and waits for the
    /// results; creates nothing when the analysis has errors
    /// ([`CheckedImport::Rejected`]) or did not read
    /// ([`CheckedImport::AnalysisUnread`]).
    pub async fn create(self) -> Result<CheckedImport, ImportError> {
        let Self {
            mut prepared,
            parts,
            resumed,
            verdict,
        } = self;
        let analysis = match verdict {
            Verdict::Resumed(summary_id, part) => {
                let outcome = prepared.resume(&part, summary_id).await?;
                return Ok(CheckedImport::Resumed {
                    summary_id,
                    outcome,
                });
            }
            Verdict::Unread(analysis) => return Ok(CheckedImport::AnalysisUnread { analysis }),
            Verdict::Analysed(analysis) => analysis,
        };
        if analysis_has_errors(&analysis) {
            tracing::info!(
                errors = analysis.error_lines.len(),
                "the simulation found errors; nothing is created"
            );
            return Ok(CheckedImport::Rejected { analysis });
        }
        let of = parts.len();
        let mut applied: Vec<CreatedPart> = Vec::new();
        for (part, resumed) in parts.into_iter().zip(resumed) {
            let number = part.number;
            let step = match resumed {
                Some(summary_id) => prepared
                    .resume(&part, summary_id)
                    .await
                    .map(|outcome| (summary_id, outcome, true)),
                None => prepared
                    .create(&part)
                    .await
                    .map(|(id, outcome)| (id, outcome, false)),
            };
            match step {
                Ok((summary_id, outcome, resumed)) => applied.push(CreatedPart {
                    part,
                    summary_id,
                    outcome,
                    resumed,
                }),
                Err(source) if of > 1 => {
                    return Err(ImportError::PartlyCreated(crate::AppliedInPart {
                        applied,
                        part: number,
                        of,
                        source: Box::new(source),
                    }));
                }
                Err(error) => return Err(error),
            }
        }
        if of == 1
            && let Some(created_part) = applied.pop()
        {
            return Ok(created(
                analysis,
                created_part.summary_id,
                created_part.outcome,
            ));
        }
        Ok(CheckedImport::CreatedInParts {
            analysis,
            parts: applied,
        })
    }
}

/// A checked import whose file was taken and checked: nothing sent yet.
pub struct PreparedImport<'a> {
    request: CheckedImportRequest<'a>,
    snapshot: Snapshot,
    summary: CsvSummary,
    parts: Vec<ImportPart>,
}

impl PreparedImport<'_> {
    /// The rows (numbered from 0 after the header) of the file, or of its
    /// part, whose SHA-256 is `sha256`.
    #[cfg_attr(not(feature = "directory"), allow(dead_code))]
    pub(super) fn rows_of(&self, sha256: &str) -> Option<std::ops::Range<u64>> {
        if self.snapshot.sha256() == sha256 {
            return Some(0..u64::MAX);
        }
        let part = self.parts.iter().find(|part| part.sha256 == sha256)?;
        let end = part.rows.map_or(u64::MAX, |rows| part.first_row + rows);
        Some(part.first_row..end)
    }

    /// The file as taken, from its first byte.
    #[cfg_attr(not(feature = "directory"), allow(dead_code))]
    pub(super) fn content(&self) -> std::io::Result<Box<dyn std::io::Read + Send>> {
        self.snapshot.reader(0)
    }

    /// The client it is for.
    #[cfg_attr(not(feature = "directory"), allow(dead_code))]
    pub(super) fn client(&self) -> &Client {
        self.request.client
    }
}

impl std::fmt::Debug for PreparedImport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedImport")
            .field("request", &self.request)
            .field("summary", &self.summary)
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}

impl<'a> PreparedImport<'a> {
    /// What the check found: rows, deletions, warnings.
    pub fn summary(&self) -> &CsvSummary {
        &self.summary
    }

    /// The SHA-256 of the whole file as sent (hex).
    pub fn sha256(&self) -> &str {
        self.snapshot.sha256()
    }

    /// The parts it is sent in (one, unless the file is over the limit).
    pub fn parts(&self) -> &[ImportPart] {
        &self.parts
    }

    /// Simulates every part, stops if an analysis has errors, and otherwise
    /// creates the parts in order and waits for their results:
    /// [`simulate`](Self::simulate), then [`SimulatedImport::create`].
    pub async fn execute(self) -> Result<CheckedImport, ImportError> {
        self.simulate().await?.create().await
    }

    /// Simulates every part (a file in parts: all of them, before anything
    /// is created) and merges their analyses. Nothing is created: the
    /// analysis is what a confirmation can show before
    /// [`SimulatedImport::create`] creates exactly what was simulated. A
    /// file whose creation the journal holds is not simulated again.
    pub async fn simulate(mut self) -> Result<SimulatedImport<'a>, ImportError> {
        let parts = std::mem::take(&mut self.parts);
        let mut resumed = Vec::new();
        if let Some(journal) = self.request.journal
            && !self.request.allow_repeat
        {
            for part in &parts {
                resumed.push(self.resumable(journal, part).await?);
            }
        }
        resumed.resize(parts.len(), None);
        let verdict = match (&parts[..], &resumed[..]) {
            ([part], [Some(summary_id)]) => Verdict::Resumed(*summary_id, part.clone()),
            _ => self.analyse(&parts, &resumed).await?,
        };
        Ok(SimulatedImport {
            prepared: self,
            parts,
            resumed,
            verdict,
        })
    }

    /// The parts not created before, simulated; their analyses merged.
    async fn analyse(
        &mut self,
        parts: &[ImportPart],
        resumed: &[Option<uuid::Uuid>],
    ) -> Result<Verdict, ImportError> {
        let mut analyses = Vec::new();
        for (part, _) in parts
            .iter()
            .zip(resumed)
            .filter(|(_, resumed)| resumed.is_none())
        {
            let (summary_id, outcome) = self.run(part, ImportMode::Simulate).await?;
            let analysis = match outcome {
                ImportOutcome::Analysis(analysis) => analysis,
                ImportOutcome::ReadPartially(analysis) => return Ok(Verdict::Unread(analysis)),
                ImportOutcome::Results(came) => {
                    let unread =
                        PartialOutcome::mismatched(ImportMode::Simulate, summary_id, &came);
                    return Ok(Verdict::Unread(unread));
                }
            };
            analyses.push((part.first_row, analysis));
        }
        Ok(Verdict::Analysed(match analyses.len() {
            1 if parts.len() == 1 => analyses
                .pop()
                .map(|(_, analysis)| analysis)
                .unwrap_or_default(),
            _ => merge_analyses(analyses),
        }))
    }

    /// The `summaryId` of `part`'s creation, when the journal holds it as
    /// accepted or done (in its window).
    async fn resumable(
        &self,
        journal: &super::ImportJournal,
        part: &ImportPart,
    ) -> Result<Option<uuid::Uuid>, ImportError> {
        use super::JournalState;
        let Some(earlier) = journal.entry(&self.tenant(), &part.sha256).await? else {
            return Ok(None);
        };
        let resumable = matches!(earlier.state, JournalState::Accepted | JournalState::Done)
            && journal.forbids(&earlier);
        Ok(earlier
            .summary_id
            .as_deref()
            .and_then(|id| id.parse::<uuid::Uuid>().ok())
            .filter(|_| resumable))
    }

    fn tenant(&self) -> String {
        self.request.client.baseurl().to_owned()
    }

    /// The outcome of `part`'s earlier creation, waited for without sending
    /// anything; its journal entry is then marked done.
    async fn resume(
        &mut self,
        part: &ImportPart,
        summary_id: uuid::Uuid,
    ) -> Result<ImportOutcome, ImportError> {
        tracing::info!(%summary_id, part = part.number, "resuming the import the journal holds");
        let started = ImportStarted {
            summary_id,
            mode: ImportMode::Create,
        };
        let outcome = self.wait(started).await?;
        if let Some(journal) = self.request.journal
            && let Err(error) = journal
                .resolve(&self.tenant(), &part.sha256, super::Resolution::Applied)
                .await
        {
            tracing::debug!(%error, "the import journal was not updated");
        }
        Ok(outcome)
    }

    /// The creation of `part`, recorded in the journal (when there is one)
    /// before it leaves and as it moves on. Once sent, a journal that
    /// cannot be written is logged, never an error: the outcome is not lost
    /// for it.
    async fn create(
        &mut self,
        part: &ImportPart,
    ) -> Result<(uuid::Uuid, ImportOutcome), ImportError> {
        let mode = ImportMode::Create;
        if let Some(journal) = self.request.journal {
            return self.create_journaled(journal, part).await;
        }
        self.run(part, mode).await
    }

    async fn create_journaled(
        &mut self,
        journal: &super::ImportJournal,
        part: &ImportPart,
    ) -> Result<(uuid::Uuid, ImportOutcome), ImportError> {
        let tenant = self.tenant();
        let sha256 = &part.sha256;
        let file = self.snapshot.origin().map(|path| match part.of {
            1 => path.display().to_string(),
            of => format!("{} (part {} of {of})", path.display(), part.number),
        });
        let claim = match journal
            .claim(&tenant, sha256, self.request.allow_repeat, file.as_deref())
            .await?
        {
            Ok(claim) => claim,
            Err(earlier) => return Err(ImportError::Repeated { earlier }),
        };
        // The claim's lease runs on while this run sends and waits: a
        // resolution is refused meanwhile (see `journal::LEASE`).
        let work = self.create_claimed(journal, part, &tenant, &claim);
        journal.holding(&tenant, sha256, &claim, work).await
    }

    /// The creation of `part` once claimed: sent, waited for, and recorded
    /// as it moves on.
    async fn create_claimed(
        &mut self,
        journal: &super::ImportJournal,
        part: &ImportPart,
        tenant: &str,
        claim: &crate::journal::Claim,
    ) -> Result<(uuid::Uuid, ImportOutcome), ImportError> {
        use super::JournalState;
        let (mode, sha256) = (ImportMode::Create, &part.sha256);
        let moved = async |state: Option<(JournalState, Option<&str>)>| {
            if let Err(error) = journal.record(tenant, sha256, claim, state).await {
                let cause = std::error::Error::source(&error).map(ToString::to_string);
                tracing::warn!(%error, ?cause, "the import journal was not updated");
            }
        };
        let started = match self.send(part, mode).await {
            Ok(started) => started,
            Err(error) => {
                let applied = matches!(
                    error,
                    ImportError::Upload {
                        source: UploadError::OutcomeUnknown { .. }
                            | UploadError::NoSummaryId { .. },
                        ..
                    }
                );
                moved(applied.then_some((JournalState::Unknown, None))).await;
                return Err(error);
            }
        };
        let summary_id = started.summary_id.to_string();
        moved(Some((JournalState::Accepted, Some(&summary_id)))).await;
        let outcome = self.wait(started).await?;
        moved(Some((JournalState::Done, None))).await;
        Ok((started.summary_id, outcome))
    }

    /// `part` sent as `mode`, then waited for: its `summaryId` and outcome.
    async fn run(
        &mut self,
        part: &ImportPart,
        mode: ImportMode,
    ) -> Result<(uuid::Uuid, ImportOutcome), ImportError> {
        let started = self.send(part, mode).await?;
        Ok((started.summary_id, self.wait(started).await?))
    }

    /// `part` of the snapshot, sent.
    async fn send(
        &self,
        part: &ImportPart,
        mode: ImportMode,
    ) -> Result<ImportStarted, ImportError> {
        let upload = self.snapshot.upload(part).map_err(SnapshotError::from)?;
        let client = self.request.client;
        send_import(client, upload, mode, self.request.existing)
            .await
            .map_err(|source| ImportError::Upload { mode, source })
    }

    /// Waits for a sent import's analysis or results.
    async fn wait(&mut self, started: ImportStarted) -> Result<ImportOutcome, ImportError> {
        let mode = started.mode;
        let mut wait = self
            .request
            .client
            .wait_for_import(started)
            .options(self.request.options)
            .keep_descriptions(self.request.keep_descriptions);
        if let Some(callback) = self.request.on_progress.as_mut() {
            wait = wait.on_progress(callback.get_mut());
        }
        wait.execute()
            .await
            .map_err(|source| ImportError::Wait { mode, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_analysis_where_results_were_read_is_a_creation_whose_results_did_not_read() {
        let summary_id = uuid::Uuid::from_u128(7);
        let came = ImportOutcome::Analysis(types::ImportAnalysis::default());

        let outcome = created(types::ImportAnalysis::default(), summary_id, came);

        let CheckedImport::CreatedUnread { results, .. } = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(
            (results.mode, results.summary_id),
            (ImportMode::Create, summary_id)
        );
        assert!(results.raw.is_some(), "what came is kept");
        let why = std::error::Error::source(&results.error).map(ToString::to_string);
        assert!(
            why.as_deref()
                .is_some_and(|why| why.contains("results asked for")),
            "{why:?}"
        );
    }
}
