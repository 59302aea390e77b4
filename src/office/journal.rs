//! The import journal (feature `journal`): Lucca imports cannot be undone,
//! and nothing on Lucca's side stops the same file being imported twice (a
//! job re-run after a crash, two workers picking the same file). Before a
//! creation leaves, the journal records the tenant, the SHA-256 of the file
//! exactly as sent and the state: `sending`, then `accepted` (with the
//! import's `summaryId`), then `done`, or `unknown` when the answer was
//! lost. A creation of the same content for the same tenant is refused
//! while an earlier one is sending, accepted or unknown, or was done within
//! the window (24 hours unless set), unless the caller allows the repeat.
//!
//! One machine: SQLite at a path of your choosing (several processes may
//! share it; SQLite's lock makes the check and the record one step).
//!
//! ```no_run
//! use roster::office::{self, CsvSource, ImportJournal};
//! use roster::prelude::*;
//!
//! # async fn run(office: office::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let journal = ImportJournal::sqlite("/var/lib/hr-sync/imports.sqlite3")?;
//! let outcome = office
//!     .checked_import(CsvSource::Path("locations.csv".into()))
//!     .journal(&journal)
//!     .execute()
//!     .await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Where an earlier creation of the same file stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JournalState {
    /// It was being sent and its answer never recorded: the worker may have
    /// died after Lucca accepted it. Its outcome is unknown until resolved.
    Sending,
    /// Lucca accepted it (it will be applied).
    Accepted,
    /// Its outcome was read.
    Done,
    /// Its answer was lost: it may have been applied.
    Unknown,
}

impl JournalState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Accepted => "accepted",
            Self::Done => "done",
            Self::Unknown => "unknown",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "accepted" => Self::Accepted,
            "done" => Self::Done,
            "sending" => Self::Sending,
            // Anything else was written by a newer roster: the careful
            // reading.
            _ => Self::Unknown,
        }
    }
}

impl fmt::Display for JournalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sending => "was being sent and its outcome is unknown",
            Self::Accepted => "was accepted by Lucca",
            Self::Done => "was applied",
            Self::Unknown => "may have been applied (its answer was lost)",
        })
    }
}

/// An earlier creation of a file, as the journal has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    /// The tenant (the Lucca host it was sent to).
    pub tenant: String,
    /// The SHA-256 of the file as sent, in hex.
    pub sha256: String,
    /// Where it stands.
    pub state: JournalState,
    /// Lucca's `summaryId`, once accepted.
    pub summary_id: Option<String>,
    /// When it was recorded (sent, or last moved on).
    pub at: DateTime<Utc>,
}

impl fmt::Display for JournalEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an import of the same file (sha256 {}) to {} {} at {}",
            self.sha256,
            self.tenant,
            self.state,
            self.at.format("%Y-%m-%d %H:%M:%S UTC")
        )?;
        if let Some(id) = &self.summary_id {
            write!(f, " (summaryId {id})")?;
        }
        Ok(())
    }
}

/// The journal could not be used, or refused a resolution.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The journal's file could not be read or written (before a creation:
    /// nothing was sent).
    #[error("the import journal {} cannot be used", path.display())]
    Store {
        /// The journal's file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The journal has no such import to resolve.
    #[error("the import journal has no import of {sha256} to {tenant}")]
    Missing {
        /// The tenant asked for.
        tenant: String,
        /// The SHA-256 asked for.
        sha256: String,
    },
    /// Lucca accepted or applied this import: it cannot be marked not
    /// applied.
    #[error("{entry}: Lucca has it, so it cannot be marked not applied")]
    Applied {
        /// The entry.
        entry: Box<JournalEntry>,
    },
}

/// A creation recorded as `sending`: the attempt, and what the journal had
/// before it (restored if the creation surely did not leave).
#[derive(Debug)]
pub(crate) struct Claim {
    attempt: String,
    earlier: Option<JournalEntry>,
}

/// How a caller resolves an earlier creation whose outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// It was applied (checked in Lucca Office): a repeat within the window
    /// is refused as done.
    Applied,
    /// It was not applied: the entry is forgotten.
    NotApplied,
}

/// The journal of Office creations; see the [module](self).
pub struct ImportJournal {
    path: PathBuf,
    connection: Mutex<Connection>,
    window: Duration,
}

impl fmt::Debug for ImportJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportJournal")
            .field("path", &self.path)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// The default window in which a done import still refuses its repeat.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 3600);

impl ImportJournal {
    /// Opens (or creates) the SQLite journal at `path`.
    pub fn sqlite(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        let path = path.as_ref().to_owned();
        let failed = |source| JournalError::Store {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            let _ = std::fs::create_dir_all(parent);
        }
        let connection = Connection::open(&path).map_err(failed)?;
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(failed)?;
        connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS office_imports (
                     tenant TEXT NOT NULL,
                     sha256 TEXT NOT NULL,
                     state TEXT NOT NULL,
                     summary_id TEXT,
                     at TEXT NOT NULL,
                     attempt TEXT,
                     PRIMARY KEY (tenant, sha256)
                 );",
            )
            .map_err(failed)?;
        // A journal written before attempts were recorded gains the column.
        let has_attempt = connection
            .prepare("SELECT 1 FROM pragma_table_info('office_imports') WHERE name = 'attempt'")
            .and_then(|mut statement| statement.exists([]))
            .map_err(failed)?;
        if !has_attempt {
            connection
                .execute_batch("ALTER TABLE office_imports ADD COLUMN attempt TEXT;")
                .map_err(failed)?;
        }
        Ok(Self {
            path,
            connection: Mutex::new(connection),
            window: DEFAULT_WINDOW,
        })
    }

    /// Sets how long a done import refuses its repeat (24 hours by default).
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    fn failed(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Store {
            path: self.path.clone(),
            source,
        }
    }

    /// What the journal has for `tenant` and `sha256`.
    pub fn entry(&self, tenant: &str, sha256: &str) -> Result<Option<JournalEntry>, JournalError> {
        let connection = self.connection.lock();
        read(&connection, tenant, sha256).map_err(|source| self.failed(source))
    }

    /// Records `sending` for this file, in one step with the check: the
    /// earlier entry when it forbids the repeat (and `allow_repeat` is not
    /// set).
    pub(crate) fn claim(
        &self,
        tenant: &str,
        sha256: &str,
        allow_repeat: bool,
    ) -> Result<Result<Claim, JournalEntry>, JournalError> {
        let mut connection = self.connection.lock();
        let failed = |source| self.failed(source);
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let earlier = read(&transaction, tenant, sha256).map_err(failed)?;
        if let Some(earlier) = &earlier {
            let recent = Utc::now()
                .signed_duration_since(earlier.at)
                .to_std()
                .map_or(true, |age| age < self.window);
            if !allow_repeat && (earlier.state != JournalState::Done || recent) {
                return Ok(Err(earlier.clone()));
            }
        }
        let attempt = uuid::Uuid::new_v4().to_string();
        transaction
            .execute(
                "INSERT INTO office_imports (tenant, sha256, state, summary_id, at, attempt)
                 VALUES (?1, ?2, 'sending', NULL, ?3, ?4)
                 ON CONFLICT (tenant, sha256) DO UPDATE
                 SET state = 'sending', summary_id = NULL, at = ?3, attempt = ?4",
                params![tenant, sha256, Utc::now().to_rfc3339(), attempt],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        Ok(Ok(Claim { attempt, earlier }))
    }

    /// Moves a claimed creation on. `None`: it surely did not leave, so the
    /// journal goes back to what it had before the claim (if no other
    /// attempt took the entry over since). A state is written whatever the
    /// entry holds now (even if it was resolved meanwhile): a creation that
    /// left is never forgotten.
    pub(crate) fn record(
        &self,
        tenant: &str,
        sha256: &str,
        claim: &Claim,
        state: Option<(JournalState, Option<&str>)>,
    ) -> Result<(), JournalError> {
        let connection = self.connection.lock();
        let now = Utc::now().to_rfc3339();
        let result = match (state, &claim.earlier) {
            (Some((state, summary_id)), _) => connection.execute(
                "INSERT INTO office_imports (tenant, sha256, state, summary_id, at, attempt)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant, sha256) DO UPDATE
                 SET state = ?3, summary_id = COALESCE(?4, summary_id), at = ?5, attempt = ?6",
                params![
                    tenant,
                    sha256,
                    state.as_str(),
                    summary_id,
                    now,
                    claim.attempt
                ],
            ),
            (None, None) => connection.execute(
                "DELETE FROM office_imports WHERE tenant = ?1 AND sha256 = ?2 AND attempt = ?3",
                params![tenant, sha256, claim.attempt],
            ),
            (None, Some(earlier)) => connection.execute(
                "UPDATE office_imports SET state = ?3, summary_id = ?4, at = ?5, attempt = NULL
                 WHERE tenant = ?1 AND sha256 = ?2 AND attempt = ?6",
                params![
                    tenant,
                    sha256,
                    earlier.state.as_str(),
                    earlier.summary_id,
                    earlier.at.to_rfc3339(),
                    claim.attempt
                ],
            ),
        };
        result.map(drop).map_err(|source| self.failed(source))
    }

    /// Resolves an earlier creation whose outcome was unknown, once checked
    /// in Lucca Office: the entry as it was. `NotApplied` is refused for an
    /// import Lucca accepted or applied.
    pub fn resolve(
        &self,
        tenant: &str,
        sha256: &str,
        resolution: Resolution,
    ) -> Result<JournalEntry, JournalError> {
        let connection = self.connection.lock();
        let failed = |source| self.failed(source);
        let Some(entry) = read(&connection, tenant, sha256).map_err(failed)? else {
            return Err(JournalError::Missing {
                tenant: tenant.to_owned(),
                sha256: sha256.to_owned(),
            });
        };
        match resolution {
            Resolution::Applied => connection.execute(
                "UPDATE office_imports SET state = 'done', at = ?3 WHERE tenant = ?1 AND sha256 = ?2",
                params![tenant, sha256, Utc::now().to_rfc3339()],
            ),
            Resolution::NotApplied
                if matches!(entry.state, JournalState::Accepted | JournalState::Done) =>
            {
                return Err(JournalError::Applied {
                    entry: Box::new(entry),
                });
            }
            Resolution::NotApplied => connection.execute(
                "DELETE FROM office_imports WHERE tenant = ?1 AND sha256 = ?2",
                params![tenant, sha256],
            ),
        }
        .map_err(failed)?;
        Ok(entry)
    }
}

fn read(
    connection: &Connection,
    tenant: &str,
    sha256: &str,
) -> rusqlite::Result<Option<JournalEntry>> {
    connection
        .query_row(
            "SELECT state, summary_id, at FROM office_imports WHERE tenant = ?1 AND sha256 = ?2",
            params![tenant, sha256],
            |row| {
                let state: String = row.get(0)?;
                let at: String = row.get(2)?;
                Ok(JournalEntry {
                    tenant: tenant.to_owned(),
                    sha256: sha256.to_owned(),
                    state: JournalState::parse(&state),
                    summary_id: row.get(1)?,
                    // An unreadable time reads as now: the careful reading.
                    at: DateTime::parse_from_rfc3339(&at)
                        .map_or_else(|_| Utc::now(), |at| at.with_timezone(&Utc)),
                })
            },
        )
        .optional()
}
