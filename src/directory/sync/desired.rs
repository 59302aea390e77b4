//! The desired state of a sync: records keyed by login (or the HR system's
//! own key), read from an HR export (a CSV file whose header names the
//! API's fields) or built in code.

use std::path::{Path, PathBuf};

use super::SyncError;
use super::column::Column;
use super::key::Key;

/// One wanted user: its key's value and the cells of its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wanted {
    /// Where it came from: the file's line, or the record's number (from 1)
    /// when built in code.
    pub(crate) line: u64,
    /// The key's value (the login unless [`DesiredUsers::with_key`]).
    pub(crate) key: String,
    /// One cell a column, in the columns' order.
    pub(crate) cells: Vec<String>,
}

/// The users a sync should leave in Lucca: a login each, and the value of
/// each column (the API's field names; an empty cell clears the field).
///
/// ```
/// use roster::directory::DesiredUsers;
///
/// let mut desired = DesiredUsers::with_columns(["jobTitle", "manager", "dtContractEnd"])?;
/// desired.push("jdupont", ["Lead", "mlefevre", ""])?; // no contract end
/// assert_eq!(desired.len(), 1);
/// assert!(DesiredUsers::with_columns(["jobTitel"]).is_err());
/// # Ok::<(), roster::directory::SyncError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredUsers {
    pub(crate) source: Option<PathBuf>,
    /// What the rows are matched by.
    pub(crate) key: Key,
    /// The key's place in the header (from 1), when it has one.
    pub(crate) key_column: Option<usize>,
    /// What the export was read as.
    pub(crate) encoding: crate::Encoding,
    /// Each column: its name, what it is, and its place in the header
    /// (from 1; the login's column counted).
    pub(crate) columns: Vec<(String, Column, usize)>,
    pub(crate) rows: Vec<Wanted>,
}

impl DesiredUsers {
    /// No user yet, with these columns (besides the login), each checked.
    pub fn with_columns(
        columns: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, SyncError> {
        let columns = columns
            .into_iter()
            .enumerate()
            .map(|(index, name)| column(None, index + 2, name.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            source: None,
            key: Key::Login,
            key_column: Some(1),
            encoding: crate::Encoding::Utf8,
            columns,
            rows: Vec::new(),
        })
    }

    /// Matches the rows by `key` instead: its column is taken out of the
    /// compared columns (and the former key's column, the login say, goes
    /// back among them: a value to write). An export without that column
    /// is refused when planned ([`SyncError::NoKeyColumn`]).
    ///
    /// ```
    /// use roster::directory::{DesiredUsers, Key};
    ///
    /// let csv = "employeeNumber;login;jobTitle\n00042;jdupont;Lead\n";
    /// let desired = DesiredUsers::from_csv_bytes(csv.as_bytes())?.with_key(Key::EmployeeNumber);
    /// assert_eq!(desired.columns().collect::<Vec<_>>(), ["login", "jobTitle"]);
    /// # Ok::<(), roster::directory::SyncError>(())
    /// ```
    pub fn with_key(mut self, key: Key) -> Self {
        if let Some(at) = self.key_column.take() {
            let name = self.key.field();
            let index = self
                .columns
                .iter()
                .position(|(_, _, column)| *column > at)
                .unwrap_or(self.columns.len());
            if let Some(column) = Column::named(name) {
                self.columns.insert(index, (name.to_owned(), column, at));
                for row in &mut self.rows {
                    row.cells.insert(index, std::mem::take(&mut row.key));
                }
            }
        }
        let taken = self
            .columns
            .iter()
            .position(|(_, column, _)| *column == Column::Field(key.field()));
        if let Some(index) = taken {
            let (_, _, at) = self.columns.remove(index);
            self.key_column = Some(at);
            for row in &mut self.rows {
                row.key = row.cells.remove(index);
            }
        }
        self.key = key;
        self
    }

    /// What the rows are matched by.
    pub fn key(&self) -> Key {
        self.key
    }

    /// What the export was read as: UTF-8, or Windows-1252 (found, or
    /// asked).
    pub fn encoding(&self) -> crate::Encoding {
        self.encoding
    }

    /// Adds a user: its key's value (its login unless
    /// [`with_key`](Self::with_key)) and one cell a column, in the columns'
    /// order.
    pub fn push(
        &mut self,
        login: impl Into<String>,
        cells: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<(), SyncError> {
        let cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        let line = self.rows.len() as u64 + 1;
        if cells.len() != self.columns.len() {
            return Err(SyncError::CellCount {
                line,
                expected: self.columns.len(),
                found: cells.len(),
            });
        }
        self.rows.push(Wanted {
            line,
            key: login.into(),
            cells,
        });
        Ok(())
    }

    /// How many users (rows).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The columns besides the key's, as named.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|(name, ..)| name.as_str())
    }

    /// Reads an HR export: UTF-8 (a BOM is skipped), `;` or `,` separated
    /// (the header line says which), the API's field names as columns, the
    /// `login` the key (see [`with_key`](Self::with_key) for another). A
    /// column no document names or a line that does not read is an error
    /// that says where, and an export without its key's column is refused
    /// when planned; nothing is read from Lucca.
    pub fn from_csv_path(path: impl AsRef<Path>) -> Result<Self, SyncError> {
        Self::from_csv_path_in(path, crate::Encoding::Auto)
    }

    /// [`from_csv_path`](Self::from_csv_path), read in `encoding`
    /// ([`Encoding::Auto`](crate::Encoding::Auto): valid UTF-8 is UTF-8,
    /// bytes with no UTF-8 sequence are Windows-1252, a mix is refused with
    /// where).
    pub fn from_csv_path_in(
        path: impl AsRef<Path>,
        encoding: crate::Encoding,
    ) -> Result<Self, SyncError> {
        let path = path.as_ref();
        let bytes = crate::file::read(path, crate::file::READ_WHOLE_LIMIT)?;
        let mut desired = Self::from_csv(&bytes, Some(path), encoding)?;
        desired.source = Some(path.to_owned());
        Ok(desired)
    }

    /// Reads an export from `reader` (standard input, say), to its end:
    /// at most 256 MiB, and refused at once when its first line runs past
    /// 64 KiB without a line end. Messages name it `-`.
    pub fn from_csv_reader(reader: impl std::io::Read) -> Result<Self, SyncError> {
        Self::from_csv_reader_in(reader, crate::Encoding::Auto)
    }

    /// [`from_csv_reader`](Self::from_csv_reader), read in `encoding`.
    pub fn from_csv_reader_in(
        mut reader: impl std::io::Read,
        encoding: crate::Encoding,
    ) -> Result<Self, SyncError> {
        let name = Path::new(crate::file::STDIN);
        let bytes = crate::file::read_all(&mut reader, name, crate::file::READ_WHOLE_LIMIT)?;
        Self::from_csv(&bytes, None, encoding)
    }

    /// Reads an export from its bytes (see [`from_csv_path`](Self::from_csv_path)).
    pub fn from_csv_bytes(bytes: &[u8]) -> Result<Self, SyncError> {
        Self::from_csv(bytes, None, crate::Encoding::Auto)
    }

    fn from_csv(
        bytes: &[u8],
        file: Option<&Path>,
        encoding: crate::Encoding,
    ) -> Result<Self, SyncError> {
        let file = file.map(Path::to_owned);
        let (bytes, encoding) =
            crate::decode(bytes, encoding).map_err(|error| SyncError::Encoding {
                file: file.clone(),
                error,
            })?;
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let first_line = body.split(|byte| *byte == b'\n').next().unwrap_or_default();
        let delimiter = if first_line.contains(&b';') {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(body);
        let located = |error: csv::Error| {
            let line = error.position().map_or(1, csv::Position::line);
            SyncError::Csv {
                file: file.clone(),
                line,
                source: error,
            }
        };
        let header: Vec<String> = reader
            .headers()
            .map_err(located)?
            .iter()
            .map(|name| name.trim().to_owned())
            .collect();
        let columns = header
            .iter()
            .enumerate()
            .map(|(index, name)| column(file.clone(), index + 1, name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(located)?;
            let line = record.position().map_or(0, csv::Position::line);
            let cell = |index: usize| record.get(index).unwrap_or_default().trim().to_owned();
            rows.push(Wanted {
                line,
                key: String::new(),
                cells: (0..header.len()).map(cell).collect(),
            });
        }
        let desired = Self {
            source: None,
            key: Key::Login,
            key_column: None,
            encoding,
            columns,
            rows,
        };
        Ok(desired.with_key(Key::Login))
    }
}

/// The column named `name`, at `column` (from 1) of the header.
fn column(
    file: Option<PathBuf>,
    column: usize,
    name: &str,
) -> Result<(String, Column, usize), SyncError> {
    match Column::named(name) {
        Some(known) => Ok((name.to_owned(), known, column)),
        None => {
            let names: Vec<&str> = Column::names().collect();
            let hint = strsim_closest(name, &names);
            Err(SyncError::UnknownColumn {
                file,
                column,
                name: name.to_owned(),
                hint,
            })
        }
    }
}

/// The documented name closest to `name`, if close.
fn strsim_closest(name: &str, names: &[&str]) -> Option<String> {
    // A name far longer than every documented one is close to none; not
    // compared (the comparison costs the product of the lengths).
    let longest = names
        .iter()
        .map(|known| known.len())
        .max()
        .unwrap_or_default();
    if name.len() > 2 * longest {
        return None;
    }
    names
        .iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), *candidate))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.to_owned())
}
