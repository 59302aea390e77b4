//! `roster-emulator`: the local Lucca and Docutools servers as a process.
//!
//! Once both listen, prints `LUCCA_HOST`, `LUCCA_API_KEY`, `DOCUTOOLS_HOST`
//! and `DOCUTOOLS_TOKEN` as `NAME=value` lines (and, with `--env-file`, writes
//! them to that file, atomically: its appearance means "ready"), then serves
//! until stopped (Ctrl-C or SIGTERM).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use roster_emulator::{DocutoolsSetup, LocalDocutools, LocalLucca, Profile, Setup};

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
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("roster-emulator: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> std::io::Result<()> {
    let knobs = args.profile.knobs();
    let setup = Setup::default()
        .with_generated_employees(args.seed_users)
        .with_knobs(knobs.clone());
    let lucca = LocalLucca::start_on(setup, args.port).await?;
    let docutools_setup = DocutoolsSetup {
        // The printed token serves a whole working day.
        token_lifetime: Duration::from_secs(12 * 3600),
        knobs,
        ..DocutoolsSetup::default()
    };
    let docutools_port = if args.port == 0 {
        0
    } else {
        args.port.saturating_add(1)
    };
    let docutools = LocalDocutools::start_on(docutools_setup, docutools_port).await?;
    let mut text = String::new();
    for (name, value) in lucca.env().into_iter().chain(docutools.env()) {
        text.push_str(&format!("{name}={value}\n"));
    }
    if let Some(path) = &args.env_file {
        write_atomically(path, &text)?;
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    drop(stdout);
    eprintln!(
        "roster-emulator: serving the {} profile; stop with Ctrl-C",
        args.profile
    );
    stopped().await;
    if let Some(path) = &args.env_file {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Writes beside `path`, then renames: a reader never sees half a file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(format!(".{}.partial", std::process::id()));
    let partial = PathBuf::from(partial);
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, path)
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
