//! Reading, finding and updating users, as a sync job needs them: one user,
//! every user as a stream of pages, a user's id from their login, a partial
//! update (retried by the transport, since `PUT` is idempotent), many
//! updates at once. Each is a builder: `send()` sends one request,
//! `execute()` runs a flow of several.

use futures_util::{Stream, StreamExt};
use serde_json::Value;

use super::Client;
use super::envelope::parse_enveloped;
use super::error::DirectoryError;
use super::fields::Fields;
use super::pager::{Pager, Record, typed};
use super::patch::Extensions;
use super::query::UserQuery;
use super::types;
use crate::error::HttpError;
use crate::operation::Operation;

/// A user id as the path takes it.
pub(crate) fn path_id(id: i64) -> Result<std::num::NonZeroU64, DirectoryError> {
    u64::try_from(id)
        .ok()
        .and_then(std::num::NonZeroU64::new)
        .ok_or(DirectoryError::InvalidId { id })
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

impl Client {
    /// User `id` as raw JSON (the envelope or a bare object), with `fields`.
    pub(crate) async fn read_raw(&self, id: i64, fields: &str) -> Result<Record, DirectoryError> {
        let answer = self
            .get_user()
            .id(path_id(id)?)
            .fields(fields)
            .answer()
            .await?;
        Ok(answer.decode(parse_enveloped)?)
    }
}
