//! Docutools user import: upload a CSV file, then import its users with a column mapping.
//!
//! Generated from `openapi/docutools-users.yaml` by the build script; see
//! `openapi/README.md` for what is rewritten before generation.

crate::generated_api!("docutools", crate::credentials::BearerToken);
