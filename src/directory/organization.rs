//! The organization structure users reference: departments, establishments
//! and legal units, each read whole (see [`Client::all_departments`]).
//!
//! Lucca's organization lists page by `page` (a 1-based index, or a cursor
//! an earlier answer gave) and a small `limit`; `fields.root=next` adds the
//! next page's cursor. The reader asks for the largest page and follows the
//! cursors; a server that sends none is read by index until a short page.
//! A server that refuses the largest page (`400`) is read at its default
//! size.

use std::collections::HashSet;
use std::num::NonZeroU32;

use futures_util::future::BoxFuture;

use super::generated::names::list_departments::query::LIMIT_MAXIMUM;
use super::{Client, DirectoryError, types};
use crate::error::HttpError;

/// A page as read: its items and the next page's cursor, if any.
type Page<T> = (Vec<T>, Option<String>);

/// Reads one page: the client, the page (an index or a cursor), the limit
/// (none: the server's default).
type Fetch<T> =
    for<'c> fn(&'c Client, String, Option<NonZeroU32>) -> BoxFuture<'c, Result<Page<T>, HttpError>>;

/// Every department, establishment or legal unit: made by
/// [`Client::all_departments`], [`Client::all_establishments`] and
/// [`Client::all_legal_units`].
pub struct OrganizationList<'a, T> {
    client: &'a Client,
    fetch: Fetch<T>,
}

impl<T> std::fmt::Debug for OrganizationList<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrganizationList").finish_non_exhaustive()
    }
}

/// The organization lists `roster` adds to [`Client`].
///
/// ```no_run
/// # async fn run(directory: roster::directory::Client) -> Result<(), roster::directory::DirectoryError> {
/// let departments = directory.all_departments().send().await?;
/// for department in &departments {
///     println!("{} {}", department.id, department.name);
/// }
/// # Ok(()) }
/// ```
/// The [`Fetch`] of one generated list operation: the page, the largest
/// limit when given, and `fields.root=next`.
macro_rules! fetch {
    ($operation:ident) => {
        |client, page, limit| {
            Box::pin(async move {
                let mut call = client.$operation().page(page).fields_root(NEXT.to_owned());
                if let Some(limit) = limit {
                    call = call.limit(limit);
                }
                let answer = call.send().await?;
                Ok((answer.items, answer.next))
            })
        }
    };
}

impl Client {
    /// Every department (a user's `departmentId`), pages of the largest
    /// size.
    pub fn all_departments(&self) -> OrganizationList<'_, types::Department> {
        OrganizationList {
            client: self,
            fetch: fetch!(list_departments),
        }
    }

    /// Every establishment (what v3 called a legal entity: a user's
    /// `legalEntityId`).
    pub fn all_establishments(&self) -> OrganizationList<'_, types::Establishment> {
        OrganizationList {
            client: self,
            fetch: fetch!(list_establishments),
        }
    }

    /// Every legal unit (the companies establishments belong to).
    pub fn all_legal_units(&self) -> OrganizationList<'_, types::LegalUnit> {
        OrganizationList {
            client: self,
            fetch: fetch!(list_legal_units),
        }
    }
}

/// The most pages read by index (a server that sends no cursor and ignores
/// `page` would otherwise be read forever).
const MAX_PAGES: u64 = 100;

/// What `fields.root` asks for: the next page's cursor (the page's
/// property).
use super::generated::names::schemas::department_page::NEXT;

impl<T> OrganizationList<'_, T> {
    /// Reads every page. A cursor given twice ends the reading with
    /// [`DirectoryError::IncompleteListing`], never a loop.
    pub async fn send(self) -> Result<Vec<T>, DirectoryError> {
        self.read().await.map(|(items, _)| items)
    }

    /// Every page, and how many requests they took.
    pub(crate) async fn read(self) -> Result<(Vec<T>, u32), DirectoryError> {
        let mut requests = 0_u32;
        let largest = NonZeroU32::new(LIMIT_MAXIMUM);
        let mut limit = largest;
        let mut items = Vec::new();
        let mut index = 1_u64;
        let mut page = index.to_string();
        let mut seen = HashSet::new();
        loop {
            requests += 1;
            let (mut found, next) = match (self.fetch)(self.client, page.clone(), limit).await {
                Ok(read) => read,
                // The largest page refused on the first read: the server's
                // own size.
                Err(error)
                    if index == 1
                        && limit.is_some()
                        && error.status().is_some_and(|status| status.as_u16() == 400) =>
                {
                    limit = None;
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            let short = limit.is_some_and(|limit| (found.len() as u64) < u64::from(limit.get()));
            let empty = found.is_empty();
            items.append(&mut found);
            page = match next {
                Some(cursor) if !cursor.is_empty() => {
                    if !seen.insert(cursor.clone()) {
                        return Err(DirectoryError::IncompleteListing {
                            given: items.len() as u64,
                            total: None,
                        });
                    }
                    cursor
                }
                // The last page of cursors, or by index: until an empty
                // or short page.
                _ if !seen.is_empty() || empty || short => return Ok((items, requests)),
                _ if index >= MAX_PAGES => {
                    return Err(DirectoryError::IncompleteListing {
                        given: items.len() as u64,
                        total: None,
                    });
                }
                _ => {
                    index += 1;
                    index.to_string()
                }
            };
        }
    }
}
