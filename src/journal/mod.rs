//! The journal of irreversible requests: Lucca imports (by the SHA-256 of
//! the file as sent) and user creations (by the new hire's login); see
//! [`ImportJournal`].

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "journal")]
mod sqlite;

use std::fmt;
#[cfg(feature = "journal")]
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use crate::base_url::tenant_of;
use crate::error::StoreError;

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
    /// Its name: `sending`, `accepted`, `done` or `unknown`.
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Accepted => "accepted",
            Self::Done => "done",
            Self::Unknown => "unknown",
        }
    }

    /// Whether Lucca has it: an entry in this state is never forgotten.
    fn reached_lucca(self) -> bool {
        matches!(self, Self::Accepted | Self::Done)
    }

    #[cfg_attr(not(any(feature = "journal", feature = "redis")), allow(dead_code))]
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
    /// The file it was created from, when the journal knows it (a path;
    /// none for rows built in code).
    pub file: Option<String>,
    /// The run that claimed it, and until when its lease runs: renewed
    /// while that run sends and waits, so a lease in the future means a run
    /// may be sending it now (or Lucca still reading a body it sent).
    pub holder: Option<Holder>,
}

/// The run that claimed a creation, and its lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Which run: `pid 1234 on host-a`.
    pub owner: String,
    /// Its lease's end: renewed every [`LEASE`]`/3` while it sends and
    /// waits, so past it the run stopped (finished, or died) at least a
    /// [`LEASE`] ago.
    pub until: DateTime<Utc>,
}

/// How long a claim's lease runs past its last renewal. It is renewed a
/// third of it apart while its run sends and waits; after the run ends it
/// still runs out in full: the grace for a body Lucca may still be reading.
pub const LEASE: Duration = Duration::from_secs(60);

/// This run, as a claim's owner: its process id and host.
fn owner() -> String {
    let host = hostname().unwrap_or_else(|| "an unnamed host".to_owned());
    format!("pid {} on {host}", std::process::id())
}

/// The machine's name, where the platform gives one.
fn hostname() -> Option<String> {
    #[cfg(unix)]
    {
        let mut name = [0_u8; 256];
        // SAFETY: the buffer is valid for its length; the name written is
        // NUL-terminated within it or cut at its end (read up to a NUL).
        let written = unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) };
        if written == 0 {
            let end = name
                .iter()
                .position(|byte| *byte == 0)
                .unwrap_or(name.len());
            return String::from_utf8(name[..end].to_vec())
                .ok()
                .filter(|name| !name.is_empty());
        }
    }
    std::env::var("HOSTNAME")
        .ok()
        .filter(|name| !name.is_empty())
}

impl JournalEntry {
    /// Whether a run holds it now: its lease has not run out.
    pub fn is_held(&self) -> bool {
        self.holder
            .as_ref()
            .is_some_and(|holder| holder.until > Utc::now())
    }
}

impl JournalEntry {
    /// An entry as a store holds it.
    #[cfg_attr(not(any(feature = "journal", feature = "redis")), allow(dead_code))]
    fn read(tenant: &str, sha256: &str, state: &str, summary_id: Option<String>, at: &str) -> Self {
        Self {
            tenant: tenant.to_owned(),
            sha256: sha256.to_owned(),
            state: JournalState::parse(state),
            summary_id: summary_id.filter(|id| !id.is_empty()),
            // An unreadable time reads as now: the careful reading (a
            // repeat stays refused).
            at: DateTime::parse_from_rfc3339(at)
                .map_or_else(|_| Utc::now(), |at| at.with_timezone(&Utc)),
            file: None,
            holder: None,
        }
    }

    /// The same entry, held by `owner` until `until` when both are known.
    #[cfg_attr(not(any(feature = "journal", feature = "redis")), allow(dead_code))]
    fn held_by(self, owner: Option<String>, until: Option<DateTime<Utc>>) -> Self {
        let holder = match (owner.filter(|owner| !owner.is_empty()), until) {
            (Some(owner), Some(until)) => Some(Holder { owner, until }),
            _ => None,
        };
        Self { holder, ..self }
    }
}

/// Whether `earlier` refuses a creation of the same file now: while it is
/// sending, accepted or unknown, and when done within `window`.
fn forbids_repeat(earlier: &JournalEntry, window: Duration) -> bool {
    let recent = Utc::now()
        .signed_duration_since(earlier.at)
        .to_std()
        .map_or(true, |age| age < window);
    earlier.state != JournalState::Done || recent
}

/// The key of a user's creation in the journal (beside the imports'
/// SHA-256): this prefix and the new hire's login.
pub(crate) const USER_CREATION: &str = "user-creation:";

/// The key of a Docutools users import: this prefix and the SHA-256 of the
/// file as uploaded (UTF-8).
pub(crate) const DOCUTOOLS_IMPORT: &str = "docutools-import:";

/// A digest in lower-case hex: how the journal writes a file's SHA-256.
#[cfg_attr(not(any(feature = "office", feature = "docutools")), allow(dead_code))]
pub(crate) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl fmt::Display for JournalEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, to) = match (
            self.sha256.strip_prefix(DOCUTOOLS_IMPORT),
            self.sha256.strip_prefix(USER_CREATION),
        ) {
            (Some(sha256), _) => (
                format!("an import of the same users file (sha256 {sha256})"),
                "to",
            ),
            (_, Some(login)) => (format!("the creation of the user {login:?}"), "on"),
            _ => (
                format!("an import of the same file (sha256 {})", self.sha256),
                "to",
            ),
        };
        write!(
            f,
            "{what} {to} {} {} at {}",
            self.tenant,
            self.state,
            self.at.format("%Y-%m-%d %H:%M:%S UTC")
        )?;
        if let Some(id) = &self.summary_id {
            write!(f, " (summaryId {id})")?;
        }
        // A lease matters while the outcome is open: once the server
        // answered, it read everything.
        let open = matches!(self.state, JournalState::Sending | JournalState::Unknown);
        if let Some(holder) = self.holder.as_ref().filter(|_| open && self.is_held()) {
            let until = holder.until.format("%H:%M:%S UTC");
            match self.state {
                JournalState::Sending => write!(
                    f,
                    "; {} holds it until {until}: it may be sending it now",
                    holder.owner
                )?,
                _ => write!(
                    f,
                    "; its lease runs until {until}: the server may still be reading what {} sent",
                    holder.owner
                )?,
            }
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
    #[cfg(feature = "journal")]
    #[error("the import journal {} cannot be used", path.display())]
    Store {
        /// The journal's file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The blocking thread a SQLite call runs on stopped without an answer
    /// (it panicked, or the runtime shut down).
    #[cfg(feature = "journal")]
    #[error("the import journal {} stopped while in use", path.display())]
    Thread {
        /// The journal's file.
        path: PathBuf,
        /// Why.
        #[source]
        source: tokio::task::JoinError,
    },
    /// The journal's shared store (Redis) could not be used (before a
    /// creation: nothing was sent).
    #[error("the import journal cannot be used")]
    Shared(#[source] StoreError),
    /// Not applied was asked while a run holds the entry (its lease has not
    /// run out): it may be sending the file now, or Lucca still reading it.
    /// Nothing was resolved; read Lucca again once the lease has run out.
    #[error("not resolved: {entry}; check Lucca again after its lease runs out")]
    Held {
        /// The entry, with its holder.
        entry: Box<JournalEntry>,
    },
    /// The journal has no such import to resolve.
    #[error("the import journal has no import of {sha256} to {tenant}")]
    Missing {
        /// The tenant asked for.
        tenant: String,
        /// The SHA-256 asked for.
        sha256: String,
    },
    /// The Redis journal is not listed (its entries are read one at a time).
    #[error("the import journal in Redis cannot be listed; list a SQLite journal (--journal PATH)")]
    NotListed,
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
#[derive(Debug, Clone)]
pub(crate) struct Claim {
    #[cfg_attr(not(any(feature = "journal", feature = "redis")), allow(dead_code))]
    attempt: String,
    #[cfg_attr(not(feature = "journal"), allow(dead_code))]
    earlier: Option<JournalEntry>,
    /// Its lease, renewed a third of it apart.
    pub(crate) lease: Duration,
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

/// The import journal (feature `journal`): Lucca imports cannot be undone,
/// and nothing on Lucca's side stops the same file being imported twice (a
/// job re-run after a crash, two workers picking the same file). Before a
/// creation leaves, the journal records the tenant, the SHA-256 of the file
/// exactly as sent and the state: `sending`, then `accepted` (with the
/// import's `summaryId`), then `done`, or `unknown` when the answer was
/// lost. A creation of the same content for the same tenant is refused
/// while an earlier one is sending, accepted or unknown, or was done within
/// the window (24 hours unless set), unless the caller allows the repeat.
///
/// One machine: SQLite at a path of your choosing (several processes may
/// share it; SQLite's lock makes the check and the record one step).
/// Several machines (feature `redis`): Redis, through a
/// [`RedisStore`](crate::shared::RedisStore); one Lua script makes the check
/// and the record one step. The journal never falls back to another store:
/// when its store cannot be used, the creation is not sent.
///
/// ```no_run
/// use roster::office::{self, CsvSource, ImportJournal};
///
/// # async fn run(office: office::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let journal = ImportJournal::sqlite("/var/lib/hr-sync/imports.sqlite3")?;
/// // Or, shared by several machines (feature `redis`):
/// // let journal = ImportJournal::redis(&RedisStore::open("redis://redis.internal")?);
/// let outcome = office
///     .checked_import(CsvSource::path("locations.csv"))
///     .journal(&journal)
///     .execute()
///     .await?;
/// # Ok(()) }
/// ```
pub struct ImportJournal {
    store: Box<dyn Store>,
    window: Duration,
    /// An earlier journal of the same tenants, consulted too.
    history: Option<Box<ImportJournal>>,
    lease: Duration,
}

/// What a journal's store does, for the import code: SQLite (feature
/// `journal`, `sqlite.rs`) or Redis (feature `redis`, `redis.rs`). The
/// import code sees only this; a request without a journal has none.
/// Arguments are owned: a SQLite call runs on a blocking thread.
pub(super) trait Store: Send + Sync {
    /// Where it is, for `Debug`: the SQLite file or the Redis address.
    fn place(&self) -> String;

    /// Every entry, newest first.
    fn entries(&self) -> Pending<'_, Vec<JournalEntry>>;

    /// The entry of `sha256` for `tenant`.
    fn entry(&self, tenant: String, sha256: String) -> Pending<'_, Option<JournalEntry>>;

    /// `sending`, recorded in one step with the check (see
    /// [`ImportJournal::claim`]).
    fn claim(&self, claim: Claiming) -> Pending<'_, Result<Claim, JournalEntry>>;

    /// A claimed creation moved on (see [`ImportJournal::record`]).
    fn record(
        &self,
        tenant: String,
        sha256: String,
        claim: Claim,
        state: Option<(JournalState, Option<String>)>,
    ) -> Pending<'_, ()>;

    /// Runs the claim's lease on for another [`LEASE`], while the entry is
    /// still that claim's.
    fn renew(&self, tenant: String, sha256: String, claim: Claim) -> Pending<'_, ()>;

    /// The entry as it was, and whether it was resolved: an entry a run
    /// holds is left as it is (checked in the same step); `None` when
    /// there is none.
    fn resolve(
        &self,
        tenant: String,
        sha256: String,
        resolution: Resolution,
    ) -> Pending<'_, Option<(JournalEntry, Resolved)>>;
}

/// Whether a store resolved an entry.
#[cfg_attr(not(any(feature = "journal", feature = "redis")), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resolved {
    /// Resolved as asked.
    Done,
    /// Left as it was: a run holds it.
    Held,
}

/// What a store's call comes back with.
pub(super) type Pending<'a, T> = BoxFuture<'a, Result<T, JournalError>>;

/// A claim asked of a store.
#[cfg_attr(not(any(feature = "journal", feature = "redis")), allow(dead_code))]
pub(super) struct Claiming {
    pub(super) tenant: String,
    pub(super) sha256: String,
    pub(super) allow_repeat: bool,
    pub(super) window: Duration,
    /// The file it is created from, when known (a store may not keep it).
    #[cfg_attr(not(feature = "journal"), allow(dead_code))]
    pub(super) file: Option<String>,
    /// This run.
    pub(super) owner: String,
    /// Its lease.
    pub(super) lease: Duration,
}

impl fmt::Debug for ImportJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportJournal")
            .field("store", &self.store.place())
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// The default window in which a done import still refuses its repeat.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(24 * 3600);

impl ImportJournal {
    /// A journal in `store`.
    #[cfg_attr(not(any(feature = "journal", feature = "redis")), allow(dead_code))]
    pub(super) fn of(store: impl Store + 'static) -> Self {
        Self {
            store: Box::new(store),
            window: DEFAULT_WINDOW,
            history: None,
            lease: LEASE,
        }
    }

    /// How long a claim's lease runs past its last renewal ([`LEASE`]
    /// unless set; at least a second): the grace a creation keeps after its
    /// run stops, for a body Lucca may still be reading. Longer on a slow
    /// link; shorter in tests.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// Also consults `history`: an earlier journal of the same tenants (the
    /// SQLite journal a job kept before it moved to Redis, say). Its
    /// unfinished and recent creations refuse a repeat, and are resumed, as
    /// this journal's own; nothing new is written to it but the resolution
    /// of its own entries. One tenant keeps one history whichever store a
    /// run uses.
    pub fn with_history(mut self, history: ImportJournal) -> Self {
        self.history = Some(Box::new(history));
        self
    }

    /// Sets how long a done import refuses its repeat (24 hours by default).
    pub fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Whether `earlier` still refuses a repeat (it is not done, or done
    /// within the window).
    pub(crate) fn forbids(&self, earlier: &JournalEntry) -> bool {
        forbids_repeat(earlier, self.window)
    }

    /// Every entry, newest first (the SQLite journal; the Redis journal is
    /// read one entry at a time with [`entry`](Self::entry)).
    pub async fn entries(&self) -> Result<Vec<JournalEntry>, JournalError> {
        self.store.entries().await
    }

    /// What the journal has for `tenant` and `sha256`.
    pub async fn entry(
        &self,
        tenant: &str,
        sha256: &str,
    ) -> Result<Option<JournalEntry>, JournalError> {
        if let Some(entry) = self
            .store
            .entry(tenant_of(tenant), sha256.to_owned())
            .await?
        {
            return Ok(Some(entry));
        }
        match &self.history {
            Some(history) => Box::pin(history.entry(tenant, sha256)).await,
            None => Ok(None),
        }
    }

    /// Records `sending` for this file, in one step with the check: the
    /// earlier entry when it forbids the repeat (and `allow_repeat` is not
    /// set).
    pub(crate) async fn claim(
        &self,
        tenant: &str,
        sha256: &str,
        allow_repeat: bool,
        file: Option<&str>,
    ) -> Result<Result<Claim, JournalEntry>, JournalError> {
        if !allow_repeat && let Some(history) = &self.history {
            let earlier = Box::pin(history.entry(tenant, sha256)).await?;
            if let Some(earlier) = earlier.filter(|earlier| history.forbids(earlier)) {
                return Ok(Err(earlier));
            }
        }
        self.store
            .claim(Claiming {
                tenant: tenant_of(tenant),
                sha256: sha256.to_owned(),
                allow_repeat,
                window: self.window,
                file: file.map(str::to_owned),
                owner: owner(),
                lease: self.lease,
            })
            .await
    }

    /// Runs `work` while renewing `claim`'s lease a third of it apart, so
    /// that no resolution takes the claim while its run sends and waits.
    pub(crate) async fn holding<T>(
        &self,
        tenant: &str,
        sha256: &str,
        claim: &Claim,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let renewing = async {
            let mut ticks = tokio::time::interval(claim.lease / 3);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                if let Err(error) = self.renew(tenant, sha256, claim).await {
                    tracing::warn!(%error, "the journal's lease was not renewed");
                }
            }
        };
        futures_util::pin_mut!(work, renewing);
        match futures_util::future::select(work, renewing).await {
            futures_util::future::Either::Left((result, _)) => result,
            futures_util::future::Either::Right((_, work)) => work.await,
        }
    }

    /// Runs a claim's lease on (see [`LEASE`]).
    pub(crate) async fn renew(
        &self,
        tenant: &str,
        sha256: &str,
        claim: &Claim,
    ) -> Result<(), JournalError> {
        self.store
            .renew(tenant_of(tenant), sha256.to_owned(), claim.clone())
            .await
    }

    /// Runs a claimed creation (`work`) under its lease, then records its
    /// outcome as `state_of` reads it (see [`record`](Self::record)); a
    /// journal that cannot record is logged, the outcome is the caller's.
    #[cfg_attr(
        not(any(feature = "directory", feature = "docutools")),
        allow(dead_code)
    )]
    pub(crate) async fn settle<T, E>(
        &self,
        tenant: &str,
        key: &str,
        claim: &Claim,
        work: impl std::future::Future<Output = Result<T, E>>,
        state_of: impl FnOnce(&Result<T, E>) -> Option<JournalState>,
    ) -> Result<T, E> {
        let result = self.holding(tenant, key, claim, work).await;
        let state = state_of(&result).map(|state| (state, None));
        if let Err(error) = self.record(tenant, key, claim, state).await {
            tracing::warn!(%error, "the journal did not record an outcome");
        }
        result
    }

    /// Moves a claimed creation on. `None`: it surely did not leave, so the
    /// journal goes back to what it had before the claim (if the entry is
    /// still this attempt's `sending` claim: neither another attempt nor a
    /// resolution took it over since). A state is written whatever the
    /// entry holds now (even if it was resolved meanwhile): a creation that
    /// left is never forgotten.
    pub(crate) async fn record(
        &self,
        tenant: &str,
        sha256: &str,
        claim: &Claim,
        state: Option<(JournalState, Option<&str>)>,
    ) -> Result<(), JournalError> {
        let state = state.map(|(state, id)| (state, id.map(str::to_owned)));
        self.store
            .record(tenant_of(tenant), sha256.to_owned(), claim.clone(), state)
            .await
    }

    /// Resolves an earlier creation whose outcome was unknown, once checked
    /// in Lucca Office: the entry as it was. `NotApplied` is refused for an
    /// import Lucca accepted or applied.
    pub async fn resolve(
        &self,
        tenant: &str,
        sha256: &str,
        resolution: Resolution,
    ) -> Result<JournalEntry, JournalError> {
        let entry = self
            .store
            .resolve(tenant_of(tenant), sha256.to_owned(), resolution)
            .await?;
        match (entry, &self.history) {
            (None, Some(history)) => Box::pin(history.resolve(tenant, sha256, resolution)).await,
            (Some((entry, Resolved::Held)), _) => Err(JournalError::Held {
                entry: Box::new(entry),
            }),
            (entry, _) => self.resolved(tenant, sha256, resolution, entry.map(|(entry, _)| entry)),
        }
    }

    /// What a store's resolution gave, as the caller sees it.
    fn resolved(
        &self,
        tenant: &str,
        sha256: &str,
        resolution: Resolution,
        entry: Option<JournalEntry>,
    ) -> Result<JournalEntry, JournalError> {
        match entry {
            None => Err(JournalError::Missing {
                tenant: tenant_of(tenant),
                sha256: sha256.to_owned(),
            }),
            Some(entry) if resolution == Resolution::NotApplied && entry.state.reached_lucca() => {
                Err(JournalError::Applied {
                    entry: Box::new(entry),
                })
            }
            Some(entry) => Ok(entry),
        }
    }
}
