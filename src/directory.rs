//! Lucca Directory v3: read, list and update users (employees).
//!
//! Generated from `openapi/lucca-directory-v3.yaml` by the build script; see
//! `openapi/README.md` for what is rewritten before generation.

crate::generated_api!("directory", crate::credentials::LuccaApiKey);
