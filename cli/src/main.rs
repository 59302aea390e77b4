//! `roster`: the SDK on the command line, for the people who run the
//! imports by hand (the `roster-cli` crate).
//!
//! Exit codes: 0 done; 1 the input or the vendor refused; 2 usage or
//! configuration; 3 outcome unknown (the import may have been applied);
//! 4 a transient failure that a retry may mend; 130 interrupted (Ctrl-C).

mod config;
mod docutools;
mod errors_csv;
mod exit;
mod office;
mod spec;
mod ui;
mod users;

// The build's own generation and report, for `roster spec diff`.
use roster_codegen::{generate, surface};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use exit::Failure;
use ui::Context;

/// Lucca Office imports, Lucca users and Docutools imports from the command
/// line. Credentials come from the environment (`LUCCA_HOST`,
/// `LUCCA_API_KEY`, `DOCUTOOLS_HOST`, `DOCUTOOLS_TOKEN`…) or a file
/// (`--api-key-file`, `--env-file`), never from a flag.
#[derive(Debug, Parser)]
#[command(name = "roster", version)]
struct Cli {
    /// One JSON document on standard output instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Only errors, on standard error.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// The vendor's host (else `LUCCA_HOST` or `DOCUTOOLS_HOST`).
    #[arg(long, global = true)]
    host: Option<String>,
    /// A file holding the secret: Lucca's API key (else `LUCCA_API_KEY`)
    /// or Docutools' bearer token (else `DOCUTOOLS_TOKEN`).
    #[arg(long, global = true)]
    api_key_file: Option<PathBuf>,
    /// A file of `NAME=value` lines read before the environment (the one
    /// `roster serve --env-file` writes, say).
    #[arg(long, global = true)]
    env_file: Option<PathBuf>,
    /// A share of the tenant's Lucca budget for this run (`20/min`), so
    /// that its other integrations keep the rest; at most Lucca's own 50 a
    /// minute, which is the default.
    #[arg(long, global = true)]
    rate: Option<roster::RateLimit>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lucca Office: user-location imports and listings.
    #[command(subcommand)]
    Office(office::OfficeCommand),
    /// Lucca users (Directory): list them, sync them with an HR export.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Docutools: import users from a CSV export.
    #[command(subcommand)]
    Docutools(docutools::DocutoolsCommand),
    /// Specs: what a new version of a vendor's spec breaks.
    #[command(subcommand)]
    Spec(SpecCommand),
    /// The local servers of `roster-emulator`, same flags and output.
    Serve(roster_emulator::ServeOptions),
}

#[derive(Debug, Subcommand)]
enum SpecCommand {
    /// The breaking-change report between two versions of a spec: one line
    /// a change, `breaking:` or `additive:`; exit 1 if any is breaking.
    Diff {
        /// The version your code is written against.
        old: PathBuf,
        /// The new version.
        new: PathBuf,
        /// Which API (office, directory, docutools), when the file name
        /// does not say.
        #[arg(long)]
        api: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let context = Context::new(
        cli.json,
        cli.quiet,
        config::Sources {
            host: cli.host,
            secret_file: cli.api_key_file,
            env_file: cli.env_file,
            rate: cli.rate,
            store: std::sync::OnceLock::new(),
        },
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            ui::emit_err(format_args!("roster: cannot start: {error}"));
            return ExitCode::from(exit::TRANSIENT);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Office(command) => office::run(command, &context).await,
            Command::Users(command) => users::run(command, &context).await,
            Command::Docutools(command) => docutools::run(command, &context).await,
            Command::Spec(SpecCommand::Diff { old, new, api }) => {
                spec::diff(old, new, api, &context)
            }
            Command::Serve(mut options) => {
                options.json |= context.json;
                roster_emulator::serve(options).await.map_err(|error| {
                    Failure::transient(format!("the local servers stopped: {error}"))
                })
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            ui::emit_err(format_args!("roster: {}", failure.message));
            ExitCode::from(failure.code)
        }
    }
}
