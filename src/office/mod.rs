//! Lucca Office: user-location imports (progress, analysis, results), work locations and user locations.
//!
//! Generated from `openapi/lucca-office.yaml` by the build script; see
//! `openapi/README.md` for what is rewritten before generation.
//!
//! Generated: the client and its models (`Client`, `types`, `builder`).
//! Handwritten, each in a file named after its concern: typed rows and CSV
//! writing/checking (`row`, `csv_write`, `csv_check`, `csv_format`), the
//! multipart upload (`upload`), the waiter (`wait`), the checked import
//! (`import`), added to the client as inherent methods, builders
//! ending in `send()`, `execute()` or (the listings) `stream()`. Every request, generated or not, goes
//! through the crate's [`Transport`](crate::Transport); errors wrap
//! [`HttpError`](crate::HttpError).

crate::generated_api!("office", crate::credentials::Lucca);

impl crate::LuccaConfig {
    /// The Lucca Office client: [`client`](crate::Config::client) with its
    /// type said.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let office = roster::LuccaConfig::from_env()?.office_client()?;
    /// # Ok(()) }
    /// ```
    pub fn office_client(&self) -> Result<Client, crate::ConfigError> {
        self.client()
    }
}

mod csv_check;
pub(crate) mod csv_format;
mod csv_write;
mod pages;
mod row;

pub use csv_check::{
    CsvError, CsvProblem, CsvSummary, MAX_PROBLEMS, check_csv, check_csv_file, read_rows,
};
pub use csv_write::{UserLocationCsvWriter, rows_to_csv};
pub use pages::{NEWER_MAX_LIMIT, OLDER_MAX_LIMIT, Pages};
pub use row::UserLocationRow;
mod checked;
#[cfg(feature = "directory")]
mod evidence;
mod import;
mod outcome;
mod snapshot;
mod source;
mod upload;
mod wait;

pub use crate::journal::{
    DEFAULT_WINDOW, Holder, ImportJournal, JournalEntry, JournalError, JournalState, LEASE,
    Resolution,
};
#[cfg(feature = "directory")]
pub use evidence::{EVIDENCE_MARGIN, Evidence, Probe, Sighting};
pub use import::{
    CheckedImport, CheckedImportRequest, CreatedPart, ImportError, ImportUserLocations,
    PreparedImport, SimulatedImport, analysis_has_errors,
};
pub use outcome::{ImportOutcome, KEPT_DESCRIPTIONS, PartialOutcome};
pub use snapshot::{ENVELOPE_MARGIN, IN_MEMORY, ImportPart, PLATFORM_LIMIT, READER_LIMIT};
pub use source::CsvSource;
pub use upload::{
    ExistingLocations, ImportMode, ImportStarted, UploadError, transcode_windows_1252,
};
pub use wait::{Progress, WaitError, WaitFailure, WaitForImport, WaitOptions};
