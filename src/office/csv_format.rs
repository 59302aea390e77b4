//! The import file format Lucca documents: UTF-8 with a BOM, `;` between
//! cells, this exact header row, dates `YYYY/MM/DD` (or `YYYY-MM-DD`).

use chrono::NaiveDate;

/// The UTF-8 byte-order mark every import file starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The cell separator.
pub const DELIMITER: u8 = b';';

/// The file's columns, from the spec (`x-roster-csv-columns` of the
/// import's `files` part): `HEADER`, in the order `roster` writes them,
/// `REQUIRED`, and one constant each (`columns::DATE`).
pub(crate) use super::generated::names::post_office_api_imports_user_locations::parts::csv as columns;
pub(crate) use columns::{HEADER, REQUIRED};

/// Writes `date` as `YYYY/MM/DD` into `out` without allocating.
pub(crate) fn write_date(date: NaiveDate, out: &mut [u8; 10]) -> &[u8] {
    use chrono::Datelike;
    let year = date.year().clamp(0, 9999) as u32;
    let digits = |value: u32, slot: &mut [u8]| {
        let mut value = value;
        for byte in slot.iter_mut().rev() {
            *byte = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    digits(year, &mut out[0..4]);
    out[4] = b'/';
    digits(date.month(), &mut out[5..7]);
    out[7] = b'/';
    digits(date.day(), &mut out[8..10]);
    &out[..]
}

/// Parses a date in either documented format, `YYYY/MM/DD` or `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    crate::tolerant::plain_date(text)
}

/// A reader that remembers where its line breaks are, to give each CSV
/// record its line. (The `csv` crate's own line of a record lags by one
/// after a `\r\n`, because it consumes the `\n` with the next record.)
pub(crate) struct LineIndex<R> {
    inner: R,
    read: u64,
    newlines: std::cell::RefCell<(std::collections::VecDeque<u64>, u64)>,
    /// Whether an odd number of `"` has been read: at the end, a quote was
    /// opened and never closed.
    odd_quotes: bool,
}

impl<R> LineIndex<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            read: 0,
            newlines: Default::default(),
            odd_quotes: false,
        }
    }

    /// Whether the bytes read hold an odd number of `"` (a quote left open).
    pub(crate) fn quote_left_open(&self) -> bool {
        self.odd_quotes
    }

    /// The line of the record that starts at `byte`, 1 for the first. Calls
    /// must come with growing `byte`s.
    pub(crate) fn line_of(&self, byte: u64) -> u64 {
        let mut newlines = self.newlines.borrow_mut();
        let (pending, passed) = &mut *newlines;
        while pending.front().is_some_and(|offset| *offset <= byte) {
            pending.pop_front();
            *passed += 1;
        }
        *passed + 1
    }
}

impl<R: std::io::Read> std::io::Read for LineIndex<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        let start = self.read;
        self.newlines
            .get_mut()
            .0
            .extend(memchr::memchr_iter(b'\n', &buffer[..count]).map(|index| start + index as u64));
        let quotes = memchr::memchr_iter(b'"', &buffer[..count]).count();
        self.odd_quotes ^= quotes % 2 == 1;
        self.read += count as u64;
        Ok(count)
    }
}
