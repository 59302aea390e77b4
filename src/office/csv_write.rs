//! Writing typed rows as an import file: a BOM, the header row, one line a
//! row, cells quoted when they hold `;`, quotes or line breaks (RFC 4180,
//! by the `csv` crate). Streams: rows are written as they come.

use std::io::{self, Write};

use bytes::Bytes;
use csv::{QuoteStyle, Terminator, WriterBuilder};

use super::csv_format::{BOM, DELIMITER, HEADER, write_date};
use super::row::UserLocationRow;
use super::types::Position;

/// A row cannot be written, or the output failed. Says which row (1 for the
/// first row after the header) and what.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CsvWriteError {
    /// A required cell is empty.
    #[error("row {row}: `{field}` is empty; Lucca Office requires it")]
    EmptyRequired {
        /// The row, 1 for the first row after the header.
        row: u64,
        /// The column.
        field: &'static str,
    },
    /// The date cannot be written as `YYYY/MM/DD`.
    #[error("row {row}: the date {date} is outside the years 0000 to 9999")]
    DateOutOfRange {
        /// The row, 1 for the first row after the header.
        row: u64,
        /// The date.
        date: chrono::NaiveDate,
    },
    /// Writing failed.
    #[error("writing the import file failed")]
    Io(#[from] io::Error),
}

impl From<csv::Error> for CsvWriteError {
    fn from(error: csv::Error) -> Self {
        Self::Io(io::Error::other(error))
    }
}

/// The text of each position met so far, from the generated `Display` (the
/// spec's enum values), so that a row costs no formatting.
#[derive(Debug, Default)]
struct PositionTexts(Vec<(Position, String)>);

impl PositionTexts {
    fn get(&mut self, position: Position) -> &str {
        let index = match self.0.iter().position(|(known, _)| *known == position) {
            Some(index) => index,
            None => {
                self.0.push((position, position.to_string()));
                self.0.len() - 1
            }
        };
        &self.0[index].1
    }
}

/// Checks what the file format cannot carry, before anything is written.
pub(crate) fn validate_row(row: &UserLocationRow, number: u64) -> Result<(), CsvWriteError> {
    use chrono::Datelike;
    for (field, value) in [
        ("login", &row.login),
        ("workLocationName", &row.work_location_name),
    ] {
        if value.trim().is_empty() {
            return Err(CsvWriteError::EmptyRequired { row: number, field });
        }
    }
    if !(0..=9999).contains(&row.date.year()) {
        return Err(CsvWriteError::DateOutOfRange {
            row: number,
            date: row.date,
        });
    }
    Ok(())
}

/// Writes import files: `UserLocationCsvWriter::new(out)` writes the BOM and
/// the header, each [`write_row`](Self::write_row) one line.
///
/// ```
/// use chrono::NaiveDate;
/// use roster::office::{UserLocationCsvWriter, UserLocationRow, types::Position};
///
/// let day = NaiveDate::from_ymd_opt(2025, 9, 18).unwrap();
/// let mut writer = UserLocationCsvWriter::new(Vec::new())?;
/// writer.write_row(&UserLocationRow::new("jdupont", "Paris", day, Position::FullDay))?;
/// let bytes = writer.finish()?;
/// assert!(bytes.ends_with(b"jdupont;Paris;;2025/09/18;FullDay;;false\r\n"));
/// # Ok::<(), roster::office::CsvWriteError>(())
/// ```
pub struct UserLocationCsvWriter<W: Write> {
    inner: csv::Writer<W>,
    rows: u64,
    positions: PositionTexts,
}

impl<W: Write> UserLocationCsvWriter<W> {
    /// Writes the BOM and the header row to `out`.
    pub fn new(mut out: W) -> Result<Self, CsvWriteError> {
        out.write_all(BOM)?;
        let mut writer = Self::continuing(out, 0);
        writer.inner.write_record(HEADER)?;
        Ok(writer)
    }

    /// Writes more rows of a file whose first `rows` rows are written.
    fn continuing(out: W, rows: u64) -> Self {
        let inner = WriterBuilder::new()
            .delimiter(DELIMITER)
            .quote_style(QuoteStyle::Necessary)
            .terminator(Terminator::CRLF)
            .from_writer(out);
        Self {
            inner,
            rows,
            positions: PositionTexts::default(),
        }
    }

    /// Writes one row, or refuses it (and writes nothing) if the format
    /// cannot carry it.
    pub fn write_row(&mut self, row: &UserLocationRow) -> Result<(), CsvWriteError> {
        let number = self.rows + 1;
        validate_row(row, number)?;
        let mut date = [0_u8; 10];
        let record: [&[u8]; 7] = [
            row.login.as_bytes(),
            row.work_location_name.as_bytes(),
            row.area_name.as_deref().unwrap_or_default().as_bytes(),
            write_date(row.date, &mut date),
            self.positions.get(row.position).as_bytes(),
            row.comment.as_deref().unwrap_or_default().as_bytes(),
            if row.is_deletion { b"true" } else { b"false" },
        ];
        self.inner.write_record(record)?;
        self.rows = number;
        Ok(())
    }

    /// How many rows were written.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Flushes and returns the output.
    pub fn finish(self) -> Result<W, CsvWriteError> {
        self.inner
            .into_inner()
            .map_err(|error| CsvWriteError::Io(error.into_error()))
    }
}

/// Writes all `rows` as an import file into memory.
pub fn rows_to_csv<'a>(
    rows: impl IntoIterator<Item = &'a UserLocationRow>,
) -> Result<Vec<u8>, CsvWriteError> {
    let mut writer = UserLocationCsvWriter::new(Vec::new())?;
    for row in rows {
        writer.write_row(row)?;
    }
    writer.finish()
}

/// The size of the pieces an upload body is made of.
const CHUNK: usize = 64 * 1024;

/// An import file written piece by piece from an iterator of rows: at most
/// about 64 KiB of it exists at once, whatever the number of rows.
pub(crate) struct CsvChunks<I: Iterator> {
    rows: std::iter::Peekable<I>,
    written: Option<u64>,
}

impl<I: Iterator<Item = UserLocationRow>> CsvChunks<I> {
    pub(crate) fn new(rows: I) -> Self {
        Self {
            rows: rows.peekable(),
            written: None,
        }
    }

    fn fill(&mut self) -> Result<Option<Bytes>, CsvWriteError> {
        let buffer = Vec::with_capacity(CHUNK + 1024);
        let mut writer = match self.written {
            None => UserLocationCsvWriter::new(buffer)?,
            Some(_) if self.rows.peek().is_none() => return Ok(None),
            Some(rows) => UserLocationCsvWriter::continuing(buffer, rows),
        };
        while writer.inner.get_ref().len() < CHUNK {
            let Some(row) = self.rows.next() else { break };
            writer.write_row(&row)?;
        }
        self.written = Some(writer.rows_written());
        Ok(Some(Bytes::from(writer.finish()?)))
    }
}

impl<I: Iterator<Item = UserLocationRow>> Iterator for CsvChunks<I> {
    type Item = Result<Bytes, CsvWriteError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.fill().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stay_small_and_add_up_to_the_whole_file() {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let rows: Vec<UserLocationRow> = (0..20_000)
            .map(|index| {
                UserLocationRow::new(format!("user{index}"), "Paris", day, Position::FullDay)
                    .comment("x".repeat(index % 50))
            })
            .collect();

        let chunks: Vec<Bytes> = CsvChunks::new(rows.clone().into_iter())
            .collect::<Result<_, _>>()
            .unwrap();

        assert!(chunks.len() > 10, "{} chunks", chunks.len());
        // A chunk ends once the bytes flushed out of the csv writer's own
        // 8 KiB buffer reach CHUNK: it can pass CHUNK by that buffer and a row.
        let bound = CHUNK + 8 * 1024 + 200;
        let largest = chunks.iter().map(Bytes::len).max().unwrap();
        assert!(largest <= bound, "{largest} > {bound}");
        assert_eq!(chunks.concat(), rows_to_csv(&rows).unwrap());
    }

    #[test]
    fn no_rows_is_a_header_only_file() {
        let chunks: Vec<Bytes> = CsvChunks::new(std::iter::empty())
            .collect::<Result<_, _>>()
            .unwrap();

        assert_eq!(chunks.concat(), rows_to_csv([]).unwrap());
    }
}
