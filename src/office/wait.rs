//! Waiting for an import: poll `progress` until 100, with jittered backoff
//! between a minimum and a maximum delay, then read the analysis (of a
//! simulation) or the results (of a creation).

use std::time::Duration;
use sync_wrapper::SyncWrapper;

use tokio::time::Instant;

use super::Client;
use super::outcome::{
    Descriptions, ImportOutcome, KEPT_DESCRIPTIONS, PartialOutcome, read_outcome,
};
use super::upload::{ImportMode, ImportStarted};
use crate::error::HttpError;
use crate::limiter::later;
use crate::retry::{Next, Resend, decide};

/// How the waiter polls. Every delay is configurable so that tests run in
/// milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// The first delay between two polls, and the least.
    pub min_delay: Duration,
    /// The largest delay between two polls.
    pub max_delay: Duration,
    /// How long to wait in all before giving up (one last poll is made at
    /// this deadline).
    pub max_wait: Duration,
    /// How long the progress may stay the same (or, once it is 100, the
    /// outcome keep failing) before the wait ends with
    /// [`WaitFailure::Stalled`] or [`WaitFailure::OutcomeFailed`]; `None` waits
    /// until `max_wait`.
    pub stall_after: Option<Duration>,
    /// How long a `404` or `409` on the progress, analysis or results is
    /// polled again rather than final: after the import's answer, and
    /// again once the progress is 100. The documents do not say when a
    /// `summaryId` becomes visible, nor when its outcome does.
    pub visibility_grace: Duration,
}

impl Default for WaitOptions {
    /// 1 s to 30 s between polls (at most 20 polls in the first minute, 2 a
    /// minute after that, far below Lucca's 50 requests per minute per
    /// account); 30 minutes in all, and a stall after 5 minutes without
    /// progress: what a nightly job would pick, so that a stuck import is
    /// reported while someone can still act on it.
    fn default() -> Self {
        Self {
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_wait: Duration::from_secs(30 * 60),
            stall_after: Some(Duration::from_secs(5 * 60)),
            visibility_grace: Duration::from_secs(30),
        }
    }
}

impl WaitOptions {
    /// The delay before poll `attempt + 1`: `min_delay · 2^attempt`, capped
    /// at `max_delay`, jittered down to half of it (never below `min_delay`).
    pub fn delay(&self, attempt: u32) -> Duration {
        let backoff = crate::retry::Backoff {
            attempts: u32::MAX,
            base_delay: self.min_delay,
            max_delay: self.max_delay,
        };
        backoff.delay(attempt).max(self.min_delay)
    }
}

/// Where an import stands, for a progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Simulation or creation.
    pub mode: ImportMode,
    /// 0 not started, 1 to 99 running, 100 done.
    pub percent: u8,
    /// Polls made so far.
    pub polls: u32,
    /// Time since the waiter started.
    pub elapsed: Duration,
}

/// The waiter stopped without an outcome: where it stood, once, and why
/// ([`WaitFailure`]).
#[derive(Debug)]
pub struct WaitError {
    /// The import.
    pub summary_id: uuid::Uuid,
    /// How long the waiter waited.
    pub elapsed: Duration,
    /// How many requests it made.
    pub polls: u32,
    /// The last progress it read, if any.
    pub last_progress: Option<u8>,
    /// Why it stopped.
    pub failure: WaitFailure,
}

/// Why a waiter stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitFailure {
    /// The import was not done by the deadline.
    ExceededMaxWait {
        /// The configured maximum.
        max_wait: Duration,
        /// The last transient error, if the deadline came while they lasted.
        last_error: Option<HttpError>,
    },
    /// The progress did not move for [`WaitOptions::stall_after`].
    Stalled {
        /// How long it stayed at [`WaitError::last_progress`].
        unchanged_for: Duration,
        /// The last transient error, if polls were failing too.
        last_error: Option<HttpError>,
    },
    /// The server reported a progress outside 0..=100.
    ProgressOutOfRange {
        /// The value it sent.
        value: i64,
    },
    /// The progress reached 100 but the analysis or results failed: with an
    /// error waiting cannot mend, or with transient errors for
    /// [`WaitOptions::stall_after`]. A creation in this state was applied.
    OutcomeFailed {
        /// Simulation or creation (a creation was applied).
        mode: ImportMode,
        /// How long the outcome kept failing.
        failing_for: Duration,
        /// The last failure.
        source: HttpError,
    },
    /// A progress call failed in a way that waiting will not mend (401,
    /// 404, a body of the wrong shape…).
    Http {
        /// The call that failed (its operation says which).
        source: HttpError,
    },
}

/// A duration as a person reads it: `5 min 0 s`, `12.5 s`, `300 ms`.
fn plain(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        60.. => format!("{} min {} s", seconds / 60, seconds % 60),
        1.. => format!("{:.1} s", duration.as_secs_f64()),
        0 => format!("{} ms", duration.as_millis()),
    }
}

/// A progress as a person reads it: `50 %`, or that none was read.
fn percent(progress: Option<u8>) -> String {
    progress.map_or_else(
        || "no progress read".to_owned(),
        |progress| format!("{progress} %"),
    )
}

impl std::fmt::Display for WaitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self {
            summary_id,
            elapsed,
            polls,
            last_progress,
            ..
        } = self;
        let (elapsed, progress) = (plain(*elapsed), percent(*last_progress));
        match &self.failure {
            WaitFailure::ExceededMaxWait { max_wait, .. } => write!(
                f,
                "the import {summary_id} was not done after {elapsed} (the most to wait: {}; \
                 {polls} polls; progress {progress})",
                plain(*max_wait)
            ),
            WaitFailure::Stalled { unchanged_for, .. } => write!(
                f,
                "the import {summary_id} stalled: progress stayed at {progress} for {}, \
                 {polls} polls",
                plain(*unchanged_for)
            ),
            WaitFailure::ProgressOutOfRange { value } => write!(
                f,
                "the import {summary_id} reported a progress of {value}, outside 0..=100"
            ),
            WaitFailure::OutcomeFailed { failing_for, .. } => write!(
                f,
                "the import {summary_id} is done (progress 100 %) but its outcome could not be read \
                 ({polls} polls in {elapsed}, failing for {})",
                plain(*failing_for)
            ),
            WaitFailure::Http { .. } => write!(f, "waiting for import {summary_id} failed"),
        }
    }
}

impl std::error::Error for WaitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.failure {
            WaitFailure::ExceededMaxWait { last_error, .. }
            | WaitFailure::Stalled { last_error, .. } => last_error
                .as_ref()
                .map(|error| error as &(dyn std::error::Error + 'static)),
            WaitFailure::OutcomeFailed { source, .. } | WaitFailure::Http { source } => {
                Some(source)
            }
            WaitFailure::ProgressOutOfRange { .. } => None,
        }
    }
}

/// What is called with each description of an outcome. Callbacks are held
/// in a [`SyncWrapper`] (only ever called through `&mut`), so that the
/// waiter's future is `Send` whatever the callback is.
type DescriptionCallback<'a> = SyncWrapper<Box<dyn FnMut(&str) + Send + 'a>>;

/// What is called with each progress.
pub(crate) type ProgressCallback<'a> = SyncWrapper<Box<dyn FnMut(Progress) + Send + 'a>>;

/// Polls an import until it is done, then reads its outcome. Made by
/// [`Client::wait_for_import`].
pub struct WaitForImport<'a> {
    client: &'a Client,
    started: ImportStarted,
    options: WaitOptions,
    on_progress: Option<ProgressCallback<'a>>,
    keep_descriptions: usize,
    on_description: Option<DescriptionCallback<'a>>,
}

impl std::fmt::Debug for WaitForImport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitForImport")
            .field("started", &self.started)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// When the waiter polls: after each poll, the next delay of the options'
/// backoff (or longer, if the server asked), never past the deadline, where
/// one last poll is made; after that, nothing.
#[derive(Debug)]
struct Schedule {
    options: WaitOptions,
    started_at: Instant,
    deadline: Instant,
    attempt: u32,
}

impl Schedule {
    fn new(options: WaitOptions, now: Instant) -> Self {
        Self {
            options,
            started_at: now,
            deadline: later(now, options.max_wait),
            attempt: 0,
        }
    }

    /// When to poll next, or `None` when the deadline has passed.
    fn next(&mut self, now: Instant, hint: Option<Duration>) -> Option<Instant> {
        if now >= self.deadline {
            return None;
        }
        let delay = self
            .options
            .delay(self.attempt)
            .max(hint.unwrap_or_default());
        self.attempt = self.attempt.saturating_add(1);
        Some(later(now, delay).min(self.deadline))
    }
}

/// What one wait has seen.
struct Poller {
    schedule: Schedule,
    polls: u32,
    last_progress: Option<u8>,
    last_error: Option<HttpError>,
    /// When the progress last changed (or, once it is 100, when the outcome
    /// was first asked for): the stall clock.
    last_change: Instant,
    /// Since when a `404` or `409` may mean "not visible yet": the wait's
    /// start, then the progress reaching 100.
    grace_from: Instant,
}

/// What the waiter is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Progress,
    Outcome,
}

impl<'a> WaitForImport<'a> {
    pub(crate) fn new(client: &'a Client, started: ImportStarted) -> Self {
        Self {
            client,
            started,
            options: WaitOptions::default(),
            on_progress: None,
            keep_descriptions: KEPT_DESCRIPTIONS,
            on_description: None,
        }
    }

    /// Keeps at most `count` descriptions of each summary of the outcome
    /// (default [`KEPT_DESCRIPTIONS`]); the summary's `count` still counts
    /// them all. The outcome is read as a stream: its size never matters.
    pub fn keep_descriptions(mut self, count: usize) -> Self {
        self.keep_descriptions = count;
        self
    }

    /// Calls `callback` with every description of the outcome's summaries,
    /// in order, as they are read (each user location created, say).
    pub fn on_description(mut self, callback: impl FnMut(&str) + Send + 'a) -> Self {
        self.on_description = Some(SyncWrapper::new(Box::new(callback)));
        self
    }

    /// Sets the delays and the deadline.
    pub fn options(mut self, options: WaitOptions) -> Self {
        self.options = options;
        self
    }

    /// Calls `callback` after each poll whose progress differs from the last.
    pub fn on_progress(mut self, callback: impl FnMut(Progress) + Send + 'a) -> Self {
        self.on_progress = Some(SyncWrapper::new(Box::new(callback)));
        self
    }

    /// Waits. Dropping the future cancels the wait (never the import).
    pub async fn execute(mut self) -> Result<ImportOutcome, WaitError> {
        let now = Instant::now();
        let mut poller = Poller {
            schedule: Schedule::new(self.options, now),
            polls: 0,
            last_progress: None,
            last_error: None,
            last_change: now,
            grace_from: now,
        };
        // Each poll is the waiter's own: no transport retry (the schedule
        // is here), and nothing past the deadline.
        let options = crate::transport::Options {
            deadline: Some(poller.schedule.deadline),
            retries: Some(crate::retry::Backoff::NONE),
            resend: None,
        };
        let summary_id = self.started.summary_id;
        let id = summary_id.to_string();
        loop {
            poller.polls += 1;
            let answer = self
                .client
                .get_office_api_imports_user_locations_progress()
                .summary_id(&id)
                .options(options)
                .send()
                .await;
            let hint = match answer {
                Ok(answer) => {
                    let value = i64::from(answer.progress);
                    let Some(percent) = u8::try_from(value).ok().filter(|percent| *percent <= 100)
                    else {
                        return Err(self.failed(&poller, WaitFailure::ProgressOutOfRange { value }));
                    };
                    self.report(&poller, percent);
                    if poller.last_progress != Some(percent) {
                        poller.last_change = Instant::now();
                    }
                    poller.last_progress = Some(percent);
                    poller.last_error = None;
                    if percent == 100 {
                        break;
                    }
                    None
                }
                Err(error) => self.transient(&mut poller, error)?,
            };
            self.check_stall(&mut poller, Phase::Progress)?;
            self.sleep(&mut poller, hint).await?;
        }
        poller.last_change = Instant::now();
        poller.grace_from = poller.last_change;
        loop {
            poller.polls += 1;
            let mode = self.started.mode;
            let mut descriptions = Descriptions {
                keep: self.keep_descriptions,
                each: self
                    .on_description
                    .as_mut()
                    .map(|callback| &mut **callback.get_mut()),
            };
            let outcome =
                read_outcome(self.client, summary_id, mode, options, &mut descriptions).await;
            let error = match outcome {
                Ok(outcome) => return Ok(outcome),
                Err(error @ HttpError::InvalidAnswer { .. }) => {
                    tracing::warn!(%summary_id, %error, "the import is done; its outcome reads only partially");
                    return Ok(ImportOutcome::ReadPartially(PartialOutcome::new(
                        mode, summary_id, error,
                    )));
                }
                Err(error) => error,
            };
            // The import is done: a deadline now is its outcome failing.
            if let HttpError::DeadlinePassed { .. } = error {
                return Err(self.outcome_failed(&poller, error));
            }
            let hint = match self.transient(&mut poller, error) {
                Ok(hint) => hint,
                Err(WaitError {
                    failure: WaitFailure::Http { source },
                    ..
                }) => {
                    return Err(self.outcome_failed(&poller, source));
                }
                Err(other) => return Err(other),
            };
            self.check_stall(&mut poller, Phase::Outcome)?;
            // The deadline in this phase: the import is done, its outcome is
            // what failed.
            if let Err(error) = self.sleep(&mut poller, hint).await {
                return Err(match error {
                    WaitError {
                        failure:
                            WaitFailure::ExceededMaxWait {
                                last_error: Some(source),
                                ..
                            },
                        ..
                    } => self.outcome_failed(&poller, source),
                    other => other,
                });
            }
        }
    }

    fn outcome_failed(&self, poller: &Poller, source: HttpError) -> WaitError {
        let failure = WaitFailure::OutcomeFailed {
            mode: self.started.mode,
            failing_for: poller.last_change.elapsed(),
            source,
        };
        self.failed(poller, failure)
    }

    /// The wait's end for `failure`, with where it stood.
    fn failed(&self, poller: &Poller, failure: WaitFailure) -> WaitError {
        WaitError {
            summary_id: self.started.summary_id,
            elapsed: poller.schedule.started_at.elapsed(),
            polls: poller.polls,
            last_progress: poller.last_progress,
            failure,
        }
    }

    /// Ends the wait when nothing moved for [`WaitOptions::stall_after`].
    fn check_stall(&self, poller: &mut Poller, phase: Phase) -> Result<(), WaitError> {
        let Some(stall_after) = self.options.stall_after else {
            return Ok(());
        };
        let unchanged_for = poller.last_change.elapsed();
        if unchanged_for < stall_after {
            return Ok(());
        }
        match (phase, poller.last_error.take()) {
            (Phase::Outcome, Some(source)) => Err(self.outcome_failed(poller, source)),
            (_, last_error) => Err(self.failed(
                poller,
                WaitFailure::Stalled {
                    unchanged_for,
                    last_error,
                },
            )),
        }
    }

    fn report(&mut self, poller: &Poller, percent: u8) {
        if poller.last_progress == Some(percent) {
            return;
        }
        tracing::debug!(summary_id = %self.started.summary_id, percent, polls = poller.polls, "import progress");
        if let Some(callback) = &mut self.on_progress {
            (callback.get_mut())(Progress {
                mode: self.started.mode,
                percent,
                polls: poller.polls,
                elapsed: poller.schedule.started_at.elapsed(),
            });
        }
    }

    /// Keeps a transient error (and the server's requested delay) or ends
    /// the wait with a lasting one: the transport's own decision, for a read
    /// that may be polled again at any time.
    fn transient(
        &self,
        poller: &mut Poller,
        error: HttpError,
    ) -> Result<Option<Duration>, WaitError> {
        if let HttpError::DeadlinePassed { .. } = error {
            return Err(self.exceeded(poller, Instant::now()));
        }
        // Not visible yet: within the grace period, a 404 or 409 is polled
        // again.
        let unseen = error
            .status()
            .is_some_and(|status| matches!(status.as_u16(), 404 | 409))
            && poller.grace_from.elapsed() < self.options.visibility_grace;
        let next = match unseen {
            true => Some(Next::Retry(None)),
            false => error
                .seen()
                .map(|seen| decide(Resend::Read, 1, u32::MAX, seen, false)),
        };
        match next {
            Some(Next::Retry(hint)) => {
                tracing::warn!(summary_id = %self.started.summary_id, %error, "transient error while waiting");
                poller.last_error = Some(error);
                Ok(hint)
            }
            _ => Err(self.failed(poller, WaitFailure::Http { source: error })),
        }
    }

    /// The wait's end at its deadline.
    fn exceeded(&self, poller: &mut Poller, now: Instant) -> WaitError {
        let failure = WaitFailure::ExceededMaxWait {
            max_wait: self.options.max_wait,
            last_error: poller.last_error.take(),
        };
        WaitError {
            elapsed: now - poller.schedule.started_at,
            ..self.failed(poller, failure)
        }
    }

    /// Sleeps until the next poll, or the deadline (for one last poll), or
    /// gives up if the deadline has passed.
    async fn sleep(&self, poller: &mut Poller, hint: Option<Duration>) -> Result<(), WaitError> {
        let now = Instant::now();
        let stall_at = self
            .options
            .stall_after
            .map(|stall_after| later(poller.last_change, stall_after));
        let Some(next) = poller.schedule.next(now, hint) else {
            return Err(self.exceeded(poller, now));
        };
        // A stall is seen when it happens, not at the next backoff.
        // (Unless the server asked for a longer wait: that is honoured.)
        let next = match stall_at {
            Some(stall_at) if stall_at > now && hint.is_none() => next.min(stall_at),
            _ => next,
        };
        tokio::time::sleep_until(next).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> WaitOptions {
        WaitOptions {
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
            max_wait: Duration::from_secs(60),
            stall_after: None,
            visibility_grace: Duration::ZERO,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_schedule_backs_off_then_polls_once_at_the_deadline() {
        let start = Instant::now();
        let mut schedule = Schedule::new(options(), start);
        let mut now = start;
        let mut delays = Vec::new();
        while let Some(next) = schedule.next(now, None) {
            tokio::time::sleep_until(next).await;
            delays.push(next - now);
            now = Instant::now();
        }
        // Jittered doubling: within [ceiling/2, ceiling], never below the minimum.
        for (attempt, ceiling) in [1, 2, 4, 8, 8].into_iter().enumerate() {
            let ceiling = Duration::from_secs(ceiling);
            let delay = delays[attempt];
            assert!(
                delay >= (ceiling / 2).max(Duration::from_secs(1)) && delay <= ceiling,
                "poll {attempt}: {delay:?} for a ceiling of {ceiling:?}"
            );
        }
        // The last poll is exactly at the deadline, and nothing comes after it.
        assert_eq!(now - start, Duration::from_secs(60));
        assert!(delays.iter().all(|delay| *delay <= Duration::from_secs(8)));
        assert_eq!(schedule.next(now, None), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_hint_stretches_one_delay_but_not_the_deadline() {
        let start = Instant::now();
        let mut schedule = Schedule::new(options(), start);
        let next = schedule.next(start, Some(Duration::from_secs(20))).unwrap();
        assert_eq!(next - start, Duration::from_secs(20));
        let late = start + Duration::from_secs(50);
        let clamped = schedule.next(late, Some(Duration::from_secs(30))).unwrap();
        assert_eq!(clamped - start, Duration::from_secs(60));
    }
}
