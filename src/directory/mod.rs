//! Lucca Directory v3: read, list and update users (employees).
//!
//! Generated from `openapi/lucca-directory-v3.yaml` by the build script; see
//! `openapi/README.md` for what is rewritten before generation.
//!
//! Generated: the client and its models (`Client`, `types`, `builder`).
//! Handwritten: `fields` selections, typed `query` filters, `patch`es that
//! set, clear or leave each field, and the `users` operations (one user,
//! every user as a stream, a login's id, updates, bulk updates), added to the
//! client as inherent methods, builders ending in `send()`,
//! `execute()` or (the users listing) `stream()`. Every request goes through the crate's
//! [`Transport`](crate::Transport); errors wrap [`HttpError`](crate::HttpError).

crate::generated_api!("directory", crate::credentials::Lucca);

impl crate::LuccaConfig {
    /// The Lucca Directory client: [`client`](crate::Config::client) with
    /// its type said.
    pub fn directory_client(&self) -> Result<Client, crate::ConfigError> {
        self.client()
    }
}

mod complete;
mod create;
mod envelope;
mod error;
mod field;
mod fields;
mod organization;
mod pager;
mod patch;
mod query;
mod sync;
mod update;

/// The property names the handwritten layer reads and writes, from the
/// spec's schemas: a user's (`User`), a reference's id (`IdOnly`), the
/// envelope's `data`.
mod keys {
    pub(crate) use super::generated::names::schemas::id_only::ID as OBJECT_ID;
    pub(crate) use super::generated::names::schemas::user::*;
    pub(crate) use super::generated::names::schemas::user_envelope::DATA;
}
mod users;

pub use complete::{UpdateMode, required_fields};
pub use envelope::parse_enveloped;
pub use error::{DirectoryError, InvalidValue};
pub use fields::Fields;
pub use organization::OrganizationList;
pub use patch::{ExtensionKey, Extensions, UserPatch};
pub use query::{
    FilterValue, MAX_LIST_VALUES, MAX_PAGE, MAX_QUERY_BYTES, OrderBy, Range, Text, UserQuery,
};
pub use sync::{
    Absent, ApplySyncRequest, Cost, DesiredUsers, DuplicateKey, FieldChange, Key, PlanSyncRequest,
    Reading, RefusedValue, Strategy, SyncError, SyncPlan, UserChange, UserCreation,
};
pub use update::{
    Applied, BulkUpdateRequest, UpdateOutcome, UpdateReport, UpdateUserRequest, UserRef,
};
pub use users::{FindUserIdRequest, GetUserRequest, ListUsersRequest};
