//! The text encodings users export CSV files in: UTF-8 (with or without a
//! BOM) and Windows-1252 / ISO-8859-1 from spreadsheets. Files are turned
//! into UTF-8 before upload, so accents arrive intact whatever the server
//! guesses.

use super::error::UsersCsvError;
use crate::encoding::windows_1252;

/// The encoding of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CsvEncoding {
    /// UTF-8 if the bytes are valid UTF-8 (or start with its BOM),
    /// Windows-1252 if they hold no UTF-8 sequence at all; a file that
    /// mixes both is refused ([`UsersCsvError::Encoding`]) rather than read
    /// wrong.
    #[default]
    Detect,
    /// UTF-8, with or without a BOM.
    Utf8,
    /// Windows-1252, which also reads ISO-8859-1 (Latin-1) files.
    Windows1252,
}

/// The file as UTF-8 text without a BOM, and the encoding it was read in.
pub(crate) fn to_utf8(
    bytes: &[u8],
    encoding: CsvEncoding,
) -> Result<(String, CsvEncoding), UsersCsvError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest, 3).map(|text| (text, CsvEncoding::Utf8));
    }
    match encoding {
        CsvEncoding::Utf8 => utf8(bytes, 0).map(|text| (text, CsvEncoding::Utf8)),
        CsvEncoding::Windows1252 => Ok((windows_1252(bytes), CsvEncoding::Windows1252)),
        // One rule with every export: valid UTF-8, or no UTF-8 sequence at
        // all (Windows-1252); a mix is refused with where.
        CsvEncoding::Detect => {
            let (text, found) = crate::decode(bytes, crate::Encoding::Auto)?;
            let found = match found {
                crate::Encoding::Windows1252 => CsvEncoding::Windows1252,
                _ => CsvEncoding::Utf8,
            };
            // The decoded bytes are UTF-8: checked once, copied at most once.
            let text = String::from_utf8(text.into_owned())
                .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
            Ok((text, found))
        }
    }
}

fn utf8(bytes: &[u8], skipped: usize) -> Result<String, UsersCsvError> {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|error| {
            let offset = error.valid_up_to();
            UsersCsvError::NotUtf8 {
                line: 1 + bytes[..offset]
                    .iter()
                    .filter(|byte| **byte == b'\n')
                    .count(),
                offset: offset + skipped,
            }
        })
}

#[cfg(test)]
mod detect_tests {
    use super::*;

    #[test]
    fn a_file_mixing_utf8_with_another_byte_is_refused_not_read_wrong() {
        let mixed = b"Last Name\nLef\xC3\xA8vre\nAndr\xE9\n";
        let error = to_utf8(mixed, CsvEncoding::Detect).unwrap_err();
        assert!(
            matches!(&error, UsersCsvError::Encoding(at) if (at.line, at.column) == (3, 5)),
            "{error:?}"
        );
        let (text, found) = to_utf8(b"Andr\xE9\n", CsvEncoding::Detect).unwrap();
        assert_eq!(
            (text.as_str(), found),
            ("André\n", CsvEncoding::Windows1252)
        );
    }
}
