//! Splitting a CSV file into files under the upload limit: the header row
//! repeated in each, cuts only between records (never inside a quoted cell
//! that spans lines).

use bytes::Bytes;

use super::error::UsersCsvError;

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
/// the header row; a text under the limit comes back whole.
pub(crate) fn split(text: &[u8], delimiter: u8, limit: usize) -> Result<Vec<Bytes>, UsersCsvError> {
    if text.len() <= limit {
        return Ok(vec![Bytes::copy_from_slice(text)]);
    }
    let mut starts = record_starts(text, delimiter)?;
    if starts.is_empty() {
        return Err(UsersCsvError::Empty);
    }
    starts.push((text.len(), 0));
    let header = &text[starts[0].0..starts[1].0];
    let with_newline = |piece: &[u8]| {
        if piece.ends_with(b"\n") || piece.is_empty() {
            piece.to_vec()
        } else {
            [piece, b"\r\n"].concat()
        }
    };
    let header = with_newline(header);
    let mut parts = Vec::new();
    let mut current = header.clone();
    for window in starts[1..].windows(2) {
        let ((start, line), (end, _)) = (window[0], window[1]);
        let record = with_newline(&text[start..end]);
        if header.len() + record.len() > limit {
            return Err(UsersCsvError::RecordTooLarge {
                line,
                size: header.len() + record.len(),
                limit,
            });
        }
        if current.len() + record.len() > limit {
            parts.push(Bytes::from(std::mem::replace(&mut current, header.clone())));
        }
        current.extend_from_slice(&record);
    }
    if current.len() > header.len() {
        parts.push(Bytes::from(current));
    }
    Ok(parts)
}
