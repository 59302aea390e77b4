//! Reading, finding and updating users, as a sync job needs them: one user,
//! every user as a stream of pages, a user's id from their login, a partial
//! update (retried, since `PUT` is idempotent), many updates at once.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use futures_util::{Stream, StreamExt};
use progenitor_client::ClientInfo;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Client;
use super::fields::{Fields, FieldsError};
use super::patch::{PatchError, UserPatch};
use super::query::UserQuery;
use super::types;
use crate::error::body_excerpt;
use crate::retry::{CallKind, Retry, decide_status};

/// A users call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// The `fields` selection cannot be sent.
    #[error("invalid fields selection")]
    Fields(#[from] FieldsError),
    /// A user id must be 1 or more; nothing was sent.
    #[error("{id} is not a user id (ids start at 1)")]
    InvalidId {
        /// The id given.
        id: i64,
    },
    /// The update holds an invalid value; nothing was sent.
    #[error("invalid update of user {user}; nothing was sent")]
    Patch {
        /// The user.
        user: i64,
        /// The field and what is wrong.
        #[source]
        source: PatchError,
    },
    /// A generated call failed.
    #[error("{operation} failed")]
    Api {
        /// Which call.
        operation: &'static str,
        /// Its error.
        #[source]
        source: Box<super::Error>,
    },
    /// The server refused the request.
    #[error("{operation} was refused with {status}: {body}")]
    Rejected {
        /// Which call.
        operation: &'static str,
        /// The status.
        status: reqwest::StatusCode,
        /// The start of the answer's body.
        body: String,
    },
    /// No answer came (after the retries, for an update).
    #[error("{operation} got no answer after {attempts} attempt(s)")]
    Transport {
        /// Which call.
        operation: &'static str,
        /// How many times it was sent.
        attempts: u32,
        /// The last error.
        #[source]
        source: reqwest::Error,
    },
    /// The answer is not the documented shape.
    #[error("{operation} answered a body of the wrong shape: {body}")]
    InvalidAnswer {
        /// Which call.
        operation: &'static str,
        /// The start of the body.
        body: String,
        /// Why it does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// Several users have this login.
    #[error("{count} users have the login {login:?}")]
    AmbiguousLogin {
        /// The login.
        login: String,
        /// How many users have it.
        count: usize,
    },
    /// No user has this login.
    #[error("no user has the login {login:?}")]
    UnknownLogin {
        /// The login.
        login: String,
    },
}

/// A user id as the path takes it.
fn path_id(id: i64) -> Result<std::num::NonZeroU64, DirectoryError> {
    u64::try_from(id)
        .ok()
        .and_then(std::num::NonZeroU64::new)
        .ok_or(DirectoryError::InvalidId { id })
}

/// Parses `{"data": T}` or a bare `T` (both appear in Lucca's documentation).
pub fn parse_enveloped<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    let value: Value = serde_json::from_slice(body)?;
    match value {
        Value::Object(mut map) if map.contains_key("data") => {
            serde_json::from_value(map.remove("data").unwrap_or_default())
        }
        other => serde_json::from_value(other),
    }
}

/// A generated call's answer, or its body re-read with [`parse_enveloped`]
/// when it is a bare object rather than the envelope.
fn enveloped<T: DeserializeOwned, E>(
    operation: &'static str,
    result: Result<E, super::Error>,
    data: impl FnOnce(E) -> T,
) -> Result<T, DirectoryError> {
    match result {
        Ok(answer) => Ok(data(answer)),
        Err(progenitor_client::Error::InvalidResponsePayload(body, _)) => parse_enveloped(&body)
            .map_err(|source| DirectoryError::InvalidAnswer {
                operation,
                body: body_excerpt(&body),
                source,
            }),
        Err(error) => Err(DirectoryError::Api {
            operation,
            source: Box::new(error),
        }),
    }
}

/// Which user an update is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// By id.
    Id(i64),
    /// By login (its id is looked up first).
    Login(String),
}

/// How updates are retried and run together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateOptions {
    /// Attempts of one update, the first included (1 means no retry).
    pub attempts: u32,
    /// The first delay between attempts (doubled each time, jittered).
    pub base_delay: Duration,
    /// The largest delay between attempts.
    pub max_delay: Duration,
    /// Updates in flight at once in a bulk update.
    pub concurrency: usize,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        Self {
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            concurrency: 4,
        }
    }
}

impl UpdateOptions {
    fn delay(&self, attempt: u32) -> Duration {
        crate::retry::Backoff {
            attempts: self.attempts,
            base_delay: self.base_delay,
            max_delay: self.max_delay,
        }
        .delay(attempt)
    }
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
pub trait ClientExtraUsersExt {
    /// One user with the chosen fields; the envelope or a bare object.
    fn user(
        &self,
        id: i64,
        fields: &Fields,
    ) -> impl Future<Output = Result<types::User, DirectoryError>> + Send;

    /// Every user the query matches, page after page, each once.
    fn users(
        &self,
        query: UserQuery,
    ) -> impl Stream<Item = Result<types::User, DirectoryError>> + Send + '_;

    /// The id of the user with this login.
    fn find_user_id(&self, login: &str)
    -> impl Future<Output = Result<i64, DirectoryError>> + Send;

    /// Sends the touched fields of `patch`; retried on 408, 429, 502, 503,
    /// 504 and connection errors (a `PUT` is idempotent).
    fn update_user(
        &self,
        id: i64,
        patch: &UserPatch,
        options: UpdateOptions,
    ) -> impl Future<Output = Result<types::User, DirectoryError>> + Send;

    /// Updates many users, `options.concurrency` at a time, within the
    /// client's rate limit. One user's failure stops nothing.
    fn bulk_update(
        &self,
        updates: Vec<(UserRef, UserPatch)>,
        options: UpdateOptions,
    ) -> impl Future<Output = BulkReport> + Send;
}

impl ClientExtraUsersExt for Client {
    async fn user(&self, id: i64, fields: &Fields) -> Result<types::User, DirectoryError> {
        let mut call = self.get_api_v3_users_id().id(path_id(id)?);
        if !fields.is_empty() {
            call = call.fields(fields.to_query()?);
        }
        enveloped("get user", call.send().await, |answer| {
            answer.into_inner().data
        })
    }

    fn users(
        &self,
        query: UserQuery,
    ) -> impl Stream<Item = Result<types::User, DirectoryError>> + Send + '_ {
        struct Paging {
            offset: u64,
            done: bool,
            seen: HashSet<i64>,
        }
        let start = Paging {
            offset: 0,
            done: false,
            seen: HashSet::new(),
        };
        futures_util::stream::try_unfold(start, move |mut paging| {
            let query = query.clone();
            async move {
                if paging.done {
                    return Ok(None);
                }
                let page = self.users_page(&query, paging.offset).await?;
                let count = page.len() as u64;
                paging.offset += count;
                paging.done = count < u64::from(query.page_size);
                let fresh: Vec<types::User> = page
                    .into_iter()
                    .filter(|user| user.id.is_none_or(|id| paging.seen.insert(id)))
                    .collect();
                Ok(Some((
                    futures_util::stream::iter(fresh.into_iter().map(Ok)),
                    paging,
                )))
            }
        })
        .map(|page: Result<_, DirectoryError>| match page {
            Ok(users) => users.left_stream(),
            Err(error) => futures_util::stream::once(async { Err(error) }).right_stream(),
        })
        .flatten()
    }

    async fn find_user_id(&self, login: &str) -> Result<i64, DirectoryError> {
        let answer = self
            .get_api_v3_users()
            .login(login)
            .fields("id,login")
            .paging("0,2")
            .former_employees(true)
            .send()
            .await;
        let list = enveloped("find user", answer, |answer| answer.into_inner().data)?;
        let ids: Vec<i64> = list
            .items
            .iter()
            .filter(|user| user.login.as_deref() == Some(login))
            .filter_map(|user| user.id)
            .collect();
        match ids.as_slice() {
            [id] => Ok(*id),
            [] => Err(DirectoryError::UnknownLogin {
                login: login.to_owned(),
            }),
            many => Err(DirectoryError::AmbiguousLogin {
                login: login.to_owned(),
                count: many.len(),
            }),
        }
    }

    async fn update_user(
        &self,
        id: i64,
        patch: &UserPatch,
        options: UpdateOptions,
    ) -> Result<types::User, DirectoryError> {
        path_id(id)?;
        let body = patch
            .to_json()
            .map_err(|source| DirectoryError::Patch { user: id, source })?;
        let url = format!("{}/api/v3/users/{id}", self.baseurl());
        let operation = "update user";
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self
                .client()
                .put(&url)
                .json(&body)
                .build()
                .map_err(|source| DirectoryError::Transport {
                    operation,
                    attempts: 0,
                    source,
                })?;
            let hint =
                match crate::hooks::execute(self.client(), self.inner(), request, false).await {
                    Ok(answer) => {
                        let status = answer.status();
                        let headers = answer.headers().clone();
                        let bytes = answer.bytes().await;
                        match (status.is_success(), bytes) {
                            (true, Ok(bytes)) => {
                                return parse_enveloped(&bytes).map_err(|source| {
                                    DirectoryError::InvalidAnswer {
                                        operation,
                                        body: body_excerpt(&bytes),
                                        source,
                                    }
                                });
                            }
                            (_, Err(source)) if attempt >= options.attempts => {
                                return Err(DirectoryError::Transport {
                                    operation,
                                    attempts: attempt,
                                    source,
                                });
                            }
                            (_, Err(_)) => None,
                            (false, Ok(bytes)) => {
                                let decision = decide_status(
                                    status,
                                    &headers,
                                    CallKind::IdempotentWrite,
                                    SystemTime::now(),
                                );
                                match decision {
                                    Retry::After(hint) if attempt < options.attempts => hint,
                                    _ => {
                                        return Err(DirectoryError::Rejected {
                                            operation,
                                            status,
                                            body: body_excerpt(&bytes),
                                        });
                                    }
                                }
                            }
                        }
                    }
                    Err(source) if attempt >= options.attempts => {
                        return Err(DirectoryError::Transport {
                            operation,
                            attempts: attempt,
                            source,
                        });
                    }
                    Err(error) => {
                        tracing::warn!(user = id, attempt, %error, "update failed; retrying");
                        None
                    }
                };
            let delay = options.delay(attempt - 1).max(hint.unwrap_or_default());
            tokio::time::sleep(delay).await;
        }
    }

    async fn bulk_update(
        &self,
        updates: Vec<(UserRef, UserPatch)>,
        options: UpdateOptions,
    ) -> BulkReport {
        let outcomes = futures_util::stream::iter(updates)
            .map(|(user, patch)| async move {
                let result = match &user {
                    UserRef::Id(id) => self.update_user(*id, &patch, options).await,
                    UserRef::Login(login) => match self.find_user_id(login).await {
                        Ok(id) => self.update_user(id, &patch, options).await,
                        Err(error) => Err(error),
                    },
                };
                if let Err(error) = &result {
                    tracing::warn!(?user, %error, "user not updated");
                }
                UpdateOutcome { user, result }
            })
            .buffered(options.concurrency.max(1))
            .collect()
            .await;
        BulkReport { outcomes }
    }
}

impl Client {
    /// One page of users from `offset`.
    async fn users_page(
        &self,
        query: &UserQuery,
        offset: u64,
    ) -> Result<Vec<types::User>, DirectoryError> {
        let mut call = self
            .get_api_v3_users()
            .paging(format!("{offset},{}", query.page_size))
            .former_employees(query.former_employees);
        if !query.fields.is_empty() {
            call = call.fields(query.fields.to_query()?);
        }
        for (name, value) in query.filters() {
            call = match name {
                "login" => call.login(value),
                "mail" => call.mail(value),
                "dtContractStart" => call.dt_contract_start(value),
                "dtContractEnd" => call.dt_contract_end(value),
                _ => call.modified_at(value),
            };
        }
        let list = enveloped("list users", call.send().await, |answer| {
            answer.into_inner().data
        })?;
        Ok(list.items)
    }
}
