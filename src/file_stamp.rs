//! A file's size and modification time, read before and after it is taken:
//! a file that changed meanwhile (an export still writing it) is refused,
//! never sent half-written or mixed.

use std::path::Path;
use std::time::SystemTime;

/// A file's size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    /// Bytes.
    pub length: u64,
    /// Modification time, when the platform gives one.
    pub modified: Option<SystemTime>,
}

impl std::fmt::Display for FileStamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes", self.length)?;
        if let Some(modified) = self.modified {
            write!(f, ", modified {}", httpdate::fmt_http_date(modified))?;
        }
        Ok(())
    }
}

impl FileStamp {
    pub(crate) fn of(metadata: &std::fs::Metadata) -> Self {
        Self {
            length: metadata.len(),
            modified: metadata.modified().ok(),
        }
    }

    /// `Some((before, after))` when the file at `path` (or its open
    /// `handle`) no longer matches `self`, or `read` bytes were read of a
    /// file that said it had another size.
    pub(crate) fn changed(
        self,
        handle: &std::fs::File,
        path: &Path,
        read: u64,
    ) -> std::io::Result<Option<(Self, Self)>> {
        for after in [
            Self::of(&handle.metadata()?),
            Self::of(&std::fs::metadata(path)?),
        ] {
            if after != self || read != self.length {
                let after = Self {
                    length: after.length.max(read),
                    ..after
                };
                return Ok(Some((self, after)));
            }
        }
        Ok(None)
    }
}
