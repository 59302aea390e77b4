//! `apply()`: sends exactly a plan's changes.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::super::Client;
use super::super::complete::{UpdateMode, login_of};
use super::super::error::DirectoryError;
use super::super::pager::{Pager, Record};
use super::super::update::Applied;
use super::super::update::{
    Baseline, Sending, UpdateOutcome, UpdateReport, UserRef, applied, fan_out,
};
use super::SyncError;
use super::hire::UserCreation;
use super::plan::{SyncPlan, UserChange, fresh_query, hired_query};
use crate::journal::{ImportJournal, JournalState, Resolution, USER_CREATION};

/// Applying a plan: made by [`Client::apply_sync`](super::super::Client::apply_sync).
#[derive(Debug)]
pub struct ApplySyncRequest<'a> {
    client: &'a Client,
    plan: &'a SyncPlan,
    concurrency: usize,
    stop: Option<Arc<AtomicBool>>,
    unchanged_since_plan: bool,
    journal: Option<&'a ImportJournal>,
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
            stop: None,
            unchanged_since_plan: false,
            journal: None,
        }
    }
}

impl<'a> ApplySyncRequest<'a> {
    /// Updates in flight at once (4 by default; the rate limit still holds).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Stops sending once `stop` is set (Ctrl-C, say): what is in flight
    /// finishes and is reported as it ended; every user not yet sent is
    /// [`DirectoryError::Stopped`](super::super::DirectoryError::Stopped).
    /// The report then says exactly what was written.
    pub fn stop_when(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = Some(stop);
        self
    }

    /// Claims each new hire's creation in `journal` (by tenant and login)
    /// before it leaves, so that two runs never both create one: a run
    /// that finds a creation claimed and held by another is refused
    /// ([`DirectoryError::CreationClaimed`](super::super::DirectoryError::CreationClaimed));
    /// one whose earlier outcome was unknown is resolved by the reading of
    /// the logins just before (no user: not created), then created.
    pub fn journal(mut self, journal: &'a ImportJournal) -> Self {
        self.journal = Some(journal);
        self
    }

    /// Refuses every user changed in Lucca since the plan read it (its
    /// `modifiedAt` moved, or it is gone) rather than overwrite the change:
    /// for a plan saved and applied later. Costs the changed users' fresh
    /// read, in `id=` lists (the complete mode always does it).
    pub fn unchanged_since_plan(mut self) -> Self {
        self.unchanged_since_plan = true;
        self
    }

    /// Sends the plan's changes, each as its [`UserChange::patch`], through
    /// the one update path; one outcome a user.
    pub async fn execute(self) -> Result<UpdateReport, SyncError> {
        let Self {
            client,
            plan,
            concurrency,
            stop,
            unchanged_since_plan,
            journal,
        } = self;
        let stopped = stop.unwrap_or_default();
        let stopped = &stopped;
        if crate::base_url::tenant_of(&plan.tenant) != crate::base_url::tenant_of(client.baseurl())
        {
            return Err(SyncError::OtherTenant {
                plan: plan.tenant.clone(),
                client: client.baseurl().to_owned(),
            });
        }
        // What each write is checked against (and, complete, completed
        // from): no read when there is no change.
        let fresh = match unchanged_since_plan || plan.mode == UpdateMode::Complete {
            true => read_fresh(client, &plan.changes).await?,
            false => HashMap::new(),
        };
        let (fresh, sending) = (
            &fresh,
            &Sending {
                mode: plan.mode,
                unchanged_since_read: unchanged_since_plan,
                ..Sending::default()
            },
        );
        let mut report = fan_out(&plan.changes, concurrency, |change| async move {
            if stopped.load(Ordering::SeqCst) {
                return UpdateOutcome {
                    user: UserRef::Login(change.login.clone()),
                    id: Some(change.id),
                    result: Err(DirectoryError::Stopped),
                };
            }
            let baseline = Baseline::Read {
                current: fresh.get(&change.id),
                planned: change.modified_at.clone(),
            };
            let sent = client
                .send_patch(change.id, &change.patch(), sending, baseline)
                .await;
            UpdateOutcome {
                user: UserRef::Login(change.login.clone()),
                id: Some(change.id),
                result: applied(sent),
            }
        })
        .await;
        if plan.create_missing && !plan.creations.is_empty() {
            let created = create(client, &plan.creations, concurrency, stopped, journal).await?;
            report.outcomes.extend(created.outcomes);
        }
        Ok(report)
    }
}

/// A new hire's creation, claimed in `journal` first and recorded after.
/// The logins were just read and this one is not in Lucca: an earlier
/// claim nobody holds any more, whose outcome is not known to be applied,
/// is resolved "not applied" by that reading.
async fn claimed(
    client: &Client,
    journal: &ImportJournal,
    creation: &UserCreation,
) -> Result<Applied, DirectoryError> {
    let tenant = client.baseurl();
    let key = format!("{USER_CREATION}{}", creation.login);
    let mut claim = journal.claim(tenant, &key, false, None).await?;
    if let Err(earlier) = &claim
        && !earlier.is_held()
        && earlier.state != JournalState::Done
        && earlier.state != JournalState::Accepted
    {
        journal
            .resolve(tenant, &key, Resolution::NotApplied)
            .await?;
        claim = journal.claim(tenant, &key, false, None).await?;
    }
    let claim = claim.map_err(|entry| DirectoryError::CreationClaimed {
        login: creation.login.clone(),
        entry: Box::new(entry),
    })?;
    let creating = client.create_user_body(creation.body.clone());
    journal
        .settle(tenant, &key, &claim, creating, |result| match result {
            Ok(_) => Some(JournalState::Done),
            // Known not created: the claim is forgotten.
            Err(DirectoryError::NotCreated { .. }) => None,
            Err(DirectoryError::Http(error)) if error.surely_not_applied() => None,
            Err(_) => Some(JournalState::Unknown),
        })
        .await
}

/// Creates the new hires: their logins read first (one created since the
/// plan is [`Applied::Exists`], not created again), then one `POST` each
/// through the one creation path.
async fn create(
    client: &Client,
    creations: &[UserCreation],
    concurrency: usize,
    stopped: &AtomicBool,
    journal: Option<&ImportJournal>,
) -> Result<UpdateReport, SyncError> {
    let mut pager = Pager::new(client, &hired_query(creations))?;
    let mut existing = HashMap::new();
    while let Some(page) = pager.next_page().await? {
        for record in page {
            let login = login_of(&record);
            let id = record.get(super::super::keys::ID).and_then(Value::as_i64);
            if let (Some(login), Some(id)) = (login, id) {
                existing.insert(login.to_owned(), id);
            }
        }
    }
    let existing = &existing;
    Ok(fan_out(creations, concurrency, |creation| async move {
        let (id, result) = match existing.get(&creation.login) {
            Some(id) => (Some(*id), Ok(Applied::Exists { id: *id })),
            None if stopped.load(Ordering::SeqCst) => (None, Err(DirectoryError::Stopped)),
            None => {
                let result = match journal {
                    Some(journal) => claimed(client, journal, creation).await,
                    None => client.create_user_body(creation.body.clone()).await,
                };
                let id = match &result {
                    Ok(Applied::Created(user)) => user.id,
                    Ok(Applied::CreatedFound { id, .. }) => Some(*id),
                    _ => None,
                };
                (id, result)
            }
        };
        UpdateOutcome {
            user: UserRef::Login(creation.login.clone()),
            id,
            result,
        }
    })
    .await)
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
            if let Some(id) = record.get(super::super::keys::ID).and_then(Value::as_i64) {
                fresh.insert(id, record);
            }
        }
    }
    Ok(fresh)
}
