//! Reading a file the library is given: one error for every file it reads
//! ([`FileError`]: which file, and what), and the one way it opens them.
//!
//! Only a regular file is read. A FIFO would block its reader until a
//! writer comes, and a device such as `/dev/zero` never ends: both are
//! refused when opened, without waiting. A file read whole is read within a
//! bound, and a file that changed while it was read is refused.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::file_stamp::FileStamp;

/// The most read of a file taken whole into memory (a users export, a
/// Docutools users file): 256 MiB, far above any HR export, far below what
/// would take the machine.
#[cfg_attr(
    not(any(feature = "directory", feature = "docutools")),
    allow(dead_code)
)]
pub(crate) const READ_WHOLE_LIMIT: u64 = 256 * 1024 * 1024;

/// A file could not be used; nothing was sent. Says which file (when there
/// is one) and what.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The file could not be opened, read or written.
    #[error("cannot read {}", shown(path.as_deref()))]
    Io {
        /// The file, when there is one (none for a private copy).
        path: Option<PathBuf>,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The path names something other than a regular file: a FIFO (which
    /// would wait for a writer), a device (which may never end), a
    /// directory.
    #[error("{} is {what}, not a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is.
        what: &'static str,
    },
    /// The file changed (its size or modification time) while it was read:
    /// an export still writing it, say. Run again once it is complete.
    #[error(
        "{} changed while it was read ({before} then {after}): nothing was sent; run again once it is complete",
        path.display()
    )]
    Changed {
        /// The file.
        path: PathBuf,
        /// Its size and modification time before.
        before: FileStamp,
        /// And after.
        after: FileStamp,
    },
    /// The file is larger than what is read of it in memory.
    #[error("{} is larger than {limit} bytes, the most that is read of it", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The bound, in bytes.
        limit: u64,
    },
    /// A CSV file's first line runs past the bound without a line end: it
    /// is no header row (a file of one huge line, or not CSV at all).
    #[error("{}: its first line runs past {limit} bytes without a line end: it is no header row", path.display())]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The bound, in bytes.
        limit: u64,
    },
    /// The file's name is empty.
    #[error("the file name is empty")]
    NameEmpty,
    /// The file's name is longer than 255 bytes.
    #[error("the file name is {length} bytes long; at most 255 are allowed")]
    NameTooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// The file's name holds a character a header must not carry.
    #[error("the file name {name:?} holds {what} at character {position}")]
    NameForbidden {
        /// The name, with the character shown escaped.
        name: String,
        /// Which kind of character.
        what: &'static str,
        /// Its position, 1 for the first character.
        position: usize,
    },
}

fn shown(path: Option<&Path>) -> String {
    path.map_or_else(
        || "a private copy".to_owned(),
        |path| path.display().to_string(),
    )
}

impl FileError {
    /// An I/O error on the file at `path`.
    pub(crate) fn io(path: &Path) -> impl Fn(io::Error) -> Self + '_ {
        |source| Self::Io {
            path: Some(path.to_owned()),
            source,
        }
    }

    /// The file concerned, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Io { path, .. } => path.as_deref(),
            Self::NotAFile { path, .. }
            | Self::Changed { path, .. }
            | Self::TooLarge { path, .. }
            | Self::LineTooLong { path, .. } => Some(path),
            Self::NameEmpty | Self::NameTooLong { .. } | Self::NameForbidden { .. } => None,
        }
    }
}

/// Opens the regular file at `path` for reading, with its stamp. Anything
/// else is [`FileError::NotAFile`], told without waiting: on Unix the file
/// is opened without blocking (a FIFO with no writer would block `open`),
/// and what was opened is what is checked.
pub(crate) fn open(path: &Path) -> Result<(File, FileStamp), FileError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(FileError::io(path))?;
    let metadata = file.metadata().map_err(FileError::io(path))?;
    if !metadata.is_file() {
        return Err(FileError::NotAFile {
            path: path.to_owned(),
            what: kind(&metadata.file_type()),
        });
    }
    Ok((file, FileStamp::of(&metadata)))
}

/// What a file type that is not a regular file is, in words.
fn kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The longest first line a CSV file is read past: a header row is a few
/// hundred bytes; a first line this long is no header (a one-line file of
/// hundreds of megabytes is refused at once, never read whole).
pub(crate) const FIRST_LINE: u64 = 64 * 1024;

/// Refuses a CSV file whose first line runs past [`FIRST_LINE`] without a
/// line end, reading no more than that; the file is left at its start.
#[cfg_attr(not(feature = "office"), allow(dead_code))]
pub(crate) fn header_fits(file: &mut File, path: &Path) -> Result<(), FileError> {
    use std::io::{Seek, SeekFrom};
    let mut head = Vec::with_capacity(FIRST_LINE as usize + 1);
    file.by_ref()
        .take(FIRST_LINE + 1)
        .read_to_end(&mut head)
        .map_err(FileError::io(path))?;
    file.seek(SeekFrom::Start(0)).map_err(FileError::io(path))?;
    first_line_ends(&head, path)
}

/// The whole regular file at `path`, at most `limit` bytes, refused if it
/// changed while it was read, or if its first line is no header row.
#[cfg_attr(
    not(any(feature = "directory", feature = "docutools")),
    allow(dead_code)
)]
pub(crate) fn read(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let (file, before) = open(path)?;
    let bytes = read_all(&mut &file, path, limit)?;
    unchanged(&file, path, before, bytes.len() as u64)?;
    Ok(bytes)
}

/// What standard input, or any reader, is called in messages.
pub(crate) const STDIN: &str = "-";

/// Everything `reader` gives, at most `limit` bytes, refused once its
/// first line runs past [`FIRST_LINE`] without a line end (only that much
/// is read then). `name` is the file, or [`STDIN`], for messages.
#[cfg_attr(
    not(any(feature = "directory", feature = "docutools")),
    allow(dead_code)
)]
pub(crate) fn read_all(
    reader: &mut dyn Read,
    name: &Path,
    limit: u64,
) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::new();
    reader
        .take(FIRST_LINE.min(limit).saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(FileError::io(name))?;
    first_line_ends(&bytes, name)?;
    let left = limit.saturating_add(1).saturating_sub(bytes.len() as u64);
    reader
        .take(left)
        .read_to_end(&mut bytes)
        .map_err(FileError::io(name))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: name.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}

/// Refuses `head`, the start of a CSV file, when it is longer than
/// [`FIRST_LINE`] and holds no line end.
pub(crate) fn first_line_ends(head: &[u8], name: &Path) -> Result<(), FileError> {
    if head.len() as u64 > FIRST_LINE && memchr::memchr(b'\n', head).is_none() {
        return Err(FileError::LineTooLong {
            path: name.to_owned(),
            limit: FIRST_LINE,
        });
    }
    Ok(())
}

/// Refuses a file whose size or modification time moved since `before`, or
/// of which `read` bytes were read while it said it had another size.
pub(crate) fn unchanged(
    file: &File,
    path: &Path,
    before: FileStamp,
    read: u64,
) -> Result<(), FileError> {
    match before
        .changed(file, path, read)
        .map_err(FileError::io(path))?
    {
        Some((before, after)) => Err(FileError::Changed {
            path: path.to_owned(),
            before,
            after,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_file_that_grows_while_it_is_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, b"login\r\n").unwrap();
        let (file, before) = open(&path).unwrap();
        let mut bytes = Vec::new();
        (&file).read_to_end(&mut bytes).unwrap();
        // The export writes on after the read.
        let mut writer = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writer.write_all(b"jdupont\r\n").unwrap();

        match unchanged(&file, &path, before, bytes.len() as u64) {
            Err(FileError::Changed {
                path: changed,
                before,
                after,
            }) => {
                assert_eq!(changed, path);
                assert_eq!((before.length, after.length), (7, 16));
            }
            other => panic!("expected a changed file, got {other:?}"),
        }
        assert!(unchanged(&file, &path, FileStamp::of(&file.metadata().unwrap()), 16).is_ok());
    }

    #[test]
    fn a_file_is_read_whole_up_to_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.csv");
        std::fs::write(&path, b"0123456789").unwrap();

        assert_eq!(read(&path, 10).unwrap(), b"0123456789");
        match read(&path, 9) {
            Err(FileError::TooLarge { path: named, limit }) => {
                assert_eq!((named, limit), (path.clone(), 9));
            }
            other => panic!("expected a file too large, got {other:?}"),
        }
    }

    #[test]
    fn a_first_line_with_no_end_is_no_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one-line.csv");
        std::fs::write(&path, vec![b'x'; FIRST_LINE as usize + 1]).unwrap();
        match read(&path, u64::MAX) {
            Err(FileError::LineTooLong { path: named, limit }) => {
                assert_eq!((named, limit), (path.clone(), FIRST_LINE));
            }
            other => panic!("expected a first line too long, got {other:?}"),
        }
        // A long file whose first line ends is read.
        let mut long = b"login\n".to_vec();
        long.resize(FIRST_LINE as usize * 2, b'x');
        std::fs::write(&path, &long).unwrap();
        assert_eq!(read(&path, u64::MAX).unwrap(), long);
    }

    #[test]
    fn a_directory_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let error = read(dir.path(), 10).unwrap_err();
        assert!(
            matches!(
                error,
                FileError::NotAFile {
                    what: "a directory",
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(error.path(), Some(dir.path()));
    }
}
