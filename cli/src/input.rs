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

/// Whether `path` means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// A check's message in the command line's words: the reading the library
/// suggests for a Windows-1252 file is a flag here.
pub fn in_cli_words(text: &str) -> String {
    text.replace(
        "read it as Windows-1252",
        "read it as Windows-1252 (`--encoding windows-1252`)",
    )
}

/// Writes `contents` to `path` with mode 0600, whole or not at all (a file
/// beside it, renamed over it): a config, a key, a saved plan.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), Failure> {
    let failed = |error: std::io::Error| Failure::usage(format!("{}: {error}", path.display()));
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::Builder::new()
        .prefix(".roster-")
        .tempfile_in(dir)
        .map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    std::io::Write::write_all(&mut file, contents).map_err(failed)?;
    file.as_file().sync_all().map_err(failed)?;
    file.persist(path).map_err(|error| failed(error.error))?;
    Ok(())
}

/// Says on standard error that `--encoding auto` read `path` as
/// Windows-1252.
pub fn note_windows_1252(path: &Path) {
    crate::ui::emit_err(format_args!(
        "roster: {} has no UTF-8 sequence: read as Windows-1252 (--encoding utf-8 to refuse it)",
        path.display()
    ));
}

/// Standard input, read once to its end.
fn stdin_bytes() -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
        .map_err(|error| Failure::usage(format!("-: {error}")))?;
    Ok(bytes)
}

/// How an Office import file is read.
enum Reading {
    /// As it is: UTF-8, streamed from the file or standard input.
    AsItIs,
    /// Its bytes, read whole, in Windows-1252 (`detected`: found by `auto`).
    Windows1252 { bytes: Vec<u8>, detected: bool },
}

/// How the file at `path` (`-`: standard input) is read in `encoding`.
/// Auto reads a regular file whole to tell: valid UTF-8 is read as it is,
/// bytes with no UTF-8 sequence are Windows-1252, a mix is the inner error
/// (the first offending byte's line and column). Standard input is UTF-8
/// unless `windows-1252` is given.
fn office_reading(
    path: &Path,
    encoding: Encoding,
) -> Result<Result<Reading, roster::EncodingError>, Failure> {
    let read_whole = |path: &Path| -> Result<Vec<u8>, Failure> {
        match is_stdin(path) {
            true => stdin_bytes(),
            false => std::fs::read(path)
                .map_err(|error| Failure::usage(format!("{}: {error}", path.display()))),
        }
    };
    let regular_and_small =
        std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() <= DETECTED_WHOLE);
    Ok(match (encoding, is_stdin(path)) {
        (Encoding::Windows1252, _) => Ok(Reading::Windows1252 {
            bytes: read_whole(path)?,
            detected: false,
        }),
        (Encoding::Auto, false) if regular_and_small => {
            let bytes = read_whole(path)?;
            match roster::decode(&bytes, Encoding::Auto) {
                Ok((_, Encoding::Windows1252)) => Ok(Reading::Windows1252 {
                    bytes,
                    detected: true,
                }),
                Ok(_) => Ok(Reading::AsItIs),
                Err(error) => Err(error),
            }
        }
        _ => Ok(Reading::AsItIs),
    })
}

/// The local check of an Office import file read in `encoding`, as
/// [`office_source`] reads it: a file in Windows-1252 is checked as the
/// UTF-8 it is sent as; one that mixes encodings is refused where.
pub fn check_office(
    path: &Path,
    encoding: Encoding,
) -> Result<Result<roster::office::CsvSummary, roster::office::CsvError>, Failure> {
    match office_reading(path, encoding)? {
        Err(error) => Err(Failure::refused(format!("{}:{error}", path.display()))),
        Ok(Reading::AsItIs) if is_stdin(path) => {
            Ok(roster::office::check_csv(std::io::stdin().lock()))
        }
        Ok(Reading::AsItIs) => Ok(roster::office::check_csv_file(path)),
        Ok(Reading::Windows1252 { bytes, .. }) => {
            match roster::decode(&bytes, Encoding::Windows1252) {
                Ok((text, _)) => Ok(roster::office::check_csv(&text[..])),
                Err(error) => Err(Failure::refused(format!("{}:{error}", path.display()))),
            }
        }
    }
}

/// An Office import file: the file at `path`, or standard input for `-`,
/// read in `encoding` (see [`office_reading`]); a file found to be
/// Windows-1252 is said on standard error.
pub fn office_source(path: &Path, encoding: Encoding) -> Result<CsvSource, Failure> {
    let named = |source: CsvSource| match path.file_name().and_then(|name| name.to_str()) {
        Some(name) => match roster::CsvFileName::new(name) {
            Ok(name) => source.with_file_name(name),
            Err(_) => source,
        },
        None => source,
    };
    match office_reading(path, encoding)? {
        Err(error) => Err(Failure::refused(format!(
            "{}:{error}\nnothing was sent",
            path.display()
        ))),
        Ok(Reading::Windows1252 { bytes, detected }) => {
            if detected {
                note_windows_1252(path);
            }
            Ok(named(CsvSource::windows_1252(&bytes)))
        }
        Ok(Reading::AsItIs) if is_stdin(path) => Ok(CsvSource::reader(std::io::stdin())),
        Ok(Reading::AsItIs) => Ok(CsvSource::path(path)),
    }
}
