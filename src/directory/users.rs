//! Reading, finding and updating users, as a sync job needs them: one user,
//! every user as a stream of pages, a user's id from their login, a partial
//! update (retried by the transport, since `PUT` is idempotent), many
//! updates at once. Each is a builder: `send()` sends one request,
//! `execute()` runs a flow of several.

use futures_util::{Stream, StreamExt};
use serde_json::Value;

use super::Client;
use super::complete::{
    UpdateMode, complete_body, missing_required, modified_at, read_selection, unchanged,
};
use super::envelope::parse_enveloped;
use super::error::DirectoryError;
use super::fields::Fields;
use super::pager::{Pager, Record, typed};
use super::patch::{Extensions, UserPatch};
use super::query::UserQuery;
use super::types;
use crate::error::HttpError;
use crate::operation::Operation;
use crate::retry::Backoff;
use crate::transport::Options;

/// Whether `text` names `word` as a word of its own (`mail`, not the
/// `mail` of `personalemail`).
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// A user id as the path takes it.
fn path_id(id: i64) -> Result<std::num::NonZeroU64, DirectoryError> {
    u64::try_from(id)
        .ok()
        .and_then(std::num::NonZeroU64::new)
        .ok_or(DirectoryError::InvalidId { id })
}

/// Which user an update is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// By id.
    Id(i64),
    /// By login (its id is looked up first).
    Login(String),
}

/// What a bulk update did for one user.
#[derive(Debug)]
pub struct UpdateOutcome {
    /// The user, as given.
    pub user: UserRef,
    /// The updated user, or why not.
    pub result: Result<types::User, DirectoryError>,
}

/// What a bulk update did, user by user, in the order given.
#[derive(Debug, Default)]
pub struct BulkReport {
    /// One outcome a user.
    pub outcomes: Vec<UpdateOutcome>,
}

impl BulkReport {
    /// The users updated.
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

/// The users operations `roster` adds to [`directory::Client`](Client).
///
/// ```no_run
/// use roster::directory::{self, Fields, UserPatch};
///
/// # async fn run(directory: directory::Client) -> Result<(), directory::DirectoryError> {
/// let id = directory.find_user_id("jdupont").send().await?;
/// let user = directory.user(id).fields(Fields::sync()).send().await?;
/// println!("{:?}", user.job_title);
/// directory.update_user(id, UserPatch::new().job_title("Lead")).send().await?;
/// # Ok(()) }
/// ```
impl Client {
    /// One user; the envelope or a bare object.
    pub fn user(&self, id: i64) -> GetUserRequest<'_> {
        GetUserRequest {
            client: self,
            id,
            fields: Fields::new(),
        }
    }

    /// Every user the query matches, page after page, each once.
    pub fn users(&self, query: UserQuery) -> ListUsersRequest<'_> {
        ListUsersRequest {
            client: self,
            query,
        }
    }

    /// The id of the user with this login.
    pub fn find_user_id(&self, login: impl Into<String>) -> FindUserIdRequest<'_> {
        FindUserIdRequest {
            client: self,
            login: login.into(),
        }
    }

    /// Sends the touched fields of `patch`; the transport tries it again on
    /// 408, 429, 502, 503, 504 and lost answers (a `PUT` is idempotent).
    pub fn update_user(&self, id: i64, patch: UserPatch) -> UpdateUserRequest<'_> {
        UpdateUserRequest {
            client: self,
            id,
            patch,
            retries: None,
            mode: UpdateMode::default(),
            fields: Fields::new(),
        }
    }

    /// Updates many users, a few at a time, within the client's rate limit.
    /// One user's failure stops nothing.
    pub fn bulk_update(&self, updates: Vec<(UserRef, UserPatch)>) -> BulkUpdateRequest<'_> {
        BulkUpdateRequest {
            client: self,
            updates,
            concurrency: 4,
            retries: None,
            mode: UpdateMode::default(),
        }
    }
}

/// One user: made by [`Client::user`].
#[derive(Debug)]
pub struct GetUserRequest<'a> {
    client: &'a Client,
    id: i64,
    fields: Fields,
}

impl GetUserRequest<'_> {
    /// The properties to get (by default Lucca sends `id`, `name`, `url`).
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = fields;
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<types::User, DirectoryError> {
        let mut call = self.client.get_user().id(path_id(self.id)?);
        if !self.fields.is_empty() {
            call = call.fields(self.fields.to_query()?);
        }
        Ok(call.answer().await?.decode(parse_enveloped)?)
    }

    /// Sends the request, and also reads the tenant's extension fields
    /// (`e_*`) and axis values (`userAxisValues_*`) the record holds (ask
    /// for them in [`fields`](Self::fields), such as `e_bloodType`).
    pub async fn send_with_extensions(self) -> Result<(types::User, Extensions), DirectoryError> {
        path_id(self.id)?;
        let fields = if self.fields.is_empty() {
            "id,name,url".to_owned()
        } else {
            self.fields.to_query()?
        };
        let raw = self.client.read_raw(self.id, &fields).await?;
        let extensions = Extensions::of(&raw);
        let record = Value::Object(raw);
        let user =
            serde_json::from_value(record.clone()).map_err(|source| HttpError::InvalidAnswer {
                operation: Operation::GetUser,
                body: serde_json::to_vec(&record).unwrap_or_default().into(),
                source,
            })?;
        Ok((user, extensions))
    }
}

/// Every user a query matches: made by [`Client::users`].
#[derive(Debug)]
pub struct ListUsersRequest<'a> {
    client: &'a Client,
    query: UserQuery,
}

impl<'a> ListUsersRequest<'a> {
    /// The users, page after page (`paging=offset,limit`), each once, as
    /// the [pager](super::pager) reads them; the stream ends with the first
    /// error.
    pub fn stream(self) -> impl Stream<Item = Result<types::User, DirectoryError>> + Send + 'a {
        let Self { client, query } = self;
        let start = Pager::new(client, &query).map(Some);
        futures_util::stream::try_unfold(start, |pager| async move {
            let mut pager = match pager {
                Ok(Some(pager)) => pager,
                Ok(None) => return Ok(None),
                Err(error) => return Err(error),
            };
            Ok(pager.next_page().await?.map(|page| (page, Ok(Some(pager)))))
        })
        .map(|page: Result<Vec<Record>, DirectoryError>| match page {
            Ok(records) => futures_util::stream::iter(records.into_iter().map(typed)).left_stream(),
            Err(error) => futures_util::stream::once(async { Err(error) }).right_stream(),
        })
        .flatten()
    }
}

/// A user's id from their login: made by [`Client::find_user_id`].
#[derive(Debug)]
pub struct FindUserIdRequest<'a> {
    client: &'a Client,
    login: String,
}

impl FindUserIdRequest<'_> {
    /// Sends the request (former employees included: a login is unique).
    pub async fn send(self) -> Result<i64, DirectoryError> {
        let login = self.login;
        let answer = self
            .client
            .list_users()
            .login(login.clone())
            .fields("id,login")
            .paging("0,2")
            .former_employees(true)
            .answer()
            .await?;
        let list: types::UserList = answer.decode(parse_enveloped)?;
        let ids: Vec<i64> = list
            .items
            .iter()
            .filter(|user| user.login.as_deref() == Some(login.as_str()))
            .filter_map(|user| user.id)
            .collect();
        match ids.as_slice() {
            [id] => Ok(*id),
            [] => Err(DirectoryError::UnknownLogin { login }),
            many => Err(DirectoryError::AmbiguousLogin {
                count: many.len(),
                login,
            }),
        }
    }
}

/// A partial update of one user: made by [`Client::update_user`].
#[derive(Debug)]
pub struct UpdateUserRequest<'a> {
    client: &'a Client,
    id: i64,
    patch: UserPatch,
    retries: Option<Backoff>,
    mode: UpdateMode,
    fields: Fields,
}

impl UpdateUserRequest<'_> {
    /// Tries the update again with `retries` rather than the client's.
    pub fn retries(mut self, retries: Backoff) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Which reading of the `PUT` to follow (partial by default).
    pub fn mode(mut self, mode: UpdateMode) -> Self {
        self.mode = mode;
        self
    }

    /// The properties the answer should hold (by default Lucca sends `id`,
    /// `name`, `url`).
    pub fn fields(mut self, fields: Fields) -> Self {
        self.fields = fields;
        self
    }

    /// Sends the update; the answer is the updated user.
    pub async fn send(self) -> Result<types::User, DirectoryError> {
        let Self {
            client,
            id,
            patch,
            retries,
            mode,
            fields,
        } = self;
        path_id(id)?;
        let changes = match patch
            .to_json()
            .map_err(|source| DirectoryError::Patch { user: id, source })?
        {
            Value::Object(changes) => changes,
            _ => serde_json::Map::new(),
        };
        let body = match mode {
            UpdateMode::Partial => changes,
            UpdateMode::Complete => {
                let current = client.read_raw(id, &read_selection()).await?;
                let body = complete_body(&current, changes);
                let now = client.read_raw(id, "modifiedAt").await?;
                unchanged(id, modified_at(&current), modified_at(&now))?;
                body
            }
        };
        client.put_user_body(id, body, mode, retries, &fields).await
    }
}

impl Client {
    /// `PUT /api/v3/users/{id}` with `body` as it is (a patch's changes, or
    /// a complete body); a refused partial body that lacks required fields
    /// is [`DirectoryError::PartialRefused`].
    pub(crate) async fn put_user_body(
        &self,
        id: i64,
        body: serde_json::Map<String, Value>,
        mode: UpdateMode,
        retries: Option<Backoff>,
        fields: &Fields,
    ) -> Result<types::User, DirectoryError> {
        let mut call = self
            .put_user()
            .id(path_id(id)?)
            .raw_body(Value::Object(body.clone()))
            .options(Options {
                retries,
                ..Options::default()
            });
        if !fields.is_empty() {
            call = call.fields(fields.to_query()?);
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
            if mode == UpdateMode::Partial && refused && about_missing && !missing.is_empty() {
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

impl Client {
    /// User `id` as raw JSON (the envelope or a bare object), with `fields`.
    async fn read_raw(
        &self,
        id: i64,
        fields: &str,
    ) -> Result<serde_json::Map<String, Value>, DirectoryError> {
        let answer = self
            .get_user()
            .id(path_id(id)?)
            .fields(fields)
            .answer()
            .await?;
        Ok(answer.decode(parse_enveloped)?)
    }
}

/// Many updates: made by [`Client::bulk_update`].
#[derive(Debug)]
pub struct BulkUpdateRequest<'a> {
    client: &'a Client,
    updates: Vec<(UserRef, UserPatch)>,
    concurrency: usize,
    retries: Option<Backoff>,
    mode: UpdateMode,
}

impl BulkUpdateRequest<'_> {
    /// Which reading of the `PUT` every update follows (partial by default).
    pub fn mode(mut self, mode: UpdateMode) -> Self {
        self.mode = mode;
        self
    }

    /// Updates in flight at once (4 by default; the rate limit still holds).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Tries each update again with `retries` rather than the client's.
    pub fn retries(mut self, retries: Backoff) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Runs the updates (a login is looked up first); one outcome a user, in
    /// the order given.
    pub async fn execute(self) -> BulkReport {
        let Self {
            client,
            updates,
            concurrency,
            retries,
            mode,
        } = self;
        // Unordered, so that a slow answer does not hold a slot that a
        // finished one could use; put back in the order given after.
        let mut outcomes: Vec<(usize, UpdateOutcome)> =
            futures_util::stream::iter(updates.into_iter().enumerate())
                .map(|(index, (user, patch))| async move {
                    let id = match &user {
                        UserRef::Id(id) => Ok(*id),
                        UserRef::Login(login) => client.find_user_id(login.clone()).send().await,
                    };
                    let result = match id {
                        Ok(id) => {
                            let update = client.update_user(id, patch).mode(mode);
                            match retries {
                                Some(retries) => update.retries(retries).send().await,
                                None => update.send().await,
                            }
                        }
                        Err(error) => Err(error),
                    };
                    if let Err(error) = &result {
                        tracing::warn!(?user, %error, "user not updated");
                    }
                    (index, UpdateOutcome { user, result })
                })
                .buffer_unordered(concurrency)
                .collect()
                .await;
        outcomes.sort_unstable_by_key(|(index, _)| *index);
        BulkReport {
            outcomes: outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
        }
    }
}
