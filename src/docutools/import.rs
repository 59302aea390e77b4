//! Importing users into Docutools: prepare the CSV (UTF-8, under the size
//! limit), upload it, check the column mapping against its columns, import.
//! The import creates users and is never sent twice by `roster`.

use std::path::Path;

use bytes::Bytes;
use progenitor_client::ClientInfo;
use reqwest::multipart::{Form, Part};

use super::Client;
use super::encoding::{CsvEncoding, EncodingError, to_utf8};
use super::mapping::{ColumnMap, MappingError, MappingReport};
use super::split::{SplitError, split};
use super::types;
use crate::error::body_excerpt;
use crate::file_name::{CsvFileName, FileNameError};
use crate::hooks::{SendError, send};

/// The documented upload limit ("3.2MB"), read as 3,200,000 bytes: the
/// smaller of its two readings, so that no file `roster` sends is refused.
pub const MAX_FILE_SIZE: usize = 3_200_000;

/// The upload's path.
pub const UPLOAD_PATH: &str = "/api/v2/users/imports/files";

/// A Docutools import step failed. Says whether anything was created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocutoolsError {
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
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not in the declared encoding.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// The file cannot be split under the limit.
    #[error(transparent)]
    Split(#[from] SplitError),
    /// The file name cannot be sent.
    #[error(transparent)]
    FileName(#[from] FileNameError),
    /// The delimiter is not one ASCII character.
    #[error("the delimiter {0:?} is not one ASCII character")]
    Delimiter(char),
    /// The mapping does not fit the uploaded file; nothing was imported.
    #[error("the column mapping does not fit the file; nothing was imported")]
    Mapping(#[from] MappingError),
    /// No access token could be obtained; nothing was sent.
    #[error("no access token; nothing was sent")]
    Auth(#[source] crate::AuthError),
    /// The upload got no answer.
    #[error("the upload got no answer")]
    Transport(#[source] reqwest::Error),
    /// The server refused the upload.
    #[error("the server refused the upload with {status}: {body}")]
    Rejected {
        /// The status (413: over the server's size limit).
        status: reqwest::StatusCode,
        /// The start of the answer's body.
        body: String,
    },
    /// The answer is not the documented shape.
    #[error("the upload's answer is not an Imported File: {body}")]
    InvalidAnswer {
        /// The start of the body.
        body: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The import call failed: if no answer came, users may have been created.
    #[error("the import of file {file_id} failed")]
    Import {
        /// The uploaded file.
        file_id: uuid::Uuid,
        /// The generated call's error.
        #[source]
        source: Box<super::Error>,
    },
    /// A multi-part import stopped: the parts before `failed_part` were
    /// imported (their users are in `created`), the rest were not.
    #[error("part {failed_part} of {parts} failed; parts before it were imported ({} users)", created.len())]
    PartlyImported {
        /// How many parts the file was split into.
        parts: usize,
        /// The part that failed, 1 for the first.
        failed_part: usize,
        /// The users the earlier parts created.
        created: Vec<types::User>,
        /// Why the part failed.
        #[source]
        source: Box<DocutoolsError>,
    },
}

impl From<SendError> for DocutoolsError {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Auth(error) => Self::Auth(error),
            SendError::Http(error) => Self::Transport(error),
        }
    }
}

/// A users CSV file ready to upload: UTF-8 text (decoded from its original
/// encoding), its delimiter and file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersCsv {
    text: Bytes,
    read_as: CsvEncoding,
    delimiter: u8,
    file_name: CsvFileName,
}

impl UsersCsv {
    /// A file's bytes in `encoding` (or detected), delimited by `,`.
    pub fn from_bytes(bytes: &[u8], encoding: CsvEncoding) -> Result<Self, DocutoolsError> {
        let (text, read_as) = to_utf8(bytes, encoding)?;
        Ok(Self {
            text: Bytes::from(text),
            read_as,
            delimiter: b',',
            file_name: CsvFileName::new("users.csv")?,
        })
    }

    /// The file at `path`, named after it.
    pub async fn from_path(
        path: impl AsRef<Path>,
        encoding: CsvEncoding,
    ) -> Result<Self, DocutoolsError> {
        let path = path.as_ref();
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| DocutoolsError::Io {
                path: path.to_owned(),
                source,
            })?;
        let csv = Self::from_bytes(&bytes, encoding)?;
        match path.file_name().and_then(|name| name.to_str()) {
            Some(name) => Ok(csv.with_file_name(CsvFileName::new(name)?)),
            None => Ok(csv),
        }
    }

    /// Sets the delimiter (one ASCII character).
    pub fn with_delimiter(mut self, delimiter: char) -> Result<Self, DocutoolsError> {
        self.delimiter = u8::try_from(delimiter)
            .ok()
            .filter(u8::is_ascii)
            .ok_or(DocutoolsError::Delimiter(delimiter))?;
        Ok(self)
    }

    /// Sets the file name of the part.
    pub fn with_file_name(mut self, file_name: CsvFileName) -> Self {
        self.file_name = file_name;
        self
    }

    /// The UTF-8 text that is sent.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// The encoding the file was read in.
    pub fn read_as(&self) -> CsvEncoding {
        self.read_as
    }

    /// Its size as sent.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Files of at most `limit` bytes (the header row in each, records
    /// whole), or this one if it is small enough.
    pub fn split(&self, limit: usize) -> Result<Vec<UsersCsv>, DocutoolsError> {
        let parts = split(&self.text, self.delimiter, limit)?;
        let count = parts.len();
        parts
            .into_iter()
            .enumerate()
            .map(|(index, text)| {
                let file_name = if count == 1 {
                    self.file_name.clone()
                } else {
                    CsvFileName::new(format!(
                        "{} (part {} of {count})",
                        self.file_name,
                        index + 1
                    ))?
                };
                Ok(Self {
                    text,
                    file_name,
                    ..self.clone()
                })
            })
            .collect()
    }
}

/// The user-import operations `roster` adds to [`docutools::Client`](Client).
pub trait ClientExtraUserImportExt {
    /// Uploads a file (at most [`MAX_FILE_SIZE`]); the server keeps it until
    /// its `savedUntil`.
    fn upload_users_file(
        &self,
        csv: &UsersCsv,
        language: Option<&str>,
    ) -> impl Future<Output = Result<types::ImportedFile, DocutoolsError>> + Send;

    /// Checks `mapping` against the uploaded file's columns, then imports
    /// its users (with the file's delimiter and encoding). Never resent.
    fn import_users(
        &self,
        file: &types::ImportedFile,
        mapping: &ColumnMap,
        skip_first_row: bool,
    ) -> impl Future<Output = Result<(MappingReport, Vec<types::User>), DocutoolsError>> + Send;

    /// Splits `csv` under the limit, checks the mapping against its header,
    /// uploads every part, then imports them in turn.
    fn import_users_csv(
        &self,
        csv: &UsersCsv,
        mapping: &ColumnMap,
        language: Option<&str>,
    ) -> impl Future<Output = Result<Vec<types::User>, DocutoolsError>> + Send;
}

impl ClientExtraUserImportExt for Client {
    async fn upload_users_file(
        &self,
        csv: &UsersCsv,
        language: Option<&str>,
    ) -> Result<types::ImportedFile, DocutoolsError> {
        if csv.len() > MAX_FILE_SIZE {
            return Err(DocutoolsError::TooLarge {
                size: csv.len(),
                limit: MAX_FILE_SIZE,
            });
        }
        let delimiter = char::from(csv.delimiter).to_string();
        let mut query = vec![("delimiter", delimiter)];
        if let Some(language) = language {
            // The documented spelling, and the one a fixed server would read.
            query.push(("langauge", language.to_owned()));
            query.push(("language", language.to_owned()));
        }
        let request = || {
            let part =
                Part::stream_with_length(reqwest::Body::from(csv.text.clone()), csv.len() as u64)
                    .file_name(csv.file_name.encoded().to_owned())
                    .mime_str("text/csv")
                    .expect("text/csv is a valid MIME type");
            self.client()
                .post(format!("{}{UPLOAD_PATH}", self.baseurl()))
                .query(&query)
                .multipart(Form::new().part("file", part))
                .build()
                .map_err(DocutoolsError::Transport)
        };
        let mut answer = send(self.client(), self.inner(), request()?).await?;
        if answer.status() == reqwest::StatusCode::UNAUTHORIZED && self.inner().tokens().is_some() {
            // The token was refused and dropped; an upload only stores a
            // temporary file, so it is sent once more with a fresh token.
            answer = send(self.client(), self.inner(), request()?).await?;
        }
        let status = answer.status();
        let body = answer.bytes().await.map_err(DocutoolsError::Transport)?;
        if !status.is_success() {
            return Err(DocutoolsError::Rejected {
                status,
                body: body_excerpt(&body),
            });
        }
        serde_json::from_slice(&body).map_err(|source| DocutoolsError::InvalidAnswer {
            body: body_excerpt(&body),
            source,
        })
    }

    async fn import_users(
        &self,
        file: &types::ImportedFile,
        mapping: &ColumnMap,
        skip_first_row: bool,
    ) -> Result<(MappingReport, Vec<types::User>), DocutoolsError> {
        let report = mapping.check(&file.columns)?;
        let mut call = self
            .import_users_from_file()
            .file_id(file.id)
            .skip_first_row(skip_first_row)
            .body(mapping.to_body());
        if let Some(delimiter) = &file.delimiter {
            call = call.delimiter(delimiter.to_string());
        }
        if let Some(encoding) = &file.file_encoding {
            call = call.file_encoding(encoding.clone());
        }
        tracing::info!(file_id = %file.id, unmapped = ?report.unmapped, "importing users");
        let users = call.send().await.map_err(|source| DocutoolsError::Import {
            file_id: file.id,
            source: Box::new(source),
        })?;
        Ok((report, users.into_inner()))
    }

    async fn import_users_csv(
        &self,
        csv: &UsersCsv,
        mapping: &ColumnMap,
        language: Option<&str>,
    ) -> Result<Vec<types::User>, DocutoolsError> {
        let parts = csv.split(MAX_FILE_SIZE)?;
        let header = header_columns(csv)?;
        mapping.check(&header)?;
        let mut uploaded = Vec::with_capacity(parts.len());
        for part in &parts {
            uploaded.push(self.upload_users_file(part, language).await?);
        }
        let mut created = Vec::new();
        for (index, file) in uploaded.iter().enumerate() {
            match self.import_users(file, mapping, true).await {
                Ok((_, users)) => created.extend(users),
                Err(error) if index == 0 => return Err(error),
                Err(error) => {
                    return Err(DocutoolsError::PartlyImported {
                        parts: parts.len(),
                        failed_part: index + 1,
                        created,
                        source: Box::new(error),
                    });
                }
            }
        }
        Ok(created)
    }
}

/// The header row of a file, as the server would report its `columns`.
fn header_columns(csv: &UsersCsv) -> Result<Vec<String>, DocutoolsError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(csv.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.text());
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => Ok(record.iter().map(str::to_owned).collect()),
        Ok(false) => Err(SplitError::Empty.into()),
        Err(error) => Err(SplitError::Unreadable {
            line: 1,
            reason: error.to_string(),
        }
        .into()),
    }
}
