//! Sending an import file: one `multipart/form-data` request with a random
//! boundary and one part named `files` (`text/csv`, quoted file name), its
//! body streamed from rows, a file or any reader, never held whole.
//!
//! Lucca imports "cannot be undone": this request is never repeated by
//! `roster`. When its outcome is unknown the error says so.

use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::csv_format::BOM;
use super::csv_write::CsvChunks;
use super::row::UserLocationRow;
use super::{Client, types};
use crate::error::{HttpError, body_excerpt};
use crate::file_name::{CsvFileName, FileNameError};
use crate::retry::Resend;
use crate::transport::Call;

/// The import (`post-office-api-imports-userLocations`, multipart, so the
/// generator leaves it to this module): its names, from the spec.
use super::generated::names::post_office_api_imports_user_locations as spec;

/// The import, for the transport: it cannot be undone, so it is never resent.
const IMPORT_CALL: Call = Call::new(spec::OPERATION, Resend::Never);

/// The multipart part that carries the file.
const FILE_PART: &str = spec::parts::FILES;

/// How much of a file or reader is read at a time while it is sent.
const READ_CHUNK: usize = 256 * 1024;

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
    /// The file name cannot be sent.
    #[error("the import file name is refused")]
    FileName(#[from] FileNameError),
    /// The file could not be opened or read before sending.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The request did not reach the server (no connection, no access
    /// token): no import exists.
    #[error("the import request was not sent; no import exists")]
    NotSent(#[source] HttpError),
    /// The request may have reached the server but no answer came back
    /// (timeout, connection cut, body interrupted). `roster` does not send it
    /// again: check the imports in Lucca Office before you do.
    #[error(
        "the outcome of the import request ({mode:?}) is unknown: it may have been applied; \
         check Lucca Office before sending it again"
    )]
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

/// A Windows-1252 file as UTF-8 (a BOM it may have is kept as a BOM).
pub fn transcode_windows_1252(bytes: &[u8]) -> Bytes {
    let text = encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes.strip_prefix(BOM).unwrap_or(bytes))
        .0;
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

/// The one BOM rule of every source: the file sent starts with the BOM
/// Lucca documents, exactly once. The first bytes are read to know.
async fn with_bom<R>(mut reader: R, length: Option<u64>) -> io::Result<(reqwest::Body, Option<u64>)>
where
    R: AsyncRead + Send + Unpin + 'static,
{
    let mut head = Vec::with_capacity(BOM.len());
    (&mut reader)
        .take(BOM.len() as u64)
        .read_to_end(&mut head)
        .await?;
    let (head, length) = if head == BOM {
        (head, length)
    } else {
        (
            [BOM, &head[..]].concat(),
            length.map(|length| length + BOM.len() as u64),
        )
    };
    let head = futures_util::stream::once(async move { Ok(Bytes::from(head)) });
    let rest = ReaderStream::with_capacity(reader, READ_CHUNK);
    Ok((reqwest::Body::wrap_stream(head.chain(rest)), length))
}

/// A CSV file ready to be sent once: its bytes (streamed), its length when
/// known (then sent as `Content-Length`), its file name.
pub struct CsvUpload {
    body: reqwest::Body,
    length: Option<u64>,
    file_name: CsvFileName,
}

impl CsvUpload {
    /// An upload of `body`, exactly `length` bytes when given.
    pub(crate) fn from_body(
        body: reqwest::Body,
        length: Option<u64>,
        file_name: CsvFileName,
    ) -> Self {
        Self {
            body,
            length,
            file_name,
        }
    }
}

impl std::fmt::Debug for CsvUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvUpload")
            .field("length", &self.length)
            .field("file_name", &self.file_name)
            .finish_non_exhaustive()
    }
}

impl CsvUpload {
    /// An import file written from `rows` while it is sent (about 64 KiB at a
    /// time). Its length is not known in advance, so it is sent chunked.
    pub fn from_rows<I>(rows: I) -> Self
    where
        I: IntoIterator<Item = UserLocationRow>,
        I::IntoIter: Send + 'static,
    {
        let chunks = CsvChunks::new(rows.into_iter()).map(|chunk| chunk.map_err(io::Error::other));
        Self {
            body: reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)),
            length: None,
            file_name: CsvFileName::default(),
        }
    }

    /// An import file already in memory. Like every source, it starts with
    /// exactly one BOM (one is put in front when it has none).
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = with_one_bom(bytes.into());
        Self {
            length: Some(bytes.len() as u64),
            body: reqwest::Body::from(bytes),
            file_name: CsvFileName::default(),
        }
    }

    /// An import file written in Windows-1252 (what spreadsheet software on
    /// Windows often saves), sent transcoded to the UTF-8 Lucca documents.
    pub fn from_windows_1252(bytes: &[u8]) -> Self {
        Self::from_bytes(transcode_windows_1252(bytes))
    }

    /// The import file at `path`, streamed, with its length; named after the
    /// file. Like every source, it starts with exactly one BOM.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self, UploadError> {
        let path = path.as_ref();
        let io_error = |source| UploadError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = tokio::fs::File::open(path).await.map_err(io_error)?;
        let length = file.metadata().await.map_err(io_error)?.len();
        let file_name = match path.file_name().and_then(|name| name.to_str()) {
            Some(name) => CsvFileName::new(name)?,
            None => CsvFileName::default(),
        };
        // The BOM rule of `with_bom`, with the file read again from its
        // start: reads then stay aligned to its pages (a quarter faster
        // than reading on from byte 3, measured by `benches/upload.sh`).
        let mut head = Vec::with_capacity(BOM.len());
        (&mut file)
            .take(BOM.len() as u64)
            .read_to_end(&mut head)
            .await
            .map_err(io_error)?;
        file.seek(io::SeekFrom::Start(0)).await.map_err(io_error)?;
        let whole = ReaderStream::with_capacity(file, READ_CHUNK);
        let (body, length) = if head == BOM {
            (reqwest::Body::wrap_stream(whole), length)
        } else {
            let bom = futures_util::stream::once(async { Ok(Bytes::from_static(BOM)) });
            (
                reqwest::Body::wrap_stream(bom.chain(whole)),
                length + BOM.len() as u64,
            )
        };
        let length = Some(length);
        Ok(Self {
            body,
            length,
            file_name,
        })
    }

    /// An import file read from any reader, streamed; `length`, if given,
    /// must be its exact size in bytes (it is sent as `Content-Length`,
    /// counting the BOM put in front when the file has none). Like every
    /// source, it starts with exactly one BOM.
    pub async fn from_reader(
        reader: impl AsyncRead + Send + Unpin + 'static,
        length: Option<u64>,
    ) -> io::Result<Self> {
        let (body, length) = with_bom(reader, length).await?;
        Ok(Self {
            body,
            length,
            file_name: CsvFileName::default(),
        })
    }

    /// Sets the file name of the part.
    pub fn with_file_name(mut self, file_name: CsvFileName) -> Self {
        self.file_name = file_name;
        self
    }

    /// The file name of the part.
    pub fn file_name(&self) -> &CsvFileName {
        &self.file_name
    }

    /// The length of the file, when known.
    pub fn length(&self) -> Option<u64> {
        self.length
    }

    /// The multipart form this upload sends: one part, `files`, `text/csv`,
    /// its quoted file name (for callers who send it themselves).
    pub fn into_form(self) -> Form {
        let part = match self.length {
            Some(length) => Part::stream_with_length(self.body, length),
            None => Part::stream(self.body),
        };
        let part = part
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
