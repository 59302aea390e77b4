//! `roster-emulator`: the local Lucca and Docutools servers as a process.
//!
//! Once both listen, prints `LUCCA_HOST`, `LUCCA_API_KEY`, `DOCUTOOLS_HOST`
//! and `DOCUTOOLS_TOKEN` as `NAME=value` lines (and, with `--env-file`, writes
//! them to that file, atomically: its appearance means "ready"), then serves
//! until stopped (Ctrl-C or SIGTERM).

use std::process::ExitCode;

use clap::Parser;
use roster_emulator::{ServeOptions, serve};

/// Local Lucca (Office, v3 users) and Docutools servers, written from the
/// vendors' documents, for testing integrations in any language.
#[derive(Debug, Parser)]
#[command(name = "roster-emulator", version)]
struct Args {
    #[command(flatten)]
    serve: ServeOptions,
}

#[tokio::main]
async fn main() -> ExitCode {
    match serve(Args::parse().serve).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("roster-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}
