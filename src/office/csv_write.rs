//! Writing typed rows as an import file: a BOM, the header row, one line a
//! row, cells quoted when they hold `;`, quotes or line breaks (RFC 4180,
//! by the `csv` crate). Streams: rows are written as they come.

use std::io::{self, Write};

use super::csv_format::{BOM, DELIMITER, HEADER, columns, write_date};
use super::row::UserLocationRow;
use super::types::Position;

use super::csv_check::CsvError;

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
pub(crate) fn validate_row(row: &UserLocationRow, number: u64) -> Result<(), CsvError> {
    use chrono::Datelike;
    for (field, value) in [
        (columns::LOGIN, &row.login),
        (columns::WORK_LOCATION_NAME, &row.work_location_name),
    ] {
        if value.trim().is_empty() {
            return Err(CsvError::EmptyRequired { row: number, field });
        }
    }
    let cells = [
        (columns::LOGIN, Some(&row.login)),
        (columns::WORK_LOCATION_NAME, Some(&row.work_location_name)),
        (columns::AREA_NAME, row.area_name.as_ref()),
        (columns::COMMENT, row.comment.as_ref()),
    ];
    for (field, value) in cells {
        if let Some((at, c)) = value.and_then(|value| crate::error::control_character(value)) {
            return Err(CsvError::ControlCharacter {
                row: number,
                field,
                code: u32::from(c),
                at,
            });
        }
    }
    if !(0..=9999).contains(&row.date.year()) {
        return Err(CsvError::DateOutOfRange {
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
/// # Ok::<(), roster::office::CsvError>(())
/// ```
pub struct UserLocationCsvWriter<W: Write> {
    /// `None` once [`finish`](Self::finish) took it.
    out: Option<W>,
    /// What is not yet written to `out`.
    buffer: Vec<u8>,
    /// Bytes made so far, written or buffered.
    made: usize,
    rows: u64,
    positions: PositionTexts,
}

/// How much is buffered before it is written to the output.
const BUFFER: usize = 64 * 1024;

/// Appends `field` as the `csv` crate's `QuoteStyle::Necessary` writes it:
/// quoted, with its quotes doubled, when it holds the delimiter, a quote or
/// a line break; as it is otherwise. Written here rather than through the
/// `csv` crate because the format is fixed (seven fields, `;`, CRLF) and
/// three of its fields never need quoting: the typed rows then cost less
/// than the crate writing prepared strings. A property test holds the two
/// to the same bytes.
fn push_field(buffer: &mut Vec<u8>, field: &[u8]) {
    if !field
        .iter()
        .any(|byte| matches!(*byte, DELIMITER | b'"' | b'\r' | b'\n'))
    {
        buffer.extend_from_slice(field);
        return;
    }
    buffer.push(b'"');
    for part in field.split_inclusive(|byte| *byte == b'"') {
        buffer.extend_from_slice(part);
        if part.last() == Some(&b'"') {
            buffer.push(b'"');
        }
    }
    buffer.push(b'"');
}

impl<W: Write> UserLocationCsvWriter<W> {
    /// Writes the BOM and the header row to `out`.
    pub fn new(out: W) -> Result<Self, CsvError> {
        let mut writer = Self::continuing(out, 0);
        writer.buffer.extend_from_slice(BOM);
        for (index, name) in HEADER.iter().enumerate() {
            if index > 0 {
                writer.buffer.push(DELIMITER);
            }
            push_field(&mut writer.buffer, name.as_bytes());
        }
        writer.buffer.extend_from_slice(b"\r\n");
        Ok(writer)
    }

    /// Writes rows after `rows` rows already written elsewhere (no BOM, no
    /// header).
    fn continuing(out: W, rows: u64) -> Self {
        Self {
            out: Some(out),
            buffer: Vec::with_capacity(BUFFER + 1024),
            made: 0,
            rows,
            positions: PositionTexts::default(),
        }
    }

    /// Writes one row. A row that cannot be imported (an empty required
    /// field, a date outside 0000 to 9999) is refused with its number, and
    /// nothing of it is written.
    pub fn write_row(&mut self, row: &UserLocationRow) -> Result<(), CsvError> {
        let number = self.rows + 1;
        validate_row(row, number)?;
        let start = self.buffer.len();
        let mut date = [0_u8; 10];
        let buffer = &mut self.buffer;
        push_field(buffer, row.login.as_bytes());
        buffer.push(DELIMITER);
        push_field(buffer, row.work_location_name.as_bytes());
        buffer.push(DELIMITER);
        push_field(
            buffer,
            row.area_name.as_deref().unwrap_or_default().as_bytes(),
        );
        buffer.push(DELIMITER);
        // Digits and `/`, and a position's name: never quoted.
        buffer.extend_from_slice(write_date(row.date, &mut date));
        buffer.push(DELIMITER);
        buffer.extend_from_slice(self.positions.get(row.position).as_bytes());
        buffer.push(DELIMITER);
        push_field(
            buffer,
            row.comment.as_deref().unwrap_or_default().as_bytes(),
        );
        buffer.extend_from_slice(if row.is_deletion {
            b";true\r\n"
        } else {
            b";false\r\n"
        });
        self.made += self.buffer.len() - start;
        self.rows = number;
        if self.buffer.len() >= BUFFER {
            self.write_buffer()?;
        }
        Ok(())
    }

    /// The rows written so far.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Writes what is buffered to the output.
    fn write_buffer(&mut self) -> io::Result<()> {
        let written = match &mut self.out {
            Some(out) => out.write_all(&self.buffer),
            None => Ok(()),
        };
        // Cleared even after a failed write, so that nothing is written
        // twice (when the writer is dropped after the error).
        self.buffer.clear();
        written
    }

    /// Flushes and returns the output.
    pub fn finish(mut self) -> Result<W, CsvError> {
        self.write_buffer()?;
        let mut out = self
            .out
            .take()
            .ok_or_else(|| CsvError::from(io::Error::other("the writer was already finished")))?;
        out.flush()?;
        Ok(out)
    }
}

impl<W: Write> Drop for UserLocationCsvWriter<W> {
    /// Writes what is buffered, as the `csv` crate's writer does when it is
    /// dropped without being finished (errors cannot be told then).
    fn drop(&mut self) {
        if self.out.is_some() {
            let _ = self.write_buffer();
            if let Some(out) = &mut self.out {
                let _ = out.flush();
            }
        }
    }
}

/// Writes all `rows` as an import file into memory.
pub fn rows_to_csv<'a>(
    rows: impl IntoIterator<Item = &'a UserLocationRow>,
) -> Result<Vec<u8>, CsvError> {
    let mut writer = UserLocationCsvWriter::new(Vec::new())?;
    for row in rows {
        writer.write_row(row)?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same seven cells through the `csv` crate, as the writer was
    /// before it wrote its fields itself.
    fn through_csv_crate(rows: &[UserLocationRow]) -> Vec<u8> {
        let mut out = BOM.to_vec();
        let mut writer = csv::WriterBuilder::new()
            .delimiter(DELIMITER)
            .quote_style(csv::QuoteStyle::Necessary)
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer.write_record(HEADER).unwrap();
        for row in rows {
            let mut date = [0_u8; 10];
            writer
                .write_record([
                    row.login.as_bytes(),
                    row.work_location_name.as_bytes(),
                    row.area_name.as_deref().unwrap_or_default().as_bytes(),
                    write_date(row.date, &mut date),
                    row.position.to_string().as_bytes(),
                    row.comment.as_deref().unwrap_or_default().as_bytes(),
                    if row.is_deletion { b"true" } else { b"false" },
                ])
                .unwrap();
        }
        drop(writer);
        out
    }

    proptest::proptest! {
        #[test]
        fn writes_the_bytes_the_csv_crate_writes(
            cells in proptest::collection::vec(
                ("[a-z]{1,3}[ -~\\r\\n;\"é]{0,12}", "[A-Za-z]{1}[ -~;\"]{0,8}", proptest::option::of("[ -~\\r\\n;\"]{0,8}"), proptest::option::of("[ -~\\r\\n;\"ü]{0,16}"), proptest::bool::ANY),
                0..20,
            ),
        ) {
            let day = chrono::NaiveDate::from_ymd_opt(2025, 9, 18).unwrap();
            let rows: Vec<UserLocationRow> = cells
                .into_iter()
                .map(|(login, place, area, comment, deletion)| {
                    let mut row = UserLocationRow::new(login, place, day, Position::SecondHalf);
                    row.area_name = area;
                    row.comment = comment;
                    row.is_deletion = deletion;
                    row
                })
                .collect();
            proptest::prop_assert_eq!(rows_to_csv(&rows).unwrap(), through_csv_crate(&rows));
        }
    }

    #[test]
    fn a_writer_dropped_unfinished_still_writes_what_it_holds() {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let mut out = Vec::new();
        {
            let mut writer = UserLocationCsvWriter::new(&mut out).unwrap();
            writer
                .write_row(&UserLocationRow::new("a", "Paris", day, Position::FullDay))
                .unwrap();
        }
        assert!(out.ends_with(b"a;Paris;;2025/01/01;FullDay;;false\r\n"));
    }
}
