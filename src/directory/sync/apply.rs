//! `apply()`: sends exactly a plan's changes.

use std::collections::HashMap;

use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::super::Client;
use super::super::complete::{UpdateMode, complete_body, modified_at, unchanged};
use super::super::error::DirectoryError;
use super::super::fields::Fields;
use super::super::pager::{Pager, Record};
use super::SyncError;
use super::plan::{SyncPlan, UserChange, fresh_query};
use crate::error::HttpError;

/// An update Lucca applied. Deliberately not `#[non_exhaustive]`, as the
/// Office outcomes: every way of being applied is matched by name.
#[derive(Debug)]
pub enum Applied {
    /// Applied, and Lucca's answer read.
    Read,
    /// Applied (Lucca answered success), but its answer did not read into
    /// the typed model: the update **is done**; do not send it again.
    AnswerUnread(HttpError),
}

/// What applying did for one user.
#[derive(Debug)]
pub struct SyncOutcome {
    /// The login.
    pub login: String,
    /// The user's id.
    pub id: i64,
    /// Applied, or why not (a user changed since the plan is
    /// [`DirectoryError::ConcurrentChange`] in complete mode).
    pub result: Result<Applied, DirectoryError>,
}

/// What applying a plan did, user by user, in the plan's order.
#[derive(Debug, Default)]
pub struct SyncReport {
    /// One outcome a planned user.
    pub outcomes: Vec<SyncOutcome>,
}

impl SyncReport {
    /// The users updated (their answer read or not).
    pub fn succeeded(&self) -> impl Iterator<Item = &SyncOutcome> {
        self.outcomes
            .iter()
            .filter(|outcome| outcome.result.is_ok())
    }

    /// The users not updated, with why.
    pub fn failed(&self) -> impl Iterator<Item = &SyncOutcome> {
        self.outcomes
            .iter()
            .filter(|outcome| outcome.result.is_err())
    }
}

/// Applying a plan: made by [`Client::apply_sync`](super::super::Client::apply_sync).
#[derive(Debug)]
pub struct ApplySyncRequest<'a> {
    client: &'a Client,
    plan: &'a SyncPlan,
    concurrency: usize,
}

impl Client {
    /// Applies `plan`: one `PUT` a changed user with only its differing
    /// fields (partial mode), or, in complete mode, the changed users read
    /// fresh in `id=` lists first and a user whose `modifiedAt` moved since
    /// the plan refused rather than overwritten.
    pub fn apply_sync<'a>(&'a self, plan: &'a SyncPlan) -> ApplySyncRequest<'a> {
        ApplySyncRequest {
            client: self,
            plan,
            concurrency: 4,
        }
    }
}

impl ApplySyncRequest<'_> {
    /// Updates in flight at once (4 by default; the rate limit still holds).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Sends the plan's changes; one outcome a user.
    pub async fn execute(self) -> Result<SyncReport, SyncError> {
        let Self {
            client,
            plan,
            concurrency,
        } = self;
        if plan.tenant != client.baseurl() {
            return Err(SyncError::OtherTenant {
                plan: plan.tenant.clone(),
                client: client.baseurl().to_owned(),
            });
        }
        let fresh = match plan.mode {
            UpdateMode::Complete => read_fresh(client, &plan.changes).await?,
            _ => HashMap::new(),
        };
        let fresh = &fresh;
        let mut outcomes: Vec<(usize, SyncOutcome)> =
            futures_util::stream::iter(plan.changes.iter().enumerate())
                .map(|(index, change)| async move {
                    let result = update(client, change, plan.mode, fresh).await;
                    if let Err(error) = &result {
                        tracing::warn!(login = %change.login, %error, "user not updated");
                    }
                    let outcome = SyncOutcome {
                        login: change.login.clone(),
                        id: change.id,
                        result,
                    };
                    (index, outcome)
                })
                .buffer_unordered(concurrency)
                .collect()
                .await;
        outcomes.sort_unstable_by_key(|(index, _)| *index);
        Ok(SyncReport {
            outcomes: outcomes.into_iter().map(|(_, outcome)| outcome).collect(),
        })
    }
}

/// The changed users as they are now, by id: the required fields and
/// `modifiedAt`, in `id=` lists.
async fn read_fresh(
    client: &Client,
    changes: &[UserChange],
) -> Result<HashMap<i64, Record>, SyncError> {
    let mut pager = Pager::new(client, &fresh_query(changes))?;
    let mut fresh = HashMap::new();
    while let Some(page) = pager.next_page().await? {
        for record in page {
            if let Some(id) = record.get("id").and_then(Value::as_i64) {
                fresh.insert(id, record);
            }
        }
    }
    Ok(fresh)
}

/// One user's update.
async fn update(
    client: &Client,
    change: &UserChange,
    mode: UpdateMode,
    fresh: &HashMap<i64, Record>,
) -> Result<Applied, DirectoryError> {
    let changes: Map<String, Value> = change
        .fields
        .iter()
        .map(|field| (field.field.clone(), field.wanted.clone()))
        .collect();
    let body = match mode {
        UpdateMode::Complete => {
            let current = fresh.get(&change.id);
            unchanged(
                change.id,
                change.modified_at.clone(),
                current.and_then(modified_at),
            )?;
            complete_body(current.unwrap_or(&Map::new()), changes)
        }
        // Partial: the differing fields alone, values checked by the plan.
        _ => changes,
    };
    match client
        .put_user_body(change.id, body, mode, None, &Fields::new())
        .await
    {
        Ok(_) => Ok(Applied::Read),
        // Only a success's body is decoded: the update was applied.
        Err(DirectoryError::Http(error @ HttpError::InvalidAnswer { .. })) => {
            tracing::warn!(login = %change.login, %error, "user updated; the answer did not read");
            Ok(Applied::AnswerUnread(error))
        }
        Err(error) => Err(error),
    }
}
