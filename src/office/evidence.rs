//! Resolving by reading: what Lucca Office shows of a creation whose answer
//! was lost (see [`Evidence`]).
//!
//! Nothing in Lucca's documents finds an import by its file: the lost
//! answer held the only `summaryId`. What an applied import leaves is user
//! locations: the file's rows, created after it was sent, with the
//! `createdAt` Lucca writes. The evidence is the file's first and last rows
//! that create a location (by login, day and half-day), looked for among
//! the tenant's user locations (every page, of the largest size, until both
//! are found).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;

use super::csv_check::first_and_last_creations;
use super::import::{ImportError, PreparedImport};
use super::types::Position;
use super::{JournalEntry, UserLocationRow};
use crate::directory::{self, DirectoryError};
use crate::error::HttpError;
use crate::{Open, VendorDateTime};

/// How long before the journal's last record of a creation its rows may
/// have been written: the wait for its answer (a timed-out creation is
/// recorded once the timeout is over) and clocks that disagree.
pub const EVIDENCE_MARGIN: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The widest offsets from UTC a zone-less `createdAt` may be in (UTC-12 to
/// UTC+14): Lucca's date-times mostly carry no zone, so one counts as
/// after the claim when it may be, whatever the tenant's zone.
const WEST_MOST: chrono::TimeDelta = chrono::TimeDelta::hours(12);

/// What Lucca Office shows of a journaled creation: made by
/// [`PreparedImport::evidence`] (feature `directory` too: the file names
/// employees by login, Lucca's user locations by id).
///
/// It is **applied** when one of the file's rows is a user location
/// created after the claim: an import is applied in full or is still being
/// applied, so `not applied` would send it twice. It is **not seen** when
/// none is: with the claim's lease run out (the grace for a body Lucca may
/// still be reading) that is the evidence for `not applied`. A file whose
/// rows only delete has nothing to look for ([`is_conclusive`](Self::is_conclusive)
/// is false); deleting again changes nothing.
///
/// ```no_run
/// use roster::{directory, office::{self, CsvSource, ImportJournal, Resolution}};
///
/// # async fn run(office: office::Client, directory: directory::Client, journal: ImportJournal, sha256: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let tenant = office.baseurl().to_owned();
/// let entry = journal.entry(&tenant, sha256).await?.expect("journaled");
/// let prepared = office.checked_import(CsvSource::path("locations.csv")).prepare().await?;
/// let evidence = prepared.evidence(&directory, &entry).await?;
/// println!("{evidence}");
/// if evidence.is_conclusive() && !evidence.applied() {
///     journal.resolve(&tenant, sha256, Resolution::NotApplied).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Evidence {
    /// Locations created from this instant on count: the journal's record
    /// less [`EVIDENCE_MARGIN`].
    pub since: DateTime<Utc>,
    /// The rows looked for.
    pub probes: Vec<Probe>,
    /// User locations read.
    pub read: u64,
}

/// One of the file's rows, looked for in Lucca.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Probe {
    /// Its line in the file.
    pub line: u64,
    /// The employee.
    pub login: String,
    /// The day.
    pub date: NaiveDate,
    /// The whole day or one half.
    pub position: Position,
    /// The employee's id, when Lucca knows the login (a row of an unknown
    /// login cannot have been created).
    pub owner: Option<i64>,
    /// The user location it became, if seen.
    pub seen: Option<Sighting>,
}

/// A user location created after the claim, matching a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Sighting {
    /// Its id.
    pub id: i64,
    /// Its `createdAt`, as Lucca wrote it.
    pub created_at: VendorDateTime,
}

impl Evidence {
    /// Whether a row of the file is a location created after the claim.
    pub fn applied(&self) -> bool {
        self.probes.iter().any(|probe| probe.seen.is_some())
    }

    /// Whether the reading can tell: the file has a row that creates a
    /// location, for a login Lucca knows.
    pub fn is_conclusive(&self) -> bool {
        self.probes.iter().any(|probe| probe.owner.is_some())
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} user location(s) for rows created since {}",
            self.read,
            self.since.format("%Y-%m-%d %H:%M:%S UTC")
        )?;
        if self.probes.is_empty() {
            return f.write_str(": the file only deletes, nothing to look for");
        }
        for probe in &self.probes {
            write!(
                f,
                "; line {} ({}, {} {})",
                probe.line, probe.login, probe.date, probe.position
            )?;
            match (&probe.owner, &probe.seen) {
                (None, _) => f.write_str(": no user has this login")?,
                (Some(_), None) => f.write_str(": not there")?,
                (Some(_), Some(seen)) => write!(
                    f,
                    ": user location {} created at {}",
                    seen.id, seen.created_at
                )?,
            }
        }
        Ok(())
    }
}

impl PreparedImport<'_> {
    /// Reads Lucca Office for evidence of `entry`, a journaled creation of
    /// this file (or of one of its parts): see [`Evidence`]. Costs one read
    /// a login (two at most) and the user-location pages until both rows
    /// are found (all of them when they are not). Nothing is written.
    ///
    /// [`ImportError::OtherFile`] when neither the file nor a part of it has
    /// the entry's SHA-256 (cut as this request would cut it).
    pub async fn evidence(
        &self,
        directory: &directory::Client,
        entry: &JournalEntry,
    ) -> Result<Evidence, ImportError> {
        let rows = self
            .rows_of(&entry.sha256)
            .ok_or_else(|| ImportError::OtherFile {
                sha256: entry.sha256.clone(),
                found: self
                    .parts()
                    .iter()
                    .map(|part| part.sha256.clone())
                    .collect(),
            })?;
        let reader = self.content().map_err(|source| {
            ImportError::File(crate::file::FileError::Io { path: None, source })
        })?;
        let found = tokio::task::spawn_blocking(move || first_and_last_creations(reader, rows))
            .await
            .map_err(|error| {
                ImportError::File(crate::file::FileError::Io {
                    path: None,
                    source: std::io::Error::other(error),
                })
            })?
            .map_err(ImportError::Csv)?;
        let since = entry
            .at
            .checked_sub_signed(chrono::TimeDelta::from_std(EVIDENCE_MARGIN).unwrap_or_default())
            .unwrap_or(entry.at);
        let mut probes = Vec::with_capacity(found.len());
        for (line, row) in found {
            probes.push(probe(directory, line, row).await?);
        }
        let read = look_for(self.client(), &mut probes, since).await?;
        Ok(Evidence {
            since,
            probes,
            read,
        })
    }
}

/// A row, with its employee's id.
async fn probe(
    directory: &directory::Client,
    line: u64,
    row: UserLocationRow,
) -> Result<Probe, ImportError> {
    let owner = match directory.find_user_id(row.login.clone()).send().await {
        Ok(id) => Some(id),
        Err(DirectoryError::Http(source)) => return Err(ImportError::Read { source }),
        // Unknown, ambiguous, or a login no filter can carry: no row of it
        // was created.
        Err(_) => None,
    };
    Ok(Probe {
        line,
        login: row.login,
        date: row.date,
        position: row.position,
        owner,
        seen: None,
    })
}

/// Reads user locations until every probe with an owner is seen: how many
/// were read.
async fn look_for(
    office: &super::Client,
    probes: &mut [Probe],
    since: DateTime<Utc>,
) -> Result<u64, ImportError> {
    let wanted = |probes: &[Probe]| {
        probes
            .iter()
            .any(|probe| probe.owner.is_some() && probe.seen.is_none())
    };
    let mut read = 0;
    if !wanted(probes) {
        return Ok(read);
    }
    let mut locations = std::pin::pin!(office.all_user_locations().stream());
    while let Some(location) = locations
        .try_next()
        .await
        .map_err(|source: HttpError| ImportError::Read { source })?
    {
        read += 1;
        let Some(created_at) = location.created_at.filter(|at| after(at, since)) else {
            continue;
        };
        for probe in probes.iter_mut() {
            if probe.seen.is_none()
                && probe.owner == Some(location.owner_id)
                && probe.date == location.date
                && matches!(&location.position, Open::Known(position) if *position == probe.position)
            {
                probe.seen = Some(Sighting {
                    id: location.id,
                    created_at,
                });
            }
        }
        if !wanted(probes) {
            break;
        }
    }
    Ok(read)
}

/// Whether `at` is, or may be (a zone-less one, in any zone), `since` or
/// later.
fn after(at: &VendorDateTime, since: DateTime<Utc>) -> bool {
    match at.to_utc() {
        Some(at) => at >= since,
        None => at.local() + WEST_MOST >= since.naive_utc(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since() -> DateTime<Utc> {
        "2026-12-06T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_zoned_creation_counts_from_the_instant_on() {
        let before: VendorDateTime = "2026-12-06T11:59:59Z".parse().unwrap();
        let at: VendorDateTime = "2026-12-06T13:59:59+02:00".parse().unwrap();
        assert!(!after(&before, since()));
        assert!(!after(&at, since()), "11:59:59 UTC");
        let later: VendorDateTime = "2026-12-06T14:00:00+02:00".parse().unwrap();
        assert!(after(&later, since()));
    }

    #[test]
    fn a_zone_less_creation_counts_when_some_zone_puts_it_after() {
        // UTC-12: 00:00 there is 12:00 UTC.
        let west: VendorDateTime = "2026-12-06T00:00:00".parse().unwrap();
        assert!(after(&west, since()));
        let earlier: VendorDateTime = "2026-12-05T23:59:59".parse().unwrap();
        assert!(!after(&earlier, since()));
    }
}
