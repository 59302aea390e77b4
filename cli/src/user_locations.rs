//! `roster office user-locations`: the tenant's user locations with the
//! people's logins and the work locations' names, not only their ids. The
//! names cost one read of the work locations, and one Directory read for
//! each hundred locations that bring owners not seen yet (their ids, each
//! once, in one filter).

use std::collections::HashMap;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use roster::directory::{self, Fields, UserQuery};
use roster::office::{self, types};
use serde::Serialize;

use crate::exit::{Failure, chain};
use crate::ui::Context;

/// How many locations' owners one Directory read asks for, at most (a URL
/// stays short).
const IDS_A_READ: usize = 100;

/// A user location with the names of its owner and work location.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Named {
    #[serde(flatten)]
    location: types::UserLocation,
    /// The owner's login, when the Directory knows the owner.
    owner_login: Option<String>,
    /// The work location's name, when the tenant has it.
    work_location_name: Option<String>,
}

/// A day as `--from` and `--to` take it: `YYYY-MM-DD`, or `YYYY/MM/DD` as
/// the import files write it.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text.trim(), format).ok())
        .ok_or_else(|| format!("`{text}` is not a day: write YYYY-MM-DD or YYYY/MM/DD"))
}

/// Lists the user locations between `from` and `to`, with names.
pub async fn list(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    context: &Context,
) -> Result<(), Failure> {
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(Failure::usage(format!("--from {from} is after --to {to}")));
    }
    let config = context.sources.lucca()?;
    let office: office::Client = config
        .client()
        .map_err(|error| Failure::usage(chain(&error)))?;
    let directory: directory::Client = config
        .client()
        .map_err(|error| Failure::usage(chain(&error)))?;
    let places: HashMap<i64, String> = office
        .all_work_locations()
        .stream()
        .map_ok(|place| (place.id, place.name))
        .try_collect()
        .await
        .map_err(|error| Failure::from_http(&error, chain(&error)))?;
    let logins = std::cell::RefCell::new(HashMap::<i64, String>::new());
    let (logins, places, directory) = (&logins, &places, &directory);
    // The listing has no date filter: the days are kept here.
    let locations = office
        .all_user_locations()
        .stream()
        .map_err(|error| Failure::from_http(&error, chain(&error)))
        .try_filter(move |location| {
            let kept = from.is_none_or(|from| location.date >= from)
                && to.is_none_or(|to| location.date <= to);
            std::future::ready(kept)
        })
        .try_chunks(IDS_A_READ)
        .map_err(|error| error.1)
        .and_then(move |chunk| {
            let unknown: std::collections::BTreeSet<i64> = chunk
                .iter()
                .map(|location| location.owner_id)
                .filter(|id| !logins.borrow().contains_key(id))
                .collect();
            async move {
                let read = read_logins(directory, unknown).await?;
                let mut logins = logins.borrow_mut();
                logins.extend(read);
                let named: Vec<Result<Named, Failure>> = chunk
                    .into_iter()
                    .map(|location| {
                        Ok(Named {
                            owner_login: logins.get(&location.owner_id).cloned(),
                            work_location_name: places.get(&location.work_location_id).cloned(),
                            location,
                        })
                    })
                    .collect();
                Ok(futures_util::stream::iter(named))
            }
        })
        .try_flatten();
    context
        .listing(
            &["id", "user", "date", "position", "work location", "status"],
            locations,
            |named| {
                let location = &named.location;
                vec![
                    location.id.to_string(),
                    named
                        .owner_login
                        .clone()
                        .unwrap_or_else(|| format!("#{}", location.owner_id)),
                    location.date.to_string(),
                    location.position.to_string(),
                    named
                        .work_location_name
                        .clone()
                        .unwrap_or_else(|| format!("#{}", location.work_location_id)),
                    location
                        .status
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                ]
            },
        )
        .await
}

/// The logins of these users, in one Directory read (none when there are
/// no ids). Users the Directory does not show are left out.
async fn read_logins(
    directory: &directory::Client,
    ids: std::collections::BTreeSet<i64>,
) -> Result<HashMap<i64, String>, Failure> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = UserQuery::new()
        .ids(ids)
        .former_employees(true)
        .fields(Fields::new().with("id").with("login"));
    directory
        .users(query)
        .stream()
        .try_filter_map(|user| std::future::ready(Ok(user.id.zip(user.login))))
        .try_collect()
        .await
        .map_err(|error| crate::users::failure(&error))
}
