//! `roster-emulator`: the local Lucca and Docutools servers as a process.
//!
//! Once both listen, prints `LUCCA_HOST`, `LUCCA_API_KEY`, `DOCUTOOLS_HOST`
//! and `DOCUTOOLS_TOKEN` as `NAME=value` lines (and, with `--env-file`, writes
//! them to that file, atomically: its appearance means "ready"), then serves
//! until stopped (Ctrl-C or SIGTERM).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use roster_emulator::{Profile, ServeOptions, serve};

/// Local Lucca (Office, v3 users) and Docutools servers, written from the
/// vendors' documents, for testing integrations in any language.
#[derive(Debug, Parser)]
#[command(name = "roster-emulator", version)]
struct Args {
    /// Lucca's loopback port (Docutools takes the next one); 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The vendor variant to play: documented, strict, dotnet or drifted.
    #[arg(long, default_value = "documented")]
    profile: Profile,
    /// Adds this many generated employees (`user0000`…) to the account.
    #[arg(long, default_value_t = 0)]
    seed_users: usize,
    /// Also writes the variables to this file, once the servers listen.
    #[arg(long)]
    env_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let options = ServeOptions {
        port: args.port,
        profile: args.profile,
        seed_users: args.seed_users,
        env_file: args.env_file,
    };
    match serve(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("roster-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}
