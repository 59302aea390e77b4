//! The file name of an uploaded CSV part, safe to put in a
//! `Content-Disposition` header.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::file::FileError;

/// What is percent-encoded in a sent name besides non-ASCII characters: `"`
/// (it would end the quoted name) and `%` (so that encoding is reversible).
const ENCODED: &AsciiSet = &CONTROLS.add(b'"').add(b'%');

/// A file name for the uploaded part. Control characters (CR, LF, tab…) and
/// path separators are refused; `"`, `%` and non-ASCII characters are
/// percent-encoded (as `%22`, `%25`, UTF-8 bytes), so the header never
/// carries them raw. `;` and spaces are kept: the name is quoted.
#[derive(Clone, PartialEq, Eq)]
pub struct CsvFileName {
    original: String,
    encoded: String,
}

impl CsvFileName {
    /// Checks and encodes a file name.
    pub fn new(name: impl Into<String>) -> Result<Self, FileError> {
        let original = name.into();
        if original.is_empty() {
            return Err(FileError::NameEmpty);
        }
        if original.len() > 255 {
            return Err(FileError::NameTooLong {
                length: original.len(),
            });
        }
        let forbidden = original.chars().enumerate().find_map(|(index, character)| {
            let what = match character {
                c if c.is_control() => "a control character",
                '/' | '\\' => "a path separator",
                _ => return None,
            };
            Some((index, what))
        });
        if let Some((index, what)) = forbidden {
            return Err(FileError::NameForbidden {
                name: original.escape_debug().to_string(),
                what,
                position: index + 1,
            });
        }
        let encoded = utf8_percent_encode(&original, ENCODED).to_string();
        Ok(Self { original, encoded })
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The name as it is sent: printable ASCII, no `"` or `\`.
    pub fn encoded(&self) -> &str {
        &self.encoded
    }
}

impl Default for CsvFileName {
    fn default() -> Self {
        Self {
            original: "user-locations.csv".into(),
            encoded: "user-locations.csv".into(),
        }
    }
}

impl fmt::Debug for CsvFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CsvFileName").field(&self.original).finish()
    }
}

impl fmt::Display for CsvFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}
