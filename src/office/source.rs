//! The one import file: what gets uploaded, from rows, bytes, a path, a
//! reader or Windows-1252 bytes, taken once into a snapshot (hashed as it
//! is taken) and checked before anything is sent. The plain import, the
//! checked import and the CLI all take it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::csv_check::{CsvError, CsvSummary};
use super::csv_write::validate_row;
use super::row::UserLocationRow;
use super::snapshot::{Snapshot, SnapshotError};
use crate::file::FileError;
use crate::file_name::CsvFileName;

/// An import file. Whatever it is made from, it is taken once (a snapshot
/// in memory, or a private copy on disk for a large one, hashed as it is
/// taken), checked, and everything after reads that snapshot. The file
/// sent starts with exactly one BOM, as Lucca documents.
///
/// ```
/// use roster::office::{CsvSource, UserLocationRow};
///
/// let from_rows = CsvSource::rows(Vec::<UserLocationRow>::new());
/// let from_a_file = CsvSource::path("user-locations.csv");
/// let from_excel = CsvSource::windows_1252(b"\xe9t\xe9");
/// let from_stdin = CsvSource::reader(std::io::stdin());
/// assert_eq!(from_a_file.origin(), Some(std::path::Path::new("user-locations.csv")));
/// # let _ = (from_rows, from_excel, from_stdin);
/// ```
pub struct CsvSource {
    from: Origin,
    file_name: Option<CsvFileName>,
}

/// Why a source could not be taken: the caller sees it as its
/// [`ImportError`](super::ImportError) of the same name.
#[derive(Debug)]
pub(crate) enum TakeError {
    /// A row cannot be written.
    Rows(CsvError),
    /// The file has problems.
    Csv(CsvError),
    /// The snapshot could not be taken.
    Snapshot(SnapshotError),
    /// The file has no row.
    NoRows,
}

impl From<SnapshotError> for TakeError {
    fn from(error: SnapshotError) -> Self {
        Self::Snapshot(error)
    }
}

/// What an import file is made from.
enum Origin {
    Rows(Arc<[UserLocationRow]>),
    Path(PathBuf),
    Bytes(Bytes),
    /// Held in a [`SyncWrapper`](sync_wrapper::SyncWrapper) (only read
    /// through `&mut`), so that an import's future is `Send`.
    Reader(sync_wrapper::SyncWrapper<Box<dyn Read + Send>>),
}

impl std::fmt::Debug for CsvSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("CsvSource");
        match &self.from {
            Origin::Rows(rows) => debug.field("rows", &rows.len()),
            Origin::Path(path) => debug.field("path", path),
            Origin::Bytes(bytes) => debug.field("bytes", &bytes.len()),
            Origin::Reader(_) => debug.field("reader", &"…"),
        };
        debug.field("file_name", &self.file_name).finish()
    }
}

impl CsvSource {
    fn from(from: Origin) -> Self {
        Self {
            from,
            file_name: None,
        }
    }

    /// Typed rows (each checked before anything is written).
    pub fn rows(rows: impl Into<Arc<[UserLocationRow]>>) -> Self {
        Self::from(Origin::Rows(rows.into()))
    }

    /// The file at `path`, sent under its name. Only a regular file is
    /// read; one that changes while it is read is refused.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self::from(Origin::Path(path.into()))
    }

    /// A file's bytes, in UTF-8.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Self::from(Origin::Bytes(bytes.into()))
    }

    /// A file's bytes written in Windows-1252 (what spreadsheet software on
    /// Windows often saves), sent transcoded to the UTF-8 Lucca documents.
    pub fn windows_1252(bytes: &[u8]) -> Self {
        Self::bytes(super::upload::transcode_windows_1252(bytes))
    }

    /// Everything `reader` gives (standard input, a decompressor…), read
    /// once to its end on a blocking thread: at most
    /// [`READER_LIMIT`](super::READER_LIMIT) bytes, and refused once its
    /// first line runs past 64 KiB without a line end.
    pub fn reader(reader: impl Read + Send + 'static) -> Self {
        Self::from(Origin::Reader(sync_wrapper::SyncWrapper::new(Box::new(
            reader,
        ))))
    }

    /// Sends the file under `file_name` (by default the file's own name, or
    /// `user-locations.csv`).
    pub fn with_file_name(mut self, file_name: CsvFileName) -> Self {
        self.file_name = Some(file_name);
        self
    }

    /// The file it is read from, if it is one.
    pub fn origin(&self) -> Option<&Path> {
        match &self.from {
            Origin::Path(path) => Some(path),
            _ => None,
        }
    }

    /// Takes the source once and checks the snapshot, before anything is
    /// sent (on a blocking thread: a file may be large). A snapshot larger
    /// than `bound` is a private copy on disk.
    pub(crate) async fn snapshot(self, bound: u64) -> Result<(Snapshot, CsvSummary), TakeError> {
        // Boxed below at once, to cross the thread.
        #[allow(clippy::result_large_err)]
        let take = move || -> Result<(Snapshot, CsvSummary), TakeError> {
            let snapshot = match self.from {
                Origin::Rows(rows) => {
                    rows.iter()
                        .zip(1..)
                        .try_for_each(|(row, number)| validate_row(row, number))
                        .map_err(TakeError::Rows)?;
                    Snapshot::of_rows(&rows, bound)?
                }
                Origin::Path(path) => Snapshot::of_file(&path, bound)?,
                Origin::Bytes(bytes) => Snapshot::of_bytes(bytes),
                Origin::Reader(reader) => Snapshot::of_reader(&mut reader.into_inner(), bound)?,
            };
            let snapshot = match self.file_name {
                Some(file_name) => snapshot.named(file_name),
                None => snapshot,
            };
            let summary = snapshot.check().map_err(TakeError::Csv)?;
            if summary.rows == 0 {
                return Err(TakeError::NoRows);
            }
            Ok((snapshot, summary))
        };
        let taken = tokio::task::spawn_blocking(move || take().map_err(Box::new)).await;
        let taken = taken.map_err(|error| {
            TakeError::Snapshot(SnapshotError::File(FileError::Io {
                path: None,
                source: std::io::Error::other(error),
            }))
        })?;
        taken.map_err(|error| *error)
    }
}
