//! `apply()`: sends exactly a plan's changes.

use std::collections::HashMap;

use serde_json::Value;

use super::super::Client;
use super::super::complete::UpdateMode;
use super::super::pager::{Pager, Record};
use super::super::update::{
    Baseline, Sending, UpdateOutcome, UpdateReport, UserRef, applied, fan_out,
};
use super::SyncError;
use super::plan::{SyncPlan, UserChange, fresh_query};

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

    /// Sends the plan's changes, each as its [`UserChange::patch`], through
    /// the one update path; one outcome a user.
    pub async fn execute(self) -> Result<UpdateReport, SyncError> {
        let Self {
            client,
            plan,
            concurrency,
        } = self;
        if crate::base_url::tenant_of(&plan.tenant) != crate::base_url::tenant_of(client.baseurl())
        {
            return Err(SyncError::OtherTenant {
                plan: plan.tenant.clone(),
                client: client.baseurl().to_owned(),
            });
        }
        let fresh = match plan.mode {
            UpdateMode::Complete => read_fresh(client, &plan.changes).await?,
            _ => HashMap::new(),
        };
        let (fresh, sending) = (
            &fresh,
            &Sending {
                mode: plan.mode,
                ..Sending::default()
            },
        );
        let report = fan_out(&plan.changes, concurrency, |change| async move {
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
        Ok(report)
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
            if let Some(id) = record.get(super::super::keys::ID).and_then(Value::as_i64) {
                fresh.insert(id, record);
            }
        }
    }
    Ok(fresh)
}
