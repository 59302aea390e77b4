//! Reading users a page at a time, safely at scale: `GET /api/v3/users` with
//! `paging=offset,limit` (1000 a page unless asked otherwise).
//!
//! - The first page of a listing also asks `collection.count`, so the pager
//!   knows the total: it stops there without asking an empty page, and goes
//!   on past a page that a server capped below the asked limit.
//! - A page that adds no user it has not seen (a server that ignores the
//!   offset, or repeats a page) is not followed by the same page again: when
//!   users remain and the order is by id, the pager goes on by id
//!   (`id=greaterthan,LAST`), else it stops with
//!   [`DirectoryError::IncompleteListing`].
//! - A `408` (Lucca aborts requests over 5 s) halves the page and asks again
//!   from the same offset; the transport does not repeat it as it is.
//! - `id` and `login` lists are split into requests whose query stays under
//!   [`UserQuery::max_query_bytes`] (and 1000 values), read one after the
//!   other, each user once.

use std::collections::{HashSet, VecDeque};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::Client;
use super::builder::ListUsers;
use super::envelope::parse_enveloped;
use super::error::DirectoryError;
use super::query::{OrderBy, Param, UserQuery, chunk_values};
use crate::error::HttpError;
use crate::operation::Operation;
use crate::retry::Resend;
use crate::transport::Options;

/// A user as the API answered it, every field it sent.
pub(crate) type Record = Map<String, Value>;

/// A list answer: `items` (absent when only the count was asked, `null`
/// read as none) and `count`.
#[derive(Debug, Deserialize)]
struct RawList {
    #[serde(default)]
    items: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "crate::tolerant::optional_integer")]
    count: Option<u64>,
}

/// The listing's calls are pages: a `408` comes back to the pager.
const PAGE: Options = Options {
    deadline: None,
    retries: None,
    resend: Some(Resend::Page),
};

/// The generated listing request with `param` set to `value` (a later
/// value of the same parameter replaces an earlier one).
fn set(call: ListUsers<'_>, param: Param, value: String) -> ListUsers<'_> {
    match param {
        Param::Fields => call.fields(value),
        Param::Paging => call.paging(value),
        Param::FormerEmployees => call.former_employees(value == "true"),
        Param::Id => call.id(value),
        Param::Login => call.login(value),
        Param::Mail => call.mail(value),
        Param::DtContractStart => call.dt_contract_start(value),
        Param::DtContractEnd => call.dt_contract_end(value),
        Param::ModifiedAt => call.modified_at(value),
        Param::OrderBy => call.order_by(value),
    }
}

/// Where a listing stands.
pub(crate) struct Pager<'a> {
    client: &'a Client,
    fields: String,
    filters: Vec<(Param, String)>,
    former_employees: bool,
    by_id: bool,
    /// The lists still to read (`None`: no list filter, one listing).
    lists: VecDeque<Option<(Param, String)>>,
    current: Option<Option<(Param, String)>>,
    offset: u64,
    limit: u32,
    /// Going on by id, after this one.
    after: Option<i64>,
    /// The current list's total, once a page said it.
    total: Option<u64>,
    /// Users of the current list given so far.
    given: u64,
    seen: HashSet<i64>,
    requests: u32,
    capped: bool,
}

impl std::fmt::Debug for Pager<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pager")
            .field("offset", &self.offset)
            .field("limit", &self.limit)
            .field("total", &self.total)
            .field("requests", &self.requests)
            .finish_non_exhaustive()
    }
}

impl<'a> Pager<'a> {
    /// A listing of `query`, or why it cannot be sent (nothing was).
    pub(crate) fn new(client: &'a Client, query: &UserQuery) -> Result<Self, DirectoryError> {
        let mut fields = if query.fields.is_empty() {
            "id,name,url".to_owned()
        } else {
            query.fields.to_query()?
        };
        if !query.fields.is_empty() && !query.fields.contains(super::keys::ID) {
            fields.insert_str(0, "id,");
        }
        let filters = query.filters()?;
        let list = query.list()?;
        // Going on by id needs the id filter free.
        let by_id = query.order_by == OrderBy::IdAscending && !matches!(list, Some((Param::Id, _)));
        let lists = match list {
            None => VecDeque::from([None]),
            Some((param, values)) => {
                // The longest page and the count, so that the bound holds
                // for every request of the listing.
                let mut base: Vec<(&'static str, String)> = filters
                    .iter()
                    .map(|(param, value)| (param.name(), value.clone()))
                    .collect();
                base.push((Param::Fields.name(), format!("{fields},collection.count")));
                base.push((
                    Param::Paging.name(),
                    format!("{},{}", u64::MAX, query.page_size),
                ));
                base.push((Param::FormerEmployees.name(), "false".to_owned()));
                chunk_values(&values, param, &base, query.max_query_bytes)
                    .into_iter()
                    .map(|chunk| Some((param, chunk.join(","))))
                    .collect()
            }
        };
        Ok(Self {
            client,
            fields,
            filters,
            former_employees: query.former_employees,
            by_id,
            lists,
            current: None,
            offset: 0,
            limit: query.page_size,
            after: None,
            total: None,
            given: 0,
            seen: HashSet::new(),
            requests: 0,
            capped: false,
        })
    }

    /// How many list requests the `id` or `login` list takes (1 without a
    /// list), before paging.
    pub(crate) fn lists(&self) -> usize {
        self.lists.len() + usize::from(self.current.is_some())
    }

    /// The current list's total, once its first page said it.
    pub(crate) fn total(&self) -> Option<u64> {
        self.total
    }

    /// Requests sent so far.
    pub(crate) fn requests(&self) -> u32 {
        self.requests
    }

    /// The users of the next page not given before; `None` at the end.
    pub(crate) async fn next_page(&mut self) -> Result<Option<Vec<Record>>, DirectoryError> {
        loop {
            let list = match &self.current {
                Some(list) => list.clone(),
                None => match self.lists.pop_front() {
                    Some(list) => {
                        self.current = Some(list.clone());
                        self.offset = 0;
                        self.after = None;
                        self.total = None;
                        self.given = 0;
                        list
                    }
                    None => return Ok(None),
                },
            };
            let first = self.offset == 0 && self.after.is_none() && self.given == 0;
            let (items, count) = match self.fetch(list.as_ref(), first).await {
                Ok(page) => page,
                Err(DirectoryError::Http(error))
                    if error.status().is_some_and(|status| status.as_u16() == 408)
                        && self.limit > 1 =>
                {
                    self.limit = (self.limit / 2).max(1);
                    tracing::info!(
                        limit = self.limit,
                        offset = self.offset,
                        "the server gave up on the page (408); asking a smaller one"
                    );
                    continue;
                }
                Err(error) => return Err(error),
            };
            if count.is_some() {
                self.total = count;
            }
            let served = items.len() as u64;
            let mut last_id = None;
            let fresh: Vec<Record> = items
                .into_iter()
                .filter_map(|item| match item {
                    Value::Object(record) => Some(record),
                    _ => None,
                })
                .filter(|record| {
                    let id = record.get(super::keys::ID).and_then(Value::as_i64);
                    last_id = id.or(last_id);
                    id.is_none_or(|id| self.seen.insert(id))
                })
                .collect();
            self.given += fresh.len() as u64;
            let remaining = self.total.is_none_or(|total| self.given < total);
            let end_of_list = if served == 0 {
                true
            } else if fresh.is_empty() {
                // Nothing new: the offset was ignored or a page repeated.
                if !remaining {
                    true
                } else if self.by_id && self.after.is_none() {
                    tracing::warn!(
                        offset = self.offset,
                        "the server repeated a page (it ignores the offset?); going on by id"
                    );
                    self.after = self.seen.iter().copied().max();
                    self.offset = 0;
                    false
                } else {
                    return Err(DirectoryError::IncompleteListing {
                        given: self.given,
                        total: self.total,
                    });
                }
            } else {
                if self.after.is_some() {
                    self.after = last_id.or(self.after);
                } else {
                    self.offset += served;
                }
                match self.total {
                    Some(_) => {
                        if served < u64::from(self.limit) && remaining && !self.capped {
                            self.capped = true;
                            tracing::info!(
                                asked = self.limit,
                                served,
                                "the server caps pages below the asked size; paging on"
                            );
                        }
                        !remaining
                    }
                    None => served < u64::from(self.limit),
                }
            };
            if end_of_list {
                self.current = None;
            }
            if !fresh.is_empty() {
                return Ok(Some(fresh));
            }
        }
    }

    /// One page of `list` (and its count on the first page).
    async fn fetch(
        &mut self,
        list: Option<&(Param, String)>,
        first: bool,
    ) -> Result<(Vec<Value>, Option<u64>), DirectoryError> {
        let fields = if first {
            format!("{},collection.count", self.fields)
        } else {
            self.fields.clone()
        };
        let mut call = self
            .client
            .list_users()
            .fields(fields)
            .paging(format!("{},{}", self.offset, self.limit))
            .former_employees(self.former_employees)
            .options(PAGE);
        // Filters, then the list (a `login` list replaces a `login`
        // filter), then the id to go on after.
        for (param, value) in &self.filters {
            call = set(call, *param, value.clone());
        }
        if let Some((param, values)) = list {
            call = set(call, *param, values.clone());
        }
        if let Some(after) = self.after {
            call = call.id(format!("greaterthan,{after}"));
        }
        self.requests += 1;
        let answer = call.answer().await?;
        let list: RawList = answer.decode(parse_enveloped)?;
        Ok((list.items.unwrap_or_default(), list.count))
    }
}

/// A user record read into the typed model.
pub(crate) fn typed(record: Record) -> Result<super::types::User, DirectoryError> {
    let value = Value::Object(record);
    serde_json::from_value(value.clone()).map_err(|source| {
        DirectoryError::Http(HttpError::InvalidAnswer {
            operation: Operation::ListUsers,
            body: serde_json::to_vec(&value).unwrap_or_default().into(),
            source,
        })
    })
}
