//! The user-location import as a user runs it: send a file, wait for its
//! outcome, or do both safely with a checked import (simulate, stop on
//! errors, then create).

use std::path::PathBuf;
use std::sync::Arc;

use super::Client;
use super::csv_check::{CsvCheckError, check_csv, check_csv_file};
use super::csv_write::{CsvWriteError, validate_row};
use super::row::UserLocationRow;
use super::types;
use super::upload::{
    CsvUpload, ExistingLocations, ImportMode, ImportStarted, UploadError, send_import,
};
use super::wait::{ImportOutcome, PartialOutcome, Progress, WaitError, WaitForImport, WaitOptions};
use bytes::Bytes;

/// The import operations `roster` adds to [`office::Client`](Client).
///
/// ```no_run
/// use roster::office::{self, ClientExtraImportExt, CsvSource, CheckedImport};
///
/// # async fn run(office: office::Client, rows: Vec<office::UserLocationRow>) -> Result<(), roster::office::ImportError> {
/// match office.checked_import(CsvSource::rows(rows)).execute().await? {
///     CheckedImport::Rejected { analysis } => println!("{} error lines", analysis.error_lines.len()),
///     CheckedImport::Created { results, .. } => println!("{:?}", results.user_locations_created_summary),
///     CheckedImport::AnalysisUnread { analysis } => println!("not created: {}", analysis.error),
///     CheckedImport::CreatedUnread { results, .. } => println!("APPLIED, {:?} created", results.created),
///     CheckedImport::Resumed { summary_id, .. } => println!("created before as {summary_id}"),
/// }
/// # Ok(()) }
/// ```
pub trait ClientExtraImportExt {
    /// Sends one import request (a simulation unless told to create).
    fn import_user_locations(&self, upload: CsvUpload) -> ImportUserLocations<'_>;

    /// Waits for an import's analysis or results.
    fn wait_for_import(&self, started: ImportStarted) -> WaitForImport<'_>;

    /// Simulates the import, stops if the analysis has errors, and otherwise
    /// creates it and waits for the results.
    fn checked_import(&self, source: CsvSource) -> CheckedImportRequest<'_>;
}

impl ClientExtraImportExt for Client {
    fn import_user_locations(&self, upload: CsvUpload) -> ImportUserLocations<'_> {
        ImportUserLocations {
            client: self,
            upload,
            mode: ImportMode::Simulate,
            existing: ExistingLocations::Keep,
        }
    }

    fn wait_for_import(&self, started: ImportStarted) -> WaitForImport<'_> {
        WaitForImport::new(self, started)
    }

    fn checked_import(&self, source: CsvSource) -> CheckedImportRequest<'_> {
        CheckedImportRequest {
            client: self,
            source,
            existing: ExistingLocations::Keep,
            options: WaitOptions::default(),
            on_progress: None,
            #[cfg(feature = "journal")]
            journal: None,
            #[cfg(feature = "journal")]
            allow_repeat: false,
        }
    }
}

/// One import request. A simulation that keeps existing locations unless
/// told otherwise; sent once, never repeated.
#[derive(Debug)]
pub struct ImportUserLocations<'a> {
    client: &'a Client,
    upload: CsvUpload,
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

    /// Sends the request.
    pub async fn send(self) -> Result<ImportStarted, UploadError> {
        send_import(self.client, self.upload, self.mode, self.existing).await
    }
}

/// An import file that can be sent twice (simulation, then creation).
#[derive(Debug, Clone)]
pub enum CsvSource {
    /// Typed rows.
    Rows(Arc<[UserLocationRow]>),
    /// A file.
    Path(PathBuf),
    /// A file's bytes.
    Bytes(Bytes),
}

impl CsvSource {
    /// Typed rows.
    pub fn rows(rows: impl Into<Arc<[UserLocationRow]>>) -> Self {
        Self::Rows(rows.into())
    }

    /// A file's bytes written in Windows-1252, transcoded to UTF-8.
    pub fn windows_1252(bytes: &[u8]) -> Self {
        Self::Bytes(super::upload::transcode_windows_1252(bytes))
    }

    /// Checks the source locally, before anything is sent.
    async fn check(&self) -> Result<(), ImportError> {
        match self {
            Self::Rows(rows) => rows
                .iter()
                .zip(1..)
                .try_for_each(|(row, number)| validate_row(row, number))
                .map_err(ImportError::Rows),
            Self::Path(path) => {
                let path = path.clone();
                tokio::task::spawn_blocking(move || check_csv_file(path))
                    .await
                    .map_err(|error| {
                        ImportError::Csv(CsvCheckError::Io {
                            file: None,
                            source: std::io::Error::other(error),
                        })
                    })?
                    .map(drop)
                    .map_err(ImportError::Csv)
            }
            Self::Bytes(bytes) => check_csv(bytes.as_ref())
                .map(drop)
                .map_err(ImportError::Csv),
        }
    }

    /// A fresh upload of the source.
    async fn upload(&self) -> Result<CsvUpload, UploadError> {
        match self {
            Self::Rows(rows) => {
                let rows = Arc::clone(rows);
                let count = rows.len();
                Ok(CsvUpload::from_rows(
                    (0..count).map(move |index| rows[index].clone()),
                ))
            }
            Self::Path(path) => CsvUpload::from_path(path).await,
            Self::Bytes(bytes) => Ok(CsvUpload::from_bytes(bytes.clone())),
        }
    }
}

/// A checked import stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A row cannot be written; nothing was sent.
    #[error("a row cannot be imported; nothing was sent")]
    Rows(#[source] CsvWriteError),
    /// The file has problems; nothing was sent.
    #[error("the import file has problems; nothing was sent")]
    Csv(#[source] CsvCheckError),
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
    #[cfg(feature = "journal")]
    #[error("not created again: {earlier}")]
    Repeated {
        /// The earlier creation.
        earlier: super::JournalEntry,
    },
    /// The import journal could not be read or written; nothing was sent.
    #[cfg(feature = "journal")]
    #[error(transparent)]
    Journal(#[from] super::JournalError),
    /// Waiting for the simulation's analysis or the creation's results failed.
    #[error("waiting for the {mode:?} import failed")]
    Wait {
        /// Which step.
        mode: ImportMode,
        /// Why.
        #[source]
        source: WaitError,
    },
}

/// What a checked import did.
#[derive(Debug)]
pub enum CheckedImport {
    /// The simulation found errors: nothing was created.
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
}

/// A creation's outcome, with the simulation's analysis.
fn created(analysis: types::ImportAnalysis, outcome: ImportOutcome) -> CheckedImport {
    match outcome {
        ImportOutcome::Results(results) => CheckedImport::Created { analysis, results },
        ImportOutcome::ReadPartially(results) => CheckedImport::CreatedUnread { analysis, results },
        ImportOutcome::Analysis(_) => unreachable!("a creation ends with results"),
    }
}

/// Whether an analysis reports anything that should stop the creation.
pub fn analysis_has_errors(analysis: &types::ImportAnalysis) -> bool {
    !analysis.error_lines.is_empty()
        || analysis
            .global_error_summary
            .as_deref()
            .is_some_and(|summary| !summary.trim().is_empty())
}

/// A checked import: made by [`ClientExtraImportExt::checked_import`].
pub struct CheckedImportRequest<'a> {
    client: &'a Client,
    source: CsvSource,
    existing: ExistingLocations,
    options: WaitOptions,
    on_progress: Option<Box<dyn FnMut(Progress) + Send + 'a>>,
    #[cfg(feature = "journal")]
    journal: Option<&'a super::ImportJournal>,
    #[cfg(feature = "journal")]
    allow_repeat: bool,
}

impl std::fmt::Debug for CheckedImportRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedImportRequest")
            .field("source", &self.source)
            .field("existing", &self.existing)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a> CheckedImportRequest<'a> {
    /// Keep or replace the user locations that exist on the rows' days.
    pub fn existing(mut self, existing: ExistingLocations) -> Self {
        self.existing = existing;
        self
    }

    /// Sets the waiter's delays and deadline (for each of the two waits).
    pub fn wait_options(mut self, options: WaitOptions) -> Self {
        self.options = options;
        self
    }

    /// Calls `callback` as the simulation, then the creation, progress.
    pub fn on_progress(mut self, callback: impl FnMut(Progress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(callback));
        self
    }

    /// Records the creation in `journal` before it leaves, and refuses it
    /// when the same file was created for the same tenant (see
    /// [`ImportJournal`](super::ImportJournal)).
    #[cfg(feature = "journal")]
    pub fn journal(mut self, journal: &'a super::ImportJournal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Creates even when the journal has the same file (a deliberate
    /// repeat).
    #[cfg(feature = "journal")]
    pub fn allow_repeat(mut self) -> Self {
        self.allow_repeat = true;
        self
    }

    /// Checks the source locally, simulates, and creates only if the
    /// analysis has no error line.
    pub async fn execute(mut self) -> Result<CheckedImport, ImportError> {
        self.source.check().await?;
        #[cfg(feature = "journal")]
        if let Some(journal) = self.journal
            && !self.allow_repeat
            && let Some(resumed) = self.resume(journal).await?
        {
            return Ok(resumed);
        }
        let analysis = match self.run(ImportMode::Simulate).await? {
            ImportOutcome::Analysis(analysis) => analysis,
            ImportOutcome::ReadPartially(analysis) => {
                return Ok(CheckedImport::AnalysisUnread { analysis });
            }
            ImportOutcome::Results(_) => unreachable!("a simulation ends with an analysis"),
        };
        if analysis_has_errors(&analysis) {
            tracing::info!(
                errors = analysis.error_lines.len(),
                "the simulation found errors; nothing is created"
            );
            return Ok(CheckedImport::Rejected { analysis });
        }
        #[cfg(feature = "journal")]
        if let Some(journal) = self.journal {
            return self.create_journaled(journal, analysis).await;
        }
        let outcome = self.run(ImportMode::Create).await?;
        Ok(created(analysis, outcome))
    }

    /// The tenant and the SHA-256 of the file as sent.
    #[cfg(feature = "journal")]
    async fn fingerprint(&self) -> Result<(String, String), ImportError> {
        let upload_error = |source| ImportError::Upload {
            mode: ImportMode::Create,
            source,
        };
        let tenant = progenitor_client::ClientInfo::baseurl(self.client).to_owned();
        let sha256 = self
            .source
            .upload()
            .await
            .map_err(upload_error)?
            .sha256()
            .await
            .map_err(|source| {
                upload_error(UploadError::Io {
                    path: std::path::PathBuf::from("the import file"),
                    source,
                })
            })?;
        Ok((tenant, sha256))
    }

    /// When the journal holds this file's creation as accepted or done (in
    /// its window) with a `summaryId`: that import's outcome, waited for
    /// without sending anything; the entry is then marked done.
    #[cfg(feature = "journal")]
    async fn resume(
        &mut self,
        journal: &super::ImportJournal,
    ) -> Result<Option<CheckedImport>, ImportError> {
        use super::JournalState;
        let (tenant, sha256) = self.fingerprint().await?;
        let Some(earlier) = journal.entry(&tenant, &sha256).await? else {
            return Ok(None);
        };
        let summary_id = earlier
            .summary_id
            .as_deref()
            .and_then(|id| id.parse::<uuid::Uuid>().ok());
        let resumable = matches!(earlier.state, JournalState::Accepted | JournalState::Done)
            && journal.forbids(&earlier);
        let (true, Some(summary_id)) = (resumable, summary_id) else {
            return Ok(None);
        };
        tracing::info!(%summary_id, state = %earlier.state, "resuming the import the journal holds");
        let started = ImportStarted {
            summary_id,
            mode: ImportMode::Create,
        };
        let outcome = self.wait(started).await?;
        if earlier.state == JournalState::Accepted
            && let Err(error) = journal
                .resolve(&tenant, &sha256, super::Resolution::Applied)
                .await
        {
            tracing::warn!(%error, "the import journal was not updated");
        }
        Ok(Some(CheckedImport::Resumed {
            summary_id,
            outcome,
        }))
    }

    /// The creation, recorded in `journal` before it leaves and as it moves
    /// on. Once sent, a journal that cannot be written is logged, never an
    /// error: the outcome is not lost for it.
    #[cfg(feature = "journal")]
    async fn create_journaled(
        mut self,
        journal: &super::ImportJournal,
        analysis: types::ImportAnalysis,
    ) -> Result<CheckedImport, ImportError> {
        use super::JournalState;
        let mode = ImportMode::Create;
        let upload_error = |source| ImportError::Upload { mode, source };
        let (tenant, sha256) = self.fingerprint().await?;
        let file = match &self.source {
            CsvSource::Path(path) => Some(path.display().to_string()),
            _ => None,
        };
        let claim = match journal
            .claim(&tenant, &sha256, self.allow_repeat, file.as_deref())
            .await?
        {
            Ok(claim) => claim,
            Err(earlier) => return Err(ImportError::Repeated { earlier }),
        };
        let moved = async |state: Option<(JournalState, Option<&str>)>| {
            if let Err(error) = journal.record(&tenant, &sha256, &claim, state).await {
                let cause = std::error::Error::source(&error).map(ToString::to_string);
                tracing::warn!(%error, ?cause, "the import journal was not updated");
            }
        };
        let started = match self.send(mode).await {
            Ok(started) => started,
            Err(error) => {
                let applied = !matches!(
                    error,
                    UploadError::NotSent(_)
                        | UploadError::Rejected(_)
                        | UploadError::Io { .. }
                        | UploadError::FileName(_)
                );
                moved(applied.then_some((JournalState::Unknown, None))).await;
                return Err(upload_error(error));
            }
        };
        let summary_id = started.summary_id.to_string();
        moved(Some((JournalState::Accepted, Some(&summary_id)))).await;
        let outcome = self.wait(started).await?;
        moved(Some((JournalState::Done, None))).await;
        Ok(created(analysis, outcome))
    }

    async fn run(&mut self, mode: ImportMode) -> Result<ImportOutcome, ImportError> {
        let started = self
            .send(mode)
            .await
            .map_err(|source| ImportError::Upload { mode, source })?;
        self.wait(started).await
    }

    /// A fresh upload of the source, sent.
    async fn send(&self, mode: ImportMode) -> Result<ImportStarted, UploadError> {
        self.client
            .import_user_locations(self.source.upload().await?)
            .mode(mode)
            .existing(self.existing)
            .send()
            .await
    }

    /// Waits for a sent import's analysis or results.
    async fn wait(&mut self, started: ImportStarted) -> Result<ImportOutcome, ImportError> {
        let mode = started.mode;
        let mut wait = self.client.wait_for_import(started).options(self.options);
        if let Some(callback) = self.on_progress.as_mut() {
            wait = wait.on_progress(callback);
        }
        wait.execute()
            .await
            .map_err(|source| ImportError::Wait { mode, source })
    }
}
