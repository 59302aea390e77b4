//! How an export's bytes are read as text: UTF-8, or Windows-1252 (what
//! French Excel's "CSV (séparateur: point-virgule)" writes, without a BOM),
//! found by [`Encoding::Auto`] (see [`decode`]).

use std::borrow::Cow;

/// The text encoding of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Encoding {
    /// Valid UTF-8 is UTF-8; bytes with no UTF-8 sequence at all are
    /// Windows-1252; a file that mixes both is refused.
    #[default]
    Auto,
    /// UTF-8 (a BOM is kept).
    Utf8,
    /// Windows-1252 (every byte is a character).
    Windows1252,
}

impl std::str::FromStr for Encoding {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "windows-1252" | "cp1252" | "latin1" => Ok(Self::Windows1252),
            _ => Err(format!(
                "{name:?} is no encoding: auto, utf-8 or windows-1252"
            )),
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Utf8 => "utf-8",
            Self::Windows1252 => "windows-1252",
        })
    }
}

/// Bytes that are not text in the encoding asked (or, asked `auto`, mix
/// UTF-8 with other bytes): where the first offending byte is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{line}:{column}: the byte 0x{byte:02X} is not UTF-8{}",
    if *mixed { " though the file has UTF-8 elsewhere: it mixes two encodings; save it again in one (UTF-8)" } else { "; read it as windows-1252 if that is what wrote it" }
)]
pub struct EncodingError {
    /// The line (from 1).
    pub line: u64,
    /// The column, in bytes (from 1).
    pub column: u64,
    /// The byte.
    pub byte: u8,
    /// Whether the file has valid UTF-8 sequences elsewhere.
    pub mixed: bool,
}

/// `bytes` as UTF-8, and the encoding they were read in (never `Auto`).
///
/// ```
/// use roster::{Encoding, decode};
///
/// let excel = b"login;lastName\nlefevre;Lef\xE8vre\n";
/// let (text, found) = decode(excel, Encoding::Auto)?;
/// assert_eq!(found, Encoding::Windows1252);
/// assert!(std::str::from_utf8(&text)?.contains("Lefèvre"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode(
    bytes: &[u8],
    encoding: Encoding,
) -> Result<(Cow<'_, [u8]>, Encoding), EncodingError> {
    let windows_1252 = |bytes: &[u8]| Cow::Owned(windows_1252(bytes).into_bytes());
    match encoding {
        Encoding::Windows1252 => Ok((windows_1252(bytes), Encoding::Windows1252)),
        Encoding::Utf8 | Encoding::Auto => match std::str::from_utf8(bytes) {
            Ok(_) => Ok((Cow::Borrowed(bytes), Encoding::Utf8)),
            Err(error) => {
                let at = error.valid_up_to();
                let mixed = has_utf8_sequence(bytes);
                if encoding == Encoding::Auto && !mixed {
                    return Ok((windows_1252(bytes), Encoding::Windows1252));
                }
                let before = &bytes[..at];
                let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
                let start = memchr::memrchr(b'\n', before).map_or(0, |at| at + 1);
                Err(EncodingError {
                    line,
                    column: (at - start) as u64 + 1,
                    byte: bytes[at],
                    mixed,
                })
            }
        },
    }
}

/// Windows-1252 bytes as text: every byte is a character (a BOM's bytes
/// too: they are not sniffed). The one decoder every reader uses.
pub(crate) fn windows_1252(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// Whether `bytes` hold a valid multi-byte UTF-8 sequence anywhere.
fn has_utf8_sequence(bytes: &[u8]) -> bool {
    bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_stays_and_mixed_bytes_are_refused_where_they_are() {
        let utf8 = "login;lastName\nlefevre;Lefèvre\n".as_bytes();
        assert_eq!(decode(utf8, Encoding::Auto).unwrap().1, Encoding::Utf8);
        let mixed = b"login;lastName\nlefevre;Lef\xC3\xA8vre\nstray;Andr\xE9\n";
        let error = decode(mixed, Encoding::Auto).unwrap_err();
        assert_eq!((error.line, error.column, error.byte), (3, 11, 0xE9));
        assert!(error.mixed);
        let error = decode(b"a\n\xE9", Encoding::Utf8).unwrap_err();
        assert_eq!((error.line, error.column, error.mixed), (2, 1, false));
        let (text, _) = decode(b"Andr\xE9", Encoding::Windows1252).unwrap();
        assert_eq!(&text[..], "André".as_bytes());
    }
}
