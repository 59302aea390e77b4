//! The file name of an uploaded CSV part, safe to put in a
//! `Content-Disposition` header.

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

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

/// A file name that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileNameError {
    /// The name is empty.
    #[error("the file name is empty")]
    Empty,
    /// The name is longer than 255 bytes.
    #[error("the file name is {length} bytes long; at most 255 are allowed")]
    TooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// The name holds a character a header must not carry.
    #[error("the file name {name:?} holds {what} at character {position}")]
    Forbidden {
        /// The name, with the character shown escaped.
        name: String,
        /// Which kind of character.
        what: &'static str,
        /// Its position, 1 for the first character.
        position: usize,
    },
}

impl CsvFileName {
    /// Checks and encodes a file name.
    pub fn new(name: impl Into<String>) -> Result<Self, FileNameError> {
        let original = name.into();
        if original.is_empty() {
            return Err(FileNameError::Empty);
        }
        if original.len() > 255 {
            return Err(FileNameError::TooLong {
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
            return Err(FileNameError::Forbidden {
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
