//! Every work location and every user location, as a stream read a page at
//! a time (`page` + `limit`). Lucca's documents give two bounds for
//! `limit`: 1 to 1000 in the newer version, 1 to 10 in the older one. The
//! pager asks for the page size it is given (1000 by default); when the
//! server refuses that with `400`, it goes on with 10, the older bound.

use std::num::NonZeroU32;

use futures_util::Stream;
use futures_util::future::BoxFuture;

use super::{Client, types};
use crate::error::HttpError;

/// The largest `limit` of the newer documents (the spec's `maximum`), and
/// the pager's default.
pub const NEWER_MAX_LIMIT: u32 =
    super::generated::names::get_office_api_user_locations::query::LIMIT_MAXIMUM;
/// The largest `limit` of the older documents.
pub const OLDER_MAX_LIMIT: u32 = 10;

/// Listings `roster` adds to [`office::Client`](Client).
///
/// ```no_run
/// use futures_util::TryStreamExt;
/// use roster::office;
///
/// # async fn run(office: office::Client) -> Result<(), roster::HttpError> {
/// let places: Vec<_> = office.all_work_locations().stream().try_collect().await?;
/// let mut locations = std::pin::pin!(office.all_user_locations().page_size(500).stream());
/// while let Some(location) = locations.try_next().await? {
///     println!("{} on {}", location.owner_id, location.date);
/// }
/// # Ok(()) }
/// ```
impl Client {
    /// Every work location, a page at a time.
    pub fn all_work_locations(&self) -> Pages<'_, types::WorkLocation> {
        Pages::new(self, |client, page, limit| {
            Box::pin(async move {
                let answer = client
                    .get_office_api_work_locations()
                    .page(page)
                    .limit(limit)
                    .send()
                    .await?;
                Ok(answer.items)
            })
        })
    }

    /// Every user location, a page at a time.
    pub fn all_user_locations(&self) -> Pages<'_, types::UserLocation> {
        Pages::new(self, |client, page, limit| {
            Box::pin(async move {
                let answer = client
                    .get_office_api_user_locations()
                    .page(page)
                    .limit(limit)
                    .send()
                    .await?;
                Ok(answer.items)
            })
        })
    }
}

/// Reads one page: the client, the page (from 1), the limit.
type Fetch<T> =
    for<'c> fn(&'c Client, NonZeroU32, NonZeroU32) -> BoxFuture<'c, Result<Vec<T>, HttpError>>;

/// A paged listing: made by [`Client::all_work_locations`] and
/// [`Client::all_user_locations`].
pub struct Pages<'a, T> {
    client: &'a Client,
    page_size: NonZeroU32,
    fetch: Fetch<T>,
}

impl<T> std::fmt::Debug for Pages<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

impl<'a, T> Pages<'a, T> {
    fn new(client: &'a Client, fetch: Fetch<T>) -> Self {
        Self {
            client,
            page_size: NonZeroU32::MIN.saturating_add(NEWER_MAX_LIMIT - 1),
            fetch,
        }
    }

    /// Items a page (1000 by default; at least 1). Past a server's bound it
    /// falls back to the older bound, 10.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = NonZeroU32::new(size).unwrap_or(NonZeroU32::MIN);
        self
    }
}

/// Where a listing stands.
struct State<'a, T> {
    client: &'a Client,
    fetch: Fetch<T>,
    page: NonZeroU32,
    limit: NonZeroU32,
    items: std::vec::IntoIter<T>,
    /// Items of the next page already given (after a fall back to pages
    /// of 10 mid-way).
    skip: usize,
    done: bool,
}

impl<T> State<'_, T> {
    /// Goes on by pages of 10 after the first `seen` items.
    fn fall_back_to_older_bound(&mut self, seen: u64) {
        let size = u64::from(OLDER_MAX_LIMIT);
        self.limit = NonZeroU32::MIN.saturating_add(OLDER_MAX_LIMIT - 1);
        let page = u32::try_from(seen / size + 1).unwrap_or(u32::MAX);
        self.page = NonZeroU32::new(page).unwrap_or(NonZeroU32::MIN);
        self.skip = (seen % size) as usize;
    }
}

impl<'a, T: 'a> Pages<'a, T> {
    /// The items, in the server's order; a failed page ends the stream with
    /// its error.
    pub fn stream(self) -> impl Stream<Item = Result<T, HttpError>> + 'a {
        let state = State {
            client: self.client,
            fetch: self.fetch,
            page: NonZeroU32::MIN,
            limit: self.page_size,
            items: Vec::new().into_iter(),
            skip: 0,
            done: false,
        };
        futures_util::stream::unfold(state, |mut state| async move {
            loop {
                if let Some(item) = state.items.next() {
                    return Some((Ok(item), state));
                }
                if state.done {
                    return None;
                }
                match (state.fetch)(state.client, state.page, state.limit).await {
                    Ok(items) => {
                        let asked = state.limit.get() as usize;
                        // A server of the older bound may answer 10 items
                        // to a larger `limit` instead of refusing it.
                        let clamped = asked > OLDER_MAX_LIMIT as usize
                            && items.len() == OLDER_MAX_LIMIT as usize;
                        state.done = items.len() < asked && !clamped;
                        let mut items = items.into_iter();
                        for _ in 0..std::mem::take(&mut state.skip) {
                            items.next();
                        }
                        state.items = items;
                        if clamped {
                            tracing::info!(
                                limit = asked,
                                "the server answers pages of 10; paging by 10"
                            );
                            let seen = u64::from(state.page.get() - 1) * asked as u64
                                + u64::from(OLDER_MAX_LIMIT);
                            state.fall_back_to_older_bound(seen);
                        } else {
                            state.page = state.page.saturating_add(1);
                        }
                    }
                    Err(error)
                        if error.status().is_some_and(|status| status.as_u16() == 400)
                            && state.limit.get() > OLDER_MAX_LIMIT =>
                    {
                        tracing::info!(
                            limit = state.limit.get(),
                            "the server refuses this page size; paging by 10"
                        );
                        // The items before this page were `page - 1` pages
                        // of the larger size: start again where they end.
                        let seen = u64::from(state.page.get() - 1) * u64::from(state.limit.get());
                        state.limit = NonZeroU32::MIN.saturating_add(OLDER_MAX_LIMIT - 1);
                        let page = seen / u64::from(OLDER_MAX_LIMIT) + 1;
                        state.page = NonZeroU32::new(u32::try_from(page).unwrap_or(u32::MAX))
                            .unwrap_or(NonZeroU32::MIN);
                    }
                    Err(error) => {
                        state.done = true;
                        return Some((Err(error), state));
                    }
                }
            }
        })
    }
}
