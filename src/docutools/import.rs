//! Importing users into Docutools: prepare the CSV (UTF-8, under the size
//! limit), upload it, check the column mapping against its columns, import.
//! The import creates users and is never sent twice by `roster`.

use std::path::Path;

use bytes::Bytes;
use reqwest::multipart::{Form, Part};

use super::Client;
use super::encoding::{CsvEncoding, to_utf8};
use super::error::{DocutoolsError, UsersCsvError};
use super::mapping::{ColumnMap, MappingReport};
use super::split::split;
use super::types;
use crate::error::HttpError;
use crate::file::FileError;
use crate::file_name::CsvFileName;
use crate::retry::Resend;
use crate::transport::Call;

/// The documented upload limit ("3.2MB"), read as 3,200,000 bytes: the
/// smaller of its two readings, so that no file `roster` sends is refused.
pub const MAX_FILE_SIZE: usize = 3_200_000;

/// The upload (`uploadUsersFile`, multipart, so handwritten): its names,
/// from the spec.
use super::generated::names::upload_users_file as spec;

/// The upload: it only stores a temporary file, so after a 401 it is sent
/// again with a fresh token.
const UPLOAD_CALL: Call = Call::new(spec::OPERATION, Resend::AfterAuthRefusal);

/// The correct spelling of the documented `langauge` parameter, sent beside
/// it: not in the spec (it documents only the misspelling), so named here.
const FIXED_LANGUAGE: &str = "language";

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
    /// A file's bytes in `encoding` (or detected), delimited by `;` when its
    /// header line holds more `;` than `,` (a French spreadsheet's export),
    /// else by `,`; [`with_delimiter`](Self::with_delimiter) sets another.
    pub fn from_bytes(bytes: &[u8], encoding: CsvEncoding) -> Result<Self, UsersCsvError> {
        let (text, read_as) = to_utf8(bytes, encoding)?;
        if let Some((line, column, c)) = text.split('\n').zip(1..).find_map(|(line, number)| {
            crate::error::control_character(line).map(|(at, c)| (number, at, c))
        }) {
            return Err(UsersCsvError::ControlCharacter {
                line,
                column,
                code: u32::from(c),
            });
        }
        let header = text.split('\n').next().unwrap_or_default();
        let count = |c: char| header.matches(c).count();
        let delimiter = if count(';') > count(',') { b';' } else { b',' };
        Ok(Self {
            text: Bytes::from(text),
            read_as,
            delimiter,
            file_name: CsvFileName::new("users.csv")?,
        })
    }

    /// A users file read from `reader` (standard input, say) to its end: at
    /// most 256 MiB, and refused at once when its first line runs past
    /// 64 KiB without a line end. Messages name it `-`.
    pub fn from_reader(
        mut reader: impl std::io::Read,
        encoding: CsvEncoding,
    ) -> Result<Self, UsersCsvError> {
        let name = Path::new(crate::file::STDIN);
        let bytes = crate::file::read_all(&mut reader, name, crate::file::READ_WHOLE_LIMIT)?;
        Self::from_bytes(&bytes, encoding)
    }

    /// The file at `path`, named after it, read once: every part
    /// [`split`](Self::split) makes, and every upload, is of these bytes. A
    /// file that changes while it is read, or is not a regular file, is
    /// [`UsersCsvError::File`].
    pub async fn from_path(
        path: impl AsRef<Path>,
        encoding: CsvEncoding,
    ) -> Result<Self, UsersCsvError> {
        let path = path.as_ref().to_owned();
        let read = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                crate::file::read(&path, crate::file::READ_WHOLE_LIMIT)
            })
        };
        let bytes = read.await.map_err(|error| FileError::Io {
            path: Some(path.clone()),
            source: std::io::Error::other(error),
        })??;
        let csv = Self::from_bytes(&bytes, encoding)?;
        match path.file_name().and_then(|name| name.to_str()) {
            Some(name) => Ok(csv.with_file_name(CsvFileName::new(name)?)),
            None => Ok(csv),
        }
    }

    /// The delimiter, as found or set.
    pub fn delimiter(&self) -> char {
        char::from(self.delimiter)
    }

    /// Sets the delimiter (one ASCII character).
    pub fn with_delimiter(mut self, delimiter: char) -> Result<Self, UsersCsvError> {
        self.delimiter = u8::try_from(delimiter)
            .ok()
            .filter(u8::is_ascii)
            .ok_or(UsersCsvError::Delimiter(delimiter))?;
        Ok(self)
    }

    /// Sets the file name of the part.
    pub fn with_file_name(mut self, file_name: CsvFileName) -> Self {
        self.file_name = file_name;
        self
    }

    /// The file name of the upload's part.
    pub fn file_name(&self) -> &CsvFileName {
        &self.file_name
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
    pub fn split(&self, limit: usize) -> Result<Vec<UsersCsv>, UsersCsvError> {
        let parts = split(&self.text, self.delimiter, limit)?;
        let count = parts.len();
        parts
            .into_iter()
            .enumerate()
            .map(|(index, text)| {
                let file_name = if count == 1 {
                    self.file_name.clone()
                } else {
                    // `users.csv` → `users (part 1 of 3).csv`: the
                    // extension stays last.
                    let name = self.file_name.to_string();
                    let (stem, extension) = match name.rsplit_once('.') {
                        Some((stem, extension)) if !stem.is_empty() => (stem, extension),
                        _ => (name.as_str(), "csv"),
                    };
                    CsvFileName::new(format!(
                        "{stem} (part {} of {count}).{extension}",
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
///
/// ```no_run
/// use roster::docutools::{self, ColumnMap, CsvEncoding, UsersCsv};
/// use roster::docutools::types::UserAttribute;
///
/// # async fn run(client: docutools::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let csv = UsersCsv::from_path("export.csv", CsvEncoding::Detect).await?;
/// let mapping = ColumnMap::new().map("Email Address", UserAttribute::Email);
/// let users = client.import_users_csv(&csv, &mapping).language("english").execute().await?;
/// println!("{} users created", users.len());
/// # Ok(()) }
/// ```
impl Client {
    /// Uploads a file (at most [`MAX_FILE_SIZE`]); the server keeps it until
    /// its `savedUntil`.
    pub fn upload_users_file<'a>(&'a self, csv: &'a UsersCsv) -> UploadUsersFileRequest<'a> {
        UploadUsersFileRequest {
            client: self,
            csv,
            language: None,
        }
    }

    /// Checks `mapping` against the uploaded file's columns, then imports
    /// its users (with the file's delimiter and encoding). Never resent.
    pub fn import_users<'a>(
        &'a self,
        file: &'a types::ImportedFile,
        mapping: &'a ColumnMap,
    ) -> ImportUsersRequest<'a> {
        ImportUsersRequest {
            client: self,
            file,
            mapping,
            skip_first_row: true,
        }
    }

    /// Splits `csv` under the limit, checks the mapping against its header,
    /// uploads every part, then imports them in turn.
    pub fn import_users_csv<'a>(
        &'a self,
        csv: &'a UsersCsv,
        mapping: &'a ColumnMap,
    ) -> ImportUsersCsvRequest<'a> {
        ImportUsersCsvRequest {
            client: self,
            csv,
            mapping,
            language: None,
            journal: None,
            allow_repeat: false,
        }
    }
}

/// The upload of one file: made by [`Client::upload_users_file`].
#[derive(Debug)]
pub struct UploadUsersFileRequest<'a> {
    client: &'a Client,
    csv: &'a UsersCsv,
    language: Option<String>,
}

impl UploadUsersFileRequest<'_> {
    /// The language the file is written in (`german`, `english`…; by
    /// default the user's profile language).
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Sends the file (refused before sending when over the limit).
    pub async fn send(self) -> Result<types::ImportedFile, DocutoolsError> {
        let Self {
            client,
            csv,
            language,
        } = self;
        if csv.len() > MAX_FILE_SIZE {
            return Err(DocutoolsError::Csv(UsersCsvError::TooLarge {
                size: csv.len(),
                limit: MAX_FILE_SIZE,
            }));
        }
        let delimiter = char::from(csv.delimiter).to_string();
        let mut query = vec![(spec::query::DELIMITER, delimiter)];
        if let Some(language) = language {
            // The documented spelling, and the one a fixed server would read
            // (which the spec does not name).
            query.push((spec::query::LANGAUGE, language.clone()));
            query.push((FIXED_LANGUAGE, language));
        }
        let build = || {
            let part =
                Part::stream_with_length(reqwest::Body::from(csv.text.clone()), csv.len() as u64)
                    .file_name(csv.file_name.encoded().to_owned())
                    .mime_str("text/csv")
                    .expect("text/csv is a valid MIME type");
            UPLOAD_CALL
                .request(client.http(), client.baseurl(), &[])
                .query(&query)
                .multipart(Form::new().part(spec::parts::FILE, part))
        };
        let again = || build().build().ok();
        let outgoing = crate::transport::Outgoing::described(UPLOAD_CALL, build())
            .map_err(DocutoolsError::Upload)?
            .rebuilt_by(&again);
        let answer = client
            .transport()
            .call(client.http(), outgoing)
            .await
            .map_err(DocutoolsError::Upload)?;
        answer.json().map_err(DocutoolsError::Upload)
    }
}

/// The import of one uploaded file: made by [`Client::import_users`].
#[derive(Debug)]
pub struct ImportUsersRequest<'a> {
    client: &'a Client,
    file: &'a types::ImportedFile,
    mapping: &'a ColumnMap,
    skip_first_row: bool,
}

impl ImportUsersRequest<'_> {
    /// Whether the first row is the header (`true` by default).
    pub fn skip_first_row(mut self, skip: bool) -> Self {
        self.skip_first_row = skip;
        self
    }

    /// Checks the mapping, then sends the import, once.
    pub async fn send(self) -> Result<(MappingReport, Vec<types::User>), DocutoolsError> {
        let Self {
            client,
            file,
            mapping,
            skip_first_row,
        } = self;
        let report = mapping.check(&file.columns)?;
        let mut call = client
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
        let users = call.send().await.map_err(|error| match error {
            source @ HttpError::InvalidAnswer { .. } => {
                let raw = source.answer_json();
                DocutoolsError::AppliedUnread {
                    file_id: file.id,
                    count: raw.as_ref().and_then(|raw| raw.as_array().map(Vec::len)),
                    raw: raw.map(Box::new),
                    source,
                }
            }
            source => DocutoolsError::Import {
                file_id: file.id,
                source,
            },
        })?;
        Ok((report, users))
    }
}

/// A whole file's import, split under the limit: made by
/// [`Client::import_users_csv`].
#[derive(Debug)]
pub struct ImportUsersCsvRequest<'a> {
    client: &'a Client,
    csv: &'a UsersCsv,
    mapping: &'a ColumnMap,
    language: Option<String>,
    journal: Option<&'a crate::journal::ImportJournal>,
    allow_repeat: bool,
}

impl<'a> ImportUsersCsvRequest<'a> {
    /// The language the file is written in.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// Records the import in `journal` (by tenant and the SHA-256 of the
    /// file as uploaded) before it leaves: the same file again for the
    /// same tenant is refused ([`DocutoolsError::Repeated`], saying what was
    /// imported and when) while the first is being imported, its outcome
    /// is unknown, or it was done within the journal's window. An import
    /// creates people: it is the one irreversible step.
    pub fn journal(mut self, journal: &'a crate::journal::ImportJournal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Imports even when the journal has the same file (a deliberate
    /// repeat); it is recorded again.
    pub fn allow_repeat(mut self) -> Self {
        self.allow_repeat = true;
        self
    }

    /// Splits, checks the mapping, uploads every part, then imports them in
    /// turn; the users created.
    pub async fn execute(self) -> Result<Vec<types::User>, DocutoolsError> {
        let Some(journal) = self.journal else {
            return self.send().await;
        };
        use sha2::Digest;
        let sha256 = crate::journal::hex(&sha2::Sha256::digest(self.csv.text()));
        let key = format!("{}{sha256}", crate::journal::DOCUTOOLS_IMPORT);
        let tenant = self.client.baseurl().to_owned();
        let claim = journal
            .claim(&tenant, &key, self.allow_repeat, None)
            .await?
            .map_err(|earlier| DocutoolsError::Repeated {
                earlier: Box::new(earlier),
            })?;
        let imports = self.send();
        journal
            .settle(&tenant, &key, &claim, imports, |result| match result {
                Ok(_)
                | Err(DocutoolsError::AppliedUnread { .. } | DocutoolsError::PartlyImported(_)) => {
                    Some(crate::journal::JournalState::Done)
                }
                // Refused, or never sent: nobody was imported.
                Err(DocutoolsError::Import { source, .. }) if source.surely_not_applied() => None,
                Err(DocutoolsError::Import { .. }) => Some(crate::journal::JournalState::Unknown),
                Err(_) => None,
            })
            .await
    }

    async fn send(self) -> Result<Vec<types::User>, DocutoolsError> {
        let Self {
            client,
            csv,
            mapping,
            language,
            ..
        } = self;
        let parts = csv.split(MAX_FILE_SIZE)?;
        let header = header_columns(csv)?;
        mapping.check(&header)?;
        let mut uploaded = Vec::with_capacity(parts.len());
        for part in &parts {
            let upload = client.upload_users_file(part);
            let upload = match &language {
                Some(language) => upload.language(language.clone()),
                None => upload,
            };
            uploaded.push(upload.send().await?);
        }
        let mut created = Vec::new();
        for (index, file) in uploaded.iter().enumerate() {
            match client.import_users(file, mapping).send().await {
                Ok((_, users)) => created.extend(users),
                Err(error) if index == 0 => return Err(error),
                Err(error) => {
                    return Err(DocutoolsError::PartlyImported(crate::AppliedInPart {
                        applied: created,
                        part: index + 1,
                        of: parts.len(),
                        source: Box::new(error),
                    }));
                }
            }
        }
        Ok(created)
    }
}

impl UsersCsv {
    /// The header's columns, as the server will report them (refused when
    /// the file has no row after its header).
    pub fn columns(&self) -> Result<Vec<String>, UsersCsvError> {
        header_columns(self)
    }
}

/// The header row of a file, as the server would report its `columns`.
fn header_columns(csv: &UsersCsv) -> Result<Vec<String>, UsersCsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(csv.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.text());
    let mut record = csv::StringRecord::new();
    let header = match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(str::to_owned).collect(),
        Ok(false) => return Err(UsersCsvError::Empty),
        Err(error) => {
            return Err(UsersCsvError::Unreadable {
                line: 1,
                reason: error.to_string(),
            });
        }
    };
    // A record with something in it (blank lines are no user).
    loop {
        match reader.read_record(&mut record) {
            Ok(true) if record.iter().all(|cell| cell.trim().is_empty()) => continue,
            Ok(true) => return Ok(header),
            Ok(false) => return Err(UsersCsvError::NoRows),
            Err(error) => {
                return Err(UsersCsvError::Unreadable {
                    line: record.position().map_or(2, csv::Position::line),
                    reason: error.to_string(),
                });
            }
        }
    }
}
