//! Splitting a CSV file into files under the upload limit: the header row
//! repeated in each, cuts only between records (never inside a quoted cell
//! that spans lines).

use bytes::Bytes;

use super::error::UsersCsvError;
use crate::in_parts::{Cut, Cuts};

/// The byte offsets where records start (and the end of the text), after the
/// `\n` of a `\r\n` the `csv` crate leaves to the next record.
fn record_starts(text: &[u8], delimiter: u8) -> Result<Vec<(usize, u64)>, UsersCsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = csv::ByteRecord::new();
    let mut starts = Vec::new();
    let (mut line, mut counted_to) = (1_u64, 0_usize);
    loop {
        let before = reader.position().clone();
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                return Err(UsersCsvError::Unreadable {
                    line,
                    reason: error.to_string(),
                });
            }
        }
        let start = record.position().map_or(before.byte(), csv::Position::byte) as usize;
        let mut start = start;
        while start > 0 && start < text.len() && text[start] == b'\n' && text[start - 1] == b'\r' {
            start += 1;
        }
        line += text[counted_to..start]
            .iter()
            .filter(|byte| **byte == b'\n')
            .count() as u64;
        counted_to = start;
        starts.push((start, line));
    }
    Ok(starts)
}

/// Splits `text` into pieces of at most `limit` bytes, each starting with
/// the header row; a text under the limit comes back whole. Where it is
/// cut is the one rule of every file sent in parts (`in_parts::Cuts`).
pub(crate) fn split(text: &[u8], delimiter: u8, limit: usize) -> Result<Vec<Bytes>, UsersCsvError> {
    if text.len() <= limit {
        return Ok(vec![Bytes::copy_from_slice(text)]);
    }
    let starts = record_starts(text, delimiter)?;
    let Some(&(header_start, _)) = starts.first() else {
        return Err(UsersCsvError::Empty);
    };
    let records = &starts[1..];
    let Some(&(header_end, _)) = records.first() else {
        // A header alone, over the limit.
        return Err(UsersCsvError::RecordTooLarge {
            line: 1,
            size: text.len(),
            limit,
        });
    };
    let mut cuts = Cuts::new(limit as u64);
    cuts.begin(header_end as u64);
    let ends = records
        .iter()
        .skip(1)
        .map(|(start, _)| *start)
        .chain([text.len()]);
    for (&(start, line), end) in records.iter().zip(ends) {
        cuts.add(start as u64, end as u64)
            .map_err(|too_large| UsersCsvError::RecordTooLarge {
                line,
                size: usize::try_from(too_large.bytes).unwrap_or(usize::MAX),
                limit,
            })?;
    }
    let header = &text[header_start..header_end];
    let piece = |cut: Cut| {
        let (start, end) = (cut.start as usize, cut.end as usize);
        match start {
            0 => Bytes::copy_from_slice(&text[..end]),
            _ => Bytes::from([header, &text[start..end]].concat()),
        }
    };
    Ok(cuts
        .finish(text.len() as u64)
        .into_iter()
        .map(piece)
        .collect())
}
