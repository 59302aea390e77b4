//! One snapshot per import: the file is taken once, hashed while it is
//! taken, and everything after (the check, the simulation, the journal's
//! hash, the creation) reads that snapshot, never the file again. A file
//! over Lucca's platform limit is cut into parts under it, between rows.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::journal::hex;

use super::csv_check::{CsvError, CsvSummary, check_csv};
use super::csv_format::{BOM, DELIMITER};
use super::csv_write::UserLocationCsvWriter;
use super::row::UserLocationRow;
use super::upload::CsvUpload;
use crate::file::FileError;
use crate::file_name::CsvFileName;
use crate::in_parts::Cuts;

/// Lucca answers `413` to payloads over 100 MB (Lucca's API reference,
/// "Rate limits and sizes"), read as decimal megabytes, the stricter
/// reading.
pub const PLATFORM_LIMIT: u64 = 100_000_000;

/// What the multipart envelope adds to a part's bytes (boundaries, the
/// part's headers, a file name of up to 255 bytes), with room to spare.
pub const ENVELOPE_MARGIN: u64 = 4096;

/// The most read from a reader (standard input): 8 GiB, taken to a private
/// copy on disk and sent in parts; a stream that never ends stops there.
pub const READER_LIMIT: u64 = 8 * 1024 * 1024 * 1024;

/// A snapshot this large or smaller is kept in memory; a larger one is a
/// private copy on disk.
pub const IN_MEMORY: u64 = 16 * 1024 * 1024;

/// Where a snapshot's bytes are.
#[derive(Debug, Clone)]
enum Content {
    Memory(Bytes),
    /// A private copy with no name (unlinked at once): the system deletes
    /// it with its last handle, even when the process exits abruptly.
    /// Readers are handles on it, used one after the other, each seeking
    /// first.
    Disk(Arc<File>),
}

/// The bytes of one import, exactly as they are sent (starting with one
/// BOM), taken once.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    content: Content,
    length: u64,
    sha256: String,
    file_name: CsvFileName,
    origin: Option<PathBuf>,
}

/// The snapshot could not be taken: nothing was sent. The caller sees it
/// as the [`ImportError`](super::ImportError) of the same name.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SnapshotError {
    /// The file, or the private copy, could not be used.
    #[error(transparent)]
    File(#[from] FileError),
    /// One row alone is larger than a part may be: the file cannot be cut
    /// under the platform's limit (said by `ImportError::RowTooLarge`).
    #[error("row {} alone is over the limit of a part", .0.record)]
    RowTooLarge(crate::in_parts::TooLarge),
}

impl From<crate::in_parts::TooLarge> for SnapshotError {
    fn from(too_large: crate::in_parts::TooLarge) -> Self {
        Self::RowTooLarge(too_large)
    }
}

impl From<io::Error> for SnapshotError {
    /// The private copy could not be written or read.
    fn from(source: io::Error) -> Self {
        Self::File(FileError::Io { path: None, source })
    }
}

/// Bytes being taken: in memory until [`IN_MEMORY`], then on disk, hashed
/// as they come.
struct Spool {
    memory: Vec<u8>,
    disk: Option<File>,
    hasher: Sha256,
    length: u64,
    bound: u64,
}

impl Spool {
    fn new(bound: u64) -> Self {
        Self {
            memory: Vec::new(),
            disk: None,
            hasher: Sha256::new(),
            length: 0,
            bound,
        }
    }

    fn with_capacity(bound: u64, capacity: usize) -> Self {
        Self {
            memory: Vec::with_capacity(capacity),
            ..Self::new(bound)
        }
    }

    /// Takes everything `reader` gives, with exactly one BOM in front;
    /// returns how many bytes the reader gave.
    fn take(mut self, reader: &mut dyn Read) -> io::Result<(Self, u64)> {
        let mut head = [0_u8; 3];
        let mut read = 0;
        while read < head.len() {
            match reader.read(&mut head[read..]) {
                Ok(0) => break,
                Ok(count) => read += count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        if head[..read] != *BOM {
            self.write_all(BOM)?;
        }
        self.write_all(&head[..read])?;
        let copied = io::copy(reader, &mut self)? + read as u64;
        Ok((self, copied))
    }

    fn finish(mut self) -> io::Result<(Content, u64, String)> {
        let sha256 = hex(&self.hasher.finalize_reset());
        let content = match self.disk {
            Some(mut disk) => {
                disk.flush()?;
                Content::Disk(Arc::new(disk))
            }
            None => Content::Memory(Bytes::from(self.memory)),
        };
        Ok((content, self.length, sha256))
    }
}

impl Write for Spool {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.hasher.update(bytes);
        self.length += bytes.len() as u64;
        if self.disk.is_none() && self.length > self.bound {
            let mut disk = tempfile::tempfile()?;
            disk.write_all(&self.memory)?;
            self.memory = Vec::new();
            self.disk = Some(disk);
        }
        match &mut self.disk {
            Some(disk) => disk.write_all(bytes)?,
            None => self.memory.extend_from_slice(bytes),
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.disk {
            Some(disk) => disk.flush(),
            None => Ok(()),
        }
    }
}

impl Snapshot {
    /// The file at `path`, taken once; a change of its size or modification
    /// time while it is read is [`FileError::Changed`], and anything but a
    /// regular file is refused before it is read.
    pub(crate) fn of_file(path: &Path, bound: u64) -> Result<Self, SnapshotError> {
        let (mut file, before) = crate::file::open(path)?;
        crate::file::header_fits(&mut file, path)?;
        // A file known to be large goes to disk from its first byte (no
        // 16 MiB buffer on the way); a small one is read into one buffer.
        let spool = match before.length > bound {
            true => Spool::new(0),
            false => Spool::with_capacity(bound, before.length as usize + BOM.len()),
        };
        let (spool, read) = spool.take(&mut file).map_err(FileError::io(path))?;
        crate::file::unchanged(&file, path, before, read)?;
        let (content, length, sha256) = spool.finish().map_err(FileError::io(path))?;
        let file_name = path
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| CsvFileName::new(name).ok())
            .unwrap_or_default();
        Ok(Self {
            content,
            length,
            sha256,
            file_name,
            origin: Some(path.to_owned()),
        })
    }

    /// Everything `reader` gives, taken once (one BOM put in front when it
    /// has none): at most [`READER_LIMIT`] bytes, and refused once its first
    /// line runs past 64 KiB without a line end.
    pub(crate) fn of_reader(reader: &mut dyn Read, bound: u64) -> Result<Self, SnapshotError> {
        let name = Path::new(crate::file::STDIN);
        let mut head = Vec::new();
        reader
            .take(crate::file::FIRST_LINE + 1)
            .read_to_end(&mut head)
            .map_err(FileError::io(name))?;
        crate::file::first_line_ends(&head, name)?;
        let left = (READER_LIMIT + 1).saturating_sub(head.len() as u64);
        let mut whole = io::Cursor::new(head).chain(reader.take(left));
        let (spool, read) = Spool::new(bound).take(&mut whole)?;
        if read > READER_LIMIT {
            return Err(FileError::TooLarge {
                path: name.to_owned(),
                limit: READER_LIMIT,
            }
            .into());
        }
        Ok(Self::of_spool(spool)?)
    }

    /// What a spool took, with no file behind it.
    fn of_spool(spool: Spool) -> io::Result<Self> {
        let (content, length, sha256) = spool.finish()?;
        Ok(Self {
            content,
            length,
            sha256,
            file_name: CsvFileName::default(),
            origin: None,
        })
    }

    /// The same snapshot, sent under `file_name`.
    pub(crate) fn named(self, file_name: CsvFileName) -> Self {
        Self { file_name, ..self }
    }

    /// Its length in bytes, as sent.
    pub(crate) fn length(&self) -> u64 {
        self.length
    }

    /// Bytes already in memory (one BOM put in front when they have none).
    pub(crate) fn of_bytes(bytes: Bytes) -> Self {
        let bytes = super::upload::with_one_bom(bytes);
        let sha256 = hex(&Sha256::digest(&bytes));
        Self {
            length: bytes.len() as u64,
            content: Content::Memory(bytes),
            sha256,
            file_name: CsvFileName::default(),
            origin: None,
        }
    }

    /// Typed rows, written once (validated before: see `validate_row`).
    pub(crate) fn of_rows(rows: &[UserLocationRow], bound: u64) -> Result<Self, SnapshotError> {
        let io_error = |source| SnapshotError::from(source);
        let write_error = |error: super::CsvError| io_error(io::Error::other(error));
        let mut writer = UserLocationCsvWriter::new(Spool::new(bound)).map_err(write_error)?;
        for row in rows {
            writer.write_row(row).map_err(write_error)?;
        }
        let spool = writer.finish().map_err(write_error)?;
        Self::of_spool(spool).map_err(io_error)
    }

    /// The SHA-256 of the bytes, in hex.
    pub(crate) fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The file it was taken from, if any.
    pub(crate) fn origin(&self) -> Option<&Path> {
        self.origin.as_deref()
    }

    /// A reader of the bytes from `start`.
    pub(super) fn reader(&self, start: u64) -> io::Result<Box<dyn Read + Send>> {
        match &self.content {
            Content::Memory(bytes) => {
                let start = usize::try_from(start)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                Ok(Box::new(io::Cursor::new(bytes.slice(start..))))
            }
            Content::Disk(file) => {
                let mut file = file.try_clone()?;
                file.seek(io::SeekFrom::Start(start))?;
                Ok(Box::new(BufReader::with_capacity(256 * 1024, file)))
            }
        }
    }

    /// Checks the snapshot (errors name the file it was taken from).
    pub(crate) fn check(&self) -> Result<CsvSummary, CsvError> {
        let checked = self
            .reader(0)
            .map_err(|source| CsvError::Io { file: None, source })
            .and_then(check_csv);
        match &self.origin {
            Some(path) => checked.map_err(|error| error.with_file(path)),
            None => checked,
        }
    }

    /// Cuts the snapshot into parts of at most `limit` bytes each (the
    /// header in each, no row cut); one part when it fits.
    pub(crate) fn parts(&self, limit: u64) -> Result<Vec<ImportPart>, SnapshotError> {
        if self.length <= limit {
            return Ok(vec![ImportPart {
                number: 1,
                of: 1,
                header: 0,
                start: 0,
                end: self.length,
                first_row: 0,
                rows: None,
                sha256: self.sha256.clone(),
            }]);
        }
        let io_error = |source| {
            SnapshotError::File(FileError::Io {
                path: self.origin.clone(),
                source,
            })
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(DELIMITER)
            .flexible(true)
            .from_reader(self.reader(0).map_err(io_error)?);
        let mut record = csv::ByteRecord::new();
        let read = |reader: &mut csv::Reader<_>, record: &mut csv::ByteRecord| {
            reader
                .read_byte_record(record)
                .map_err(|error| io_error(io::Error::other(error)))
        };
        // Each record's start; a record ends where the next starts.
        let mut last: Option<u64> = None;
        let mut header_read = false;
        let mut header = self.length;
        let mut cut = Cuts::new(limit);
        while read(&mut reader, &mut record)? {
            let start = record.position().map_or(0, csv::Position::byte);
            if !header_read {
                header_read = true;
                continue;
            }
            match last {
                Some(previous) => cut.add(previous, start)?,
                None => {
                    header = start;
                    cut.begin(header);
                }
            }
            last = Some(start);
        }
        if let Some(previous) = last {
            cut.add(previous, self.length)?;
        }
        // A record's position is where the parser took it up, which after
        // a `\r\n` is the `\n`: a boundary moves past it (a byte the
        // envelope margin covers), so that every part ends with its line's
        // end and the header keeps its own.
        let align = |offset: u64| -> Result<u64, SnapshotError> {
            let mut byte = [0_u8; 1];
            let read = self
                .reader(offset)
                .and_then(|mut reader| reader.read(&mut byte));
            Ok(match read.map_err(io_error)? {
                1 if byte[0] == b'\n' => offset + 1,
                _ => offset,
            })
        };
        let header = align(header)?;
        let cuts = cut
            .finish(self.length)
            .into_iter()
            .map(|cut| {
                let start = if cut.start == 0 { 0 } else { align(cut.start)? };
                Ok((start, align(cut.end)?, cut.records_before, cut.records))
            })
            .collect::<Result<Vec<_>, SnapshotError>>()?;
        let of = cuts.len();
        cuts.into_iter()
            .enumerate()
            .map(|(index, (start, end, first_row, rows))| {
                let header = if index == 0 { 0 } else { header };
                let mut part = ImportPart {
                    number: index + 1,
                    of,
                    header,
                    start,
                    end,
                    first_row,
                    rows: Some(rows),
                    sha256: String::new(),
                };
                part.sha256 = self.hash_part(&part).map_err(io_error)?;
                Ok(part)
            })
            .collect()
    }

    fn hash_part(&self, part: &ImportPart) -> io::Result<String> {
        let mut hasher = Sha256::new();
        io::copy(
            &mut self.reader(0)?.take(part.header),
            &mut HashWriter(&mut hasher),
        )?;
        io::copy(
            &mut self.reader(part.start)?.take(part.end - part.start),
            &mut HashWriter(&mut hasher),
        )?;
        Ok(hex(&hasher.finalize()))
    }

    /// An upload of `part`'s bytes, exactly those hashed.
    pub(crate) fn upload(&self, part: &ImportPart) -> io::Result<CsvUpload> {
        let file_name = self.part_name(part);
        let length = part.header + (part.end - part.start);
        let body = match &self.content {
            Content::Memory(bytes) => {
                let to = |at: u64| usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len());
                let chunks = [
                    bytes.slice(..to(part.header)),
                    bytes.slice(to(part.start)..to(part.end)),
                ];
                let stream = futures_util::stream::iter(
                    chunks
                        .into_iter()
                        .filter(|chunk| !chunk.is_empty())
                        .map(Ok::<_, io::Error>),
                );
                reqwest::Body::wrap_stream(stream)
            }
            Content::Disk(file) => {
                use futures_util::StreamExt;
                use tokio::io::AsyncReadExt;
                let header = {
                    let mut header = vec![0; usize::try_from(part.header).unwrap_or(0)];
                    let mut start = file.try_clone()?;
                    start.seek(io::SeekFrom::Start(0))?;
                    start.read_exact(&mut header)?;
                    Bytes::from(header)
                };
                let mut reopened = file.try_clone()?;
                reopened.seek(io::SeekFrom::Start(part.start))?;
                let rest = tokio::fs::File::from_std(reopened).take(part.end - part.start);
                let head = futures_util::stream::iter(
                    Some(header)
                        .filter(|header| !header.is_empty())
                        .map(Ok::<_, io::Error>),
                );
                let rest = tokio_util::io::ReaderStream::with_capacity(rest, 256 * 1024);
                reqwest::Body::wrap_stream(head.chain(rest))
            }
        };
        Ok(CsvUpload::from_body(body, length, file_name))
    }

    /// `people.csv`, or `people-part-2-of-3.csv` for a part.
    fn part_name(&self, part: &ImportPart) -> CsvFileName {
        if part.of == 1 {
            return self.file_name.clone();
        }
        let name = self.file_name.as_str();
        let stem = name
            .strip_suffix(".csv")
            .or_else(|| name.strip_suffix(".CSV"))
            .unwrap_or(name);
        CsvFileName::new(format!("{stem}-part-{}-of-{}.csv", part.number, part.of))
            .unwrap_or_else(|_| self.file_name.clone())
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One part of an import file: the header (again, after the first part)
/// and whole rows. A file under the limit is one part, the file itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportPart {
    /// 1 for the first.
    pub number: usize,
    /// How many parts.
    pub of: usize,
    /// The BOM and header bytes put in front (0 for the first part).
    header: u64,
    start: u64,
    end: u64,
    /// Rows before this part's first.
    pub first_row: u64,
    /// Its rows, when counted (a file in one part is not).
    pub rows: Option<u64>,
    /// The SHA-256 of the part as sent (hex): the journal's key.
    pub sha256: String,
}

impl ImportPart {
    /// The bytes sent.
    pub fn length(&self) -> u64 {
        self.header + (self.end - self.start)
    }
}
