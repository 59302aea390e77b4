//! The journal in SQLite, for one machine: several processes may share the
//! file; SQLite's lock makes the check and the record one step.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Claim, Claiming, JournalEntry, JournalError, JournalState, Pending, Resolution, Resolved,
    Store, forbids_repeat,
};

/// An open SQLite journal.
pub(super) struct SqliteJournal {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl SqliteJournal {
    /// Opens (or creates) the journal at `path`.
    pub(super) fn open(path: &Path) -> Result<Self, JournalError> {
        let path = path.to_owned();
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
                     file TEXT,
                     PRIMARY KEY (tenant, sha256)
                 );",
            )
            .map_err(failed)?;
        // A journal written before attempts (or files) were recorded gains
        // the column.
        for column in ["attempt", "file", "owner", "lease_until"] {
            let has = connection
                .prepare("SELECT 1 FROM pragma_table_info('office_imports') WHERE name = ?1")
                .and_then(|mut statement| statement.exists([column]))
                .map_err(failed)?;
            if !has {
                let added = connection.execute_batch(&format!(
                    "ALTER TABLE office_imports ADD COLUMN {column} TEXT;"
                ));
                // Another process opening the same old journal may have
                // added it first.
                match added {
                    Err(error) if error.to_string().contains("duplicate column name") => {}
                    other => other.map_err(failed)?,
                }
            }
        }
        Ok(Self {
            path,
            connection: Mutex::new(connection),
        })
    }

    /// The journal's file.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    fn failed(&self, source: rusqlite::Error) -> JournalError {
        JournalError::Store {
            path: self.path.clone(),
            source,
        }
    }

    pub(super) fn entry(
        &self,
        tenant: &str,
        sha256: &str,
    ) -> Result<Option<JournalEntry>, JournalError> {
        let connection = self.connection.lock();
        read(&connection, tenant, sha256).map_err(|source| self.failed(source))
    }

    /// Every entry, newest first.
    pub(super) fn entries(&self) -> Result<Vec<JournalEntry>, JournalError> {
        let connection = self.connection.lock();
        let listed = connection
            .prepare(&format!(
                "SELECT {COLUMNS} FROM office_imports ORDER BY at DESC"
            ))
            .and_then(|mut statement| {
                statement
                    .query_map([], entry_of)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            });
        listed.map_err(|source| self.failed(source))
    }

    pub(super) fn claim(
        &self,
        claim: &Claiming,
    ) -> Result<Result<Claim, JournalEntry>, JournalError> {
        let Claiming {
            tenant,
            sha256,
            allow_repeat,
            window,
            file,
            owner,
            lease,
        } = claim;
        let (allow_repeat, window, file) = (*allow_repeat, *window, file.as_deref());
        let mut connection = self.connection.lock();
        let failed = |source| self.failed(source);
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let earlier = read(&transaction, tenant, sha256).map_err(failed)?;
        if let Some(earlier) = &earlier
            && !allow_repeat
            && forbids_repeat(earlier, window)
        {
            return Ok(Err(earlier.clone()));
        }
        let attempt = uuid::Uuid::new_v4().to_string();
        transaction
            .execute(
                "INSERT INTO office_imports
                     (tenant, sha256, state, summary_id, at, attempt, file, owner, lease_until)
                 VALUES (?1, ?2, 'sending', NULL, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (tenant, sha256) DO UPDATE
                 SET state = 'sending', summary_id = NULL, at = ?3, attempt = ?4,
                     file = COALESCE(?5, file), owner = ?6, lease_until = ?7",
                params![
                    tenant,
                    sha256,
                    Utc::now().to_rfc3339(),
                    attempt,
                    file,
                    owner,
                    lease_end(*lease)
                ],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        Ok(Ok(Claim {
            attempt,
            earlier,
            lease: *lease,
        }))
    }

    pub(super) fn record(
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
                "DELETE FROM office_imports
                 WHERE tenant = ?1 AND sha256 = ?2 AND attempt = ?3 AND state = 'sending'",
                params![tenant, sha256, claim.attempt],
            ),
            (None, Some(earlier)) => connection.execute(
                "UPDATE office_imports SET state = ?3, summary_id = ?4, at = ?5, attempt = NULL,
                     owner = NULL, lease_until = NULL
                 WHERE tenant = ?1 AND sha256 = ?2 AND attempt = ?6 AND state = 'sending'",
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

    /// Runs the lease of `claim` on, while the entry is still its own.
    pub(super) fn renew(
        &self,
        tenant: &str,
        sha256: &str,
        claim: &Claim,
    ) -> Result<(), JournalError> {
        let connection = self.connection.lock();
        connection
            .execute(
                "UPDATE office_imports SET lease_until = ?4
                 WHERE tenant = ?1 AND sha256 = ?2 AND attempt = ?3",
                params![tenant, sha256, claim.attempt, lease_end(claim.lease)],
            )
            .map(drop)
            .map_err(|source| self.failed(source))
    }

    pub(super) fn resolve(
        &self,
        tenant: &str,
        sha256: &str,
        resolution: Resolution,
    ) -> Result<Option<(JournalEntry, Resolved)>, JournalError> {
        let mut connection = self.connection.lock();
        let failed = |source| self.failed(source);
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        let Some(entry) = read(&transaction, tenant, sha256).map_err(failed)? else {
            return Ok(None);
        };
        // Marking it applied refuses repeats, so it may come at any time;
        // forgetting it may not while a run holds it.
        if entry.is_held() && resolution == Resolution::NotApplied {
            return Ok(Some((entry, Resolved::Held)));
        }
        match resolution {
            Resolution::Applied => transaction.execute(
                "UPDATE office_imports SET state = 'done', at = ?3 WHERE tenant = ?1 AND sha256 = ?2",
                params![tenant, sha256, Utc::now().to_rfc3339()],
            ),
            Resolution::NotApplied if entry.state.reached_lucca() => Ok(0),
            Resolution::NotApplied => transaction.execute(
                "DELETE FROM office_imports WHERE tenant = ?1 AND sha256 = ?2",
                params![tenant, sha256],
            ),
        }
        .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        Ok(Some((entry, Resolved::Done)))
    }
}

/// The end of a lease of `lease` starting now, as stored.
fn lease_end(lease: Duration) -> String {
    chrono::Duration::from_std(lease)
        .ok()
        .and_then(|lease| Utc::now().checked_add_signed(lease))
        .unwrap_or_else(Utc::now)
        .to_rfc3339()
}

/// A stored lease's end.
fn until(text: Option<String>) -> Option<chrono::DateTime<Utc>> {
    let text = text?;
    chrono::DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|until| until.with_timezone(&Utc))
}

fn read(
    connection: &Connection,
    tenant: &str,
    sha256: &str,
) -> rusqlite::Result<Option<JournalEntry>> {
    connection
        .query_row(
            &format!("SELECT {COLUMNS} FROM office_imports WHERE tenant = ?1 AND sha256 = ?2"),
            params![tenant, sha256],
            entry_of,
        )
        .optional()
}

/// The columns an entry is read from, in [`entry_of`]'s order.
const COLUMNS: &str = "tenant, sha256, state, summary_id, at, file, owner, lease_until";

/// An entry from a row of [`COLUMNS`].
fn entry_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<JournalEntry> {
    let (tenant, sha256, state, at): (String, String, String, String) =
        (row.get(0)?, row.get(1)?, row.get(2)?, row.get(4)?);
    let entry = JournalEntry::read(&tenant, &sha256, &state, row.get(3)?, &at)
        .held_by(row.get(6)?, until(row.get(7)?));
    Ok(JournalEntry {
        file: row.get(5)?,
        ..entry
    })
}

impl super::ImportJournal {
    /// Opens (or creates) the SQLite journal at `path` (feature `journal`).
    pub fn sqlite(path: impl AsRef<Path>) -> Result<Self, JournalError> {
        let journal = SqliteJournal::open(path.as_ref())?;
        Ok(Self::of(OffRuntime(Arc::new(journal))))
    }
}

/// The SQLite journal as a store: each call runs on a blocking thread, so
/// that a lock held by another process (waited on up to the busy timeout)
/// never stalls the async runtime, not even a current-thread one.
struct OffRuntime(Arc<SqliteJournal>);

impl OffRuntime {
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&SqliteJournal) -> Result<T, JournalError> + Send + 'static,
    ) -> Pending<'static, T> {
        let journal = Arc::clone(&self.0);
        let path = journal.path().to_owned();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || work(&journal))
                .await
                .unwrap_or_else(|source| Err(JournalError::Thread { path, source }))
        })
    }
}

impl Store for OffRuntime {
    fn place(&self) -> String {
        self.0.path().display().to_string()
    }

    fn entries(&self) -> Pending<'_, Vec<JournalEntry>> {
        self.run(|journal| journal.entries())
    }

    fn entry(&self, tenant: String, sha256: String) -> Pending<'_, Option<JournalEntry>> {
        self.run(move |journal| journal.entry(&tenant, &sha256))
    }

    fn claim(&self, claim: Claiming) -> Pending<'_, Result<Claim, JournalEntry>> {
        self.run(move |journal| journal.claim(&claim))
    }

    fn record(
        &self,
        tenant: String,
        sha256: String,
        claim: Claim,
        state: Option<(JournalState, Option<String>)>,
    ) -> Pending<'_, ()> {
        self.run(move |journal| {
            let state = state.as_ref().map(|(state, id)| (*state, id.as_deref()));
            journal.record(&tenant, &sha256, &claim, state)
        })
    }

    fn renew(&self, tenant: String, sha256: String, claim: Claim) -> Pending<'_, ()> {
        self.run(move |journal| journal.renew(&tenant, &sha256, &claim))
    }

    fn resolve(
        &self,
        tenant: String,
        sha256: String,
        resolution: Resolution,
    ) -> Pending<'_, Option<(JournalEntry, Resolved)>> {
        self.run(move |journal| journal.resolve(&tenant, &sha256, resolution))
    }
}
