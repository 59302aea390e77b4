//! Lucca Directory v3: read, list and update users (employees).
//!
//! Generated from `openapi/lucca-directory-v3.yaml` by the build script; see
//! `openapi/README.md` for what is rewritten before generation.

crate::generated_api!("directory", crate::credentials::Lucca);

mod fields;
mod patch;
mod query;
mod users;

pub use fields::{Fields, FieldsError};
pub use patch::{CountryCode, CultureId, PatchError, UserPatch};
pub use query::{FilterValue, MAX_PAGE, Range, Text, UserQuery};
pub use users::{
    BulkReport, ClientExtraUsersExt, DirectoryError, UpdateOptions, UpdateOutcome, UserRef,
    parse_enveloped,
};
