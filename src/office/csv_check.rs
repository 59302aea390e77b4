//! Reading and checking an import file before it is uploaded: every problem
//! of the file at once, each with its line and column, in the shape of the
//! server's `errorLines`.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, ReaderBuilder};

use super::csv_format::{BOM, DELIMITER, HEADER, LineIndex, REQUIRED, columns, parse_date};
use super::row::UserLocationRow;
use super::types::{self, Position};
use crate::error::excerpt;

/// At most this many problems are kept; the others are counted.
pub const MAX_PROBLEMS: usize = 1000;

/// One problem of an import file: where (line, column, field) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    /// The line of the file, 1 for the header row (as the server counts).
    pub line: u64,
    /// The column, 1 for the first, when the problem is one cell's.
    pub column: Option<usize>,
    /// The column's header name, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `LINE:COLUMN: FIELD: message`, the form editors and CI read once a
        // file's name is put before it.
        write!(f, "{}", self.line)?;
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        f.write_str(": ")?;
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl From<&CsvProblem> for types::ErrorLine {
    /// The problem as the server reports one, so that local and server
    /// errors are handled alike.
    fn from(problem: &CsvProblem) -> Self {
        types::ErrorLine {
            error: Some(problem.to_string()),
            line: None,
            line_number: Some(i32::try_from(problem.line).unwrap_or(i32::MAX)),
        }
    }
}

/// An import file that cannot be uploaded as it is (all its problems), a
/// row that cannot be written into one, or the file's input or output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The file has problems; every one is listed (up to [`MAX_PROBLEMS`]).
    #[error("{}", Listing(self))]
    Invalid {
        /// The file, when it was read from one.
        file: Option<PathBuf>,
        /// The problems, in file order.
        problems: Vec<CsvProblem>,
        /// Problems past [`MAX_PROBLEMS`], counted but not kept.
        omitted: u64,
    },
    /// The file could not be read, or written.
    #[error("cannot read or write {}", file.as_deref().map_or("the import file".into(), |path| path.display().to_string()))]
    Io {
        /// The file, when it was read from one.
        file: Option<PathBuf>,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A row cannot be written: a required cell is empty.
    #[error("row {row}: `{field}` is empty; Lucca Office requires it")]
    EmptyRequired {
        /// The row, 1 for the first row after the header.
        row: u64,
        /// The column.
        field: &'static str,
    },
    /// A row cannot be written: a cell holds a control character (NUL and
    /// the like).
    #[error("row {row}: `{field}` holds the control character U+{code:04X} at character {at}")]
    ControlCharacter {
        /// The row, 1 for the first row after the header.
        row: u64,
        /// The column.
        field: &'static str,
        /// The character's code.
        code: u32,
        /// Its position in the cell, 1 for the first.
        at: usize,
    },
    /// A row cannot be written: its date cannot be written as `YYYY/MM/DD`.
    #[error("row {row}: the date {date} is outside the years 0000 to 9999")]
    DateOutOfRange {
        /// The row, 1 for the first row after the header.
        row: u64,
        /// The date.
        date: chrono::NaiveDate,
    },
}

impl From<std::io::Error> for CsvError {
    fn from(source: std::io::Error) -> Self {
        Self::Io { file: None, source }
    }
}

impl From<csv::Error> for CsvError {
    fn from(error: csv::Error) -> Self {
        Self::from(std::io::Error::other(error))
    }
}

struct Listing<'a>(&'a CsvError);

impl fmt::Display for Listing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let CsvError::Invalid {
            file,
            problems,
            omitted,
        } = self.0
        else {
            return Ok(());
        };
        let name = file
            .as_deref()
            .map_or("the import file".into(), |path| path.display().to_string());
        let total = problems.len() as u64 + omitted;
        write!(f, "{name} has {total} problem(s):")?;
        // Each as `file:line:column: …` when the file is known.
        let prefix = file
            .as_deref()
            .map_or(String::new(), |path| format!("{}:", path.display()));
        for problem in problems {
            write!(f, "\n  {prefix}{problem}")?;
        }
        if *omitted > 0 {
            write!(f, "\n  … and {omitted} more")?;
        }
        Ok(())
    }
}

impl CsvError {
    /// The problems found (empty for the others).
    pub fn problems(&self) -> &[CsvProblem] {
        match self {
            Self::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }

    pub(crate) fn with_file(self, path: &Path) -> Self {
        match self {
            Self::Invalid {
                problems, omitted, ..
            } => Self::Invalid {
                file: Some(path.to_owned()),
                problems,
                omitted,
            },
            Self::Io { source, .. } => Self::Io {
                file: Some(path.to_owned()),
                source,
            },
            other => other,
        }
    }
}

/// What a checked file holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CsvSummary {
    /// Rows after the header.
    pub rows: u64,
    /// Rows that are deletions.
    pub deletions: u64,
    /// Whether the file starts with the BOM Lucca documents.
    pub has_bom: bool,
    /// What is sent as it is but deserves a look: columns beyond the seven
    /// (Lucca's own guide shows `firstName;lastName`).
    pub warnings: Vec<CsvProblem>,
}

/// Checks an import file without keeping its rows (a file of any size).
pub fn check_csv(reader: impl Read) -> Result<CsvSummary, CsvError> {
    let mut summary = CsvSummary::default();
    let (has_bom, warnings) = read_csv(reader, |row| {
        summary.rows += 1;
        summary.deletions += u64::from(row.is_deletion);
    })?;
    summary.has_bom = has_bom;
    summary.warnings = warnings;
    Ok(summary)
}

/// Checks the import file at `path`; errors name the file.
pub fn check_csv_file(path: impl AsRef<Path>) -> Result<CsvSummary, CsvError> {
    let path = path.as_ref();
    std::fs::File::open(path)
        .map_err(|source| CsvError::Io { file: None, source })
        .and_then(check_csv)
        .map_err(|error| error.with_file(path))
}

/// Reads the rows of an import file, or every problem it has.
pub fn read_rows(reader: impl Read) -> Result<Vec<UserLocationRow>, CsvError> {
    let mut rows = Vec::new();
    read_csv(reader, |row| rows.push(row.to_row()))?;
    Ok(rows)
}

/// The first and last rows that create a user location among the rows
/// numbered `from..to` (from 0, after the header), with their lines: what
/// the [evidence](super::Evidence) looks for in Lucca.
#[cfg(feature = "directory")]
pub(super) fn first_and_last_creations(
    reader: impl Read,
    rows: std::ops::Range<u64>,
) -> Result<Vec<(u64, UserLocationRow)>, CsvError> {
    let mut index = 0_u64;
    let mut first = None;
    let mut last = None;
    read_csv(reader, |row| {
        if rows.contains(&index) && !row.is_deletion {
            let kept = Some((row.line, row.to_row()));
            if first.is_none() {
                first = kept;
            } else {
                last = kept;
            }
        }
        index += 1;
    })?;
    Ok(first.into_iter().chain(last).collect())
}

/// The problems found so far.
#[derive(Default)]
struct Problems {
    kept: Vec<CsvProblem>,
    omitted: u64,
    warnings: Vec<CsvProblem>,
    /// The first line with bytes that are not UTF-8, and whether they read
    /// as Windows-1252: one problem for the whole file.
    not_utf8: Option<(u64, bool)>,
}

impl Problems {
    fn add(&mut self, line: u64, column: Option<usize>, field: Option<&str>, message: String) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(CsvProblem {
                line,
                column,
                field: field.map(str::to_owned),
                message,
            });
        } else {
            self.omitted += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    fn warn(&mut self, column: usize, field: &str, message: String) {
        tracing::warn!(column, field, %message, "import file");
        self.warnings.push(CsvProblem {
            line: 1,
            column: Some(column),
            field: Some(field.to_owned()),
            message,
        });
    }

    /// Notes a cell that is not UTF-8 (the first one is reported).
    fn not_utf8(&mut self, line: u64, bytes: &[u8]) {
        if self.not_utf8.is_none() {
            let (_, _, unmappable) = encoding_rs::WINDOWS_1252.decode(bytes);
            let windows_1252 = !unmappable
                && !bytes
                    .iter()
                    .any(|byte| matches!(byte, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D));
            self.not_utf8 = Some((line, windows_1252));
        }
    }
}

/// Where each known column is in this file's header.
#[derive(Default)]
struct Columns {
    index: [Option<usize>; HEADER.len()],
    count: usize,
}

impl Columns {
    /// The cell of `HEADER[slot]` and its index.
    fn cell<'r>(&self, record: &'r ByteRecord, slot: usize) -> Option<(usize, &'r [u8])> {
        let index = self.index[slot]?;
        record.get(index).map(|cell| (index, cell))
    }
}

/// A valid row, borrowed from its record (a check keeps no row).
struct RowView<'r> {
    /// The line the row starts on.
    #[cfg_attr(not(feature = "directory"), allow(dead_code))]
    line: u64,
    login: &'r str,
    work_location_name: &'r str,
    area_name: &'r str,
    date: chrono::NaiveDate,
    position: Position,
    comment: &'r str,
    is_deletion: bool,
}

impl RowView<'_> {
    fn to_row(&self) -> UserLocationRow {
        let non_empty = |value: &str| (!value.is_empty()).then(|| value.to_owned());
        UserLocationRow {
            login: self.login.to_owned(),
            work_location_name: self.work_location_name.to_owned(),
            area_name: non_empty(self.area_name),
            date: self.date,
            position: self.position,
            comment: non_empty(self.comment),
            is_deletion: self.is_deletion,
        }
    }
}

fn read_header(record: &ByteRecord, problems: &mut Problems) -> Option<Columns> {
    let mut columns = Columns {
        count: record.len(),
        ..Columns::default()
    };
    if record.len() == 1 {
        let only = String::from_utf8_lossy(&record[0]);
        if let Some(separator) = [',', '\t', '|'].into_iter().find(|c| only.contains(*c)) {
            let shown = if separator == '\t' {
                "tab".into()
            } else {
                format!("`{separator}`")
            };
            problems.add(
                1,
                None,
                None,
                format!("cells are separated by {shown}; Lucca Office wants `;`"),
            );
            return None;
        }
    }
    for (index, cell) in record.iter().enumerate() {
        let whole = String::from_utf8_lossy(cell);
        let name = excerpt(&whole);
        let column = Some(index + 1);
        match HEADER.iter().position(|known| *known == whole) {
            Some(slot) if columns.index[slot].is_some() => {
                problems.add(1, column, Some(&name), "this column appears twice".into());
            }
            Some(slot) => columns.index[slot] = Some(index),
            None if columns::TOLERATED.contains(&whole.as_ref()) => problems.warn(
                index + 1,
                &name,
                format!("`{name}` is not one of the seven columns; Lucca's guide shows it: it is sent as it is"),
            ),
            None => {
                let hint = closest_header(&whole)
                    .map(|known| format!("; did you mean `{known}`?"))
                    .unwrap_or_default();
                let expected = HEADER.join(";");
                problems.warn(
                    index + 1,
                    &name,
                    format!(
                        "unknown column `{name}`{hint}: it is sent as it is, and Lucca may refuse it (the columns are `{expected}`)"
                    ),
                );
            }
        }
    }
    for required in REQUIRED {
        let slot = HEADER.iter().position(|known| *known == required);
        if slot.and_then(|slot| columns.cell(record, slot)).is_none() {
            let misspelled = record.iter().enumerate().find_map(|(index, cell)| {
                let name = String::from_utf8_lossy(cell);
                (closest_header(&name) == Some(required)).then(|| (index + 1, excerpt(&name)))
            });
            let (column, hint) = match misspelled {
                Some((column, name)) => (
                    Some(column),
                    format!(" (is `{name}` a misspelling? did you mean `{required}`?)"),
                ),
                None => (None, String::new()),
            };
            problems.add(
                1,
                column,
                Some(required),
                format!("the required column `{required}` is missing{hint}"),
            );
        }
    }
    Some(columns)
}

fn closest_header(name: &str) -> Option<&'static str> {
    // No column is within 3 edits of a name this much longer than the
    // longest: not compared (the comparison costs its length squared).
    let longest = HEADER
        .iter()
        .map(|known| known.len())
        .max()
        .unwrap_or_default();
    if name.len() > longest + 3 {
        return None;
    }
    HEADER
        .into_iter()
        .map(|known| {
            (
                strsim::levenshtein(&name.to_ascii_lowercase(), &known.to_ascii_lowercase()),
                known,
            )
        })
        .filter(|(distance, _)| *distance <= 3)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// A position, by the generated `FromStr` (the spec's enum values).
fn parse_position(text: &str) -> Option<Position> {
    text.parse().ok()
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.is_empty() || text.eq_ignore_ascii_case("false") {
        Some(false)
    } else if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else {
        None
    }
}

/// Checks one data record; the row when it has no problem.
fn read_record<'r>(
    record: &'r ByteRecord,
    line: u64,
    columns: &Columns,
    problems: &mut Problems,
) -> Option<RowView<'r>> {
    if record.len() != columns.count {
        let message = if record.iter().any(|cell| cell.contains(&b'\n')) {
            "a quote opened on this line is never closed: the lines after it became one cell"
                .to_owned()
        } else {
            format!(
                "{} cell(s), the header has {}: is a `;` in a value not quoted?",
                record.len(),
                columns.count
            )
        };
        problems.add(line, None, None, message);
        return None;
    }
    let before = problems.kept.len() as u64 + problems.omitted;
    // The slots of `HEADER`: login, workLocationName, areaName, date,
    // position, comment, isDeletion.
    let mut text = |slot: usize| -> Option<(usize, &'r str)> {
        let (index, bytes) = columns.cell(record, slot)?;
        match std::str::from_utf8(bytes) {
            Ok(value) => match crate::error::control_character(value) {
                Some((at, c)) => {
                    problems.add(
                        line,
                        Some(index + 1),
                        Some(HEADER[slot]),
                        format!(
                            "holds the control character U+{:04X} at character {at}: it cannot be imported",
                            u32::from(c)
                        ),
                    );
                    None
                }
                None => Some((index + 1, value)),
            },
            Err(_) => {
                problems.not_utf8(line, bytes);
                None
            }
        }
    };
    let (login, work_location, area) = (text(0), text(1), text(2));
    let (date, position, comment, deletion) = (text(3), text(4), text(5), text(6));

    let mut required = |cell: Option<(usize, &'r str)>, name: &'static str| match cell {
        Some((column, value)) if value.trim().is_empty() => {
            problems.add(
                line,
                Some(column),
                Some(name),
                "is empty; it is required".into(),
            );
            None
        }
        other => other,
    };
    let login = required(login, columns::LOGIN);
    let work_location = required(work_location, columns::WORK_LOCATION_NAME);
    let date = required(date, columns::DATE);
    let position = required(position, columns::POSITION);

    let date = date.and_then(|(column, value)| {
        let parsed = parse_date(value);
        if parsed.is_none() {
            problems.add(
                line,
                Some(column),
                Some(columns::DATE),
                format!(
                    "`{}` is not a date as YYYY/MM/DD or YYYY-MM-DD",
                    excerpt(value)
                ),
            );
        }
        parsed
    });
    let position = position.and_then(|(column, value)| {
        let parsed = parse_position(value);
        if parsed.is_none() {
            problems.add(
                line,
                Some(column),
                Some(columns::POSITION),
                format!(
                    "`{}` is not a position: FullDay, FirstHalf or SecondHalf",
                    excerpt(value)
                ),
            );
        }
        parsed
    });
    let is_deletion = match deletion {
        Some((column, value)) => parse_bool(value).or_else(|| {
            problems.add(
                line,
                Some(column),
                Some(columns::IS_DELETION),
                format!(
                    "`{}` is not a boolean: true, false or empty",
                    excerpt(value)
                ),
            );
            None
        }),
        None => Some(false),
    };

    if problems.kept.len() as u64 + problems.omitted != before || problems.not_utf8.is_some() {
        return None;
    }
    let text_of = |cell: Option<(usize, &'r str)>| cell.map_or("", |(_, value)| value);
    Some(RowView {
        line,
        login: login?.1,
        work_location_name: work_location?.1,
        area_name: text_of(area),
        date: date?,
        position: position?,
        comment: text_of(comment),
        is_deletion: is_deletion?,
    })
}

/// Reads the whole file, calling `on_row` for each valid row; returns whether
/// it had a BOM, or all its problems.
fn read_csv(
    reader: impl Read,
    mut on_row: impl FnMut(&RowView<'_>),
) -> Result<(bool, Vec<CsvProblem>), CsvError> {
    let io = |source| CsvError::Io { file: None, source };
    let mut reader = BufReader::new(reader);
    let has_bom = reader.fill_buf().map_err(io)?.starts_with(BOM);
    if has_bom {
        reader.consume(BOM.len());
    }
    let mut csv = ReaderBuilder::new()
        .delimiter(DELIMITER)
        .has_headers(false)
        .flexible(true)
        .from_reader(LineIndex::new(reader));
    let mut problems = Problems::default();
    let mut record = ByteRecord::new();
    let mut columns = None;
    let mut header_seen = false;
    let mut last_line = 1;
    let mut last_multiline = false;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                let line = error
                    .position()
                    .map_or(1, |at| csv.get_ref().line_of(at.byte()));
                match error.into_kind() {
                    csv::ErrorKind::Io(source) => return Err(io(source)),
                    other => problems.add(line, None, None, format!("{other:?}")),
                }
                continue;
            }
        }
        let line = record
            .position()
            .map_or(1, |at| csv.get_ref().line_of(at.byte()));
        last_line = line;
        last_multiline = memchr::memchr(b'\n', record.as_slice()).is_some();
        if !header_seen {
            header_seen = true;
            columns = read_header(&record, &mut problems);
            if columns.is_none() {
                break;
            }
            continue;
        }
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if let Some(columns) = &columns
            && let Some(row) = read_record(&record, line, columns, &mut problems)
        {
            on_row(&row);
        }
    }
    if !header_seen {
        problems.add(
            1,
            None,
            None,
            "the file is empty; it needs the header row".into(),
        );
    }
    // An odd number of quotes: the last record's quote swallowed the rest of
    // the file (the csv reader does not call that an error).
    let open_quote = "a quote opened on this line is never closed";
    if csv.get_ref().quote_left_open()
        && last_multiline
        && !problems.kept.last().is_some_and(|problem| {
            problem.line == last_line && problem.message.starts_with(open_quote)
        })
    {
        problems.add(
            last_line,
            None,
            None,
            format!("{open_quote}: the lines after it became one cell"),
        );
    }
    if let Some((line, windows_1252)) = problems.not_utf8 {
        let guess = if windows_1252 {
            "; it looks like Windows-1252: save it as UTF-8, or read it as Windows-1252"
        } else {
            ""
        };
        problems.kept.insert(
            0,
            CsvProblem {
                line,
                column: None,
                field: None,
                message: format!("the file is not UTF-8 (from this line on){guess}"),
            },
        );
    }
    if problems.is_empty() {
        Ok((has_bom, problems.warnings))
    } else {
        Err(CsvError::Invalid {
            file: None,
            problems: problems.kept,
            omitted: problems.omitted,
        })
    }
}
