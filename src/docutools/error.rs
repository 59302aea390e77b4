//! Docutools' errors by concern: a file or mapping refused here, before
//! anything is sent ([`UsersCsvError`]), and what became of a request
//! ([`DocutoolsError`], which says whether users were created), as Office's
//! `CsvError` and `ImportError`.

use super::types;
use crate::error::HttpError;
use crate::file::FileError;

/// A users file, or its mapping, refused before anything was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UsersCsvError {
    /// Read as `Detect`, the file mixes UTF-8 with other bytes: where.
    /// Nothing was sent.
    #[error(transparent)]
    Encoding(#[from] crate::EncodingError),
    /// The file is over the upload limit; nothing was sent.
    #[error(
        "the file is {size} bytes; Docutools accepts at most {limit} (3.2 MB): split it (UsersCsv::split) or use import_users_csv"
    )]
    TooLarge {
        /// Its size in bytes, as it would be sent (UTF-8).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The file could not be read (what, and which file); nothing was
    /// sent.
    #[error(transparent)]
    File(#[from] FileError),
    /// A file declared UTF-8 is not; nothing was sent.
    #[error(
        "{line}: not valid UTF-8 (byte {offset} of the file); a spreadsheet export may be Windows-1252: read it as such"
    )]
    NotUtf8 {
        /// The line of the first invalid byte, 1 for the first.
        line: usize,
        /// Its offset in the file.
        offset: usize,
    },
    /// One record (with the header) is larger than the upload limit by
    /// itself: the file cannot be split under it.
    #[error("{line}: the record is {size} bytes with the header; the limit is {limit}")]
    RecordTooLarge {
        /// Its first line.
        line: u64,
        /// Its size with the header row.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The file is not CSV that can be read.
    #[error("{line}: not CSV: {reason}")]
    Unreadable {
        /// Where.
        line: u64,
        /// Why.
        reason: String,
    },
    /// The file has no header row.
    #[error("the file is empty")]
    Empty,
    /// The file holds a control character (NUL and the like), which no
    /// user field can carry; nothing was sent.
    #[error(
        "{line}:{column}: the control character U+{code:04X} cannot be imported; nothing was sent"
    )]
    ControlCharacter {
        /// Its line, 1 for the first.
        line: u64,
        /// Its position in the line, 1 for the first character.
        column: usize,
        /// Its code.
        code: u32,
    },
    /// The file has a header row and no record: there is no user to
    /// import; nothing was sent.
    #[error("the file has no row after its header: there is no user to import; nothing was sent")]
    NoRows,
    /// The delimiter is not one ASCII character.
    #[error("the delimiter {0:?} is not one ASCII character")]
    Delimiter(char),
    /// A mapped column is not in the uploaded file; nothing was imported.
    #[error(
        "the column `{}` is not in the file (its columns: {}); nothing was imported",
        crate::error::excerpt(column),
        crate::error::excerpts(available)
    )]
    MissingColumn {
        /// The mapped column.
        column: String,
        /// The file's columns.
        available: Vec<String>,
    },
    /// Neither `Email` nor `Username` is mapped; nothing was imported.
    #[error("map a column to Email or Username: Docutools needs one of them; nothing was imported")]
    NoIdentity,
}

/// A Docutools import step failed. Says whether anything was created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocutoolsError {
    /// The file or the mapping was refused here; nothing was sent.
    #[error(transparent)]
    Csv(#[from] UsersCsvError),
    /// The upload failed; no user was created.
    #[error("the upload failed; no user was created")]
    Upload(#[source] HttpError),
    /// The import request failed. If it reached the server (see
    /// [`HttpError::not_sent`]), users may have been created.
    #[error("the import of file {file_id} failed{}", if source.not_sent() { "; no user was created" } else { "; users may have been created: check Docutools before importing again" })]
    Import {
        /// The uploaded file.
        file_id: uuid::Uuid,
        /// Why.
        #[source]
        source: HttpError,
    },
    /// The import **was applied** (the server answered success), but its
    /// answer did not read as a list of users: what could be read of it.
    #[error(
        "the import of file {file_id} was applied ({} users in the answer), but the answer did not read: do not import it again",
        count.map_or("an unknown number of".to_owned(), |count| count.to_string())
    )]
    AppliedUnread {
        /// The uploaded file.
        file_id: uuid::Uuid,
        /// How many users the answer lists, if it is a JSON list.
        count: Option<usize>,
        /// The answer as JSON, when it was JSON.
        raw: Option<Box<serde_json::Value>>,
        /// Why it did not read (its body is the raw answer).
        #[source]
        source: HttpError,
    },
    /// A multi-part import stopped at one part: the parts before it were
    /// imported (`applied` holds the users they created), the parts after
    /// it were not sent, and its `source` says what became of that part.
    #[error(transparent)]
    PartlyImported(crate::AppliedInPart<types::User, DocutoolsError>),
    /// The journal holds this file's import for this tenant (another run
    /// is importing it now, it was imported within the window, or its
    /// outcome is unknown): nothing was sent.
    #[error("not imported again: {earlier}")]
    Repeated {
        /// What the journal holds.
        earlier: Box<crate::journal::JournalEntry>,
    },
    /// The journal could not be used: nothing was sent.
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
}
