//! The files commands read: a path, or `-` for standard input, taken once.

use std::path::Path;

use roster::office::CsvSource;

/// Whether `path` means standard input.
pub fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// An Office import file: the file at `path`, or standard input for `-`.
pub fn office_source(path: &Path) -> CsvSource {
    match is_stdin(path) {
        true => CsvSource::reader(std::io::stdin()),
        false => CsvSource::path(path),
    }
}
