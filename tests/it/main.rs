//! roster's integration tests: one binary, one module per concern.

// The build script's modules, tested directly (see `codegen`).
#[path = "../../build/generate.rs"]
mod generate;
#[path = "../../build/rewrite.rs"]
mod rewrite;
#[path = "../../build/spec_error.rs"]
mod spec_error;
#[path = "../../build/surface.rs"]
mod surface;
#[path = "../../build/tolerate.rs"]
mod tolerate;

mod auth;
mod bad_input;
mod capture;
#[cfg(feature = "cli")]
mod cli;
mod codegen;
mod config;
mod contract;
mod directory;
mod docutools;
mod every_operation;
mod examples;
mod faults;
#[cfg(feature = "journal")]
mod journal;
mod layers;
mod office_csv;
mod office_import;
mod office_upload;
mod properties;
#[cfg(feature = "redis")]
mod redis_server;
mod security;
#[cfg(feature = "redis")]
mod shared;
mod snapshot;
mod snapshots;
mod strings;
mod support;
mod surface_report;
mod sync;
mod tolerance;
mod variants;
mod waiting;
