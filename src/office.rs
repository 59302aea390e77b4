//! Lucca Office: user-location imports (progress, analysis, results), work locations and user locations.
//!
//! Generated from `openapi/lucca-office.yaml` by the build script; see
//! `openapi/README.md` for what is rewritten before generation.

crate::generated_api!("office", crate::credentials::LuccaApiKey);
