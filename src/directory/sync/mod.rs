//! Directory sync as plan and apply: the desired state (an HR export, or
//! records built in code) is compared with Lucca read in bulk, and only the
//! differences are written.
//!
//! - [`Client::plan_sync`](super::Client::plan_sync) reads only the
//!   compared fields, with a listing (pages of 1000) or `login=` lists,
//!   whichever takes fewer requests, and returns a [`SyncPlan`]: per user the
//!   differing fields (now → wanted), unknown and repeated logins, refused
//!   cells with their line and column, the untouched users, and the cost of
//!   applying it. The plan serializes to JSON.
//! - [`Client::apply_sync`](super::Client::apply_sync) sends exactly the
//!   plan's changes.
//!
//! The cost, for an export of N users with C changes on a tenant of T:
//! reading takes ⌈T/1000⌉ requests, or fewer `login=` lists when the export
//! is small (one for up to a few hundred logins); applying takes C requests
//! (partial), plus ⌈C/list size⌉ fresh reads in complete mode.

mod apply;
mod column;
mod desired;
mod hire;
mod key;
mod names;
mod plan;
mod refused;

use std::path::PathBuf;

pub use apply::ApplySyncRequest;
pub use desired::DesiredUsers;
pub use hire::UserCreation;
pub use key::Key;
pub use plan::{
    Absent, Cost, DuplicateKey, FieldChange, PlanSyncRequest, Reading, RefusedValue, Strategy,
    SyncPlan, UserChange,
};

use super::error::DirectoryError;

/// Where a place in the export is: `employees.csv:3` (or `3`, read from
/// no file).
fn place(file: Option<&PathBuf>, line: u64) -> String {
    match file {
        Some(file) => format!("{}:{line}", file.display()),
        None => line.to_string(),
    }
}

/// Where a cell of the export is: `employees.csv:3:2` (or `3:2`).
fn place_at(file: Option<&PathBuf>, line: u64, column: usize) -> String {
    format!("{}:{column}", place(file, line))
}

/// A sync could not be planned or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The export could not be read (what, and which file).
    #[error(transparent)]
    File(#[from] crate::FileError),
    /// A line of the export is not CSV (or not UTF-8).
    #[error("{}: not a CSV line", place(file.as_ref(), *line))]
    Csv {
        /// The file, if read from one.
        file: Option<PathBuf>,
        /// The line.
        line: u64,
        /// What is wrong.
        #[source]
        source: csv::Error,
    },
    /// The export has no column of its key (`login` unless chosen):
    /// nothing was read from Lucca.
    #[error("{}: no `{key}` column, the key (columns: {})", place(file.as_ref(), 1), crate::error::excerpts(columns))]
    NoKeyColumn {
        /// The file, if read from one.
        file: Option<PathBuf>,
        /// The key.
        key: Key,
        /// Its columns.
        columns: Vec<String>,
    },
    /// The export is not text in the encoding asked (or mixes UTF-8 with
    /// other bytes): where. Nothing was read from Lucca.
    #[error(
        "{}{error}",
        file.as_ref().map(|file| format!("{}:", file.display())).unwrap_or_default()
    )]
    Encoding {
        /// The file, if read from one.
        file: Option<PathBuf>,
        /// Where (line, column), and what.
        error: crate::EncodingError,
    },
    /// A column no document names: nothing was read from Lucca.
    #[error(
        "{}: `{}` is no field of a Lucca user{}",
        place_at(file.as_ref(), 1, *column),
        crate::error::excerpt(name),
        hint.as_ref().map(|hint| format!(" (did you mean `{hint}`?)")).unwrap_or_default()
    )]
    UnknownColumn {
        /// The file, if read from one.
        file: Option<PathBuf>,
        /// The column (from 1).
        column: usize,
        /// Its name.
        name: String,
        /// The closest documented name.
        hint: Option<String>,
    },
    /// A record built in code has another number of cells than columns.
    #[error("record {line}: {found} cell(s) for {expected} column(s)")]
    CellCount {
        /// The record (from 1).
        line: u64,
        /// Columns.
        expected: usize,
        /// Cells given.
        found: usize,
    },
    /// Reading Lucca failed (nothing was written).
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// The plan was made for another tenant: nothing was sent.
    #[error("the plan was made for {plan}, not {client}: nothing was sent")]
    OtherTenant {
        /// The plan's tenant.
        plan: String,
        /// The client's.
        client: String,
    },
}
