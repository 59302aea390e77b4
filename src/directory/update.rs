//! Updating users: one path for every update, whether one user's
//! ([`Client::update_user`]), many users' ([`Client::bulk_update`]) or a
//! sync plan's ([`Client::apply_sync`](super::Client::apply_sync)). Each
//! sends a [`UserPatch`]; the complete mode completes it from the user as
//! read and refuses a user changed since (one check); many updates run a
//! few at a time and report in one [`UpdateReport`].

use std::future::Future;

use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::Client;
use super::complete::{
    UpdateMode, complete_body, missing_required, modified_at, read_selection, unchanged,
};
use super::envelope::parse_enveloped;
use super::error::DirectoryError;
use super::fields::Fields;
use super::pager::Record;
use super::patch::UserPatch;
use super::types;
use super::users::path_id;
use crate::error::HttpError;
use crate::retry::Backoff;
use crate::transport::Options;

/// Which user an update is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// By id.
    Id(i64),
    /// By login (its id is looked up first, unless known).
    Login(String),
}

impl std::fmt::Display for UserRef {
    /// The login, or `#` and the id.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Id(id) => write!(f, "#{id}"),
            Self::Login(login) => f.write_str(login),
        }
    }
}

/// An update Lucca applied. Deliberately not `#[non_exhaustive]`, as the
/// Office outcomes: every way of being applied is matched by name.
#[derive(Debug)]
pub enum Applied {
    /// Applied, and Lucca's answer read: the user as it answered (the
    /// fields asked for, or `id`, `name`, `url`).
    Read(Box<types::User>),
    /// Applied (Lucca answered success), but its answer did not read into
    /// the typed model: the update **is done**; do not send it again.
    AnswerUnread(HttpError),
    /// A new hire created, and Lucca's answer read: the user as it
    /// answered.
    Created(Box<types::User>),
    /// A new hire created: its answer was lost or did not read, and reading
    /// its login back found it (with this id). Done; do not send it again.
    CreatedFound {
        /// The user's id, read back.
        id: i64,
        /// What happened to the answer.
        error: HttpError,
    },
    /// A new hire found in Lucca just before its creation (created since
    /// the plan: by an earlier run whose answer was lost, or by someone
    /// else): not created again.
    Exists {
        /// The user's id.
        id: i64,
    },
}

impl Applied {
    /// Whether it is a creation (else an update).
    pub fn is_creation(&self) -> bool {
        matches!(self, Self::Created(_) | Self::CreatedFound { .. })
    }
}

/// What an update did for one user.
#[derive(Debug)]
pub struct UpdateOutcome {
    /// The user, as given (a sync gives its login).
    pub user: UserRef,
    /// The user's id, when known (looked up, given, or planned).
    pub id: Option<i64>,
    /// Applied, or why not (a user changed since it was read is
    /// [`DirectoryError::ConcurrentChange`] in complete mode).
    pub result: Result<Applied, DirectoryError>,
}

/// What many updates did (a bulk update, a sync applied), user by user, in
/// the order given.
#[derive(Debug, Default)]
pub struct UpdateReport {
    /// One outcome a user.
    pub outcomes: Vec<UpdateOutcome>,
}

impl UpdateReport {
    /// The users updated (their answer read or not).
    pub fn succeeded(&self) -> impl Iterator<Item = &UpdateOutcome> {
        self.outcomes
            .iter()
            .filter(|outcome| outcome.result.is_ok())
    }

    /// The users not updated, with why.
    pub fn failed(&self) -> impl Iterator<Item = &UpdateOutcome> {
        self.outcomes
            .iter()
            .filter(|outcome| outcome.result.is_err())
    }
}

/// How an update is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sending {
    /// The reading of the `PUT`.
    pub(crate) mode: UpdateMode,
    /// The caller's retries, if not the client's.
    pub(crate) retries: Option<Backoff>,
    /// The properties the answer should hold.
    pub(crate) fields: Fields,
    /// A partial update from a read baseline is refused, as a complete one
    /// is, when the user changed since (a saved plan applied later).
    pub(crate) unchanged_since_read: bool,
}

/// What the complete mode completes a patch from, and checks.
pub(crate) enum Baseline<'a> {
    /// Read the user now, and again just before writing.
    ReadNow,
    /// Read already (a sync's fresh reads), with the `modifiedAt` the plan
    /// saw.
    Read {
        /// The user as read (none: not found).
        current: Option<&'a Record>,
        /// `modifiedAt` when planned.
        planned: Option<String>,
    },
}

impl Client {
    /// Sends the touched fields of `patch`; the transport tries it again on
    /// 408, 429, 502, 503, 504 and lost answers (a `PUT` is idempotent).
    pub fn update_user(&self, id: i64, patch: UserPatch) -> UpdateUserRequest<'_> {
        UpdateUserRequest {
            client: self,
            id,
            patch,
            sending: Sending::default(),
        }
    }

    /// Updates many users, a few at a time, within the client's rate limit.
    /// One user's failure stops nothing.
    pub fn bulk_update(&self, updates: Vec<(UserRef, UserPatch)>) -> BulkUpdateRequest<'_> {
        BulkUpdateRequest {
            client: self,
            updates,
            concurrency: 4,
            sending: Sending::default(),
        }
    }

    /// The one update path: `patch` sent to user `id` as `sending` says
    /// (complete mode: completed from `baseline`, refused if the user
    /// changed since).
    pub(crate) async fn send_patch(
        &self,
        id: i64,
        patch: &UserPatch,
        sending: &Sending,
        baseline: Baseline<'_>,
    ) -> Result<types::User, DirectoryError> {
        path_id(id)?;
        let changes = match patch
            .to_json()
            .map_err(|source| DirectoryError::Patch { user: id, source })?
        {
            Value::Object(changes) => changes,
            _ => Map::new(),
        };
        let body = match (sending.mode, baseline) {
            (UpdateMode::Partial, Baseline::Read { current, planned })
                if sending.unchanged_since_read =>
            {
                unchanged(id, planned, current.and_then(modified_at))?;
                changes
            }
            (UpdateMode::Partial, _) => changes,
            (UpdateMode::Complete, Baseline::ReadNow) => {
                let current = self.read_raw(id, &read_selection()).await?;
                let body = complete_body(&current, changes);
                let now = self.read_raw(id, super::keys::MODIFIED_AT).await?;
                unchanged(id, modified_at(&current), modified_at(&now))?;
                body
            }
            (UpdateMode::Complete, Baseline::Read { current, planned }) => {
                unchanged(id, planned, current.and_then(modified_at))?;
                complete_body(current.unwrap_or(&Map::new()), changes)
            }
        };
        self.put_user_body(id, body, sending).await
    }

    /// `PUT /api/v3/users/{id}` with `body` as it is (a patch's changes, or
    /// a complete body); a refused partial body that lacks required fields
    /// is [`DirectoryError::PartialRefused`].
    async fn put_user_body(
        &self,
        id: i64,
        body: Map<String, Value>,
        sending: &Sending,
    ) -> Result<types::User, DirectoryError> {
        let mut call = self
            .put_user()
            .id(path_id(id)?)
            .raw_body(Value::Object(body.clone()))
            .options(Options {
                retries: sending.retries,
                ..Options::default()
            });
        if !sending.fields.is_empty() {
            call = call.fields(sending.fields.to_query()?);
        }
        let answer = call.answer().await.map_err(|source| {
            // Refused for lacking required fields: a 400 whose body says
            // "required" or names a field the partial body lacked.
            let missing = missing_required(&body);
            let refused = source.status().is_some_and(|status| status.as_u16() == 400);
            let text = source
                .body()
                .map(|body| String::from_utf8_lossy(body.bytes()).to_lowercase())
                .unwrap_or_default();
            let about_missing = text.contains("required")
                || missing
                    .iter()
                    .any(|name| mentions(&text, &name.to_lowercase()));
            if sending.mode == UpdateMode::Partial
                && refused
                && about_missing
                && !missing.is_empty()
            {
                DirectoryError::PartialRefused {
                    user: id,
                    missing,
                    source,
                }
            } else {
                source.into()
            }
        })?;
        Ok(answer.decode(parse_enveloped)?)
    }
}

/// Whether `text` names `word` as a word of its own (`mail`, not the
/// `mail` of `personalemail`).
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// An update's result as an outcome: only a success's body is decoded, so
/// an answer that did not read is an update applied.
pub(crate) fn applied(
    result: Result<types::User, DirectoryError>,
) -> Result<Applied, DirectoryError> {
    match result {
        Ok(user) => Ok(Applied::Read(Box::new(user))),
        Err(DirectoryError::Http(error @ HttpError::InvalidAnswer { .. })) => {
            tracing::warn!(%error, "user updated; the answer did not read");
            Ok(Applied::AnswerUnread(error))
        }
        Err(error) => Err(error),
    }
}

/// Runs `update` on every item, `concurrency` at a time, and reports one
/// outcome each in the order given. Unordered while running, so that a
/// slow answer does not hold a slot a finished one could use.
pub(crate) async fn fan_out<T, F, Fut>(
    items: impl IntoIterator<Item = T>,
    concurrency: usize,
    update: F,
) -> UpdateReport
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = UpdateOutcome>,
{
    let mut outcomes: Vec<(usize, UpdateOutcome)> =
        futures_util::stream::iter(items.into_iter().enumerate())
            .map(|(index, item)| {
                let outcome = update(item);
                async move {
                    let outcome = outcome.await;
                    if let Err(error) = &outcome.result {
                        tracing::warn!(user = ?outcome.user, %error, "user not updated");
                    }
                    (index, outcome)
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    outcomes.sort_unstable_by_key(|(index, _)| *index);
    UpdateReport {
        outcomes: outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
    }
}

/// A partial update of one user: made by [`Client::update_user`].
#[derive(Debug)]
pub struct UpdateUserRequest<'a> {
    client: &'a Client,
    id: i64,
    patch: UserPatch,
    sending: Sending,
}

impl UpdateUserRequest<'_> {
    /// Tries the update again with `retries` rather than the client's.
    pub fn retries(mut self, retries: Backoff) -> Self {
        self.sending.retries = Some(retries);
        self
    }

    /// Which reading of the `PUT` to follow (partial by default).
    pub fn mode(mut self, mode: UpdateMode) -> Self {
        self.sending.mode = mode;
        self
    }

    /// The properties the answer should hold (by default Lucca sends `id`,
    /// `name`, `url`).
    pub fn fields(mut self, fields: Fields) -> Self {
        self.sending.fields = fields;
        self
    }

    /// Sends the update; the answer is the updated user. An answer that
    /// does not read is [`HttpError::InvalidAnswer`]: the update was
    /// applied ([`bulk_update`](Client::bulk_update) reports it as
    /// [`Applied::AnswerUnread`]).
    pub async fn send(self) -> Result<types::User, DirectoryError> {
        self.client
            .send_patch(self.id, &self.patch, &self.sending, Baseline::ReadNow)
            .await
    }
}

/// Many updates: made by [`Client::bulk_update`].
#[derive(Debug)]
pub struct BulkUpdateRequest<'a> {
    client: &'a Client,
    updates: Vec<(UserRef, UserPatch)>,
    concurrency: usize,
    sending: Sending,
}

impl BulkUpdateRequest<'_> {
    /// Which reading of the `PUT` every update follows (partial by default).
    pub fn mode(mut self, mode: UpdateMode) -> Self {
        self.sending.mode = mode;
        self
    }

    /// Updates in flight at once (4 by default; the rate limit still holds).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Tries each update again with `retries` rather than the client's.
    pub fn retries(mut self, retries: Backoff) -> Self {
        self.sending.retries = Some(retries);
        self
    }

    /// Runs the updates (a login is looked up first); one outcome a user, in
    /// the order given.
    pub async fn execute(self) -> UpdateReport {
        let Self {
            client,
            updates,
            concurrency,
            sending,
        } = self;
        let sending = &sending;
        fan_out(updates, concurrency, |(user, patch)| async move {
            let id = match &user {
                UserRef::Id(id) => Ok(*id),
                UserRef::Login(login) => client.find_user_id(login.clone()).send().await,
            };
            let (id, result) = match id {
                Ok(id) => {
                    let sent = client
                        .send_patch(id, &patch, sending, Baseline::ReadNow)
                        .await;
                    (Some(id), applied(sent))
                }
                Err(error) => (None, Err(error)),
            };
            UpdateOutcome { user, id, result }
        })
        .await
    }
}
