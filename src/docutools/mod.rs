//! Docutools user import: upload a CSV file, then import its users with a column mapping.
//!
//! Generated from `openapi/docutools-users.yaml` by the build script; see
//! `openapi/README.md` for what is rewritten before generation.
//!
//! Generated: the client and its models (`Client`, `types`, `builder`).
//! Handwritten: file `encoding`s, `split`ting under the size limit, column
//! `mapping`s, and the `import` flow (upload, import, both for a whole file),
//! added to the client as inherent methods, builders ending in
//! `send()` or `execute()`. Every request, the token requests included, goes
//! through the crate's [`Transport`](crate::Transport); errors wrap
//! [`HttpError`](crate::HttpError).

crate::generated_api!("docutools", crate::credentials::Docutools);

mod encoding;
mod error;
mod import;
mod mapping;
mod split;

pub use crate::credentials::{BearerToken, Docutools, PasswordGrant};
pub use encoding::CsvEncoding;
pub use error::{DocutoolsError, UsersCsvError};
pub use import::{
    ImportUsersCsvRequest, ImportUsersRequest, MAX_FILE_SIZE, UploadUsersFileRequest, UsersCsv,
};
pub use mapping::{ColumnMap, MappingReport};

/// The configuration of the Docutools API with a token.
pub type DocutoolsConfig = crate::Config<BearerToken>;

/// The configuration of the Docutools API with a password grant.
pub type DocutoolsLoginConfig = crate::Config<PasswordGrant>;
