//! The files commands read: a path, or `-` for standard input, taken once.

use std::path::Path;

use roster::Encoding;
use roster::office::CsvSource;

use crate::exit::Failure;

/// The largest file `--encoding auto` reads whole to tell its encoding;
/// a larger one is read as UTF-8 (the local check says if it is not).
const DETECTED_WHOLE: u64 = 256 * 1024 * 1024;

/// A small file read whole (a defaults file, a saved plan): a regular file
/// of at most `limit` bytes, else refused as not being `what`.
pub fn read_small(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, Failure> {
    let small = std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() <= limit);
    if !small {
        return Err(Failure::usage(format!(
            "{}: not {what} (a regular file of at most {} MiB)",
            path.display(),
            limit >> 20
        )));
    }
    std::fs::read(path).map_err(|error| Failure::usage(format!("{}: {error}", path.display())))
}

/// `--encoding`.
pub fn parse_encoding(text: &str) -> Result<Encoding, String> {
    text.parse()
}

/// Whether `path` means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// Standard input, read once to its end.
fn stdin_bytes() -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
        .map_err(|error| Failure::usage(format!("-: {error}")))?;
    Ok(bytes)
}

/// The local check of an Office import file read in `encoding` (as
/// [`office_source`] reads it): a file in Windows-1252 is checked as the
/// UTF-8 it is sent as; one that mixes encodings is refused where.
pub fn check_office(
    path: &Path,
    encoding: Encoding,
) -> Result<Result<roster::office::CsvSummary, roster::office::CsvError>, Failure> {
    if is_stdin(path) {
        // As `office_source` reads it: UTF-8 unless Windows-1252 is given.
        let encoding = match encoding {
            Encoding::Windows1252 => Encoding::Windows1252,
            _ => Encoding::Utf8,
        };
        return match roster::decode(&stdin_bytes()?, encoding) {
            Ok((text, _)) => Ok(roster::office::check_csv(&text[..])),
            Err(error) => Err(Failure::refused(format!("-:{error}"))),
        };
    }
    let small =
        std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() <= DETECTED_WHOLE);
    if encoding == Encoding::Utf8 || !small {
        return Ok(roster::office::check_csv_file(path));
    }
    let bytes = std::fs::read(path)
        .map_err(|error| Failure::usage(format!("{}: {error}", path.display())))?;
    match roster::decode(&bytes, encoding) {
        Ok((_, Encoding::Utf8)) => Ok(roster::office::check_csv_file(path)),
        Ok((text, _)) => Ok(roster::office::check_csv(&text[..])),
        Err(error) => Err(Failure::refused(format!("{}:{error}", path.display()))),
    }
}

/// An Office import file: the file at `path`, or standard input for `-`,
/// read in `encoding`. Auto reads a file whole to tell: valid UTF-8 is sent
/// as it is, bytes with no UTF-8 sequence are Windows-1252 (said on
/// standard error), a mix is refused with the first offending byte's line
/// and column. Standard input is UTF-8 unless `windows-1252` is given.
pub fn office_source(path: &Path, encoding: Encoding) -> Result<CsvSource, Failure> {
    let read_whole = |path: &Path| -> Result<Vec<u8>, Failure> {
        match is_stdin(path) {
            true => stdin_bytes(),
            false => std::fs::read(path)
                .map_err(|error| Failure::usage(format!("{}: {error}", path.display()))),
        }
    };
    let regular_and_small =
        std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() <= DETECTED_WHOLE);
    let named = |source: CsvSource| match path.file_name().and_then(|name| name.to_str()) {
        Some(name) => match roster::CsvFileName::new(name) {
            Ok(name) => source.with_file_name(name),
            Err(_) => source,
        },
        None => source,
    };
    match (encoding, is_stdin(path)) {
        (Encoding::Windows1252, _) => Ok(named(CsvSource::windows_1252(&read_whole(path)?))),
        (Encoding::Auto, false) if regular_and_small => {
            let bytes = read_whole(path)?;
            match roster::decode(&bytes, Encoding::Auto) {
                Ok((_, Encoding::Windows1252)) => {
                    eprintln!(
                        "roster: {} has no UTF-8 sequence: read as Windows-1252 (--encoding utf-8 to refuse it)",
                        path.display()
                    );
                    Ok(named(CsvSource::windows_1252(&bytes)))
                }
                Ok(_) => Ok(CsvSource::path(path)),
                Err(error) => Err(Failure::refused(format!(
                    "{}:{error}\nnothing was sent",
                    path.display()
                ))),
            }
        }
        (_, true) => Ok(CsvSource::reader(std::io::stdin())),
        (_, false) => Ok(CsvSource::path(path)),
    }
}
