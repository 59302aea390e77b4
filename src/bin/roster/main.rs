//! `roster`: the SDK on the command line, for the people who run the
//! imports by hand (feature `cli`).
//!
//! Exit codes: 0 done; 1 the input or the vendor refused; 2 usage or
//! configuration; 3 outcome unknown (the import may have been applied);
//! 4 a transient failure that a retry may mend.

mod exit;
mod office;
mod spec;

// The build script's own generation and report, for `roster spec diff`.
#[path = "../../../build/generate.rs"]
#[allow(dead_code)]
mod generate;
#[path = "../../../build/rewrite.rs"]
#[allow(dead_code)]
mod rewrite;
#[path = "../../../build/spec_error.rs"]
#[allow(dead_code)]
mod spec_error;
#[path = "../../../build/surface.rs"]
#[allow(dead_code)]
mod surface;
#[path = "../../../build/tolerate.rs"]
#[allow(dead_code)]
mod tolerate;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use exit::Failure;

/// Lucca Office imports, Lucca users and Docutools imports from the command
/// line. Credentials come from the environment (`LUCCA_HOST`,
/// `LUCCA_API_KEY`) or a file (`--api-key-file`), never from a flag.
#[derive(Debug, Parser)]
#[command(name = "roster", version)]
struct Cli {
    /// One JSON document on standard output instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Only errors on standard error.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Lucca's host (else `LUCCA_HOST`).
    #[arg(long, global = true)]
    host: Option<String>,
    /// A file holding the Lucca API key (else `LUCCA_API_KEY`).
    #[arg(long, global = true)]
    api_key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lucca Office: user-location imports and listings.
    #[command(subcommand)]
    Office(office::OfficeCommand),
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

/// What every command shares: output choices and configuration sources.
#[derive(Debug)]
pub(crate) struct Context {
    pub json: bool,
    pub quiet: bool,
    pub host: Option<String>,
    pub api_key_file: Option<PathBuf>,
    /// Whether standard input and output are a terminal (a person is there).
    pub terminal: bool,
}

impl Context {
    /// A line for a person (not with `--json` or `--quiet`).
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.json && !self.quiet {
            println!("{}", line.as_ref());
        }
    }
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
    let context = Context {
        json: cli.json,
        quiet: cli.quiet,
        host: cli.host,
        api_key_file: cli.api_key_file,
        terminal: std::io::stdin().is_terminal() && std::io::stdout().is_terminal(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("roster: cannot start: {error}");
            return ExitCode::from(exit::TRANSIENT);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Office(command) => office::run(command, &context).await,
            Command::Spec(SpecCommand::Diff { old, new, api }) => {
                spec::diff(old, new, api, &context)
            }
            Command::Serve(options) => roster_emulator::serve(options)
                .await
                .map_err(|error| Failure::transient(format!("the local servers stopped: {error}"))),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("roster: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
