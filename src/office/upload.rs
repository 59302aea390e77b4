//! Sending an import file: one `multipart/form-data` request with a random
//! boundary and one part named `files` (`text/csv`, quoted file name), its
//! body streamed from rows, a file or any reader, never held whole.
//!
//! Lucca imports "cannot be undone": this request is never repeated by
//! `roster`. When its outcome is unknown the error says so.

use bytes::Bytes;
use reqwest::multipart::{Form, Part};

use super::csv_format::BOM;
use super::{Client, types};
use crate::error::{HttpError, body_excerpt};
use crate::file_name::CsvFileName;
use crate::retry::Resend;
use crate::transport::Call;

/// The import (`post-office-api-imports-userLocations`, multipart, so the
/// generator leaves it to this module): its names, from the spec.
use super::generated::names::post_office_api_imports_user_locations as spec;

/// The import, for the transport: it cannot be undone, so it is never resent.
const IMPORT_CALL: Call = Call::new(spec::OPERATION, Resend::Never);

/// The multipart part that carries the file.
const FILE_PART: &str = spec::parts::FILES;

/// Simulate the import (`create=false`, then read the analysis) or create
/// the user locations (`create=true`, then read the results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ImportMode {
    /// Check the file against the account; nothing is created.
    #[default]
    Simulate,
    /// Create (and delete) the user locations. Cannot be undone.
    Create,
}

/// What happens to the user locations that already exist on a row's day
/// (`overrideUserLocations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExistingLocations {
    /// Keep them: rows only fill days that have no user location.
    #[default]
    Keep,
    /// Replace them with the rows' locations.
    Replace,
}

/// An import the server accepted: its id, for the waiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImportStarted {
    /// The `summaryId` of the import.
    pub summary_id: uuid::Uuid,
    /// Whether it is a simulation or a creation.
    pub mode: ImportMode,
}

/// The import request failed. Says whether the import may exist.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The request did not reach the server (no connection, no access
    /// token): no import exists.
    #[error("the import request was not sent; no import exists")]
    NotSent(#[source] HttpError),
    /// The request may have reached the server but no answer came back
    /// (timeout, connection cut, body interrupted). `roster` does not send it
    /// again: check the imports in Lucca Office before you do.
    #[error("{}", unknown_outcome(*mode))]
    OutcomeUnknown {
        /// Simulation or creation.
        mode: ImportMode,
        /// What broke.
        #[source]
        source: HttpError,
    },
    /// The server refused the import (a 4xx status): nothing was imported.
    /// A 5xx is [`OutcomeUnknown`](Self::OutcomeUnknown): a gateway may
    /// answer it after the import was applied.
    #[error("the server refused the import; nothing was imported")]
    Rejected(#[source] HttpError),
    /// The server answered success without a usable `summaryId`: the import
    /// may have started, but cannot be followed.
    #[error("the server accepted the import ({mode:?}) but its answer has no summaryId: {body}")]
    NoSummaryId {
        /// Simulation or creation.
        mode: ImportMode,
        /// The start of the answer's body.
        body: String,
    },
}

/// What a lost answer means for each step: a simulation creates nothing.
fn unknown_outcome(mode: ImportMode) -> &'static str {
    match mode {
        ImportMode::Simulate => {
            "no answer came to the simulation: a simulation creates nothing; it is safe to run again"
        }
        ImportMode::Create => {
            "the outcome of the creation is unknown: it may have been applied; check Lucca Office before sending it again"
        }
    }
}

/// A Windows-1252 file as UTF-8 (a BOM it may have is kept as a BOM).
pub fn transcode_windows_1252(bytes: &[u8]) -> Bytes {
    let text = crate::encoding::windows_1252(bytes.strip_prefix(BOM).unwrap_or(bytes));
    Bytes::from([BOM, text.as_bytes()].concat())
}

/// The one BOM rule for bytes in memory: one BOM in front, put there when
/// they have none.
pub(crate) fn with_one_bom(bytes: Bytes) -> Bytes {
    if bytes.starts_with(BOM) {
        bytes
    } else {
        Bytes::from([BOM, &bytes[..]].concat())
    }
}

/// The bytes of one request: a snapshot's part (streamed), its exact
/// length (sent as `Content-Length`), its file name.
pub(crate) struct CsvUpload {
    body: reqwest::Body,
    length: u64,
    file_name: CsvFileName,
}

impl CsvUpload {
    /// An upload of `body`, exactly `length` bytes.
    pub(crate) fn from_body(body: reqwest::Body, length: u64, file_name: CsvFileName) -> Self {
        Self {
            body,
            length,
            file_name,
        }
    }

    /// The multipart form: one part, `files`, `text/csv`, its quoted file
    /// name.
    fn into_form(self) -> Form {
        let part = Part::stream_with_length(self.body, self.length)
            .file_name(self.file_name.encoded().to_owned())
            .mime_str("text/csv")
            .expect("text/csv is a valid MIME type");
        Form::new().part(FILE_PART, part)
    }
}

/// Sends the import request once and reads its `summaryId`.
pub(crate) async fn send_import(
    client: &Client,
    upload: CsvUpload,
    mode: ImportMode,
    existing: ExistingLocations,
) -> Result<ImportStarted, UploadError> {
    let query = [
        (spec::query::CREATE, mode == ImportMode::Create),
        (
            spec::query::OVERRIDE_USER_LOCATIONS,
            existing == ExistingLocations::Replace,
        ),
    ];
    tracing::info!(?mode, ?existing, file = %upload.file_name, length = ?upload.length, "sending a user-location import");
    let request = IMPORT_CALL
        .request(client.http(), client.baseurl(), &[])
        .query(&query)
        .multipart(upload.into_form());
    let outgoing = crate::transport::Outgoing::described(IMPORT_CALL, request)
        .map_err(UploadError::NotSent)?;
    let sent = client.transport().call(client.http(), outgoing).await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(error) if error.not_sent() => return Err(UploadError::NotSent(error)),
        // A 4xx refuses the import; a 5xx may come from a gateway after the
        // import was applied: its outcome is unknown.
        Err(error)
            if error
                .status()
                .is_some_and(|status| status.is_client_error()) =>
        {
            tracing::warn!(%error, "the import was refused");
            return Err(UploadError::Rejected(error));
        }
        Err(source) => return Err(UploadError::OutcomeUnknown { mode, source }),
    };
    let summary_id = answer
        .json::<types::ImportSummary>()
        .ok()
        .and_then(|summary| summary.summary_id);
    match summary_id {
        Some(summary_id) => {
            tracing::info!(%summary_id, ?mode, "import accepted");
            Ok(ImportStarted { summary_id, mode })
        }
        None => Err(UploadError::NoSummaryId {
            mode,
            body: body_excerpt(&answer.body),
        }),
    }
}
