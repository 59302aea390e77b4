//! Docutools user import: upload a CSV file, then import its users with a column mapping.
//!
//! Generated from `openapi/docutools-users.yaml` by the build script; see
//! `openapi/README.md` for what is rewritten before generation.

crate::generated_api!("docutools", crate::credentials::Docutools);

mod encoding;
mod import;
mod mapping;
mod split;

pub use crate::file_name::{CsvFileName, FileNameError};
pub use encoding::{CsvEncoding, EncodingError};
pub use import::{ClientExtraUserImportExt, DocutoolsError, MAX_FILE_SIZE, UPLOAD_PATH, UsersCsv};
pub use mapping::{ColumnMap, MappingError, MappingReport};
pub use split::SplitError;
