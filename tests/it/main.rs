//! roster's integration tests: one binary, one module per concern.

// The generation (`roster-codegen`), tested with the clients it made (see
// `codegen`).
use roster_codegen::{generate, rewrite, surface};

mod auth;
mod bad_input;
mod capture;
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
mod raw;
#[cfg(feature = "redis")]
mod redis_server;
mod repository;
mod security;
#[cfg(feature = "redis")]
mod shared;
mod snapshot;
mod snapshots;
mod spec_literals;
mod special_files;
mod strings;
mod support;
mod surface_report;
mod sync;
mod tolerance;
mod variants;
mod waiting;
