//! Creating users: the one creation path, for a sync's new hires
//! ([`SyncPlan::creations`](super::SyncPlan::creations)). A creation is
//! irreversible (it makes a person): it is sent once (`POST` is never
//! resent), and an answer lost, or that did not read, is resolved by reading
//! the login back before anything else is decided: found, it was created
//! (with that id); not found, it was not, and running again is safe.

use serde_json::{Map, Value};

use super::Client;
use super::complete::login_of;
use super::envelope::parse_enveloped;
use super::error::DirectoryError;
use super::update::Applied;

impl Client {
    /// `POST /api/v3/users?contract=true` with `body` (checked by the plan:
    /// every required field, the login among them). Lucca's work-contract
    /// page recommends `contract=true`: the user and their contract.
    pub(crate) async fn create_user_body(
        &self,
        body: Map<String, Value>,
    ) -> Result<Applied, DirectoryError> {
        let login = login_of(&body).unwrap_or_default().to_owned();
        let sent = self
            .post_user()
            .contract(true)
            .raw_body(Value::Object(body))
            .answer()
            .await;
        let error = match sent {
            Ok(answer) => match answer.decode(parse_enveloped) {
                Ok(user) => return Ok(Applied::Created(Box::new(user))),
                // Created (Lucca answered success): only the id is unknown.
                Err(error) => error,
            },
            // Refused, or never sent: nothing was created.
            Err(error) if error.surely_not_applied() => return Err(error.into()),
            Err(error) => error,
        };
        tracing::warn!(%error, login, "a creation's answer was lost: reading the login back");
        match self.find_user_id(login.clone()).send().await {
            Ok(id) => Ok(Applied::CreatedFound { id, error }),
            Err(DirectoryError::UnknownLogin { .. })
                if error.status().is_none_or(|status| !status.is_success()) =>
            {
                Err(DirectoryError::NotCreated {
                    login,
                    source: error,
                })
            }
            // The read-back failed too: the outcome stays unknown.
            Err(_) => Err(error.into()),
        }
    }
}
