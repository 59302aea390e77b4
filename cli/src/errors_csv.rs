//! The error lines of an import as a CSV a person can fix and send again:
//! the input's own header and rows (as they were in the file), plus an
//! `error` column.
//!
//! Which row a `lineNumber` names is not documented: the file's line
//! (header = line 1, as the guide's example reads) or the data row (first
//! row = 1). Both are tried, and the one whose `login` matches the line
//! Lucca echoed wins; when neither matches, the row is rebuilt from the
//! echoed line.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use roster::office::types::ErrorLine;

/// `NAME.errors.csv` next to `input`.
pub fn next_to(input: &Path) -> PathBuf {
    let stem = input
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".to_owned());
    input.with_file_name(format!("{stem}.errors.csv"))
}

/// Writes `lines` of `input` to `path` (whole, or not at all).
pub fn write(input: &Path, lines: &[ErrorLine], path: &Path) -> io::Result<()> {
    let bytes = std::fs::read(input)?;
    let (bom, body) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(body) => (true, body),
        None => (false, &bytes[..]),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(header) => header.map_err(io::Error::other)?,
        None => csv::ByteRecord::new(),
    };
    let named = |wanted: &[u8]| {
        header
            .iter()
            .position(|name| name.eq_ignore_ascii_case(wanted))
    };
    let columns = Columns {
        login: named(b"login"),
        date: named(b"date"),
    };
    // Only the records a line number names, under either reading, are kept.
    let wanted: HashSet<u64> = lines
        .iter()
        .filter_map(|line| u64::try_from(line.line_number?).ok())
        .collect();
    let mut rows = Rows::default();
    // The file's line a record starts on, counted from its byte offset
    // (a quoted cell may span lines).
    let (mut counted, mut line) = (0, 1);
    for (index, record) in records.enumerate() {
        let record = record.map_err(io::Error::other)?;
        let data_row = index as u64 + 1;
        if let Some(position) = record.position() {
            let mut start = usize::try_from(position.byte())
                .unwrap_or(usize::MAX)
                .min(body.len());
            // The reader may place a record after the `\r` of a `\r\n`.
            while matches!(body.get(start), Some(b'\r' | b'\n')) {
                start += 1;
            }
            line += body[counted.min(start)..start]
                .iter()
                .filter(|byte| **byte == b'\n')
                .count() as u64;
            counted = start;
            if wanted.contains(&line) {
                rows.by_line.insert(line, record.clone());
            }
        }
        if wanted.contains(&data_row) {
            rows.by_data_row.insert(data_row, record);
        }
    }

    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let mut first = header.clone();
        first.push_field(b"error");
        writer.write_byte_record(&first)?;
        for line in lines {
            let mut row = find(line, &rows, &columns)
                .cloned()
                .unwrap_or_else(|| echoed(line, &header));
            // The input's columns, then the error.
            while row.len() < header.len() {
                row.push_field(b"");
            }
            row.push_field(line.error.as_deref().unwrap_or_default().as_bytes());
            writer.write_byte_record(&row)?;
        }
        writer.flush()?;
    }
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    std::fs::write(&partial, &out)?;
    std::fs::rename(&partial, path)
}

/// The input's records a line number names: by the file's line (header =
/// 1) and by data row (first row = 1).
#[derive(Default)]
struct Rows {
    by_line: HashMap<u64, csv::ByteRecord>,
    by_data_row: HashMap<u64, csv::ByteRecord>,
}

/// Where the input's `login` and `date` are.
struct Columns {
    login: Option<usize>,
    date: Option<usize>,
}

/// The input row `line` names, under either reading of `lineNumber`.
fn find<'a>(line: &ErrorLine, rows: &'a Rows, columns: &Columns) -> Option<&'a csv::ByteRecord> {
    let number = u64::try_from(line.line_number?).ok()?;
    let file_line = rows.by_line.get(&number);
    let data_row = rows.by_data_row.get(&number);
    // The echoed login and day: a login usually has a row a day, so the
    // login alone could pick the neighbouring row of the other reading.
    let echoed = line.line.as_ref();
    let login = echoed.and_then(|row| row.login.as_deref());
    let day = echoed
        .and_then(|row| row.date.as_ref())
        .and_then(roster::EchoedDate::date);
    let matches = |row: &&csv::ByteRecord| {
        let same_login = match (login, columns.login) {
            (Some(login), Some(column)) => row.get(column) == Some(login.as_bytes()),
            _ => true,
        };
        let same_day = match (day, columns.date) {
            (Some(day), Some(column)) => row
                .get(column)
                .and_then(|cell| std::str::from_utf8(cell).ok())
                .and_then(|cell| roster::EchoedDate::from(cell).date())
                .is_none_or(|cell| cell == day),
            _ => true,
        };
        // Nothing to tell them apart by: the file's line, as documented.
        same_login && same_day
    };
    file_line
        .filter(matches)
        .or_else(|| data_row.filter(matches))
}

/// A row rebuilt from the line Lucca echoed, in the input's columns.
fn echoed(line: &ErrorLine, header: &csv::ByteRecord) -> csv::ByteRecord {
    let values = serde_json::to_value(&line.line).unwrap_or_default();
    let mut row = csv::ByteRecord::new();
    for name in header {
        let name = String::from_utf8_lossy(name);
        let value = values.as_object().and_then(|object| {
            object
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(&name))
                .map(|(_, value)| value)
        });
        let text = match value {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        row.push_field(text.as_bytes());
    }
    row
}
